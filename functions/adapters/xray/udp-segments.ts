/**
 * Records one segment in an existing X-Ray trace through the X-Ray daemon, which Lambda runs beside every function
 * with active tracing (`AWS_XRAY_DAEMON_ADDRESS`). The worker uses it to add its processing of an upload to the
 * trace of the request that created the task (docs/operations.md, "Tracing"): Lambda's own segment of the worker's
 * invocation belongs to a trace of its own, since S3's notification carries no trace. The daemon's protocol is a
 * JSON header line and a segment document per UDP datagram (the X-Ray developer guide, "Sending segment documents
 * to the X-Ray daemon"); the X-Ray SDK that speaks it is too large for the bundles (docs/infra.md, "Tracing").
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

const DAEMON_HEADER = '{"format":"json","version":1}\n';

/** One unit of work in a trace, as the worker describes it. */
export interface TraceSegment {
  /** The trace header the work belongs to (`Root=…;Parent=…;Sampled=…`). */
  traceHeader: string;
  startedAt: Date;
  endedAt: Date;
  /** Indexed by X-Ray: searchable with `annotation.<key> = …`. */
  annotations: Record<string, string | number | boolean>;
  /** The work failed for a reason of the platform's (it will be retried). */
  fault: boolean;
}

/** `host:port`, or the SDK's `udp:host:port tcp:host:port` form; undefined when no daemon is configured. */
export function daemonEndpoint(address: string | undefined): { host: string; port: number } | undefined {
  const udp = address
    ?.trim()
    .split(/\s+/)
    .map((part) => part.replace(/^udp:/, ''))
    .find((part) => !part.startsWith('tcp:'));
  const match = udp === undefined ? null : /^(.+):(\d{1,5})$/.exec(udp);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return { host: match[1], port: Number(match[2]) };
}

/** The fields of a trace header; undefined unless it names a trace, a parent and a sampled decision. */
function sampledTrace(header: string): { root: string; parent: string } | undefined {
  const fields = new Map(header.split(';').map((field) => field.split('=') as [string, string]));
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  if (root === undefined || parent === undefined || fields.get('Sampled') !== '1') return undefined;
  return { root, parent };
}

export class UdpSegmentEmitter {
  private socket: Socket | undefined;

  constructor(
    /** The segment's name in the trace map. */
    private readonly name: string,
    private readonly endpoint = daemonEndpoint(process.env.AWS_XRAY_DAEMON_ADDRESS),
  ) {}

  /**
   * Sends the segment when the trace was sampled and a daemon is there; resolves once the datagram left (Lambda
   * freezes the environment after the invocation) and never rejects: tracing must not fail the work it describes.
   */
  record(segment: TraceSegment): Promise<void> {
    const trace = sampledTrace(segment.traceHeader);
    if (trace === undefined || this.endpoint === undefined) return Promise.resolve();
    const document = {
      name: this.name,
      id: randomBytes(8).toString('hex'),
      trace_id: trace.root,
      parent_id: trace.parent,
      start_time: segment.startedAt.getTime() / 1000,
      end_time: segment.endedAt.getTime() / 1000,
      origin: 'AWS::Lambda::Function',
      annotations: segment.annotations,
      ...(segment.fault ? { fault: true } : {}),
    };
    // A send that fails (no route, daemon gone) reports to the callback; the socket's own errors are dropped.
    this.socket ??= createSocket('udp4')
      .unref()
      .on('error', () => undefined);
    const { host, port } = this.endpoint;
    return new Promise((resolve) => {
      this.socket?.send(`${DAEMON_HEADER}${JSON.stringify(document)}`, port, host, () => {
        resolve();
      });
    });
  }
}
