/**
 * The database gate in front of the integration PostgreSQL: a pool configured as the functions' pool (TLS
 * verified against the gate's certificate, the RDS signer's token as the password) gets a session of the real
 * server when its role may rds-db:connect as that user, and RDS's own refusal otherwise.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Signer } from '@aws-sdk/rds-signer';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalPrincipal, createIamEnforcer } from '#infra/local/iam/enforcer';
import {
  type GateCertificate,
  type PgGate,
  ensureGateCertificate,
  startPgGate,
} from '#infra/local/iam/pg-gate';
import { freePort } from '#infra/local/services/preflight';

const ACCOUNT = '000000000000';
const RESOURCE_ID = 'db-LOCALGATE';

function principal(name: string, statements: object[]): LocalPrincipal {
  return {
    accessKeyId: `AKID${name.toUpperCase().replace(/-/g, '')}`,
    secretAccessKey: `${name}-secret`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${name}-role`,
    functionName: name,
    policies: { DefaultPolicy: { Statement: statements as never } },
    inVpc: true,
  };
}

// The template's statement of every database function; the sign-up function has none.
const listTasks = principal('list-tasks', [
  {
    Effect: 'Allow',
    Action: 'rds-db:connect',
    Resource: `arn:aws:rds-db:us-east-1:${ACCOUNT}:dbuser:${RESOURCE_ID}/idrl_app`,
  },
]);
const signup = principal('signup', []);

let dir: string;
let certificate: GateCertificate;
let gate: PgGate;
const logged: string[] = [];

function poolOf(caller: LocalPrincipal, user = 'idrl_app'): pg.Pool {
  const signer = new Signer({
    hostname: 'localhost',
    port: gate.port,
    username: user,
    region: 'us-east-1',
    credentials: { accessKeyId: caller.accessKeyId, secretAccessKey: caller.secretAccessKey },
  });
  return new pg.Pool({
    host: 'localhost',
    port: gate.port,
    user,
    database: new URL(process.env.DATABASE_URL ?? '').pathname.slice(1),
    password: () => signer.getAuthToken(),
    ssl: { rejectUnauthorized: true, ca: certificate.cert },
    max: 1,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'idrl-pg-gate-'));
  certificate = await ensureGateCertificate(dir);
  const real = new URL(process.env.DATABASE_URL ?? '');
  const port = await freePort();
  gate = await startPgGate(
    {
      iam: createIamEnforcer({
        location: { region: 'us-east-1', accountId: ACCOUNT },
        principals: [listTasks, signup],
        log: (line) => logged.push(line),
      }),
      certificate,
      database: { hostname: 'localhost', port, resourceId: RESOURCE_ID },
      upstream: {
        host: real.hostname,
        port: Number(real.port),
        user: decodeURIComponent(real.username),
        password: decodeURIComponent(real.password),
      },
    },
    port,
  );
});

afterAll(async () => {
  await gate.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the RDS IAM authentication gate', () => {
  it('gives an allowed role a session of the real server over verified TLS', async () => {
    const pool = poolOf(listTasks);
    try {
      const { rows } = await pool.query<{ answer: number }>('SELECT 41 + 1 AS answer');
      expect(rows).toEqual([{ answer: 42 }]);
      // A second query on the same connection: the splice carries the whole conversation.
      const again = await pool.query<{ n: string }>('SELECT count(*) AS n FROM generate_series(1, 1000)');
      expect(again.rows).toEqual([{ n: '1000' }]);
    } finally {
      await pool.end();
    }
  });

  it('answers a role without rds-db:connect, or a token for another user, as RDS does', async () => {
    const denied = poolOf(signup);
    await expect(denied.query('SELECT 1')).rejects.toThrow('PAM authentication failed for user "idrl_app"');
    await denied.end();
    expect(logged.some((line) => line.includes('signup') && line.includes('rds-db:connect'))).toBe(true);
    const otherUser = poolOf(listTasks, 'postgres');
    await expect(otherUser.query('SELECT 1')).rejects.toThrow(
      'PAM authentication failed for user "postgres"',
    );
    await otherUser.end();
  });

  it('refuses a connection without TLS', async () => {
    const plain = new pg.Client({
      host: 'localhost',
      port: gate.port,
      user: 'idrl_app',
      password: 'x',
      database: 'x',
    });
    await expect(plain.connect()).rejects.toThrow(/requires SSL/);
  });
});
