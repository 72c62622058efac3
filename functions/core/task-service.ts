import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  TooManyRequestsError,
  ValidationError,
} from './errors';
import type {
  Clock,
  DeletingTask,
  MultipartUploads,
  ObjectStore,
  StoredPart,
  TaskCreation,
  RetryStart,
  TaskRepository,
  TaskRetry,
} from './ports';
import type {
  CreatedTaskResponse,
  CreateTaskRequest,
  MultipartUploadResponse,
  SignedPartsResponse,
  TaskListResponse,
  TaskResponse,
  UpdateTaskRequest,
  UploadedPartsResponse,
} from './schemas';
import { type Caller, type Cut, defaultTitle, MAX_MANUAL_RETRIES, type Task } from './task';
import { recutKey, taskObjectKeys } from './object-keys';
import { abortPendingUploads, partPlan, partSize, type PartPlan } from './multipart';

/** Limits of docs/spec.md §2–3 and the per-pilot quotas (see functions/commons/config.ts for their environment variables). */
export interface TaskLimits {
  maxUploadBytes: number;
  uploadUrlTtlSeconds: number;
  downloadUrlTtlSeconds: number;
  uploadWindowHours: number;
  /** Tasks of one pilot in awaiting_upload, uploaded or processing at once. */
  maxUnfinishedTasks: number;
  /** Declared upload bytes one pilot may create tasks for in any rolling 24 h. */
  maxDailyUploadBytes: number;
  /** Size of every multipart part but the last (#core/multipart). */
  partBytes: number;
  /** Re-cuts (PATCH with a new cut) one pilot may ask for in any rolling 24 h. */
  maxDailyRecuts: number;
}

const QUOTA_WINDOW_SECONDS = 24 * 3600;

/** Stored on a task whose retry was accepted but could not be queued: the pilot may simply retry again. */
export const RETRY_NOT_QUEUED_REASON = 'The retry could not be started; try again.';
const GIB = 1024 ** 3;

export type TaskQuotas = Pick<TaskLimits, 'maxUnfinishedTasks' | 'maxDailyUploadBytes' | 'maxDailyRecuts'>;

/**
 * The quotas unless configured (MAX_UNFINISHED_TASKS, MAX_DAILY_UPLOAD_BYTES, MAX_DAILY_RECUTS; CDK context of the
 * same names). Ten re-cuts a day: a pilot trying a few windows on each of a day's races, while each costs a
 * worker run.
 */
export const DEFAULT_TASK_QUOTAS: TaskQuotas = {
  maxUnfinishedTasks: 5,
  maxDailyUploadBytes: 5 * GIB,
  maxDailyRecuts: 10,
};

export interface TaskServiceDependencies {
  repository: TaskRepository;
  store: ObjectStore;
  uploads: MultipartUploads;
  clock: Clock;
  limits: TaskLimits;
  /** Random part of the upload key; unguessable so one task's key reveals nothing about another's. */
  nonce?: () => string;
}

export interface ListOptions {
  max: number;
  order: 'asc' | 'desc';
  cursor?: number;
}

export const DEFAULT_PAGE_SIZE = 50;
const HOUR_MS = 3_600_000;

/**
 * A size as a pilot reads it, in binary units with their IEC names as the console shows sizes (docs/console.md,
 * "Sizes"): "5 GiB" for whole GiB, "500 MiB" from one MiB, "1000 bytes" below.
 */
function formatSize(bytes: number): string {
  if (bytes >= GIB && bytes % GIB === 0) return `${bytes / GIB} GiB`;
  const megabytes = bytes / (1024 * 1024);
  return megabytes < 1 ? `${bytes} bytes` : `${Number(megabytes.toFixed(1))} MiB`;
}

const VIDEO_NOT_FOUND = 'Video not found';

/** "clip.mov" → "clip-idrl.mp4": the edited video downloads under a name the pilot recognizes. */
export function processedFileName(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return `${dot > 0 ? fileName.slice(0, dot) : fileName}-idrl.mp4`;
}

