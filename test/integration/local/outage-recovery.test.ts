/**
 * Fault injection (docs/operations.md, "Database outage"): the database goes down while uploads arrive
 * and stays down past every delivery of their notifications, which end in the DLQ; once it is back, the
 * sweeper and `npm run redrive` get every upload processed exactly once.
 *
 * Built from the local stack's own parts: its queue with SQS semantics (pg-boss), s3rver with the bucket's
 * notifications, the worker and sweeper handlers, and the SQS surface the redrive command talks to. The
 * functions reach PostgreSQL through a TCP switch the test opens and closes, while the queue keeps its
 * own connection: on AWS, SQS keeps delivering while RDS is down. Nothing waits for time to pass: the
 * queue redelivers at once (no retry delay), and the tasks' age is moved instead of the clock.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import pg from 'pg';
import type { PgBoss } from 'pg-boss';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '#adapters/pg/migrations';
import { runMigrations } from '#adapters/pg/migrator';
import { MAX_RECEIVE_COUNT } from '#core/delivery';
import { NOTIFYING_PREFIXES } from '#core/object-keys';
import { runRedrive } from '#functions/ops/redrive';
import { lambdaContext } from '#infra/local/lambda-context';
import type { InvocableHandler } from '#infra/local/lambda-api';
import { LOCAL_INVOKED_FUNCTIONS } from '#infra/local/services/backing';
import type { SqsQueue } from '#infra/local/queue';
import { freePort } from '#infra/local/services/preflight';
import { type S3Service, startS3 } from '#infra/local/services/s3';
import { type AwsEndpoint, startAwsEndpoint } from '#test/helpers/aws-endpoint';
import { startTestQueue } from '#test/helpers/local-queue';
import { generateVideo, postUpload } from '#test/support/http-client';
import { MEDIA_FFMPEG_PATH } from '#test/support/media-tools';

const REGION = 'us-east-1';
const UPLOADS = 2;
const database = `idrl_outage_${process.pid}`;
const schema = `pgboss_outage_${process.pid}`;
const previousEnv = { ...process.env };

/** A TCP listener in front of PostgreSQL: closed, every connection through it drops and new ones are refused. */
interface DatabaseSwitch {
  url: string;
  open(): Promise<void>;
  close(): Promise<void>;
}

