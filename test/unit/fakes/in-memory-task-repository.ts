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
  defaultTitle,
  type FailureKind,
  type ProcessedVideoMetadata,
  type Task,
  type TaskStatus,
  UNFINISHED_STATUSES,
} from '#core/task';
import { uploadKey } from '#core/object-keys';
import { claimDecision, freeSlots } from '#core/fair-share';

/** What a delete of the task removes (the columns the PostgreSQL adapter returns). */
function deletingTask(task: Task): DeletingTask {
  return {
    id: task.id,
    originalKey: task.originalKey,
    originalVersionId: task.originalVersionId,
    revision: task.revision,
  };
}

/** The TaskRepository port in memory, with the same conditional-transition semantics as PostgreSQL. */
export class InMemoryTaskRepository implements TaskRepository {
  readonly users = new Map<string, string>();
  readonly tasks = new Map<number, Task>();
  /** Declared bytes per create, kept when tasks are deleted (the upload_quota_usage table). */
  readonly quotaUsage: { ownerId: string; declaredBytes: number; at: Date }[] = [];
  /** Replayed versions already charged (the unique replay column of upload_quota_usage). */
  readonly chargedReplays = new Set<string>();
  /** Tasks in 'deleting', with when they entered it: gone for every read, as in PostgreSQL. */
  readonly deleting = new Map<number, { task: Task; since: Date }>();
  /** When the sweeper last queued a task's upload again (the requeued_at column). */
  readonly requeued = new Map<number, Date>();
  /** How many times it did (the requeue_count column). */
  readonly requeueCounts = new Map<number, number>();
  /** When each task was first published (the first_published_at column, migration 8). */
  private readonly firstPublished = new Map<number, Date>();
  /** When a delivery first parked each parked task (the parked_at column). */
  readonly parked = new Map<number, Date>();
  private nextId = 1;

  constructor(private readonly now: () => Date = () => new Date()) {}

  ensureUser(caller: Caller): Promise<void> {
    this.users.set(caller.sub, caller.username);
    return Promise.resolve();
  }

  create(task: NewTask, quota: TaskQuota): Promise<TaskCreation> {
    const now = this.now();
    const windowStart = now.getTime() - quota.windowSeconds * 1000;
    const unfinished = [...this.tasks.values()].filter(
      (other) => other.ownerId === task.ownerId && UNFINISHED_STATUSES.includes(other.status),
    ).length;
    if (unfinished >= quota.maxUnfinishedTasks) return Promise.resolve({ refused: 'unfinished-tasks' });
    const usage = this.quotaUsage.filter(
      (use) => use.ownerId === task.ownerId && use.at.getTime() > windowStart,
    );
    const declared = usage.reduce((sum, use) => sum + use.declaredBytes, 0);
    if (declared + task.declaredBytes > quota.maxDeclaredBytes) {
      let agedOut = 0;
      const freeing = usage.find((use) => {
        agedOut += use.declaredBytes;
        return declared - agedOut + task.declaredBytes <= quota.maxDeclaredBytes;
      });
      return Promise.resolve(
        freeing === undefined
          ? { refused: 'declared-bytes' }
          : {
              refused: 'declared-bytes',
              retryAfterSeconds: Math.ceil((freeing.at.getTime() - windowStart) / 1000),
            },
      );
    }
    this.quotaUsage.push({ ownerId: task.ownerId, declaredBytes: task.declaredBytes, at: now });
    const id = this.nextId++;
    const created: Task = {
      id,
      ownerId: task.ownerId,
      fileName: task.fileName,
      title: task.title ?? defaultTitle(task.fileName),
      contentType: task.contentType,
      declaredBytes: task.declaredBytes,
      status: 'awaiting_upload',
      failureReason: null,
      failureKind: null,
      manualRetries: 0,
      originalKey: uploadKey(id, task.keyNonce),
      originalVersionId: null,
      processedKey: null,
      thumbnailKey: null,
      processed: null,
      createdAt: now,
      updatedAt: now,
      uploadExpiresAt: task.uploadExpiresAt,
      uploadedAt: null,
      processingStartedAt: null,
      processedAt: null,
      failedAt: null,
      public: task.public ?? true,
      publishedAt: null,
      votes: 0,
      clipStartSeconds: task.cut?.clipStartSeconds ?? 0,
      posterSeconds: task.cut?.posterSeconds ?? 0,
      revision: 1,
      hiddenReason: null,
    };
    this.tasks.set(id, created);
    return Promise.resolve({ created: { ...created } });
  }

  findForOwner(id: number, ownerId: string): Promise<Task | null> {
    const task = this.tasks.get(id);
    return Promise.resolve(task?.ownerId === ownerId ? { ...task } : null);
  }

