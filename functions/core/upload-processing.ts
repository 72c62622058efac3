/**
 * What the worker does with one uploaded object (docs/spec.md §3, §4), over ports only. Exactly-once task
 * state on an at-least-once queue comes from three rules:
 * - every transition is a conditional update, so a duplicate or late delivery changes nothing;
 * - output keys are deterministic, so a re-run overwrites instead of adding objects;
 * - an attempt holds the task by its processing_started_at lease. An attempt that fails transiently
 *   releases it (back to 'uploaded') before the message is redelivered; an attempt that died cannot,
 *   so a claim older than the worker timeout (which no live attempt outlives) may be taken over.
 */
import {
  ObjectChangedError,
  PermanentProcessingError,
  ProcessingTimeoutError,
  ResourceExhaustedError,
} from './processing-errors';
import type {
  Clock,
  EditClaim,
  EditedVideo,
  FinishedJob,
  ObjectStore,
  SourceServer,
  SubmittedEdit,
  TaskRepository,
  VideoProcessor,
} from './ports';
import { type FailureKind, type ProcessedVideoMetadata, type Task, type TaskStatus } from './task';
import {
  outputKeys,
  REQUEUE_PREFIX,
  revisionFromRequeueKey,
  revisionOutputKeys,
  taskIdFromRequeueKey,
  taskOutputKeys,
  UPLOADS_PREFIX,
} from './object-keys';
import { requeueTask } from './requeue';

/** What the transitions after a claim need of a task: which one, and the revision the attempt claimed. */
type TaskRef = Pick<Task, 'id' | 'originalKey' | 'revision'>;

/** One object from an S3 ObjectCreated notification. */
export interface UploadedObject {
  key: string;
  sizeBytes: number;
  /** The version the notification names (a versioned bucket); absent in messages that name none. */
  versionId?: string;
}

export interface ProcessingAttempt {
  /** SQS ApproximateReceiveCount of the message carrying the notification. */
  receiveCount: number;
  /** The edit is stopped at this instant, early enough to record the outcome before the Lambda timeout. */
  deadline: Date;
  /** An empty directory this attempt owns, for the outputs; the caller removes it. */
  workDir: string;
  /** The worker timeout in seconds: a processing claim older than this belongs to a dead attempt. */
  reclaimAfterSeconds: number;
}

export interface UploadProcessingOptions {
  /** The attempt with this receive count is the last: a transient failure then fails the task. */
  maxReceiveCount: number;
  /**
   * The per-pilot cap on concurrent edits (docs/worker.md, "A fair worker"): a delivery beyond it parks its task
   * instead of claiming it, and every edit that ends queues the pilot's oldest parked tasks again. Without it,
   * every delivery claims (the behaviour before the cap).
   */
  maxConcurrentEditsPerPilot?: number;
}

export interface UploadProcessingDependencies {
  tasks: TaskRepository;
  objects: ObjectStore;
  sources: SourceServer;
  videos: VideoProcessor;
  clock: Clock;
}

/**
 * An edit the system killed (out of memory) is tried this many times, not maxReceiveCount: a source
 * that exhausts one worker exhausts the next, and each retry waits a visibility timeout.
 */
export const KILLED_EDIT_ATTEMPTS = 2;

export type UploadOutcome =
  | { kind: 'ignored'; key: string }
  | { kind: 'orphan-deleted'; key: string }
  | { kind: 'duplicate'; taskId: number; status: TaskStatus | 'deleted' }
  | { kind: 'processed'; taskId: number; metadata: ProcessedVideoMetadata }
  /** Handed to an asynchronous backend: the task stays `processing` until {@link UploadProcessingService.complete}. */
  | { kind: 'submitted'; taskId: number; jobRequestKey: string }
  /**
   * `reason` is stored on the task and shown to the pilot; `detail`, when present, is the underlying
   * error for the logs only (it may name hosts, addresses or storage errors).
   */
  | { kind: 'failed'; taskId: number; reason: string; failureKind: FailureKind; detail?: string }
  | { kind: 'deleted-during-processing'; taskId: number }
  /** The upload was replaced mid-read: the task went back on the queue for its newest version. */
  | { kind: 'superseded'; taskId: number }
  /**
   * Another post to the task's grant (docs/worker.md, "Single-use uploads"): a version other than the one the task
   * recorded, deleted for good and counted against the pilot's daily bytes; the task is not touched.
   */
  | { kind: 'replay-deleted'; taskId: number; versionId: string }
  /**
   * Its pilot already had the allowed edits in progress: the task waits, parked, and the message is acknowledged
   * (a deferral must not spend a receive); the pilot's next ended edit queues it again.
   */
  | { kind: 'parked'; taskId: number };

