/**
 * RDS IAM database authentication in front of the local PostgreSQL: a PostgreSQL wire-protocol gate that
 * does what RDS does for a user with the rds_iam role — require TLS, ask for the password in clear text (the
 * client's pool sends its `@aws-sdk/rds-signer` token as the password), verify the token and authorize
 * rds-db:connect (./rds-token.ts) — and then logs in to the real server with the real credentials and splices
 * the two connections, so everything after authentication is the server's own conversation.
 *
 * TLS uses a certificate made for the gate (`ensureGateCertificate`, with openssl) that the functions trust
 * through NODE_EXTRA_CA_CERTS, as their pool verifies RDS's certificate (`rejectUnauthorized: true`) with the
 * runtime's RDS bundle on AWS. A refusal is the error RDS answers: `PAM authentication failed for user "…"`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { TLSSocket, createSecureContext } from 'node:tls';
import { promisify } from 'node:util';
import type { IamEnforcer } from './enforcer';
import { type RdsDatabase, verifyRdsAuthToken } from './rds-token';

export interface GateCertificate {
  /** PEM; also the CA the functions trust (NODE_EXTRA_CA_CERTS = `certPath`). */
  cert: string;
  key: string;
  certPath: string;
}

export interface PgGateOptions {
  iam: IamEnforcer;
  certificate: GateCertificate;
  /** What the tokens are signed for: the host and port the functions are given, and the resource id. */
  database: RdsDatabase;
  /** The real server and the login the gate uses there once a token is accepted. */
  upstream: { host: string; port: number; user: string; password: string };
  /** @default 127.0.0.1 */
  host?: string;
}

export interface PgGate {
  port: number;
  stop(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/**
 * A self-signed certificate for localhost and 127.0.0.1 in `dir`, made once (openssl, part of every Debian
 * and Ubuntu install) and reused, so NODE_EXTRA_CA_CERTS can point at a stable file.
 */
export async function ensureGateCertificate(dir: string): Promise<GateCertificate> {
  const certPath = join(dir, 'gate-cert.pem');
  const keyPath = join(dir, 'gate-key.pem');
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    await mkdir(dir, { recursive: true });
    await promisify(execFile)('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '3650',
      '-subj',
      '/CN=idrl local database gate',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ]);
  }
  return { cert: await readFile(certPath, 'utf8'), key: await readFile(keyPath, 'utf8'), certPath };
}

/** Reads framed protocol messages off a socket, however the bytes arrive. */
class MessageReader {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private closed = false;

  constructor(private readonly socket: Socket) {
    socket.on('data', this.onData);
    socket.once('close', () => {
      this.closed = true;
      this.waiting?.();
    });
  }

  private readonly onData = (chunk: Buffer): void => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.waiting?.();
  };

  private async take(length: number): Promise<Buffer> {
    while (this.buffered.length < length) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
    const taken = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return taken;
  }

  /** An untyped message (startup, SSL request): length-prefixed. */
  async untyped(): Promise<Buffer> {
    const length = (await this.take(4)).readInt32BE(0);
    if (length < 8 || length > 10_000) throw new Error('malformed startup packet');
    return this.take(length - 4);
  }

  async typed(): Promise<{ type: string; body: Buffer }> {
    const head = await this.take(5);
    const length = head.readInt32BE(1);
    if (length < 4 || length > 1_000_000) throw new Error('malformed message');
    return { type: String.fromCharCode(head[0] ?? 0), body: await this.take(length - 4) };
  }

  /** Stops reading and hands back what was read ahead, for the splice. */
  release(): Buffer {
    this.socket.off('data', this.onData);
    return this.buffered;
  }
}

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function cstring(text: string): Buffer {
  return Buffer.from(`${text}\0`, 'utf8');
}

/** PostgreSQL's ErrorResponse (severity FATAL, SQLSTATE, message). */
function fatal(code: string, text: string): Buffer {
  return message(
    'E',
    Buffer.concat([
      Buffer.from('S'),
      cstring('FATAL'),
      Buffer.from('V'),
      cstring('FATAL'),
      Buffer.from('C'),
      cstring(code),
      Buffer.from('M'),
      cstring(text),
      Buffer.from([0]),
    ]),
  );
}

/** The key/value parameters of a StartupMessage body (after its protocol version). */
function startupParameters(body: Buffer): Map<string, string> {
  const parts = body.subarray(4).toString('utf8').split('\0');
  const parameters = new Map<string, string>();
  for (let index = 0; index + 1 < parts.length && parts[index] !== ''; index += 2)
    parameters.set(parts[index] ?? '', parts[index + 1] ?? '');
  return parameters;
}

