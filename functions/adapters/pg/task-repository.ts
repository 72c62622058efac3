import type pg from 'pg';
import {
  ALWAYS_ON,
  ensureUser,
  inTransaction,
  lockOwner,
  queryRows,
  type PgQueryOptions,
} from '#adapters/pg/query';
import { DELETING_TASK_COLUMNS, toDeletingTask } from '#adapters/pg/account-repository';
import type {
  DeletingTask,
  EditClaim,
  ListTasksQuery,
  NewTask,
  TaskCreation,
  TaskQuota,
  TaskRepository,
  TaskRecut,
  TaskRetry,
  RevisionCondition,
  TaskDetailsChange,
} from '#core/ports';
import {
  type Caller,
  type Cut,
  type FailureKind,
  type ProcessedVideoMetadata,
  type Task,
  type TaskStatus,
  UNFINISHED_STATUSES,
} from '#core/task';
import { uploadKey } from '#core/object-keys';
import { claimDecision, freeSlots } from '#core/fair-share';

interface TaskRow {
  id: string;
  owner_id: string;
  file_name: string;
  /** Never null in a row: migration 8's trigger fills it on every insert that gives none. */
  title: string;
  content_type: string;
  declared_bytes: string;
  status: TaskStatus;
  failure_reason: string | null;
  failure_kind: FailureKind | null;
  manual_retries: number;
  original_key: string;
  original_version_id: string | null;
  processed_key: string | null;
  thumbnail_key: string | null;
  processed: ProcessedVideoMetadata | null;
  created_at: Date;
  updated_at: Date;
  upload_expires_at: Date;
  uploaded_at: Date | null;
  processing_started_at: Date | null;
  processed_at: Date | null;
  failed_at: Date | null;
  public: boolean;
  published_at: Date | null;
  vote_count: number;
  clip_start_seconds: number;
  poster_seconds: number;
  revision: number;
  hidden_reason: string | null;
}

// bigint columns arrive as strings; ids and sizes stay far below 2^53 (checked on input).
function toTask(row: TaskRow): Task {
  return {
    id: Number(row.id),
    ownerId: row.owner_id,
    fileName: row.file_name,
    title: row.title,
    contentType: row.content_type,
    declaredBytes: Number(row.declared_bytes),
    status: row.status,
    failureReason: row.failure_reason,
    failureKind: row.failure_kind,
    manualRetries: row.manual_retries,
    originalKey: row.original_key,
    originalVersionId: row.original_version_id,
    processedKey: row.processed_key,
    thumbnailKey: row.thumbnail_key,
    processed: row.processed,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    uploadExpiresAt: row.upload_expires_at,
    uploadedAt: row.uploaded_at,
    processingStartedAt: row.processing_started_at,
    processedAt: row.processed_at,
    failedAt: row.failed_at,
    public: row.public,
    publishedAt: row.published_at,
    votes: row.vote_count,
    clipStartSeconds: row.clip_start_seconds,
    posterSeconds: row.poster_seconds,
    revision: row.revision,
    hiddenReason: row.hidden_reason,
  };
}

/** `revision` equals the parameter, or the parameter is null (a transition not tied to one revision). */
const SAME_REVISION = (parameter: string): string =>
  `(${parameter}::integer IS NULL OR revision = ${parameter})`;

/** The owner's unfinished tasks (`$1` the owner, `$2` UNFINISHED_STATUSES): what the unfinished-tasks quota counts. */
const UNFINISHED_COUNT = 'SELECT count(*) FROM tasks WHERE owner_id = $1 AND status = ANY ($2)';