type TaskQuotaRefusal = Exclude<TaskCreation, { created: Task }> | Exclude<TaskRetry, { retried: Task }>;

/**
 * A full unfinished-tasks quota frees up when the pilot's own uploads finish, not at a time the
 * platform can tell, so it carries no Retry-After; the byte quota frees up as its oldest bytes age out.
 */
function quotaError(refusal: TaskQuotaRefusal, limits: TaskLimits): TooManyRequestsError {
  if (refusal.refused === 'unfinished-tasks')
    return new TooManyRequestsError(
      `You already have ${limits.maxUnfinishedTasks} unfinished tasks: wait until one is processed or failed, or delete one`,
    );
  return new TooManyRequestsError(
    `This upload would take your uploads of the last 24 hours past ${formatSize(limits.maxDailyUploadBytes)}`,
    { retryAfterSeconds: refusal.retryAfterSeconds },
  );
}

/**
 * Every object these tasks may own (including deterministic outputs a worker may have written without recording
 * them yet), and the original's recorded version for good: a task's delete is final for its original
 * (docs/spec.md §7.16). Deleting a missing object or version succeeds, so this may run again.
 */
export async function deleteTaskObjects(store: ObjectStore, tasks: readonly DeletingTask[]): Promise<void> {
  // The keys first: their delete markers hide whatever a later post stored meanwhile from a URL signed by key,
  // until the worker deletes that version too ("orphan-deleted").
  await store.deleteMany(tasks.flatMap(taskObjectKeys));
  // The download URL names this version, which a delete marker would leave readable for the noncurrent retention.
  await Promise.all(
    tasks.flatMap((task) =>
      task.originalVersionId === null ? [] : [store.deleteVersion(task.originalKey, task.originalVersionId)],
    ),
  );
}

/** A task's objects ({@link deleteTaskObjects}), then its row. */
export async function purgeDeletingTask(
  deps: { repository: TaskRepository; store: ObjectStore; uploads: MultipartUploads },
  task: DeletingTask,
): Promise<void> {
  // An unfinished upload's parts are invisible but billed: a cancel aborts them with the objects.
  await abortPendingUploads(deps.uploads, task.originalKey);
  await deleteTaskObjects(deps.store, [task]);
  await deps.repository.purgeDeleting(task.id);
}

const RECUT_NEEDS_AN_EDIT = 'The cut can be changed once the video is processed (or has failed).';

/**
 * Why a task's cut cannot be changed now, or undefined when it can: a processed task, or a failed one whose
 * upload is stored (a start past the source's end is fixed by a new cut, not a new upload). While it is being
 * edited, the edit in progress keeps the cut it started with: the change is refused, not queued, so the
 * pilot never waits for an edit that is thrown away.
 */
export function recutRefusal(task: Task): string | undefined {
  if (task.status === 'processed') return undefined;
  if (task.status === 'failed' && task.uploadedAt !== null) return undefined;
  if (task.status === 'uploaded' || task.status === 'processing')
    return 'The video is being edited; change the cut once it is processed.';
  return RECUT_NEEDS_AN_EDIT;
}

/** Why a failed task cannot go through the pipeline again, or undefined when it can. */
export function retryRefusal(task: Task): string | undefined {
  if (task.status !== 'failed') return 'Only a failed task can be retried.';
  if (task.failureKind === 'content') return `The upload cannot be processed: ${task.failureReason ?? ''}`;
  // The original exists once S3 reported it, and only a delete removes it.
  if (task.uploadedAt === null) return 'Nothing was uploaded for this task; upload the video again.';
  if (task.manualRetries >= MAX_MANUAL_RETRIES)
    return `This task was already retried ${MAX_MANUAL_RETRIES} times; upload the video again.`;
  return undefined;
}

/** The task use cases of docs/spec.md §2–3, over ports only. */
export class TaskService {
  private readonly nonce: () => string;

