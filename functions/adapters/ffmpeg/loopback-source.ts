/**
 * The upload, served to ffmpeg/ffprobe on 127.0.0.1 for the length of one edit. The static builds
 * crash resolving any host name, so they cannot open a presigned S3 URL; this server lets them read
 * by address while Node (which resolves S3's name) fetches exactly the ranges they ask for. ffmpeg
 * then reads only what the edit needs: the index and the first seconds, never the whole file.
 * docs/worker.md ("Reading the source") has the measurements behind it.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { ByteRange, ObjectStore, ServedSource, SourceServer } from '#core/ports';
import { SourceMissingError } from '#core/processing-errors';

/** What a request's Range header asks of an object of a known size (RFC 9110 §14). */
export type RangeRequest =
  { kind: 'whole' } | { kind: 'range'; range: Required<ByteRange> } | { kind: 'unsatisfiable' };

/**
 * One `bytes=a-b`, `bytes=a-` or `bytes=-n` range, clamped to the object. A header this server
 * does not understand (another unit, several ranges, an end before its start) is ignored as
 * RFC 9110 allows: the whole object is served, which every reader handles.
 */
export function parseRange(header: string | undefined, totalBytes: number): RangeRequest {
  const match = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const [, first = '', last = ''] = match ?? [];
  if (match === null || (first === '' && last === '')) return { kind: 'whole' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || totalBytes === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, totalBytes - suffix), end: totalBytes - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? totalBytes - 1 : Math.min(Number(last), totalBytes - 1);
  if (last !== '' && Number(last) < start) return { kind: 'whole' };
  if (start >= totalBytes) return { kind: 'unsatisfiable' };
  return { kind: 'range', range: { start, end } };
}

/**
 * Serves each object on its own server (port 0) under an unguessable path, so nothing else on the
 * host can read it by accident, and closes it with the edit.
 */
export class LoopbackSourceServer implements SourceServer {
  constructor(private readonly objects: ObjectStore) {}

  async serve(key: string, versionId?: string): Promise<ServedSource> {
    // Known up front: a missing upload fails before any tool starts, and ranges are checked here
    // (416, HEAD) without asking the store. The version is pinned: every read names the task's version (a later
    // post to the grant cannot reach the edit) and asks for this ETag (which pins the current version of a task
    // recorded before versions were), so an upload replaced mid-edit never mixes two files' bytes.
    const version = await this.objects.stat(key, versionId);
    if (version === null) throw new SourceMissingError(key);
    const { sizeBytes: totalBytes, eTag } = version;
    const path = `/${randomBytes(24).toString('base64url')}`;
    const objects = this.objects;
    let sent = 0;
    let failure: Error | undefined;
    const recordFailure = (error: unknown): void => {
      failure ??= error instanceof Error ? error : new Error(String(error));
    };

    async function respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
      if (request.url !== path) {
        response.writeHead(404).end();
        return;
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { Allow: 'GET, HEAD' }).end();
        return;
      }
      const wanted = parseRange(request.headers.range, totalBytes);
      if (wanted.kind === 'unsatisfiable') {
        response.writeHead(416, { 'Content-Range': `bytes */${totalBytes}`, 'Accept-Ranges': 'bytes' }).end();
        return;
      }
      const range = wanted.kind === 'range' ? wanted.range : undefined;
      if (request.method === 'HEAD') {
        response
          .writeHead(
            range ? 206 : 200,
            headers(
              range ? range.end - range.start + 1 : totalBytes,
              range && contentRange(range, totalBytes),
            ),
          )
          .end();
        return;
      }
      // ffmpeg closes the connection whenever it seeks or has read enough: stop fetching from S3 then.
      const readerGone = new AbortController();
      response.once('close', () => {
        if (!response.writableFinished) readerGone.abort();
      });
      let object;
      try {
        object = await objects.readRange(key, range, { signal: readerGone.signal, ifMatch: eTag, versionId });
      } catch (error) {
        if (readerGone.signal.aborted) return;
        recordFailure(error);
        response.writeHead(502).end();
        return;
      }
      const { body } = object;
      if (readerGone.signal.aborted) {
        body.destroy();
        return;
      }
      // An error after the reader left is the teardown of its read, not a storage failure.
      body.on('error', (error) => {
        if (!readerGone.signal.aborted) recordFailure(error);
      });
      response.writeHead(range ? 206 : 200, headers(object.contentLength, object.contentRange));
      // Backpressure: S3 is read only as fast as ffmpeg reads. Failures are recorded by the listener
      // above; a reader leaving early is normal, so pipeline's own verdict adds nothing.
      await pipeline(
        body,
        async function* count(chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            sent += chunk.length;
            yield chunk;
          }
        },
        response,
      ).catch(() => undefined);
    }

    const server = createServer((request, response) => {
      respond(request, response).catch((error: unknown) => {
        recordFailure(error);
        response.destroy();
      });
    });
    await listen(server);
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}${path}`,
      bytesSent: () => sent,
      failure: () => failure,
      close: () => close(server),
    };
  }
}

function headers(contentLength: number, range: string | undefined): Record<string, string> {
  return {
    'Accept-Ranges': 'bytes',
    'Content-Length': String(contentLength),
    ...(range === undefined ? {} : { 'Content-Range': range }),
    // Never the uploader's declared type: ffmpeg weighs a MIME type when it probes the format, and
    // the content alone must decide what the file is. An HLS type would also make ffmpeg open an
    // uploaded playlist and fetch its segments from any address it names.
    'Content-Type': 'application/octet-stream',
  };
}

function contentRange(range: Required<ByteRange>, totalBytes: number): string {
  return `bytes ${range.start}-${range.end}/${totalBytes}`;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    // Drops connections still open (a killed ffmpeg's, a read in flight): their responses abort S3.
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });
}