async function createWithinQuota(
  client: pg.PoolClient,
  task: NewTask,
  quota: TaskQuota,
): Promise<TaskCreation> {
  const owner = task.ownerId;
  const window = quota.windowSeconds;
  if (!(await lockOwner(client, owner)))
    throw new Error(`No users row for ${owner}: ensureUser must run first`);
  await client.query(
    'DELETE FROM upload_quota_usage WHERE owner_id = $1 AND created_at <= now() - make_interval(secs => $2)',
    [owner, window],
  );
  const usage = await client.query<{ unfinished: string; declared: string }>(
    `SELECT (${UNFINISHED_COUNT}) AS unfinished,
            (SELECT coalesce(sum(declared_bytes), 0) FROM upload_quota_usage WHERE owner_id = $1) AS declared`,
    [owner, UNFINISHED_STATUSES],
  );
  const { unfinished, declared } = usage.rows[0] ?? { unfinished: '0', declared: '0' };
  if (Number(unfinished) >= quota.maxUnfinishedTasks) return { refused: 'unfinished-tasks' };
  if (Number(declared) + task.declaredBytes > quota.maxDeclaredBytes) {
    // The earliest moment enough of the window's oldest bytes have aged out for this upload to fit.
    const retry = await client.query<{ seconds: string }>(
      `SELECT ceil(extract(epoch FROM created_at + make_interval(secs => $2) - now()))::text AS seconds
       FROM (SELECT created_at, sum(declared_bytes) OVER (ORDER BY created_at, id) AS aged_out
             FROM upload_quota_usage WHERE owner_id = $1) AS usage
       WHERE $3::bigint - aged_out + $4::bigint <= $5::bigint
       ORDER BY created_at LIMIT 1`,
      [owner, window, declared, task.declaredBytes, quota.maxDeclaredBytes],
    );
    const seconds = retry.rows[0]?.seconds;
    return seconds === undefined
      ? { refused: 'declared-bytes' }
      : { refused: 'declared-bytes', retryAfterSeconds: Number(seconds) };
  }
  // The key embeds the id, so the id is drawn first; one statement would have to restate uploadKey in SQL.
  const sequence = await client.query<{ id: string }>(
    `SELECT nextval(pg_get_serial_sequence('tasks', 'id'))::text AS id`,
  );
  const id = Number(sequence.rows[0]?.id);
  const created = await client.query<TaskRow>(
    `INSERT INTO tasks (id, owner_id, file_name, content_type, declared_bytes, original_key, upload_expires_at, public,
       clip_start_seconds, poster_seconds, title)
     VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, true), $9, $10, $11) RETURNING *`,
    [
      id,
      owner,
      task.fileName,
      task.contentType,
      task.declaredBytes,
      uploadKey(id, task.keyNonce),
      task.uploadExpiresAt,
      task.public ?? null,
      task.cut?.clipStartSeconds ?? 0,
      task.cut?.posterSeconds ?? 0,
      task.title ?? null,
    ],
  );
  await client.query('INSERT INTO upload_quota_usage (owner_id, declared_bytes) VALUES ($1, $2)', [
    owner,
    task.declaredBytes,
  ]);
  const [row] = created.rows;
  if (row === undefined) throw new Error('INSERT ... RETURNING returned no row');
  return { created: toTask(row) };
}

/** The transition first, then the count, which then includes the retried task: over the quota, it is rolled back. */
async function retryWithinQuota(
  client: pg.PoolClient,
  id: number,
  ownerId: string,
  limits: { maxRetries: number; maxUnfinishedTasks: number },
): Promise<TaskRetry | null> {
  // Without a users row the caller owns no task at all.
  if (!(await lockOwner(client, ownerId))) return null;
  // The earlier attempt's outputs are gone (a failed task owns none); processing starts afresh.
  const retried = await client.query<TaskRow>(
    `UPDATE tasks SET status = 'uploaded', failure_reason = NULL, failure_kind = NULL, failed_at = NULL,
       processing_started_at = NULL, manual_retries = manual_retries + 1, updated_at = now()
     WHERE id = $1 AND owner_id = $2 AND status = 'failed' AND manual_retries < $3 RETURNING *`,
    [id, ownerId, limits.maxRetries],
  );
  const [row] = retried.rows;
  if (row === undefined) return null;
  const usage = await client.query<{ unfinished: string }>(`SELECT (${UNFINISHED_COUNT}) AS unfinished`, [
    ownerId,
    UNFINISHED_STATUSES,
  ]);
  if (Number(usage.rows[0]?.unfinished) > limits.maxUnfinishedTasks) return { refused: 'unfinished-tasks' };
  return { retried: toTask(row) };
}