  constructor(private readonly deps: TaskServiceDependencies) {
    this.nonce = deps.nonce ?? randomUUID;
  }

  async create(caller: Caller, request: CreateTaskRequest): Promise<CreatedTaskResponse> {
    const { limits } = this.deps;
    if (request.size > limits.maxUploadBytes) {
      throw new PayloadTooLargeError(
        `The video is larger than the ${formatSize(limits.maxUploadBytes)} limit`,
      );
    }
    await this.deps.repository.ensureUser(caller);
    const creation = await this.deps.repository.create(
      {
        ownerId: caller.sub,
        fileName: request.fileName,
        title: request.title ?? defaultTitle(request.fileName),
        contentType: request.contentType,
        declaredBytes: request.size,
        uploadExpiresAt: new Date(this.deps.clock.now().getTime() + limits.uploadWindowHours * HOUR_MS),
        keyNonce: this.nonce(),
        public: request.public,
        cut: {
          clipStartSeconds: request.clip?.startSeconds ?? 0,
          posterSeconds: request.posterSeconds ?? 0,
        },
      },
      {
        maxUnfinishedTasks: limits.maxUnfinishedTasks,
        maxDeclaredBytes: limits.maxDailyUploadBytes,
        windowSeconds: QUOTA_WINDOW_SECONDS,
      },
    );
    if ('refused' in creation) throw quotaError(creation, limits);
    const task = creation.created;
    const upload = await this.deps.store.presignUpload({
      key: task.originalKey,
      contentType: task.contentType,
      maxBytes: Math.min(task.declaredBytes, limits.maxUploadBytes),
      expiresInSeconds: limits.uploadUrlTtlSeconds,
    });
    return {
      ...(await this.view(task)),
      upload: {
        url: upload.url,
        fields: upload.fields,
        expiresAt: upload.expiresAt.toISOString(),
        maxBytes: upload.maxBytes,
      },
    };
  }

  /** Keyset pagination: one extra row tells whether another page exists without a COUNT. */
  async list(caller: Caller, options: ListOptions): Promise<TaskListResponse> {
    const rows = await this.deps.repository.list({
      ownerId: caller.sub,
      limit: options.max + 1,
      order: options.order,
      after: options.cursor,
    });
    const page = rows.slice(0, options.max);
    const last = page.at(-1);
    const data = await Promise.all(page.map((task) => this.view(task)));
    return rows.length > options.max && last !== undefined ? { data, nextCursor: String(last.id) } : { data };
  }

  async get(caller: Caller, id: number): Promise<TaskResponse> {
    const task = await this.deps.repository.findForOwner(id, caller.sub);
    if (task === null) throw new NotFoundError(VIDEO_NOT_FOUND);
    return this.view(task);
  }

  /**
   * The owner's changes (docs/spec.md §5, §8, §9): a new cut first, which may be refused (then nothing changed),
   * then the publish switch and the title, which the gallery and the rankings follow in the same statement. `recut`
   * says whether the task went back through processing (the route's 202).
   */
  async update(
    caller: Caller,
    id: number,
    request: UpdateTaskRequest,
  ): Promise<{ task: TaskResponse; recut: boolean }> {
    const recut =
      request.clip !== undefined || request.posterSeconds !== undefined
        ? await this.recut(caller, id, request)
        : false;
    const task =
      request.public === undefined && request.title === undefined
        ? await this.deps.repository.findForOwner(id, caller.sub)
        : await this.deps.repository.updateDetails(id, caller.sub, {
            public: request.public,
            title: request.title,
          });
    if (task === null) throw new NotFoundError(VIDEO_NOT_FOUND);
    return { task: await this.view(task), recut };
  }

