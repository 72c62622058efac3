/** The node:http plumbing the enforcement proxies share: listening on loopback and answering refusals. */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServiceAnswer } from './service-errors';

export interface Endpoint {
  url: string;
  stop(): Promise<void>;
}

/** Writes a refusal; a HEAD answer carries the status and headers only, as HTTP wants. */
export function sendAnswer(response: ServerResponse, answer: ServiceAnswer, head = false): void {
  response.writeHead(answer.statusCode, {
    ...answer.headers,
    'content-length': String(head ? 0 : answer.body.length),
  });
  response.end(head ? undefined : answer.body);
}

/**
 * Serves `handle` on `host:port` (0: any free port). A handler that throws answers `failed(error)` if nothing
 * was sent yet, or drops the connection mid-answer.
 */
export async function serve(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  failed: (error: unknown) => ServiceAnswer,
  address: { host?: string; port: number },
): Promise<Endpoint> {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) response.destroy();
      else sendAnswer(response, failed(error));
    });
  });
  const host = address.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, host, () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

/** Reads a whole body up to `limit` bytes; null beyond it. */
export async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