const DAY_SECONDS = 24 * 3600;

/** The re-cut transition, under the owner's lock: the daily count and the change are one step per owner. */
async function recutWithinLimit(
  client: pg.PoolClient,
  id: number,
  ownerId: string,
  cut: Cut,
  limits: { maxDailyRecuts: number },
): Promise<TaskRecut | null> {
  if (!(await lockOwner(client, ownerId))) return null;
  await client.query(
    'DELETE FROM recuts WHERE owner_id = $1 AND created_at <= now() - make_interval(secs => $2)',
    [ownerId, DAY_SECONDS],
  );
  const usage = await client.query<{ count: string; seconds: string | null }>(
    `SELECT count(*)::text AS count,
            ceil(extract(epoch FROM min(created_at) + make_interval(secs => $2) - now()))::text AS seconds
     FROM recuts WHERE owner_id = $1`,
    [ownerId, DAY_SECONDS],
  );
  const { count, seconds } = usage.rows[0] ?? { count: '0', seconds: null };
  if (Number(count) >= limits.maxDailyRecuts)
    return { refused: 'daily-recuts', retryAfterSeconds: Math.max(1, Number(seconds ?? DAY_SECONDS)) };
  // The previous revision's keys stay recorded until the new edit replaces them; a task that is not
  // 'processed' shows no output, so nothing of the old edit is served meanwhile.
  const recut = await client.query<TaskRow>(
    `UPDATE tasks SET status = 'uploaded', clip_start_seconds = $3, poster_seconds = $4, revision = revision + 1,
       failure_reason = NULL, failure_kind = NULL, failed_at = NULL, processing_started_at = NULL, updated_at = now()
     WHERE id = $1 AND owner_id = $2
       AND (status = 'processed' OR (status = 'failed' AND uploaded_at IS NOT NULL)) RETURNING *`,
    [id, ownerId, cut.clipStartSeconds, cut.posterSeconds],
  );
  const [row] = recut.rows;
  if (row === undefined) return null;
  await client.query('INSERT INTO recuts (owner_id) VALUES ($1)', [ownerId]);
  return { recut: toTask(row) };
}

/**
 * 'uploaded' → 'processing' (or a dead attempt's 'processing' taken over once its lease, `$2` seconds, is over),
 * and no longer parked.
 */
const CLAIM = `UPDATE tasks SET status = 'processing', processing_started_at = now(), parked_at = NULL, updated_at = now()
  WHERE id = $1 AND (status = 'uploaded'
    OR (status = 'processing' AND $2::integer IS NOT NULL AND processing_started_at < now() - make_interval(secs => $2)))
  RETURNING *`;

/**
 * The claim under the per-pilot cap: the pilot's row lock serializes every claim and wake-up of one pilot, so the
 * counts cannot change between this decision and its UPDATE (an edit may only end meanwhile: its wake-up, which
 * takes the same lock after it, then finds this task parked).
 */