  /**
   * Edits the task again from its stored original with the new cut (docs/api.md, "Changing the cut"): the next
   * revision goes back to 'uploaded' and a re-cut marker carrying that revision puts it on the upload queue (the
   * API runs inside the VPC, where only S3 is reachable: #core/requeue). A cut equal to the current one starts
   * nothing. Refused while the task has no finished edit (409: the edit in progress uses the cut it has) and past
   * the daily limit (429).
   */
  private async recut(
    caller: Caller,
    id: number,
    request: Pick<UpdateTaskRequest, 'clip' | 'posterSeconds'>,
  ): Promise<boolean> {
    const task = await this.deps.repository.findForOwner(id, caller.sub);
    if (task === null) throw new NotFoundError(VIDEO_NOT_FOUND);
    const cut: Cut = {
      clipStartSeconds: request.clip?.startSeconds ?? task.clipStartSeconds,
      posterSeconds: request.posterSeconds ?? task.posterSeconds,
    };
    const refusal = recutRefusal(task);
    if (refusal !== undefined) throw new ConflictError(refusal);
    if (
      task.status === 'processed' &&
      cut.clipStartSeconds === task.clipStartSeconds &&
      cut.posterSeconds === task.posterSeconds
    )
      return false;
    const { maxDailyRecuts } = this.deps.limits;
    const result = await this.deps.repository.markRecut(id, caller.sub, cut, { maxDailyRecuts });
    // Deleted, or taken through another change, between the read and the transition.
    if (result === null) throw new ConflictError(RECUT_NEEDS_AN_EDIT);
    if ('refused' in result) {
      throw new TooManyRequestsError(
        `You have changed the cut ${maxDailyRecuts} times in the last 24 hours; try again later`,
        { retryAfterSeconds: result.retryAfterSeconds },
      );
    }
    await this.deps.store.putEmpty(recutKey(id, result.recut.revision, this.nonce()));
    return true;
  }

  /**
   * The task enters 'deleting' first: from then on every worker transition on it is a no-op and a
   * worker that still writes outputs removes them itself. Then its objects, then the row. When the
   * store fails half way the task stays 'deleting' (invisible to its owner): a repeated delete, or
   * the sweeper, finishes it (docs/operations.md, "Deletes").
   */
  async delete(caller: Caller, id: number): Promise<void> {
    const task = await this.deps.repository.markDeleting(id, caller.sub);
    if (task === null) throw new NotFoundError(VIDEO_NOT_FOUND);
    await purgeDeletingTask(this.deps, task);
  }

  /**
   * The database half of a retry (docs/api.md, "Retry"): a failed task whose failure was the platform's goes
   * back to 'uploaded' in one conditional transition, counting the retry; the caller then queues the upload
   * (TaskRetryService, outside the VPC). A content failure, a task with nothing uploaded or with no retry left is a
   * ConflictError saying why; a retry past the unfinished-tasks quota is refused like a create (429).
   */
  async beginRetry(caller: Caller, id: number): Promise<RetryStart> {
    const task = await this.deps.repository.findForOwner(id, caller.sub);
    if (task === null) throw new NotFoundError(VIDEO_NOT_FOUND);
    const refusal = retryRefusal(task);
    if (refusal !== undefined) throw new ConflictError(refusal);
    const retry = await this.deps.repository.markRetried(id, caller.sub, {
      maxRetries: MAX_MANUAL_RETRIES,
      maxUnfinishedTasks: this.deps.limits.maxUnfinishedTasks,
    });
    // Another request retried (or deleted) it between the read and the transition.
    if (retry === null) throw new ConflictError('Only a failed task can be retried.');
    if ('refused' in retry) throw quotaError(retry, this.deps.limits);
    const { retried } = retry;
    return {
      task: await this.view(retried),
      // The declared size: the upload's own notification recorded the real one, and a task past
      // awaiting_upload takes no size from a message (the worker's markUploaded is then a no-op).
      upload: { taskId: retried.id, key: retried.originalKey, sizeBytes: retried.declaredBytes },
    };
  }

  /**
   * A begun retry whose upload could not be queued: without a message the task would sit in 'uploaded' until the
   * sweeper failed it, so it fails now, retryable, and the retry does not count. Nothing to undo is not an error
   * (the task was deleted, or the message did reach the queue and the worker took it).
   */
  async revertRetry(caller: Caller, id: number): Promise<void> {
    await this.deps.repository.revertRetry(id, caller.sub, RETRY_NOT_QUEUED_REASON);
  }