function startupMessage(parameters: Map<string, string>): Buffer {
  const version = Buffer.alloc(4);
  version.writeInt32BE(PROTOCOL_3, 0);
  const body = Buffer.concat([
    version,
    ...[...parameters].flatMap(([name, value]) => [cstring(name), cstring(value)]),
    Buffer.from([0]),
  ]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4, 0);
  return Buffer.concat([length, body]);
}

/** Logs in to the real server as the gate's user; resolves with what it sent after AuthenticationOk. */
async function upstreamLogin(
  options: PgGateOptions,
  parameters: Map<string, string>,
): Promise<{ socket: Socket; reader: MessageReader }> {
  const socket = connect(options.upstream.port, options.upstream.host);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const reader = new MessageReader(socket);
  socket.write(startupMessage(new Map([...parameters, ['user', options.upstream.user]])));
  for (;;) {
    const { type, body } = await reader.typed();
    if (type === 'E') throw new Error(`the local server refused the gate's login: ${body.toString('utf8')}`);
    if (type !== 'R') throw new Error(`unexpected message ${type} during the gate's login`);
    const method = body.readInt32BE(0);
    if (method === 0) return { socket, reader };
    // Clear text: the embedded server's `--auth=password`.
    if (method === 3) socket.write(message('p', cstring(options.upstream.password)));
    else
      throw new Error(
        `the local server asks for authentication method ${method}; the gate speaks clear text only`,
      );
  }
}

export async function startPgGate(options: PgGateOptions, port: number): Promise<PgGate> {
  const secureContext = createSecureContext({ cert: options.certificate.cert, key: options.certificate.key });
  const sockets = new Set<Socket>();

  async function serve(raw: Socket): Promise<void> {
    const plain = new MessageReader(raw);
    const first = await plain.untyped();
    const code = first.readInt32BE(0);
    if (code === CANCEL_REQUEST) {
      // A cancel carries the server's own key from BackendKeyData; it goes to the server as is.
      const upstream = connect(options.upstream.port, options.upstream.host, () => {
        const length = Buffer.alloc(4);
        length.writeInt32BE(first.length + 4, 0);
        upstream.end(Buffer.concat([length, first]));
      });
      raw.end();
      return;
    }
    if (code !== SSL_REQUEST) {
      // RDS refuses IAM authentication without TLS.
      raw.end(fatal('28000', 'pg_hba.conf rejects connection: IAM authentication requires SSL'));
      return;
    }
    plain.release();
    raw.write('S');
    const tls = new TLSSocket(raw, { isServer: true, secureContext });
    sockets.add(tls);
    const client = new MessageReader(tls);
    const startup = await client.untyped();
    if (startup.readInt32BE(0) !== PROTOCOL_3) {
      tls.end(fatal('0A000', 'unsupported frontend protocol'));
      return;
    }
    const parameters = startupParameters(startup);
    const user = parameters.get('user') ?? '';
    tls.write(message('R', Buffer.from([0, 0, 0, 3])));
    const password = await client.typed();
    const token = password.body.toString('utf8').replace(/\0$/, '');
    const check =
      password.type === 'p'
        ? await verifyRdsAuthToken(options.iam, token, user, options.database)
        : undefined;
    if (check?.ok !== true) {
      tls.end(fatal('28000', `PAM authentication failed for user "${user}"`));
      return;
    }
    const upstream = await upstreamLogin(options, parameters);
    sockets.add(upstream.socket);
    tls.write(message('R', Buffer.from([0, 0, 0, 0])));
    // From here on the conversation is the server's: splice, keeping what either side already sent.
    const fromServer = upstream.reader.release();
    const fromClient = client.release();
    if (fromServer.length > 0) tls.write(fromServer);
    if (fromClient.length > 0) upstream.socket.write(fromClient);
    tls.pipe(upstream.socket);
    upstream.socket.pipe(tls);
    const close = (): void => {
      tls.destroy();
      upstream.socket.destroy();
    };
    tls.once('close', close);
    upstream.socket.once('close', close);
    tls.on('error', close);
    upstream.socket.on('error', close);
  }

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    serve(socket).catch((error: unknown) => {
      options.iam.logRefusal('database connection', error instanceof Error ? error.message : String(error));
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, options.host ?? '127.0.0.1', () => {
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