  list(query: ListTasksQuery): Promise<Task[]> {
    const sign = query.order === 'asc' ? 1 : -1;
    const rows = [...this.tasks.values()]
      .filter(
        (task) =>
          task.ownerId === query.ownerId && (query.after === undefined || sign * (task.id - query.after) > 0),
      )
      .sort((a, b) => sign * (a.id - b.id))
      .slice(0, query.limit);
    return Promise.resolve(rows.map((task) => ({ ...task })));
  }

  updateDetails(id: number, ownerId: string, changes: TaskDetailsChange): Promise<Task | null> {
    const task = this.tasks.get(id);
    if (task?.ownerId !== ownerId) return Promise.resolve(null);
    const isPublic = changes.public ?? task.public;
    Object.assign(
      task,
      { public: isPublic, title: changes.title ?? task.title, updatedAt: this.now() },
      this.publication(task.id, task.status === 'processed' && isPublic),
    );
    this.rememberPublication(task);
    return Promise.resolve({ ...task });
  }

  /**
   * published_at as migrations 4 and 8 keep it: while published, the first time the task was published (a
   * republished task keeps it); null otherwise.
   */
  private publication(id: number, published: boolean): Pick<Task, 'publishedAt'> {
    return { publishedAt: published ? (this.firstPublished.get(id) ?? this.now()) : null };
  }

  private rememberPublication(task: Task): void {
    if (task.publishedAt !== null && !this.firstPublished.has(task.id))
      this.firstPublished.set(task.id, task.publishedAt);
  }

  markDeleting(id: number, ownerId: string): Promise<DeletingTask | null> {
    const task = this.tasks.get(id) ?? this.deleting.get(id)?.task;
    if (task?.ownerId !== ownerId) return Promise.resolve(null);
    this.tasks.delete(id);
    this.deleting.set(id, { task, since: this.now() });
    return Promise.resolve(deletingTask(task));
  }

  purgeDeleting(id: number): Promise<void> {
    this.deleting.delete(id);
    return Promise.resolve();
  }

  listStaleDeletes(olderThanSeconds: number, limit: number): Promise<DeletingTask[]> {
    const bound = this.now().getTime() - olderThanSeconds * 1000;
    return Promise.resolve(
      [...this.deleting.values()]
        .filter((entry) => entry.since.getTime() < bound)
        .slice(0, limit)
        .map(({ task }) => deletingTask(task)),
    );
  }

  findByOriginalKey(key: string): Promise<Task | null> {
    const task = [...this.tasks.values()].find((candidate) => candidate.originalKey === key);
    return Promise.resolve(task === undefined ? null : { ...task });
  }

  findById(id: number): Promise<Task | null> {
    const task = this.tasks.get(id);
    return Promise.resolve(task === undefined ? null : { ...task });
  }

  listAwaitingUpload(query: {
    createdBefore: Date;
    expiredBy: Date;
    requeuedBefore: Date;
    limit: number;
  }): Promise<Task[]> {
    return Promise.resolve(
      [...this.tasks.values()]
        .filter((task) => {
          const requeuedAt = this.requeued.get(task.id);
          return (
            task.status === 'awaiting_upload' &&
            (task.createdAt < query.createdBefore || task.uploadExpiresAt <= query.expiredBy) &&
            (requeuedAt === undefined || requeuedAt < query.requeuedBefore)
          );
        })
        .slice(0, query.limit)
        .map((task) => ({ ...task })),
    );
  }

  markRequeued(ids: readonly number[]): Promise<void> {
    for (const id of ids)
      if (this.tasks.get(id)?.status === 'awaiting_upload') {
        this.requeued.set(id, this.now());
        this.requeueCounts.set(id, (this.requeueCounts.get(id) ?? 0) + 1);
      }
    return Promise.resolve();
  }

  failUnrecordedUpload(
    id: number,
    upload: { sizeBytes: number; versionId?: string; reason: string; maxRequeues: number },
  ): Promise<Task | null> {
    if ((this.requeueCounts.get(id) ?? 0) < upload.maxRequeues) return Promise.resolve(null);
    return this.transition(this.tasks.get(id), ['awaiting_upload'], {
      status: 'failed',
      failureReason: upload.reason,
      failureKind: 'transient',
      failedAt: this.now(),
      uploadedAt: this.now(),
      originalVersionId: this.tasks.get(id)?.originalVersionId ?? upload.versionId ?? null,
    });
  }

  private transition(
    task: Task | undefined,
    from: readonly TaskStatus[],
    change: Partial<Task>,
    { revision }: RevisionCondition = {},
  ): Promise<Task | null> {
    if (task === undefined || !from.includes(task.status)) return Promise.resolve(null);
    if (revision !== undefined && task.revision !== revision) return Promise.resolve(null);
    Object.assign(task, change, { updatedAt: this.now() });
    this.rememberPublication(task);
    return Promise.resolve({ ...task });
  }