async function claimWithinCap(
  client: pg.PoolClient,
  id: number,
  options: { reclaimAfterSeconds: number; maxConcurrentEdits: number },
): Promise<EditClaim | null> {
  const owner = await client.query<{ owner_id: string }>(
    `SELECT owner_id FROM tasks WHERE id = $1 AND status <> 'deleting'`,
    [id],
  );
  const ownerId = owner.rows[0]?.owner_id;
  if (ownerId === undefined || !(await lockOwner(client, ownerId))) return null;
  const counted = await client.query<{ editing: string; waiting_ahead: string; already_editing: boolean }>(
    `SELECT (SELECT count(*) FROM tasks other WHERE other.owner_id = task.owner_id AND other.id <> task.id
               AND other.status = 'processing') AS editing,
            (SELECT count(*) FROM tasks other WHERE other.owner_id = task.owner_id AND other.id <> task.id
               AND other.status = 'uploaded' AND other.parked_at IS NOT NULL
               AND (task.parked_at IS NULL OR (other.parked_at, other.id) < (task.parked_at, task.id))) AS waiting_ahead,
            task.status = 'processing' AS already_editing
     FROM tasks task WHERE task.id = $1`,
    [id],
  );
  const [counts] = counted.rows;
  if (counts === undefined) return null;
  const decision = claimDecision(
    { editing: Number(counts.editing), waitingAhead: Number(counts.waiting_ahead) },
    options.maxConcurrentEdits,
    counts.already_editing,
  );
  if (decision === 'claim') {
    const [claimed] = (await client.query<TaskRow>(CLAIM, [id, options.reclaimAfterSeconds])).rows;
    return claimed === undefined ? null : { claimed: toTask(claimed) };
  }
  // The first park's time is kept: it orders the pilot's parked tasks (first parked, first woken).
  const [parked] = (
    await client.query<TaskRow>(
      `UPDATE tasks SET parked_at = coalesce(parked_at, now()), updated_at = now()
       WHERE id = $1 AND status = 'uploaded' RETURNING *`,
      [id],
    )
  ).rows;
  return parked === undefined ? null : { parked: toTask(parked) };
}

/** Under the pilot's lock, after an edit ended: its oldest parked tasks, one per free slot. */
async function oldestParked(
  client: pg.PoolClient,
  ownerId: string,
  maxConcurrentEdits: number,
): Promise<Task[]> {
  if (!(await lockOwner(client, ownerId))) return [];
  const editing = await client.query<{ count: string }>(
    `SELECT count(*) FROM tasks WHERE owner_id = $1 AND status = 'processing'`,
    [ownerId],
  );
  const parked = await client.query<TaskRow>(
    `SELECT * FROM tasks WHERE owner_id = $1 AND status = 'uploaded' AND parked_at IS NOT NULL
     ORDER BY parked_at, id LIMIT $2`,
    [ownerId, freeSlots(Number(editing.rows[0]?.count), maxConcurrentEdits)],
  );
  return parked.rows.map(toTask);
}

/**
 * Tasks in PostgreSQL. Ownership is part of every lookup (WHERE owner_id), and every lifecycle
 * transition is one conditional UPDATE ... WHERE status = <expected> RETURNING: a duplicate or late
 * delivery matches no row and is a no-op, and a deleted task can never be resurrected.
 */
export class PgTaskRepository implements TaskRepository {
  constructor(
    private readonly pool: Pick<pg.Pool, 'query' | 'connect'>,
    private readonly options: PgQueryOptions = ALWAYS_ON,
  ) {}

  private rows(sql: string, values: unknown[]): Promise<TaskRow[]> {
    return queryRows<TaskRow>(this.pool, sql, values, this.options);
  }

  private async one(sql: string, values: unknown[]): Promise<Task | null> {
    const [row] = await this.rows(sql, values);
    return row === undefined ? null : toTask(row);
  }

  ensureUser(caller: Caller): Promise<void> {
    return ensureUser(this.pool, caller, this.options);
  }

  /** One transaction on a client of its own; `keep` decides from the result whether it commits. */
  private transaction<T>(
    work: (client: pg.PoolClient) => Promise<T>,
    keep: (result: T) => boolean,
  ): Promise<T> {
    return inTransaction(this.pool, this.options, work, keep);
  }

