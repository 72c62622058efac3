/**
 * A PostgreSQL port that behaves like a database resuming from a pause: the first `refusals` connections are
 * answered as PostgreSQL answers while it starts up (FATAL, SQLSTATE 57P03), every later one is relayed to the
 * real server. Nothing is simulated past the startup packet: from then on it is the real protocol.
 */
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const SSL_REQUEST_CODE = 80_877_103;

/** The ErrorResponse message PostgreSQL sends for cannot_connect_now. */
function startingUpError(): Buffer {
  const fields = Buffer.from(
    ['SFATAL', 'VFATAL', 'C57P03', 'Mthe database system is starting up']
      .map((field) => `${field}\0`)
      .join('') + '\0',
  );
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

export interface ResumingPostgres {
  port: number;
  /** Connections received so far, refused or relayed. */
  connections: () => number;
  close: () => Promise<void>;
}

export async function resumingPostgres(
  target: { host: string; port: number },
  refusals: number,
): Promise<ResumingPostgres> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections += 1;
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (connections > refusals) {
      const upstream = createConnection(target);
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      return;
    }
    client.once('data', (packet) => {
      // An SSLRequest gets "no TLS here"; the startup packet that follows gets the refusal.
      if (packet.length === 8 && packet.readInt32BE(4) === SSL_REQUEST_CODE) {
        client.write('N');
        client.once('data', () => client.end(startingUpError()));
        return;
      }
      client.end(startingUpError());
    });
    client.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