  markUploaded(key: string, _sourceBytes: number, versionId?: string): Promise<Task | null> {
    const task = [...this.tasks.values()].find((candidate) => candidate.originalKey === key);
    // A version the multipart route recorded is recorded only by its own notification (or a message naming none).
    const recorded = task?.originalVersionId ?? null;
    if (recorded !== null && versionId !== undefined && recorded !== versionId) return Promise.resolve(null);
    return this.transition(task, ['awaiting_upload'], {
      status: 'uploaded',
      uploadedAt: this.now(),
      originalVersionId: task?.originalVersionId ?? versionId ?? null,
    });
  }

  recordCompletedUpload(id: number, versionId: string): Promise<boolean> {
    const task = this.tasks.get(id);
    if (task?.status !== 'awaiting_upload' || task.originalVersionId !== null) return Promise.resolve(false);
    this.tasks.set(id, { ...task, originalVersionId: versionId });
    return Promise.resolve(true);
  }

  chargeReplay(id: number, replay: { versionId: string; sizeBytes: number }): Promise<void> {
    const task = this.tasks.get(id);
    const name = `${task?.originalKey}?versionId=${replay.versionId}`;
    if (task !== undefined && !this.chargedReplays.has(name)) {
      this.chargedReplays.add(name);
      this.quotaUsage.push({
        ownerId: task.ownerId,
        declaredBytes: Math.max(replay.sizeBytes, 1),
        at: this.now(),
      });
    }
    return Promise.resolve();
  }

  markProcessing(id: number, options: { reclaimAfterSeconds?: number } = {}): Promise<Task | null> {
    const task = this.tasks.get(id);
    const { reclaimAfterSeconds } = options;
    const stale =
      task?.processingStartedAt != null &&
      reclaimAfterSeconds !== undefined &&
      this.now().getTime() - task.processingStartedAt.getTime() > reclaimAfterSeconds * 1000;
    const claimed = this.transition(task, stale ? ['uploaded', 'processing'] : ['uploaded'], {
      status: 'processing',
      processingStartedAt: this.now(),
    });
    this.parked.delete(id);
    return claimed;
  }

  /** Parked before `than` in the pilot's order: first parked first, then by id (ORDER BY parked_at, id). */
  private parkedBefore(id: number, than: { id: number; at: Date } | undefined): boolean {
    const at = this.parked.get(id);
    if (at === undefined || this.tasks.get(id)?.status !== 'uploaded') return false;
    return than === undefined || at < than.at || (at.getTime() === than.at.getTime() && id < than.id);
  }

  private editingOf(ownerId: string, except?: number): number {
    return [...this.tasks.values()].filter(
      (other) => other.ownerId === ownerId && other.id !== except && other.status === 'processing',
    ).length;
  }

  async claimEdit(
    id: number,
    options: { reclaimAfterSeconds: number; maxConcurrentEdits: number },
  ): Promise<EditClaim | null> {
    const task = this.tasks.get(id);
    if (task === undefined) return null;
    const at = this.parked.get(id);
    const self = at === undefined ? undefined : { id, at };
    const waitingAhead = [...this.tasks.values()].filter(
      (other) => other.ownerId === task.ownerId && other.id !== id && this.parkedBefore(other.id, self),
    ).length;
    const decision = claimDecision(
      { editing: this.editingOf(task.ownerId, id), waitingAhead },
      options.maxConcurrentEdits,
      task.status === 'processing',
    );
    if (decision === 'claim') {
      const claimed = await this.markProcessing(id, options);
      return claimed === null ? null : { claimed };
    }
    const parked = await this.transition(task, ['uploaded'], {});
    if (parked === null) return null;
    if (at === undefined) this.parked.set(id, this.now());
    return { parked };
  }

  parkedToWake(ownerId: string, maxConcurrentEdits: number): Promise<Task[]> {
    return Promise.resolve(
      this.parkedInOrder((task) => task.ownerId === ownerId).slice(
        0,
        freeSlots(this.editingOf(ownerId), maxConcurrentEdits),
      ),
    );
  }

  listParked(idleSeconds: number, limit: number): Promise<Task[]> {
    const bound = this.now().getTime() - idleSeconds * 1000;
    return Promise.resolve(this.parkedInOrder((task) => task.updatedAt.getTime() < bound).slice(0, limit));
  }

  private parkedInOrder(filter: (task: Task) => boolean): Task[] {
    return [...this.tasks.values()]
      .filter((task) => this.parkedBefore(task.id, undefined) && filter(task))
      .sort(
        (a, b) =>
          (this.parked.get(a.id)?.getTime() ?? 0) - (this.parked.get(b.id)?.getTime() ?? 0) || a.id - b.id,
      )
      .map((task) => ({ ...task }));
  }

