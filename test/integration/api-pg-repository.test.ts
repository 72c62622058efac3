import { awaitingTask, createdTask } from '#test/helpers/tasks';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { translatePgError } from '#adapters/pg/errors';
import { migrations } from '#adapters/pg/migrations';
import { runMigrations } from '#adapters/pg/migrator';
import { MigrationError } from '#core/platform-errors';
import { PgTaskRepository } from '#adapters/pg/task-repository';
import { createPool, databasePool } from '#commons/clients';
import { ConflictError, ServiceUnavailableError } from '#core/errors';
import type { Caller, Task } from '#core/task';
import { anyDate, anyNumber, matching } from '#test/helpers/matchers';
import { verifiedInDatabase } from '#test/helpers/verified-email';

const repository = new PgTaskRepository(databasePool());
const metadata = {
  durationSeconds: 19.5,
  width: 1280,
  height: 720,
  sizeBytes: 1_000_000,
  processingMs: 4_200,
  sourceBytesRead: 3_000_000,
};

async function newTask(caller: Caller = { sub: randomUUID(), username: 'pilot' }): Promise<Task> {
  await repository.ensureUser(caller);
  // A verified pilot: a public task of theirs is published once processed (migration 11).
  await verifiedInDatabase(caller);
  return createdTask(repository, {
    ownerId: caller.sub,
    fileName: 'race.mp4',
    contentType: 'video/mp4',
    declaredBytes: 5_000_000,
    uploadExpiresAt: new Date(Date.now() + 3_600_000),
    keyNonce: randomUUID(),
  });
}

/**
 * An empty database of its own on the test server, for a test that migrates from nothing without touching the
 * shared one; `drop` ends its pool and removes it, whatever connections are still open.
 */