  /**
   * A fresh multipart upload into a task still awaiting its upload (a first upload or a re-upload).
   * Any unfinished upload of the task is aborted first: its parts would be billed until the lifecycle rule.
   */
  async startMultipartUpload(caller: Caller, id: number): Promise<MultipartUploadResponse> {
    const task = await this.awaitingUpload(caller, id);
    await abortPendingUploads(this.deps.uploads, task.originalKey);
    const uploadId = await this.deps.uploads.createMultipartUpload({
      key: task.originalKey,
      contentType: task.contentType,
    });
    const plan = this.plan(task);
    return { uploadId, partBytes: plan.partBytes, partCount: plan.partCount, maxBytes: this.maxBytes(task) };
  }

  /** Presigned part URLs, each bound to its part's exact size (signing needs no S3 call). */
  async signUploadParts(
    caller: Caller,
    id: number,
    uploadId: string,
    partNumbers: readonly number[],
  ): Promise<SignedPartsResponse> {
    const task = await this.awaitingUpload(caller, id);
    const plan = this.plan(task);
    const beyond = partNumbers.filter((partNumber) => partNumber > plan.partCount);
    if (beyond.length > 0) {
      throw new ValidationError('Invalid request', [
        { field: 'partNumbers', message: `This upload has parts 1 to ${plan.partCount}` },
      ]);
    }
    const { uploadUrlTtlSeconds } = this.deps.limits;
    const expiresAt = new Date(this.deps.clock.now().getTime() + uploadUrlTtlSeconds * 1000);
    const parts = await Promise.all(
      [...new Set(partNumbers)].map(async (partNumber) => {
        const sizeBytes = partSize(task.declaredBytes, plan, partNumber);
        const url = await this.deps.uploads.presignUploadPart({
          key: task.originalKey,
          uploadId,
          partNumber,
          contentLength: sizeBytes,
          expiresInSeconds: uploadUrlTtlSeconds,
        });
        return { partNumber, url, sizeBytes };
      }),
    );
    return { parts, expiresAt: expiresAt.toISOString() };
  }

  /** The parts S3 holds: what a resumed upload still has to send. */
  async listUploadParts(caller: Caller, id: number, uploadId: string): Promise<UploadedPartsResponse> {
    const task = await this.awaitingUpload(caller, id);
    const parts = await this.storedParts(task, uploadId);
    return { parts: parts.map(({ partNumber, sizeBytes, etag }) => ({ partNumber, sizeBytes, etag })) };
  }

  /**
   * Completes the upload from the parts S3 lists (the client sends nothing but the id), only when they
   * are exactly the plan. More bytes than declared or allowed abort the upload: nothing the client
   * sent can exceed the cap.
   */
  async completeMultipartUpload(caller: Caller, id: number, uploadId: string): Promise<TaskResponse> {
    const task = await this.awaitingUpload(caller, id);
    const parts = await this.storedParts(task, uploadId);
    const plan = this.plan(task);
    const maxBytes = this.maxBytes(task);
    const total = parts.reduce((sum, part) => sum + part.sizeBytes, 0);
    if (total > maxBytes || parts.some((part) => part.partNumber > plan.partCount)) {
      await this.deps.uploads.abortMultipartUpload({ key: task.originalKey, uploadId });
      throw new PayloadTooLargeError(
        `The upload held more than the ${task.declaredBytes} bytes declared; it was cancelled, please upload again`,
      );
    }
    const missing = missingParts(parts, plan, task.declaredBytes);
    if (missing.length > 0) {
      throw new ConflictError('The upload is not complete', [
        { field: 'parts', message: `Parts still to upload: ${missing.join(', ')}` },
      ]);
    }
    const { versionId } = await this.deps.uploads.completeMultipartUpload({
      key: task.originalKey,
      uploadId,
      parts,
    });
    // Multipart completes once: the version is the task's from now on, before its notification arrives, so the
    // multipart routes refuse another session (awaitingUpload). Not recorded: another completion, or the
    // notification, recorded first; the version rule then deletes this one as a replay.
    if (versionId !== undefined) await this.deps.repository.recordCompletedUpload(task.id, versionId);
    return this.get(caller, id);
  }

