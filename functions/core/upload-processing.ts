/**
 * What the worker does with one uploaded object (docs/spec.md §3, §4), over ports only. Exactly-once task
 * state on an at-least-once queue comes from three rules:
 * - every transition is a conditional update, so a duplicate or late delivery changes nothing;
 * - output keys are deterministic, so a re-run overwrites instead of adding objects;
 * - an attempt holds the task by its processing_started_at lease. An attempt that fails transiently
 *   releases it (back to 'uploaded') before the message is redelivered; an attempt that died cannot,
 *   so a claim older than the worker timeout (which no live attempt outlives) may be taken over.
 */
import { PermanentProcessingError, ResourceExhaustedError } from './processing-errors';
import type { Clock, EditedVideo, ObjectStore, SourceServer, TaskRepository, VideoProcessor } from './ports';
import { type ProcessedVideoMetadata, type Task, type TaskStatus } from './task';
import { outputKeys, UPLOADS_PREFIX } from './object-keys';

/** One object from an S3 ObjectCreated notification. */
export interface UploadedObject {
  key: string;
  sizeBytes: number;
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
  /**
   * `reason` is stored on the task and shown to the pilot; `detail`, when present, is the underlying
   * error for the logs only (it may name hosts, addresses or storage errors).
   */
  | { kind: 'failed'; taskId: number; reason: string; permanent: boolean; detail?: string }
  | { kind: 'deleted-during-processing'; taskId: number };

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
    const { tasks, objects } = this.deps;
    // Only uploads/ notifies the queue; anything else is a misconfigured notification, not ours to touch.
    if (!object.key.startsWith(UPLOADS_PREFIX)) return { kind: 'ignored', key: object.key };
    const task = await tasks.findByOriginalKey(object.key);
    if (task === null) {
      // Deleted before its upload was processed, or never created: the object belongs to nobody.
      await objects.deleteMany([object.key]);
      return { kind: 'orphan-deleted', key: object.key };
    }
    // null when already past awaiting_upload: a duplicate, or the redelivery of a crashed attempt,
    // which the lease-aware claim below tells apart.
    await tasks.markUploaded(object.key, object.sizeBytes);
    const claimed = await tasks.markProcessing(task.id, { reclaimAfterSeconds: attempt.reclaimAfterSeconds });
    if (claimed === null) return { kind: 'duplicate', taskId: task.id, status: task.status };
    try {
      return await this.process(claimed, attempt);
    } catch (error) {
      if (error instanceof PermanentProcessingError) return this.fail(claimed, error.message, true);
      if (error instanceof ResourceExhaustedError && attempt.receiveCount >= KILLED_EDIT_ATTEMPTS)
        return this.fail(claimed, error.message, true);
      if (attempt.receiveCount >= this.options.maxReceiveCount) {
        const detail = error instanceof Error ? error.message : String(error);
        return this.fail(claimed, finalAttemptReason(attempt.receiveCount), false, detail);
      }
      // No row to release: the task was deleted under us (its upload vanishing is then what failed).
      if ((await tasks.releaseProcessing(claimed.id)) === null) return this.lost(claimed);
      throw error;
    }
  }

  private async process(task: Task, attempt: ProcessingAttempt): Promise<UploadOutcome> {
    const { tasks, objects, clock } = this.deps;
    const startedAt = clock.now();
    const { edited, sourceBytesRead } = await this.edit(task, attempt);
    const outputs = outputKeys(task.id);
    await Promise.all([
      objects.putFile({ key: outputs.processedKey, path: edited.videoPath, contentType: 'video/mp4' }),
      objects.putFile({ key: outputs.thumbnailKey, path: edited.thumbnailPath, contentType: 'image/jpeg' }),
    ]);
    const metadata = toMetadata(edited, {
      processingMs: clock.now().getTime() - startedAt.getTime(),
      sourceBytesRead,
    });
    const processed = await tasks.markProcessed(task.id, { ...outputs, metadata });
    if (processed !== null) return { kind: 'processed', taskId: task.id, metadata };
    return this.lost(task);
  }

  /** ffmpeg reads the upload through the source server: only the ranges the edit needs leave S3. */
  private async edit(
    task: Task,
    attempt: ProcessingAttempt,
  ): Promise<{ edited: EditedVideo; sourceBytesRead: number }> {
    const source = await this.deps.sources.serve(task.originalKey);
    try {
      const edited = await this.deps.videos
        .edit({ source: source.url, workDir: attempt.workDir, deadline: attempt.deadline })
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

  /** markProcessed/markFailed matched nothing: the task was deleted meanwhile, or another attempt finished it. */
  private async lost(task: Task): Promise<UploadOutcome> {
    const current = await this.deps.tasks.findByOriginalKey(task.originalKey);
    if (current !== null) return { kind: 'duplicate', taskId: task.id, status: current.status };
    // A task deleted while processing stays deleted and leaves no objects behind.
    await this.deps.objects.deleteMany(Object.values(outputKeys(task.id)));
    return { kind: 'deleted-during-processing', taskId: task.id };
  }

  private async fail(
    task: Task,
    reason: string,
    permanent: boolean,
    detail?: string,
  ): Promise<UploadOutcome> {
    const failed = await this.deps.tasks.markFailed(task.id, reason);
    if (failed === null) return this.lost(task);
    // An earlier attempt may have stored outputs before it crashed: a failed task owns none.
    await this.deps.objects.deleteMany(Object.values(outputKeys(task.id)));
    return { kind: 'failed', taskId: task.id, reason, permanent, detail };
  }
}

/** A transient error's message names infrastructure (hosts, addresses, storage errors): it goes to the logs, not to the pilot. */
function finalAttemptReason(attempts: number): string {
  return `Processing failed after ${attempts} attempts; please upload the video again.`;
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