  /**
   * One transaction per create, under the owner's lock (lockOwner): quotas of different pilots never
   * wait for each other.
   */
  create(task: NewTask, quota: TaskQuota): Promise<TaskCreation> {
    return this.transaction(
      (client) => createWithinQuota(client, task, quota),
      (creation) => 'created' in creation,
    );
  }

  findForOwner(id: number, ownerId: string): Promise<Task | null> {
    return this.one(`SELECT * FROM tasks WHERE id = $1 AND owner_id = $2 AND status <> 'deleting'`, [
      id,
      ownerId,
    ]);
  }

  async list(query: ListTasksQuery): Promise<Task[]> {
    const ascending = query.order === 'asc';
    const rows = await this.rows(
      `SELECT * FROM tasks
       WHERE owner_id = $1 AND status <> 'deleting' AND ($2::bigint IS NULL OR id ${ascending ? '>' : '<'} $2)
       ORDER BY id ${ascending ? 'ASC' : 'DESC'} LIMIT $3`,
      [query.ownerId, query.after ?? null, query.limit],
    );
    return rows.map(toTask);
  }

  updateDetails(id: number, ownerId: string, changes: TaskDetailsChange): Promise<Task | null> {
    // The publication trigger (migrations 4 and 8) sets published_at and moves the owner's standing.
    return this.one(
      `UPDATE tasks SET public = COALESCE($3, public), title = COALESCE($4, title), updated_at = now()
       WHERE id = $1 AND owner_id = $2 AND status <> 'deleting' RETURNING *`,
      [id, ownerId, changes.public ?? null, changes.title ?? null],
    );
  }

  async markDeleting(id: number, ownerId: string): Promise<DeletingTask | null> {
    // The failure columns go with the state: the table's CHECK ties failure_reason to 'failed'. The
    // publication trigger (migration 4) takes a published task out of the gallery and the rankings.
    const [row] = await this.rows(
      `UPDATE tasks SET status = 'deleting', failure_reason = NULL, updated_at = now()
       WHERE id = $1 AND owner_id = $2 RETURNING ${DELETING_TASK_COLUMNS}`,
      [id, ownerId],
    );
    return row === undefined ? null : toDeletingTask(row);
  }

  async purgeDeleting(id: number): Promise<void> {
    await this.rows(`DELETE FROM tasks WHERE id = $1 AND status = 'deleting'`, [id]);
  }

  async listStaleDeletes(olderThanSeconds: number, limit: number): Promise<DeletingTask[]> {
    const rows = await this.rows(
      `SELECT ${DELETING_TASK_COLUMNS} FROM tasks
       WHERE status = 'deleting' AND updated_at < now() - make_interval(secs => $1)
       ORDER BY updated_at LIMIT $2`,
      [olderThanSeconds, limit],
    );
    return rows.map(toDeletingTask);
  }

  findByOriginalKey(key: string): Promise<Task | null> {
    return this.one(`SELECT * FROM tasks WHERE original_key = $1 AND status <> 'deleting'`, [key]);
  }

  findById(id: number): Promise<Task | null> {
    return this.one(`SELECT * FROM tasks WHERE id = $1 AND status <> 'deleting'`, [id]);
  }

  async listAwaitingUpload(query: {
    createdBefore: Date;
    expiredBy: Date;
    requeuedBefore: Date;
    limit: number;
  }): Promise<Task[]> {
    const rows = await this.rows(
      `SELECT * FROM tasks WHERE status = 'awaiting_upload' AND (created_at < $1 OR upload_expires_at <= $2)
         AND (requeued_at IS NULL OR requeued_at < $3)
       ORDER BY created_at LIMIT $4`,
      [query.createdBefore, query.expiredBy, query.requeuedBefore, query.limit],
    );
    return rows.map(toTask);
  }

  async markRequeued(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.rows(
      `UPDATE tasks SET requeued_at = now(), requeue_count = requeue_count + 1
       WHERE id = ANY ($1::bigint[]) AND status = 'awaiting_upload' RETURNING *`,
      [ids],
    );
  }