  /** A task the multipart routes may still upload into: awaiting its upload, and no completion recorded. */
  private async awaitingUpload(caller: Caller, id: number): Promise<Task> {
    const task = await this.deps.repository.findForOwner(id, caller.sub);
    if (task === null) throw new NotFoundError(VIDEO_NOT_FOUND);
    if (task.status !== 'awaiting_upload' || task.originalVersionId !== null)
      throw new ConflictError('This video has already been uploaded');
    return task;
  }

  private async storedParts(task: Task, uploadId: string): Promise<StoredPart[]> {
    const parts = await this.deps.uploads.listParts({ key: task.originalKey, uploadId });
    if (parts === null) throw new NotFoundError('Upload not found; it was cancelled or has expired');
    return parts;
  }

  private plan(task: Task): PartPlan {
    return partPlan(task.declaredBytes, this.deps.limits.partBytes);
  }

  private maxBytes(task: Task): number {
    return Math.min(task.declaredBytes, this.deps.limits.maxUploadBytes);
  }

  private async view(task: Task): Promise<TaskResponse> {
    const expiresInSeconds = this.deps.limits.downloadUrlTtlSeconds;
    const presign = (key: string, downloadFileName?: string, versionId?: string) =>
      this.deps.store.presignDownload({ key, expiresInSeconds, downloadFileName, versionId });
    const response: TaskResponse = {
      id: task.id,
      fileName: task.fileName,
      title: task.title,
      status: task.status,
      createdAt: task.createdAt.toISOString(),
      updatedAt: task.updatedAt.toISOString(),
      public: task.public,
      votes: task.votes,
      clip: { startSeconds: task.clipStartSeconds },
      posterSeconds: task.posterSeconds,
      revision: task.revision,
    };
    if (task.failureReason !== null) response.failureReason = task.failureReason;
    if (task.hiddenReason !== null) response.hidden = { reason: task.hiddenReason };
    if (task.status === 'failed') response.retryable = retryRefusal(task) === undefined;
    // The original exists once S3 reported it (uploadedAt), whatever happened afterwards. The URL names the version
    // the task recorded, so a later post to the grant is never what the pilot downloads, even before the worker has
    // deleted it; a task's delete deletes that version for good (deleteTaskObjects), so the URL dies with the task.
    // A task recorded before versions were (null) is signed by key, as it always was.
    if (task.uploadedAt !== null)
      response.original = {
        url: await presign(task.originalKey, task.fileName, task.originalVersionId ?? undefined),
      };
    if (task.status === 'processed' && task.processedKey !== null && task.processed !== null) {
      const { durationSeconds, width, height, sizeBytes } = task.processed;
      response.processed = {
        url: await presign(task.processedKey, processedFileName(task.fileName)),
        playbackUrl: await presign(task.processedKey),
        durationSeconds,
        width,
        height,
        sizeBytes,
      };
    }
    if (task.status === 'processed' && task.thumbnailKey !== null)
      response.thumbnail = { url: await presign(task.thumbnailKey) };
    return response;
  }
}

/** Part numbers of the plan not stored at their exact size. */
function missingParts(parts: readonly StoredPart[], plan: PartPlan, sizeBytes: number): number[] {
  const stored = new Map(parts.map((part) => [part.partNumber, part.sizeBytes]));
  const missing: number[] = [];
  for (let partNumber = 1; partNumber <= plan.partCount; partNumber++) {
    if (stored.get(partNumber) !== partSize(sizeBytes, plan, partNumber)) missing.push(partNumber);
  }
  return missing;
}