export class UploadProcessingService {
  constructor(
    private readonly deps: UploadProcessingDependencies,
    private readonly options: UploadProcessingOptions,
  ) {}

  /**
   * Resolves with what happened; rejects only with a transient error on a non-final attempt, which
   * the queue redelivers.
   */
  async handle(object: UploadedObject, attempt: ProcessingAttempt): Promise<UploadOutcome> {
    if (object.key.startsWith(REQUEUE_PREFIX)) return this.handleRequeue(object.key, attempt);
    // Only uploads/ and requeue/ notify the queue; anything else is misconfigured, not ours to touch.
    if (!object.key.startsWith(UPLOADS_PREFIX)) return { kind: 'ignored', key: object.key };
    const task = await this.deps.tasks.findByOriginalKey(object.key);
    if (task === null) {
      // Deleted (or being deleted) before its upload was processed, posted to the grant after the task's delete,
      // or never created: nobody's object, and a deleted task's upload is gone for good (docs/spec.md §7.16). The
      // version the notification names goes; without one (an unversioned bucket), the key.
      if (object.versionId === undefined) await this.deps.objects.deleteMany([object.key]);
      else await this.deps.objects.deleteVersion(object.key, object.versionId);
      return { kind: 'orphan-deleted', key: object.key };
    }
    return this.handleUpload(task, object, attempt);
  }

  /**
   * The task records the first version its key notified (markUploaded, in the same conditional update as
   * 'uploaded'); any other version is a second post to the single-use grant: never edited, never read, deleted.
   */
  private async handleUpload(
    task: Task,
    object: UploadedObject,
    attempt: ProcessingAttempt,
  ): Promise<UploadOutcome> {
    const { tasks } = this.deps;
    const { versionId } = object;
    // null when already past awaiting_upload: a duplicate, a replay, or the redelivery of a crashed attempt.
    const marked = await tasks.markUploaded(task.originalKey, object.sizeBytes, versionId);
    // The row read before the update may predate another version's record: read it again when it named none.
    const recorded =
      marked ??
      (versionId !== undefined && task.originalVersionId === null ? await tasks.findById(task.id) : task);
    const kept = recorded?.originalVersionId ?? null;
    if (versionId !== undefined && kept !== null && kept !== versionId) {
      await tasks.chargeReplay(task.id, { versionId, sizeBytes: object.sizeBytes });
      await this.deps.objects.deleteVersion(task.originalKey, versionId);
      return { kind: 'replay-deleted', taskId: task.id, versionId };
    }
    return this.handleTask(recorded ?? task, attempt);
  }

  /**
   * A marker from this worker after a superseded read (or, written before the deploy that moved them to
   * SQS SendMessage, from the sweeper or the retry route): the same processing as the upload's own
   * notification. The marker is removed once the attempt has an outcome; a redelivered attempt still
   * finds it.
   */
  private async handleRequeue(markerKey: string, attempt: ProcessingAttempt): Promise<UploadOutcome> {
    const taskId = taskIdFromRequeueKey(markerKey);
    const task = taskId === undefined ? null : await this.deps.tasks.findById(taskId);
    // A re-cut's marker names its revision: one written for a revision a newer re-cut replaced claims nothing.
    const revision = revisionFromRequeueKey(markerKey);
    let outcome: UploadOutcome;
    if (task === null) outcome = { kind: 'ignored', key: markerKey };
    else if (revision !== undefined && revision < task.revision)
      outcome = { kind: 'duplicate', taskId: task.id, status: task.status };
    else {
      const stored = await this.deps.objects.stat(task.originalKey, task.originalVersionId ?? undefined);
      // A marker names no version: a task still awaiting its upload records the one stored now.
      await this.deps.tasks.markUploaded(task.originalKey, stored?.sizeBytes ?? 0, stored?.versionId);
      outcome = await this.handleTask(task, attempt);
    }
    await this.deps.objects.deleteMany([markerKey]);
    return outcome;
  }