  failUnrecordedUpload(
    id: number,
    upload: { sizeBytes: number; versionId?: string; reason: string; maxRequeues: number },
  ): Promise<Task | null> {
    // The upload is recorded here, so its version is too: a retry edits that version, as any recorded upload.
    return this.one(
      `UPDATE tasks SET status = 'failed', failure_reason = $2, failure_kind = 'transient', failed_at = now(),
         source_bytes = $3, uploaded_at = now(), updated_at = now(),
         original_version_id = coalesce(original_version_id, $5)
       WHERE id = $1 AND status = 'awaiting_upload' AND requeue_count >= $4 RETURNING *`,
      [id, upload.reason, upload.sizeBytes, upload.maxRequeues, upload.versionId ?? null],
    );
  }

  markUploaded(key: string, sourceBytes: number, versionId?: string): Promise<Task | null> {
    // The version moves with the status, in one conditional statement: of two versions delivered at once, the one
    // whose update commits first is the task's, for good. A version the multipart route recorded first
    // (recordCompletedUpload) is recorded only by its own notification (or a message naming none).
    return this.one(
      `UPDATE tasks SET status = 'uploaded', source_bytes = $2, uploaded_at = now(), updated_at = now(),
         original_version_id = coalesce(original_version_id, $3)
       WHERE original_key = $1 AND status = 'awaiting_upload'
         AND (original_version_id IS NULL OR $3::text IS NULL OR original_version_id = $3) RETURNING *`,
      [key, sourceBytes, versionId ?? null],
    );
  }

  async recordCompletedUpload(id: number, versionId: string): Promise<boolean> {
    // Not a change the pilot sees (the task still awaits its notification): updated_at stays.
    const rows = await this.rows(
      `UPDATE tasks SET original_version_id = $2
       WHERE id = $1 AND status = 'awaiting_upload' AND original_version_id IS NULL RETURNING *`,
      [id, versionId],
    );
    return rows.length > 0;
  }

  async chargeReplay(id: number, replay: { versionId: string; sizeBytes: number }): Promise<void> {
    // One row per replayed version (the unique index on replay): a redelivered notification charges nothing more.
    // A POST holds at least one byte (the grant's content-length-range), and the usage row must be positive.
    await this.rows(
      `INSERT INTO upload_quota_usage (owner_id, declared_bytes, replay)
         SELECT owner_id, greatest($3::bigint, 1), original_key || '?versionId=' || $2 FROM tasks WHERE id = $1
       ON CONFLICT (replay) WHERE replay IS NOT NULL DO NOTHING`,
      [id, replay.versionId, replay.sizeBytes],
    );
  }

  markProcessing(id: number, options: { reclaimAfterSeconds?: number } = {}): Promise<Task | null> {
    // A redelivery after a crashed attempt finds the task still 'processing'; it may take it over
    // only once the previous attempt's lease is older than reclaimAfterSeconds.
    return this.one(CLAIM, [id, options.reclaimAfterSeconds ?? null]);
  }

  claimEdit(
    id: number,
    options: { reclaimAfterSeconds: number; maxConcurrentEdits: number },
  ): Promise<EditClaim | null> {
    return this.transaction(
      (client) => claimWithinCap(client, id, options),
      () => true,
    );
  }

  parkedToWake(ownerId: string, maxConcurrentEdits: number): Promise<Task[]> {
    return this.transaction(
      (client) => oldestParked(client, ownerId, maxConcurrentEdits),
      () => true,
    );
  }

  async listParked(idleSeconds: number, limit: number): Promise<Task[]> {
    const rows = await this.rows(
      `SELECT * FROM tasks WHERE status = 'uploaded' AND parked_at IS NOT NULL
         AND updated_at < now() - make_interval(secs => $1)
       ORDER BY parked_at, id LIMIT $2`,
      [idleSeconds, limit],
    );
    return rows.map(toTask);
  }

