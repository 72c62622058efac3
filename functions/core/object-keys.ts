/**
 * The bucket's key layout, built and parsed in this one module (CDK grants, the API, the worker, the
 * sweeper and the local stack all use it). Keys are chosen by the server only. Uploads live under
 * one prefix (the only one that notifies the queue); outputs have deterministic keys so a
 * redelivery overwrites, never duplicates.
 */
export const UPLOADS_PREFIX = 'uploads/';
export const PROCESSED_PREFIX = 'processed/';
/**
 * Empty marker objects by which the worker, inside the VPC where SQS is unreachable, puts a task back
 * on the upload queue: this prefix notifies the same queue as uploads/ (docs/worker.md, "Re-enqueueing").
 */
export const REQUEUE_PREFIX = 'requeue/';

/** The prefixes whose new objects notify the upload queue (the CDK bucket and the local S3 alike). */
/**
 * The user-metadata key (`x-amz-meta-trace-id` on the wire) under which an upload's object keeps the X-Ray
 * trace header of the request that started it (functions/commons/tracing.ts).
 */
export const TRACE_METADATA_KEY = 'trace-id';

export const NOTIFYING_PREFIXES = [UPLOADS_PREFIX, REQUEUE_PREFIX] as const;

/** `uploads/{taskId}/{nonce}`: the nonce makes one task's key reveal nothing about another's. */
export function uploadKey(taskId: number, nonce: string): string {
  return `${UPLOADS_PREFIX}${taskId}/${nonce}`;
}

/** The task id in `uploads/{taskId}/{nonce}`, or undefined for any other key. */
export function taskIdFromKey(key: string): number | undefined {
  const match = UPLOAD_KEY.exec(key);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const UPLOAD_KEY = new RegExp(`^${UPLOADS_PREFIX}(\\d+)/[^/]+$`);

/** `requeue/{taskId}/{token}`: a fresh token per request, so each one is a new object and a new notification. */
export function requeueKey(taskId: number, token: string): string {
  return `${REQUEUE_PREFIX}${taskId}/${token}`;
}

/** The task id in `requeue/{taskId}/{token}`, or undefined for any other key. */
export function taskIdFromRequeueKey(key: string): number | undefined {
  const match = REQUEUE_KEY.exec(key);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const REQUEUE_KEY = new RegExp(`^${REQUEUE_PREFIX}(\\d+)/[^/]+$`);

/**
 * A re-cut's marker (`requeue/{taskId}/r{revision}-{token}`): the message carries the revision it was written for,
 * so the worker can tell a late marker of a replaced revision from the current one.
 */
export function recutKey(taskId: number, revision: number, token: string): string {
  return requeueKey(taskId, `r${revision}-${token}`);
}

/** The revision a re-cut marker was written for, or undefined for any other key. */
export function revisionFromRequeueKey(key: string): number | undefined {
  const match = RECUT_KEY.exec(key);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const RECUT_KEY = new RegExp(`^${REQUEUE_PREFIX}\\d+/r(\\d+)-[^/]+$`);

/**
 * Where one revision's outputs live: revision 1 (every first edit) keeps the original layout
 * `processed/{taskId}/`, a re-cut writes under `processed/{taskId}/r{revision}/`. A re-cut's edit therefore
 * never overwrites the edit it replaces, and a late attempt of an older revision writes only its own keys.
 */
function revisionBase(taskId: number, revision: number): string {
  return `${PROCESSED_PREFIX}${taskId}/${revision > 1 ? `r${revision}/` : ''}`;
}

export function processedVideoKey(taskId: number, revision = 1): string {
  return `${revisionBase(taskId, revision)}video.mp4`;
}

export function thumbnailKey(taskId: number, revision = 1): string {
  return `${revisionBase(taskId, revision)}thumbnail.jpg`;
}

/** The keys the ffmpeg worker writes and records on the task ({@link taskOutputKeys}: every key a task can own). */
export function outputKeys(taskId: number, revision = 1): { processedKey: string; thumbnailKey: string } {
  return { processedKey: processedVideoKey(taskId, revision), thumbnailKey: thumbnailKey(taskId, revision) };
}

/**
 * MediaConvert names frame captures `<destination base>.<7-digit index>.jpg`: it cannot write
 * thumbnail.jpg itself. The job captures two frames, the logo card's and the first of the source
 * content; the last one becomes the task's thumbnail (docs/worker.md, "MediaConvert backend").
 */
export function capturedFrameKey(taskId: number, index: number, revision = 1): string {
  return `${capturedFrameBase(taskId, revision)}.${String(index).padStart(7, '0')}.jpg`;
}

/** The key of a frame capture up to its index: what a frame-capture output is told to write to. */
export function capturedFrameBase(taskId: number, revision = 1): string {
  return `${revisionBase(taskId, revision)}thumbnail`;
}

/** The MediaConvert job request the worker hands to the submitter (outside the VPC) through S3. */
export function jobRequestKey(taskId: number, revision = 1): string {
  return `${revisionBase(taskId, revision)}mediaconvert-job.json`;
}

/**
 * The job's own copy of the version the task recorded: MediaConvert's input is an S3 URL, which cannot name a
 * version, so the worker copies the version it validated here (docs/worker.md, "Single-use uploads").
 */
export function jobSourceKey(taskId: number, revision = 1): string {
  return `${revisionBase(taskId, revision)}mediaconvert-source`;
}

/** Every object processing of one revision may write, whichever backend ran. */
export function revisionOutputKeys(taskId: number, revision: number): string[] {
  return [
    ...Object.values(outputKeys(taskId, revision)),
    // AWS's documents number captures from 0 in one place and from 1 in another: both are covered.
    capturedFrameKey(taskId, 0, revision),
    capturedFrameKey(taskId, 1, revision),
    capturedFrameKey(taskId, 2, revision),
    jobRequestKey(taskId, revision),
    jobSourceKey(taskId, revision),
  ];
}

/**
 * Every object processing may have written for a task at `revision`: that revision's and the one before it. The
 * worker removes a revision's predecessor before it edits (UploadProcessingService), so no older one can remain
 * once a revision has been claimed; the predecessor is listed for a re-cut that has not been claimed yet.
 * What a delete or a failure removes.
 */
export function taskOutputKeys(taskId: number, revision: number): string[] {
  return [
    ...revisionOutputKeys(taskId, revision),
    ...(revision > 1 ? revisionOutputKeys(taskId, revision - 1) : []),
  ];
}

/** Every object a task can own: its upload and whatever processing may have written (a delete removes all). */
export function taskObjectKeys(task: { id: number; originalKey: string; revision: number }): string[] {
  return [task.originalKey, ...taskOutputKeys(task.id, task.revision)];
}
