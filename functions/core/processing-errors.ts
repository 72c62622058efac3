/**
 * Errors of the video pipeline. The worker's retry decision rests on them: a
 * PermanentProcessingError fails the task at once, a transient one releases it for redelivery.
 */
import { IdrlError } from './errors';

/**
 * A video that can never be processed (not a video, undecodable, zero duration).
 * The worker marks the task failed at once instead of retrying.
 */
export class PermanentProcessingError extends IdrlError {}

/** ffmpeg was stopped so the Lambda could record the failure before its own timeout. */
export class ProcessingTimeoutError extends PermanentProcessingError {}

/** A transient ffmpeg/ffprobe failure: the same source may well succeed on the next attempt. */
export class VideoToolError extends IdrlError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The object to process is not in the store (deleted since its notification, or never there). */
export class SourceMissingError extends IdrlError {
  constructor(key: string, options?: ErrorOptions) {
    super(`The upload ${key} is not in the bucket.`, options);
  }
}

/** A queue message body that is not an S3 notification: redelivering it can never help. */
export class MalformedNotificationError extends IdrlError {}

/**
 * The edit ran out of memory or was killed by the system (not by the worker's own deadline). One more
 * attempt may land on a fresh instance; if that one is killed too, the source itself exhausts the
 * worker and the task fails with this message (UploadProcessingService, KILLED_EDIT_ATTEMPTS).
 */
export class ResourceExhaustedError extends IdrlError {}

/**
 * The upload was replaced while the worker read it (a second POST within the presigned window): the
 * pinned entity tag no longer matches. The attempt stops; the newest version is processed instead.
 */
export class ObjectChangedError extends IdrlError {
  constructor(key: string, options?: ErrorOptions) {
    super(`The upload ${key} changed while it was being read.`, options);
  }
}