  markRecut(
    id: number,
    ownerId: string,
    cut: Cut,
    limits: { maxDailyRecuts: number },
  ): Promise<TaskRecut | null> {
    return this.transaction(
      (client) => recutWithinLimit(client, id, ownerId, cut, limits),
      (recut) => recut !== null && 'recut' in recut,
    );
  }

  // Each worker transition below matches only the revision its attempt claimed, when one is given: an attempt of
  // a revision that a re-cut replaced records nothing (docs/worker.md, "Exactly once across revisions").

  releaseProcessing(id: number, { revision }: RevisionCondition = {}): Promise<Task | null> {
    // No lease check needed: while the releasing attempt runs, nobody else can have reclaimed the task.
    return this.one(
      `UPDATE tasks SET status = 'uploaded', updated_at = now()
       WHERE id = $1 AND status = 'processing' AND ${SAME_REVISION('$2')} RETURNING *`,
      [id, revision ?? null],
    );
  }

  markProcessed(
    id: number,
    outputs: { processedKey: string; thumbnailKey: string; metadata: ProcessedVideoMetadata },
    { revision }: RevisionCondition = {},
  ): Promise<Task | null> {
    return this.one(
      `UPDATE tasks SET status = 'processed', processed_key = $2, thumbnail_key = $3, processed = $4,
         processed_at = now(), updated_at = now()
       WHERE id = $1 AND status = 'processing' AND ${SAME_REVISION('$5')} RETURNING *`,
      [id, outputs.processedKey, outputs.thumbnailKey, JSON.stringify(outputs.metadata), revision ?? null],
    );
  }

  markFailed(
    id: number,
    reason: string,
    kind: FailureKind,
    { revision }: RevisionCondition = {},
  ): Promise<Task | null> {
    return this.one(
      `UPDATE tasks SET status = 'failed', failure_reason = $2, failure_kind = $3, failed_at = now(), parked_at = NULL,
         updated_at = now()
       WHERE id = $1 AND status IN ('awaiting_upload', 'uploaded', 'processing') AND ${SAME_REVISION('$4')} RETURNING *`,
      [id, reason, kind, revision ?? null],
    );
  }

  markRetried(
    id: number,
    ownerId: string,
    limits: { maxRetries: number; maxUnfinishedTasks: number },
  ): Promise<TaskRetry | null> {
    return this.transaction(
      (client) => retryWithinQuota(client, id, ownerId, limits),
      (retry) => retry !== null && 'retried' in retry,
    );
  }

  revertRetry(id: number, ownerId: string, reason: string): Promise<Task | null> {
    return this.one(
      `UPDATE tasks SET status = 'failed', failure_reason = $3, failure_kind = 'transient', failed_at = now(),
         manual_retries = manual_retries - 1, updated_at = now()
       WHERE id = $1 AND owner_id = $2 AND status = 'uploaded' AND manual_retries > 0 RETURNING *`,
      [id, ownerId, reason],
    );
  }

  async failStalledTasks(stalledAfterSeconds: number, reason: string): Promise<Task[]> {
    // now() is the clock that stamped updated_at, so Lambda/database clock skew cannot shorten the wait.
    const rows = await this.rows(
      `UPDATE tasks SET status = 'failed', failure_reason = $2, failure_kind = 'transient', failed_at = now(), updated_at = now()
       WHERE (status = 'processing' OR (status = 'uploaded' AND parked_at IS NULL))
         AND updated_at < now() - make_interval(secs => $1) RETURNING *`,
      [stalledAfterSeconds, reason],
    );
    return rows.map(toTask);
  }

  /** One attempt, no waiting: the health check reports how the database is now ("resuming" included). */
  async ping(): Promise<void> {
    await queryRows(this.pool, 'SELECT 1', [], { ...this.options, resume: { waitMs: 0 } });
  }
}