  /** A recorded upload: a duplicate, or the redelivery of a crashed attempt, is told apart by the lease-aware claim. */
  private async handleTask(task: Task, attempt: ProcessingAttempt): Promise<UploadOutcome> {
    const claim = await this.claim(task.id, attempt);
    if (claim === null) return { kind: 'duplicate', taskId: task.id, status: task.status };
    if ('parked' in claim) return { kind: 'parked', taskId: task.id };
    const { claimed } = claim;
    let outcome: UploadOutcome;
    try {
      outcome = await this.attempt(claimed, attempt);
    } catch (error) {
      // Released for a redelivery: its slot is free until then. The redelivery is about this error, so a failed
      // wake-up must not replace it (the sweeper queues a parked task whose wake-up was lost).
      await this.wakeParked(claimed.ownerId).catch(() => undefined);
      throw error;
    }
    // A MediaConvert job holds its slot until its completion (completeJob) wakes the pilot's parked tasks.
    if (outcome.kind !== 'submitted') await this.wakeParked(claimed.ownerId);
    return outcome;
  }

  /** The claim, under the per-pilot cap when one is configured. */
  private async claim(id: number, attempt: ProcessingAttempt): Promise<EditClaim | null> {
    const { reclaimAfterSeconds } = attempt;
    const maxConcurrentEdits = this.options.maxConcurrentEditsPerPilot;
    if (maxConcurrentEdits !== undefined)
      return this.deps.tasks.claimEdit(id, { reclaimAfterSeconds, maxConcurrentEdits });
    const claimed = await this.deps.tasks.markProcessing(id, { reclaimAfterSeconds });
    return claimed === null ? null : { claimed };
  }

  private async wakeParked(ownerId: string): Promise<void> {
    const maxConcurrentEdits = this.options.maxConcurrentEditsPerPilot;
    if (maxConcurrentEdits !== undefined) await wakeParked(this.deps, ownerId, maxConcurrentEdits);
  }

  /** One claimed attempt: edit, store and record; a transient error is rethrown once the task is released. */
  private async attempt(claimed: Task, attempt: ProcessingAttempt): Promise<UploadOutcome> {
    const { tasks } = this.deps;
    try {
      // A re-cut: the edit it replaces is served no more (the task is not 'processed'), so its objects go
      // before the new edit is made; a failure here is transient and the next attempt removes them again.
      if (claimed.revision > 1)
        await this.deps.objects.deleteMany(revisionOutputKeys(claimed.id, claimed.revision - 1));
      return await this.process(claimed, attempt);
    } catch (error) {
      if (error instanceof PermanentProcessingError)
        return fail(
          this.deps,
          claimed,
          error.message,
          error instanceof ProcessingTimeoutError ? 'transient' : 'content',
        );
      // Killed on every attempt: the source itself exhausts the worker, which a retry cannot change.
      if (error instanceof ResourceExhaustedError && attempt.receiveCount >= KILLED_EDIT_ATTEMPTS)
        return fail(this.deps, claimed, error.message, 'content');
      if (error instanceof ObjectChangedError) return this.supersede(claimed);
      if (attempt.receiveCount >= this.options.maxReceiveCount) {
        const detail = error instanceof Error ? error.message : String(error);
        return fail(this.deps, claimed, finalAttemptReason(attempt.receiveCount), 'transient', detail);
      }
      // No row to release: the task was deleted under us (its upload vanishing is then what failed).
      if ((await tasks.releaseProcessing(claimed.id, claimed)) === null) return lost(this.deps, claimed);
      throw error;
    }
  }