  /** Re-cuts per owner (the recuts table): when each was accepted. */
  readonly recuts: { ownerId: string; at: Date }[] = [];

  markRecut(
    id: number,
    ownerId: string,
    cut: Cut,
    limits: { maxDailyRecuts: number },
  ): Promise<TaskRecut | null> {
    const task = this.tasks.get(id);
    const recuttable =
      task?.status === 'processed' || (task?.status === 'failed' && task.uploadedAt !== null);
    if (task?.ownerId !== ownerId || !recuttable) return Promise.resolve(null);
    const windowStart = this.now().getTime() - 24 * 3600 * 1000;
    const recent = this.recuts.filter(
      (recut) => recut.ownerId === ownerId && recut.at.getTime() > windowStart,
    );
    const [oldest] = recent;
    if (oldest !== undefined && recent.length >= limits.maxDailyRecuts)
      return Promise.resolve({
        refused: 'daily-recuts',
        retryAfterSeconds: Math.max(1, Math.ceil((oldest.at.getTime() - windowStart) / 1000)),
      });
    this.recuts.push({ ownerId, at: this.now() });
    return this.transition(task, ['processed', 'failed'], {
      status: 'uploaded',
      ...cut,
      failureReason: null,
      failureKind: null,
      failedAt: null,
      revision: task.revision + 1,
      processingStartedAt: null,
      publishedAt: null,
    }).then((recut) => (recut === null ? null : { recut }));
  }

  releaseProcessing(id: number, condition?: RevisionCondition): Promise<Task | null> {
    return this.transition(this.tasks.get(id), ['processing'], { status: 'uploaded' }, condition);
  }

  markProcessed(
    id: number,
    outputs: { processedKey: string; thumbnailKey: string; metadata: ProcessedVideoMetadata },
    condition?: RevisionCondition,
  ): Promise<Task | null> {
    const task = this.tasks.get(id);
    return this.transition(
      task,
      ['processing'],
      {
        status: 'processed',
        processedKey: outputs.processedKey,
        thumbnailKey: outputs.thumbnailKey,
        processed: outputs.metadata,
        processedAt: this.now(),
        ...this.publication(id, task?.public === true),
      },
      condition,
    );
  }

  async markFailed(
    id: number,
    reason: string,
    kind: FailureKind,
    condition?: RevisionCondition,
  ): Promise<Task | null> {
    const failed = await this.transition(
      this.tasks.get(id),
      ['awaiting_upload', 'uploaded', 'processing'],
      { status: 'failed', failureReason: reason, failureKind: kind, failedAt: this.now() },
      condition,
    );
    if (failed !== null) this.parked.delete(id);
    return failed;
  }

  async markRetried(
    id: number,
    ownerId: string,
    limits: { maxRetries: number; maxUnfinishedTasks: number },
  ): Promise<TaskRetry | null> {
    const task = this.tasks.get(id);
    if (task?.ownerId !== ownerId || task.manualRetries >= limits.maxRetries || task.status !== 'failed')
      return null;
    const unfinished = [...this.tasks.values()].filter(
      (candidate) => candidate.ownerId === ownerId && UNFINISHED_STATUSES.includes(candidate.status),
    ).length;
    if (unfinished >= limits.maxUnfinishedTasks) return { refused: 'unfinished-tasks' };
    const retried = await this.transition(task, ['failed'], {
      status: 'uploaded',
      failureReason: null,
      failureKind: null,
      failedAt: null,
      processingStartedAt: null,
      manualRetries: task.manualRetries + 1,
    });
    return retried === null ? null : { retried };
  }

  async revertRetry(id: number, ownerId: string, reason: string): Promise<Task | null> {
    const task = this.tasks.get(id);
    if (task?.ownerId !== ownerId || task.manualRetries === 0) return null;
    return this.transition(task, ['uploaded'], {
      status: 'failed',
      failureReason: reason,
      failureKind: 'transient',
      failedAt: this.now(),
      manualRetries: task.manualRetries - 1,
    });
  }

  failStalledTasks(stalledAfterSeconds: number, reason: string): Promise<Task[]> {
    const now = this.now();
    const stalled = [...this.tasks.values()].filter(
      (task) =>
        (task.status === 'processing' || (task.status === 'uploaded' && !this.parked.has(task.id))) &&
        now.getTime() - task.updatedAt.getTime() > stalledAfterSeconds * 1000,
    );
    for (const task of stalled)
      Object.assign(task, {
        status: 'failed',
        failureReason: reason,
        failureKind: 'transient',
        failedAt: now,
        updatedAt: now,
      });
    return Promise.resolve(stalled.map((task) => ({ ...task })));
  }

  ping(): Promise<void> {
    return Promise.resolve();
  }
}