async function databaseSwitch(target: URL): Promise<DatabaseSwitch> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    open: () =>
      new Promise((resolve, reject) => {
        server = createServer((client) => {
          const upstream = connect(Number(target.port || 5432), target.hostname);
          const drop = (): void => {
            client.destroy();
            upstream.destroy();
            sockets.delete(client);
            sockets.delete(upstream);
          };
          sockets.add(client).add(upstream);
          client.on('error', drop).on('close', drop);
          upstream.on('error', drop).on('close', drop);
          client.pipe(upstream).pipe(client);
        });
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      }),
    close: () =>
      new Promise((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        server?.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

async function eventually(predicate: () => Promise<boolean> | boolean): Promise<void> {
  while (!(await predicate())) await new Promise((resolve) => setTimeout(resolve, 200));
}

interface Delivery {
  key: string;
  receiveCount: number;
  failed: boolean;
}

let admin: pg.Pool;
let direct: pg.Pool;
let outage: DatabaseSwitch;
let boss: PgBoss;
let tearingDown = false;
let queue: SqsQueue;
let s3: S3Service;
let endpoint: AwsEndpoint;
let stateDir: string;
let functionsPool: () => pg.Pool;
let sweep: (event: unknown, context: Context) => Promise<Record<string, number | number[]>>;
let retryTask: (id: number) => Promise<{ status: string }>;
let failTransiently: (id: number, key: string, size: number) => Promise<void>;
let createTask: (
  fileName: string,
  size: number,
) => Promise<{ id: number; upload: { url: string; fields: Record<string, string> } }>;
/** Every message the worker was handed, with whether it asked for it back. */
const deliveries: Delivery[] = [];
/** Deliveries still running: the assessment waits for them, not for a time. */
let running = 0;

function keyOf(record: SQSEvent['Records'][number]): string {
  const notification = JSON.parse(record.body) as { Records: { s3: { object: { key: string } } }[] };
  return decodeURIComponent(notification.Records[0]?.s3.object.key ?? '');
}

async function tasks(): Promise<
  { id: number; status: string; processed_at: Date | null; updated_at: Date }[]
> {
  const { rows } = await direct.query<{
    id: string;
    status: string;
    processed_at: Date | null;
    updated_at: Date;
  }>('SELECT id, status, processed_at, updated_at FROM tasks ORDER BY id');
  return rows.map((row) => ({ ...row, id: Number(row.id) }));
}

async function bucketKeys(): Promise<string[]> {
  const { s3Client } = await import('#commons/clients');
  const listed = await s3Client().send(new ListObjectsV2Command({ Bucket: s3.bucket }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

async function redrive(...args: string[]): Promise<string[]> {
  const lines: string[] = [];
  await runRedrive(args, { DLQ_ARN: queue.deadLetters.arn }, (line) => lines.push(line));
  return lines;
}

beforeAll(async () => {
  const shared = new URL(process.env.DATABASE_URL ?? '');
  admin = new pg.Pool({ connectionString: shared.toString(), max: 1 });
  // A database of its own: the sweeper's counts are this test's tasks only.
  await admin.query(`DROP DATABASE IF EXISTS ${database}`);
  await admin.query(`CREATE DATABASE ${database}`);
  const own = new URL(shared);
  own.pathname = `/${database}`;
  direct = new pg.Pool({ connectionString: own.toString(), max: 2 });
  await runMigrations(direct, migrations);
  outage = await databaseSwitch(own);
  await outage.open();

  ({ boss, queue } = await startTestQueue({
    databaseUrl: own.toString(),
    schema,
    region: REGION,
    onError: (error) => {
      // pg-boss's stop() resolves before its sockets close, so dropping the database right after may end
      // one (SQLSTATE 57P01): expected in the teardown, and any other error fails the run.
      if (tearingDown && (error as { code?: unknown }).code === '57P01') return;
      throw error;
    },
    queue: { visibilityTimeoutSeconds: 600, maxReceiveCount: MAX_RECEIVE_COUNT, batchSize: 1 },
  }));
  stateDir = await mkdtemp(join(tmpdir(), 'idrl-outage-'));
  s3 = await startS3({
    port: await freePort(),
    stateDir,
    bucket: 'idrl-videos',
    region: REGION,
    corsOrigins: [],
    notificationPrefixes: NOTIFYING_PREFIXES,
    onObjectCreated: async (notification) => {
      await queue.send(JSON.stringify(notification));
    },
  });
  // The handlers read their configuration when first used, as on Lambda: the switch and this bucket.
  Object.assign(process.env, {
    DATABASE_URL: outage.url,
    S3_ENDPOINT: s3.endpoint,
    BUCKET_NAME: s3.bucket,
    MAX_RECEIVE_COUNT: String(MAX_RECEIVE_COUNT),
  });
  const [worker, sweepTasks, retryTransition, root, clients] = await Promise.all([
    import('#functions/worker/process-upload'),
    import('#functions/ops/sweep-tasks'),
    import('#functions/ops/retry-transition'),
    import('#commons/composition-root'),
    import('#commons/clients'),
  ]);
  functionsPool = clients.databasePool;
  const caller = { sub: randomUUID(), username: `outage-${process.pid}` };
  createTask = async (fileName, size) => {
    const created = await root.getTaskService().create(caller, { fileName, contentType: 'video/mp4', size });
    return { id: created.id, upload: created.upload };
  };
  // Outside the VPC (run-sweep, the retry route): their halves inside it through the Lambda API, the queue
  // through SQS SendMessage, both answered by the local gateway over this test's queue.
  retryTask = (id) => root.getTaskRetryService().retry(caller, id);
  failTransiently = async (id, key, size) => {
    const repository = root.getTaskRepository();
    await repository.markUploaded(key, size);
    await repository.markFailed(id, 'Processing failed after 3 attempts', 'transient');
  };
  await queue.consume(
    { name: 'process-upload', region: REGION, timeoutSeconds: 180, memoryMb: 2048 },
    async (event, context) => {
      running += 1;
      let response: SQSBatchResponse | undefined;
      try {
        response = await worker.handler(event, context);
        return response;
      } catch (error) {
        response = {
          batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })),
        };
        throw error;
      } finally {
        for (const record of event.Records) {
          deliveries.push({
            key: keyOf(record),
            receiveCount: Number(record.attributes.ApproximateReceiveCount),
            failed:
              response?.batchItemFailures.some((item) => item.itemIdentifier === record.messageId) ?? false,
          });
        }
        running -= 1;
      }
    },
  );
  endpoint = await startAwsEndpoint({
    queue,
    region: REGION,
    functions: new Map<string, InvocableHandler>([
      [LOCAL_INVOKED_FUNCTIONS.SWEEP_FUNCTION, sweepTasks.handler],
      [LOCAL_INVOKED_FUNCTIONS.RETRY_TRANSITION_FUNCTION, retryTransition.handler],
    ]),
  });
  ({ handler: sweep } = await import('#functions/ops/run-sweep'));
});

afterAll(async () => {
  tearingDown = true;
  await endpoint.stop();
  await boss.stop({ graceful: false });
  await functionsPool().end();
  await outage.close();
  await s3.stop();
  await direct.end();
  // pg-boss's stop() resolves before its sockets close: a drop that terminated one would surface as an error
  // of that socket (57P01) wherever pg-boss last used it. Wait (bounded) until the server saw them all go.
  for (let wait = 0; wait < 150; wait += 1) {
    const { rows } = await admin.query<{ sessions: string }>(
      'SELECT count(*) AS sessions FROM pg_stat_activity WHERE datname = $1',
      [database],
    );
    if (Number(rows[0]?.sessions) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  await rm(stateDir, { recursive: true, force: true });
  process.env = previousEnv;
});

async function testVideo(): Promise<{ path: string; size: number }> {
  const path = join(stateDir, 'heat.mp4');
  await generateVideo(MEDIA_FFMPEG_PATH, path, { seconds: 2, width: 320, height: 240 });
  return { path, size: (await stat(path)).size };
}

describe('a database outage while uploads arrive', () => {
  it('ends with every upload processed exactly once after the sweeper and the redrive', async () => {
    // Prepare: two tasks created while the database is up, a small video for each.
    const { path: video, size } = await testVideo();
    const created = [];
    for (let heat = 1; heat <= UPLOADS; heat += 1) created.push(await createTask(`heat-${heat}.mp4`, size));
    const ids = created.map((task) => task.id);
    const uploadKeys = created.map((task) => task.upload.fields.key ?? '');

    // Act 1: the database goes down; the uploads arrive and their notifications exhaust every receive.
    await outage.close();
    for (const task of created) expect((await postUpload(task.upload, video, 'video/mp4')).status).toBe(204);
    await eventually(async () => (await queue.deadLetters.count()) === UPLOADS && running === 0);

    // Assess 1: each notification was received MAX_RECEIVE_COUNT times, failed each time, and waits in the DLQ.
    expect(
      deliveries
        .map(({ key, receiveCount, failed }) => `${key} #${receiveCount} ${failed ? 'failed' : 'ok'}`)
        .sort(),
    ).toEqual(
      uploadKeys
        .flatMap((key) =>
          Array.from({ length: MAX_RECEIVE_COUNT }, (_, index) => `${key} #${index + 1} failed`),
        )
        .sort(),
    );

    // Act 2: the database is back; the tasks are as old as the sweeper waits before it looks into the bucket.
    await outage.open();
    const deliveredInOutage = deliveries.length;
    expect((await tasks()).map((task) => task.status)).toEqual(['awaiting_upload', 'awaiting_upload']);
    const { stalledTaskSeconds, taskLimits } = await import('#commons/config');
    const recoverAfterSeconds = stalledTaskSeconds() + taskLimits().uploadUrlTtlSeconds;
    await direct.query(`UPDATE tasks SET created_at = created_at - make_interval(secs => $1)`, [
      recoverAfterSeconds + 1,
    ]);
    const swept = await sweep(
      {},
      lambdaContext({ name: 'run-sweep', region: REGION, timeoutSeconds: 80, memoryMb: 512 }),
    );
    await eventually(
      async () => (await tasks()).every((task) => task.status === 'processed') && running === 0,
    );
    const recovered = await tasks();

    // Assess 2: the sweeper queued both again (SQS SendMessage), and both were processed.
    expect(swept).toEqual({
      recovered: ids,
      unrecorded: [],
      expired: [],
      aborted: 0,
      stalled: [],
      purged: [],
      unparked: [],
    });
    expect(recovered.map((task) => ({ id: task.id, status: task.status }))).toEqual(
      ids.map((id) => ({ id, status: 'processed' })),
    );
    expect(
      deliveries
        .slice(deliveredInOutage)
        .map(({ key, receiveCount, failed }) => ({ key, receiveCount, failed }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual([...uploadKeys].sort().map((key) => ({ key, receiveCount: 1, failed: false })));

    // Act 3: the dead-lettered notifications are redriven to the queue.
    const deliveredBefore = deliveries.length;
    const started = await redrive('start');
    await eventually(
      async () =>
        deliveries.length === deliveredBefore + UPLOADS &&
        running === 0 &&
        (await queue.deadLetters.count()) === 0,
    );

    // Assess 3: each redriven message was accepted as a duplicate; no task changed, one output per task.
    expect(started).toEqual([
      expect.stringMatching(
        /^Redrive started \(move task [0-9a-f-]{36}\); follow it with: npm run redrive -- status$/,
      ),
    ]);
    expect(
      deliveries
        .slice(deliveredBefore)
        .map(({ key, receiveCount, failed }) => ({ key, receiveCount, failed }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual([...uploadKeys].sort().map((key) => ({ key, receiveCount: 1, failed: false })));
    expect(await tasks()).toEqual(recovered);
    expect(await bucketKeys()).toEqual(
      [
        ...uploadKeys,
        ...ids.flatMap((id) => [`processed/${id}/thumbnail.jpg`, `processed/${id}/video.mp4`]),
      ].sort(),
    );
  });

  it('puts a task failed by the platform through processing again with a retry, until it is processed', async () => {
    // Prepare: an upload whose notification was lost in an outage, then failed as a final attempt fails it.
    const { path: video, size } = await testVideo();
    const task = await createTask('retried.mp4', size);
    const key = task.upload.fields.key ?? '';
    await outage.close();
    expect((await postUpload(task.upload, video, 'video/mp4')).status).toBe(204);
    await eventually(async () => (await queue.deadLetters.count()) === 1 && running === 0);
    await outage.open();
    await failTransiently(task.id, key, size);
    const delivered = deliveries.length;

    // Act
    const retried = await retryTask(task.id);
    await eventually(() => deliveries.length === delivered + 1 && running === 0);

    // Assess
    expect(retried.status).toBe('uploaded');
    const { rows } = await direct.query<{
      status: string;
      manual_retries: number;
      failure_kind: string | null;
    }>('SELECT status, manual_retries, failure_kind FROM tasks WHERE id = $1', [task.id]);
    expect(rows).toEqual([{ status: 'processed', manual_retries: 1, failure_kind: null }]);
    expect(deliveries.slice(delivered).map(({ key: delivery, failed }) => ({ delivery, failed }))).toEqual([
      { delivery: key, failed: false },
    ]);
    expect((await bucketKeys()).filter((object) => object.includes(`/${task.id}/`))).toEqual(
      [key, `processed/${task.id}/thumbnail.jpg`, `processed/${task.id}/video.mp4`].sort(),
    );
  });
});