  /**
   * The version this attempt pinned was replaced. Its replacement's own notification may already
   * have been dismissed (the task was 'processing'), so the task is released and queued again: the
   * next attempt reads the newest version, whatever the receive count of this message.
   */
  private async supersede(task: Task): Promise<UploadOutcome> {
    if ((await this.deps.tasks.releaseProcessing(task.id, task)) === null) return lost(this.deps, task);
    await requeueTask(this.deps.objects, task.id);
    return { kind: 'superseded', taskId: task.id };
  }

  private async process(task: Task, attempt: ProcessingAttempt): Promise<UploadOutcome> {
    const { tasks, objects, clock } = this.deps;
    const startedAt = clock.now();
    const { edited, sourceBytesRead } = await this.edit(task, attempt);
    if ('jobRequestKey' in edited)
      return { kind: 'submitted', taskId: task.id, jobRequestKey: edited.jobRequestKey };
    const outputs = outputKeys(task.id, task.revision);
    await Promise.all([
      objects.putFile({ key: outputs.processedKey, path: edited.videoPath, contentType: 'video/mp4' }),
      objects.putFile({ key: outputs.thumbnailKey, path: edited.thumbnailPath, contentType: 'image/jpeg' }),
    ]);
    const metadata = toMetadata(edited, {
      processingMs: clock.now().getTime() - startedAt.getTime(),
      sourceBytesRead,
    });
    const processed = await tasks.markProcessed(task.id, { ...outputs, metadata }, task);
    if (processed !== null) return { kind: 'processed', taskId: task.id, metadata };
    return lost(this.deps, task);
  }

  /** ffmpeg reads the upload through the source server: only the ranges the edit needs leave S3. */
  private async edit(
    task: Task,
    attempt: ProcessingAttempt,
  ): Promise<{ edited: EditedVideo | SubmittedEdit; sourceBytesRead: number }> {
    const sourceVersionId = task.originalVersionId ?? undefined;
    const source = await this.deps.sources.serve(task.originalKey, sourceVersionId);
    try {
      const edited = await this.deps.videos
        .edit({
          source: source.url,
          workDir: attempt.workDir,
          deadline: attempt.deadline,
          taskId: task.id,
          sourceKey: task.originalKey,
          ...(sourceVersionId === undefined ? {} : { sourceVersionId }),
          attempt: attempt.receiveCount,
          cut: { clipStartSeconds: task.clipStartSeconds, posterSeconds: task.posterSeconds },
          revision: task.revision,
        })
        .catch((error: unknown) => {
          // A storage failure mid-read explains whatever ffmpeg then said about the file: retry, don't fail it.
          throw source.failure() ?? error;
        });
      // ffmpeg may also take a cut-off read for the end of the file and succeed: that edit is not trusted.
      const failure = source.failure();
      if (failure !== undefined) throw failure;
      return { edited, sourceBytesRead: source.bytesSent() };
    } finally {
      await source.close();
    }
  }
}

/** What recording an outcome needs: the task's row and its objects. */
type RecordingDependencies = Pick<UploadProcessingDependencies, 'tasks' | 'objects'>;

/**
 * One of the pilot's edits ended (or its slot was freed): its oldest parked tasks, one per free slot, go back on
 * the queue through the worker's requeue marker (the VPC has no SQS). A marker that is lost leaves its task
 * parked, which the sweeper queues again (listParked).
 */
async function wakeParked(
  deps: RecordingDependencies,
  ownerId: string,
  maxConcurrentEdits: number,
): Promise<void> {
  for (const parked of await deps.tasks.parkedToWake(ownerId, maxConcurrentEdits))
    await requeueTask(deps.objects, parked.id);
}

/**
 * Records the final state an asynchronous backend reported (MediaConvert's completion event) with the
 * same conditional transitions as an edit in the worker: a repeated or late event finds the task past
 * `processing` and changes nothing; an event for a deleted task removes what the job wrote.
 */