async function scratchDatabase(name: string) {
  const admin = databasePool();
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(process.env.DATABASE_URL ?? '');
  url.pathname = `/${name}`;
  const pool = createPool({
    kind: 'url',
    connectionString: url.toString(),
    autoPause: false,
    resumeWaitMs: 0,
  });
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

describe('PgTaskRepository', () => {
  it('creates a task awaiting upload under a key that embeds its id', async () => {
    // Act
    const task = await newTask();

    // Assess
    expect(task).toEqual({
      id: anyNumber,
      ownerId: task.ownerId,
      fileName: 'race.mp4',
      hiddenReason: null,
      title: 'race',
      contentType: 'video/mp4',
      declaredBytes: 5_000_000,
      status: 'awaiting_upload',
      failureReason: null,
      failureKind: null,
      manualRetries: 0,
      originalKey: matching(new RegExp(`^uploads/${task.id}/[0-9a-f-]{36}$`)),
      originalVersionId: null,
      processedKey: null,
      thumbnailKey: null,
      processed: null,
      createdAt: anyDate,
      updatedAt: anyDate,
      uploadExpiresAt: anyDate,
      uploadedAt: null,
      processingStartedAt: null,
      processedAt: null,
      failedAt: null,
      public: true,
      publishedAt: null,
      votes: 0,
      clipStartSeconds: 0,
      posterSeconds: 0,
      revision: 1,
    });
  });

  it('records the version of the upload recorded first, once, and charges a replayed version once', async () => {
    // Prepare
    const task = await newTask();

    // Act: two versions' notifications at the same moment, then a replay's charge delivered twice
    const recorded = await Promise.all(
      ['first-version', 'second-version'].map((versionId) =>
        repository.markUploaded(task.originalKey, 1, versionId),
      ),
    );
    await repository.chargeReplay(task.id, { versionId: 'third-version', sizeBytes: 700 });
    await repository.chargeReplay(task.id, { versionId: 'third-version', sizeBytes: 700 });

    // Assess
    const winners = recorded.filter((row) => row !== null);
    expect(winners).toHaveLength(1);
    expect((await repository.findById(task.id))?.originalVersionId).toBe(winners[0]?.originalVersionId);
    const { rows } = await databasePool().query<{ declared_bytes: string; replay: string }>(
      'SELECT declared_bytes, replay FROM upload_quota_usage WHERE owner_id = $1 AND replay IS NOT NULL',
      [task.ownerId],
    );
    expect(rows).toEqual([{ declared_bytes: '700', replay: `${task.originalKey}?versionId=third-version` }]);
  });

  it("keeps a multipart completion's version: only its own notification (or one naming none) records the upload", async () => {
    // Prepare
    const task = await newTask();

    // Act: the completion's version recorded twice, then another version's notification, then its own
    const recorded = [
      await repository.recordCompletedUpload(task.id, 'completed-version'),
      await repository.recordCompletedUpload(task.id, 'other-version'),
    ];
    const other = await repository.markUploaded(task.originalKey, 1, 'other-version');
    const own = await repository.markUploaded(task.originalKey, 1, 'completed-version');

    // Assess
    expect(recorded).toEqual([true, false]);
    expect(other).toBeNull();
    expect(own).toMatchObject({ status: 'uploaded', originalVersionId: 'completed-version' });
    expect(await repository.recordCompletedUpload(task.id, 'late-version')).toBe(false);
  });

  it('walks the whole lifecycle once and turns every duplicate transition into a no-op', async () => {
    // Prepare
    const task = await newTask();
    const outputs = {
      processedKey: `processed/${task.id}/video.mp4`,
      thumbnailKey: `processed/${task.id}/thumbnail.jpg`,
      metadata,
    };

    // Act
    const uploaded = await repository.markUploaded(task.originalKey, 4_000_000);
    const uploadedAgain = await repository.markUploaded(task.originalKey, 4_000_000);
    const processing = await repository.markProcessing(task.id);
    const processingAgain = await repository.markProcessing(task.id);
    const processed = await repository.markProcessed(task.id, outputs);
    const processedAgain = await repository.markProcessed(task.id, outputs);
    const failedAfterwards = await repository.markFailed(task.id, 'late failure', 'transient');

    // Assess
    expect(uploaded).toMatchObject({ status: 'uploaded', uploadedAt: anyDate });
    expect(processing).toMatchObject({ status: 'processing', processingStartedAt: anyDate });
    expect(processed).toMatchObject({
      status: 'processed',
      processedKey: outputs.processedKey,
      thumbnailKey: outputs.thumbnailKey,
      processed: metadata,
      processedAt: anyDate,
      failureReason: null,
      public: true,
      publishedAt: anyDate,
    });
    expect([uploadedAgain, processingAgain, processedAgain, failedAfterwards]).toEqual([
      null,
      null,
      null,
      null,
    ]);
    expect(await repository.findByOriginalKey(task.originalKey)).toEqual(processed);
  });

  it('lets a redelivery reclaim a task stuck in processing only after the lease', async () => {
    // Prepare
    const task = await newTask();
    await repository.markUploaded(task.originalKey, 1);
    await repository.markProcessing(task.id);
    await databasePool().query(
      `UPDATE tasks SET processing_started_at = now() - interval '10 minutes' WHERE id = $1`,
      [task.id],
    );
    const { rows } = await databasePool().query<{ now: Date }>('SELECT now() AS now');
    const reclaimNotBefore = rows[0]?.now.getTime() ?? Number.NaN;

    // Act
    const withinLease = await repository.markProcessing(task.id, { reclaimAfterSeconds: 900 });
    const afterLease = await repository.markProcessing(task.id, { reclaimAfterSeconds: 300 });

    // Assess
    expect(withinLease).toBeNull();
    expect(afterLease).toMatchObject({ status: 'processing' });
    // The reclaim restarts the lease at the database's clock, whatever time the machine took to get there.
    expect(afterLease?.processingStartedAt?.getTime()).toBeGreaterThanOrEqual(reclaimNotBefore);
  });

  it('fails a task from any non-terminal state with its reason', async () => {
    // Prepare
    const task = await newTask();

    // Act
    const failed = await repository.markFailed(task.id, 'not a video', 'content');
    const again = await repository.markFailed(task.id, 'other reason', 'transient');

    // Assess
    expect(failed).toMatchObject({
      status: 'failed',
      failureReason: 'not a video',
      failureKind: 'content',
      failedAt: anyDate,
    });
    expect(again).toBeNull();
  });

  it('never resurrects a task being deleted, and hides it from every read', async () => {
    // Prepare
    const task = await newTask();
    await repository.markDeleting(task.id, task.ownerId);

    // Act
    const transitions = await Promise.all([
      repository.markUploaded(task.originalKey, 1),
      repository.markProcessing(task.id, { reclaimAfterSeconds: 0 }),
      repository.markProcessed(task.id, { processedKey: 'p', thumbnailKey: 't', metadata }),
      repository.markFailed(task.id, 'x', 'transient'),
    ]);

    // Assess
    expect(transitions).toEqual([null, null, null, null]);
    expect(await repository.findByOriginalKey(task.originalKey)).toBeNull();
    expect(await repository.findById(task.id)).toBeNull();
    expect(await repository.findForOwner(task.id, task.ownerId)).toBeNull();
    expect(await repository.list({ ownerId: task.ownerId, limit: 10, order: 'asc' })).toEqual([]);
  });

  it('marks a task deleting again (a repeated delete) and purges only deleting rows', async () => {
    // Prepare
    const deleting = await newTask();
    const kept = await newTask();
    await repository.markFailed(deleting.id, 'not a video', 'content');

    // Act
    const first = await repository.markDeleting(deleting.id, deleting.ownerId);
    const second = await repository.markDeleting(deleting.id, deleting.ownerId);
    await databasePool().query(`UPDATE tasks SET updated_at = now() - interval '1 hour' WHERE id = $1`, [
      deleting.id,
    ]);
    const stale = await repository.listStaleDeletes(600, 1000);
    await repository.purgeDeleting(deleting.id);
    await repository.purgeDeleting(kept.id);

    // Assess
    const expected = {
      id: deleting.id,
      originalKey: deleting.originalKey,
      originalVersionId: null,
      revision: 1,
    };
    expect([first, second]).toEqual([expected, expected]);
    expect(stale).toContainEqual(expected);
    expect(stale.map((task) => task.id)).not.toContain(kept.id);
    expect(await repository.markDeleting(deleting.id, deleting.ownerId)).toBeNull();
    expect(await repository.findById(kept.id)).toMatchObject({ status: 'awaiting_upload' });
  });

  it('retries a failed task for its owner a bounded number of times', async () => {
    // Prepare
    const task = await newTask();
    await repository.markUploaded(task.originalKey, 1);
    await repository.markFailed(task.id, 'Processing did not finish', 'transient');

    // Act
    const limits = { maxRetries: 2, maxUnfinishedTasks: 5 };
    const stranger = await repository.markRetried(task.id, randomUUID(), limits);
    const first = await repository.markRetried(task.id, task.ownerId, limits);
    const notFailed = await repository.markRetried(task.id, task.ownerId, limits);
    await repository.markFailed(task.id, 'Processing did not finish', 'transient');
    const second = await repository.markRetried(task.id, task.ownerId, limits);
    await repository.markFailed(task.id, 'Processing did not finish', 'transient');
    const third = await repository.markRetried(task.id, task.ownerId, limits);

    // Assess
    expect([stranger, notFailed, third]).toEqual([null, null, null]);
    expect(first).toMatchObject({
      retried: {
        status: 'uploaded',
        failureReason: null,
        failureKind: null,
        failedAt: null,
        manualRetries: 1,
      },
    });
    expect(second).toMatchObject({ retried: { status: 'uploaded', manualRetries: 2 } });
  });

  it('refuses a retry that would take the owner past the unfinished-tasks quota, and changes nothing', async () => {
    // Prepare: a failed task and one still awaiting its upload, at a quota of one unfinished task.
    const owner = { sub: randomUUID(), username: 'pilot' };
    const failed = await newTask(owner);
    await newTask(owner);
    await repository.markUploaded(failed.originalKey, 1);
    await repository.markFailed(failed.id, 'Processing did not finish', 'transient');

    // Act
    const refused = await repository.markRetried(failed.id, owner.sub, {
      maxRetries: 3,
      maxUnfinishedTasks: 1,
    });
    const allowed = await repository.markRetried(failed.id, owner.sub, {
      maxRetries: 3,
      maxUnfinishedTasks: 2,
    });

    // Assess
    expect(refused).toEqual({ refused: 'unfinished-tasks' });
    expect(allowed).toMatchObject({ retried: { id: failed.id, status: 'uploaded', manualRetries: 1 } });
  });

  it('keeps ownership in every lookup', async () => {
    // Prepare
    const task = await newTask();
    const stranger = randomUUID();

    // Act
    const found = await repository.findForOwner(task.id, stranger);
    const deleted = await repository.markDeleting(task.id, stranger);

    // Assess
    expect([found, deleted]).toEqual([null, null]);
    expect(await repository.findForOwner(task.id, task.ownerId)).toMatchObject({ id: task.id });
  });

  it('lists awaiting uploads created before the bound or past their window, oldest first', async () => {
    // Prepare
    const older = await newTask();
    const newer = await newTask();
    const uploaded = await newTask();
    await repository.markUploaded(uploaded.originalKey, 1);

    // Act
    const listed = await repository.listAwaitingUpload({
      createdBefore: new Date(Date.now() + 60_000),
      expiredBy: new Date(0),
      requeuedBefore: new Date(0),
      limit: 100_000,
    });
    const none = await repository.listAwaitingUpload({
      createdBefore: older.createdAt,
      expiredBy: new Date(0),
      requeuedBefore: new Date(0),
      limit: 100_000,
    });
    const expired = await repository.listAwaitingUpload({
      createdBefore: older.createdAt,
      expiredBy: older.uploadExpiresAt,
      requeuedBefore: new Date(0),
      limit: 100_000,
    });

    // Assess
    const ids = listed.map((task) => task.id);
    expect(ids).toContain(older.id);
    expect(ids.indexOf(older.id)).toBeLessThan(ids.indexOf(newer.id));
    expect(ids).not.toContain(uploaded.id);
    expect(none.map((task) => task.id)).not.toContain(older.id);
    expect(expired.map((task) => task.id)).toContain(older.id);
  });

  it('leaves out a task queued again since the bound, by the database clock, until the bound passes it', async () => {
    // Prepare: two awaiting tasks, one of them requeued (and an uploaded one, which markRequeued leaves alone).
    const requeued = await newTask();
    const other = await newTask();
    const uploaded = await newTask();
    await repository.markUploaded(uploaded.originalKey, 1);
    const before = new Date(Date.now() - 60_000);
    await repository.markRequeued([requeued.id, uploaded.id]);
    const query = { createdBefore: new Date(Date.now() + 60_000), expiredBy: new Date(0), limit: 100_000 };

    // Act
    const since = await repository.listAwaitingUpload({ ...query, requeuedBefore: before });
    const later = await repository.listAwaitingUpload({
      ...query,
      requeuedBefore: new Date(Date.now() + 60_000),
    });

    // Assess
    // Other test files share the database: only these three tasks are looked at.
    const mine = [requeued.id, other.id, uploaded.id];
    const ids = (tasks: Task[]) => tasks.map((task) => task.id).filter((id) => mine.includes(id));
    expect(ids(since)).toEqual([other.id]);
    expect(ids(later)).toEqual([requeued.id, other.id]);
    const { rows } = await databasePool().query<{ id: string; requeued_at: Date | null }>(
      'SELECT id, requeued_at FROM tasks WHERE id = ANY ($1::bigint[]) ORDER BY id',
      [[requeued.id, uploaded.id]],
    );
    expect(rows.map((row) => [Number(row.id), row.requeued_at !== null])).toEqual([
      [requeued.id, true],
      [uploaded.id, false],
    ]);
  });

  it('fails an awaiting task whose upload was requeued as often as allowed, recording the upload, and no other', async () => {
    // Prepare: one requeued twice, one once, one uploaded meanwhile (the worker got it).
    const twice = await newTask();
    const once = await newTask();
    const recorded = await newTask();
    await repository.markRequeued([twice.id, once.id, recorded.id]);
    await repository.markRequeued([twice.id]);
    await repository.markUploaded(recorded.originalKey, 5);
    const upload = { sizeBytes: 77, reason: 'Processing did not start', maxRequeues: 2 };

    // Act
    const failed = await Promise.all(
      [twice, once, recorded].map((task) => repository.failUnrecordedUpload(task.id, upload)),
    );

    // Assess
    expect(failed.map((task) => task?.id ?? null)).toEqual([twice.id, null, null]);
    expect(failed[0]).toMatchObject({
      status: 'failed',
      failureReason: 'Processing did not start',
      failureKind: 'transient',
      uploadedAt: anyDate,
    });
    const { rows } = await databasePool().query<{
      id: string;
      requeue_count: number;
      source_bytes: string | null;
    }>('SELECT id, requeue_count, source_bytes FROM tasks WHERE id = ANY ($1::bigint[]) ORDER BY id', [
      [twice.id, once.id, recorded.id],
    ]);
    expect(rows.map((row) => [Number(row.id), row.requeue_count, row.source_bytes])).toEqual([
      [twice.id, 2, '77'],
      [once.id, 1, null],
      [recorded.id, 1, '5'],
    ]);
  });

  it('fails uploaded and processing tasks whose last change is older than the bound, and nothing else', async () => {
    // Prepare: four tasks aged 71 min (uploaded, processing, processed, awaiting upload) and one fresh processing task.
    // Test files share the database and api-tasks runs the sweeper (bound 72 min): rows younger than that stay ours.
    // A reason of this run's own, so api-tasks' count of the sweeper's reason never sees these rows.
    const reason = `Processing did not finish (${randomUUID()})`;
    // Created one after another, so ids ascend in this order.
    const [released, claimed, processed, awaiting, fresh] = [
      await newTask(),
      await newTask(),
      await newTask(),
      await newTask(),
      await newTask(),
    ];
    for (const task of [released, claimed, processed, fresh])
      await repository.markUploaded(task.originalKey, 1);
    for (const task of [claimed, processed, fresh]) await repository.markProcessing(task.id);
    await repository.markProcessed(processed.id, {
      processedKey: `processed/${processed.id}/video.mp4`,
      thumbnailKey: `processed/${processed.id}/thumbnail.jpg`,
      metadata,
    });
    const aged = [released, claimed, processed, awaiting].map((task) => task.id);
    await databasePool().query(
      `UPDATE tasks SET updated_at = now() - interval '71 minutes' WHERE id = ANY($1)`,
      [aged],
    );

    // Act
    const failed = await repository.failStalledTasks(4_200, reason);

    // Assess: other test files' rows are fresh, so only this test's stalled rows can match.
    const mine = new Set([...aged, fresh.id]);
    const failedOfMine = failed.filter((task) => mine.has(task.id)).sort((a, b) => a.id - b.id);
    expect(failedOfMine).toEqual(
      [released, claimed].map((task) => ({
        ...task,
        status: 'failed',
        failureReason: reason,
        failureKind: 'transient',
        updatedAt: anyDate,
        uploadedAt: anyDate,
        processingStartedAt: task === claimed ? anyDate : null,
        failedAt: anyDate,
      })),
    );
    const statuses = await Promise.all(
      [processed, awaiting, fresh].map(
        async (task) => (await repository.findForOwner(task.id, task.ownerId))?.status,
      ),
    );
    expect(statuses).toEqual(['processed', 'awaiting_upload', 'processing']);
  });

  it('updates the username of a known user without duplicating it', async () => {
    // Prepare
    const sub = randomUUID();
    await repository.ensureUser({ sub, username: 'old' });

    // Act
    await repository.ensureUser({ sub, username: 'new' });

    // Assess
    const { rows } = await databasePool().query('SELECT username FROM users WHERE id = $1', [sub]);
    expect(rows).toEqual([{ username: 'new' }]);
  });
});

describe('translatePgError', () => {
  it('turns a unique violation into ConflictError', async () => {
    // Prepare
    const attempt = databasePool().query('INSERT INTO schema_migrations (version, name) VALUES (1, $1)', [
      'duplicate',
    ]);

    // Act
    const translated = await attempt
      .catch((error: unknown) => translatePgError(error))
      .catch((error: unknown) => error);

    // Assess: the driver's error stays the cause, for the log.
    expect(translated).toBeInstanceOf(ConflictError);
    expect(translated).toMatchObject({
      message: 'The resource already exists',
      cause: { code: '23505', constraint: 'schema_migrations_pkey' },
    });
  });

  it('turns an unreachable server into ServiceUnavailableError', async () => {
    // Prepare
    const pool = createPool({
      kind: 'url',
      connectionString: 'postgres://nobody:nothing@127.0.0.1:9/none',
      autoPause: false,
      resumeWaitMs: 0,
    });

    // Act
    const translated = await pool
      .query('SELECT 1')
      .catch((error: unknown) => translatePgError(error))
      .catch((error: unknown) => error);

    // Assess: the connection error stays the cause, for the log.
    expect(translated).toBeInstanceOf(ServiceUnavailableError);
    expect(translated).toMatchObject({
      message: 'The database is unavailable',
      cause: { code: 'ECONNREFUSED' },
    });
    await pool.end();
  });

  it('rethrows an unexpected error untouched', async () => {
    // Prepare
    const attempt = databasePool().query('SELECT * FROM no_such_table');

    // Act
    const translated = await attempt
      .catch((error: unknown) => translatePgError(error))
      .catch((error: unknown) => error);

    // Assess
    expect(translated).toMatchObject({ code: '42P01' });
  });
});

describe('runMigrations', () => {
  const LATEST_VERSION = migrations.at(-1)?.version;
  const pools = [
    createPool({
      kind: 'url',
      connectionString: process.env.DATABASE_URL ?? '',
      autoPause: false,
      resumeWaitMs: 0,
    }),
    createPool({
      kind: 'url',
      connectionString: process.env.DATABASE_URL ?? '',
      autoPause: false,
      resumeWaitMs: 0,
    }),
  ];

  afterAll(async () => {
    await Promise.all(pools.map((pool) => pool.end()));
  });

  it('is idempotent when two runners start at once', async () => {
    // Act
    const results = await Promise.all(pools.map((pool) => runMigrations(pool, migrations)));

    // Assess
    expect(results).toEqual([
      { applied: [], current: LATEST_VERSION, ahead: [] },
      { applied: [], current: LATEST_VERSION, ahead: [] },
    ]);
  });

  it('leaves a database that is ahead of the code alone (a rollback) and names the migrations it does not know', async () => {
    // Prepare: the previous release's code, which knows every migration but the last.
    const previous = migrations.slice(0, -1);
    const applied = () => databasePool().query<{ version: number }>('SELECT version FROM schema_migrations');
    const before = (await applied()).rows;

    // Act
    const result = await runMigrations(databasePool(), previous);

    // Assess
    expect(result).toEqual({ applied: [], current: previous.at(-1)?.version, ahead: [LATEST_VERSION] });
    expect((await applied()).rows).toEqual(before);
  });

  it('the migration function succeeds on a database ahead of it (a rollback) and warns naming the unknown versions', async () => {
    // Prepare: a database that a newer release migrated one version further.
    const database = await scratchDatabase(`idrl_ahead_${process.pid}`);
    const { pool } = database;
    const newer = (LATEST_VERSION ?? 0) + 1;
    try {
      await runMigrations(pool, [
        ...migrations,
        { version: newer, name: 'newer-release', sql: 'CREATE TABLE newer_release (id integer)' },
      ]);
      // The function reads its configuration at import; its logger is this fresh module's.
      vi.resetModules();
      vi.stubEnv('DATABASE_URL', database.url);
      const { logger } = await import('#commons/logger');
      const warn = vi.spyOn(logger, 'warn');
      const { handler } = await import('#functions/ops/migrate');

      // Act
      const result = await handler({}, { functionName: 'migrate', awsRequestId: 'req-1' } as Context);

      // Assess
      expect(result).toEqual({ applied: [], current: LATEST_VERSION, ahead: [newer] });
      expect(warn.mock.calls).toEqual([
        [
          'The database is ahead of this code: its migrations were left alone',
          { unknownMigrations: [newer], current: LATEST_VERSION },
        ],
      ]);
    } finally {
      vi.restoreAllMocks();
      vi.unstubAllEnvs();
      await database.drop();
    }
  });

  it('refuses migrations out of order', async () => {
    // Act
    const attempt = runMigrations(databasePool(), [
      { version: 2, name: 'b', sql: 'SELECT 1' },
      { version: 1, name: 'a', sql: 'SELECT 1' },
    ]);

    // Assess
    await expect(attempt).rejects.toThrow(new MigrationError('Migration versions must increase: 2 then 1'));
  });

  it('applies migration 3 to a database that already has 4 (they were written in parallel), and nothing applied before', async () => {
    // Prepare: a database migrated by code that knew 1, 2 and 4.
    const database = await scratchDatabase(`idrl_gap_${process.pid}`);
    const { pool } = database;
    try {
      const before = await runMigrations(
        pool,
        migrations.filter((migration) => [1, 2, 4].includes(migration.version)),
      );

      // Act
      const after = await runMigrations(pool, migrations);

      // Assess: 3's columns and state next to 4's columns and triggers, which a 'deleting' task passes through.
      expect({ before, after }).toEqual({
        before: { applied: [1, 2, 4], current: 4, ahead: [] },
        // The gap, and the migrations newer than both: never 1, 2 or 4 again.
        after: {
          applied: [3, ...migrations.filter((m) => m.version > 4).map((m) => m.version)],
          current: migrations.at(-1)?.version,
          ahead: [],
        },
      });
      const { rows } = await pool.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns
         WHERE table_name = 'tasks' AND column_name IN ('failure_kind', 'manual_retries', 'published_at')
         ORDER BY column_name`,
      );
      expect(rows.map((row) => row.column_name)).toEqual(['failure_kind', 'manual_retries', 'published_at']);
      const repository = new PgTaskRepository(pool);
      const owner = { sub: randomUUID(), username: `gap-${randomUUID().slice(0, 8)}` };
      const task = await awaitingTask(repository, owner);
      expect(await repository.markDeleting(task.id, owner.sub)).toEqual({
        id: task.id,
        originalKey: task.originalKey,
        originalVersionId: null,
        revision: 1,
      });
    } finally {
      await database.drop();
    }
  });
});