export async function completeJob(
  deps: RecordingDependencies,
  job: FinishedJob,
  maxConcurrentEditsPerPilot?: number,
): Promise<UploadOutcome> {
  const outcome = await recordJob(deps, job);
  // The job was the pilot's edit in progress (the MediaConvert backend's slot): its end frees the slot.
  if (
    maxConcurrentEditsPerPilot !== undefined &&
    (outcome.kind === 'processed' || outcome.kind === 'failed')
  ) {
    const task = await deps.tasks.findById(job.taskId);
    if (task !== null) await wakeParked(deps, task.ownerId, maxConcurrentEditsPerPilot);
  }
  return outcome;
}

async function recordJob(deps: RecordingDependencies, job: FinishedJob): Promise<UploadOutcome> {
  const task = { id: job.taskId, originalKey: job.sourceKey, revision: job.revision };
  // The worker validated the source before submitting it: a job error is MediaConvert's, worth a retry.
  if (job.kind === 'error') return fail(deps, task, job.reason, 'transient');
  const [video, thumbnail] = await Promise.all([
    deps.objects.stat(job.videoKey),
    deps.objects.stat(job.thumbnailKey),
  ]);
  if (video === null || thumbnail === null) {
    // Also what a task deleted meanwhile looks like (the API removed the outputs): fail() tells them apart.
    return fail(
      deps,
      task,
      'The edited video was not found in storage after processing finished.',
      'transient',
    );
  }
  const metadata: ProcessedVideoMetadata = {
    durationSeconds: job.durationSeconds,
    width: job.width,
    height: job.height,
    sizeBytes: video.sizeBytes,
    processingMs: job.processingMs,
    // MediaConvert reads the upload itself; what it fetched is not visible to the platform.
    sourceBytesRead: 0,
  };
  const processed = await deps.tasks.markProcessed(
    task.id,
    { processedKey: job.videoKey, thumbnailKey: job.thumbnailKey, metadata },
    task,
  );
  if (processed === null) return lost(deps, task);
  await deps.objects.deleteMany(job.discardKeys);
  return { kind: 'processed', taskId: task.id, metadata };
}

/**
 * markProcessed/markFailed matched nothing: the task was deleted meanwhile, another attempt finished it, or a
 * re-cut replaced the revision this attempt edited (whose objects then belong to nobody).
 */
async function lost(deps: RecordingDependencies, task: TaskRef): Promise<UploadOutcome> {
  const current = await deps.tasks.findByOriginalKey(task.originalKey);
  if (current !== null) {
    if (current.revision !== task.revision)
      await deps.objects.deleteMany(revisionOutputKeys(task.id, task.revision));
    return { kind: 'duplicate', taskId: task.id, status: current.status };
  }
  // A task deleted while processing stays deleted and leaves no objects behind.
  await deps.objects.deleteMany(taskOutputKeys(task.id, task.revision));
  return { kind: 'deleted-during-processing', taskId: task.id };
}

async function fail(
  deps: RecordingDependencies,
  task: TaskRef,
  reason: string,
  failureKind: FailureKind,
  detail?: string,
): Promise<UploadOutcome> {
  const failed = await deps.tasks.markFailed(task.id, reason, failureKind, task);
  if (failed === null) return lost(deps, task);
  // An earlier attempt may have stored outputs before it crashed: a failed task owns none.
  await deps.objects.deleteMany(taskOutputKeys(task.id, task.revision));
  return { kind: 'failed', taskId: task.id, reason, failureKind, detail };
}

/** A transient error's message names infrastructure (hosts, addresses, storage errors): it goes to the logs, not to the pilot. */
function finalAttemptReason(attempts: number): string {
  return `Processing failed after ${attempts} attempts; retry it or upload the video again.`;
}

function toMetadata(
  edited: EditedVideo,
  measured: { processingMs: number; sourceBytesRead: number },
): ProcessedVideoMetadata {
  return {
    durationSeconds: edited.durationSeconds,
    width: edited.width,
    height: edited.height,
    sizeBytes: edited.sizeBytes,
    ...measured,
  };
}
