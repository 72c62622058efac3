/** The task lifecycle of docs/spec.md §3. */
export const TASK_STATUSES = ['awaiting_upload', 'uploaded', 'processing', 'processed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The statuses the unfinished-tasks quota counts: a task the platform still has work or a wait for. */
export const UNFINISHED_STATUSES: readonly TaskStatus[] = ['awaiting_upload', 'uploaded', 'processing'];

/**
 * Why a task failed, which decides whether a retry can help (POST /api/tasks/{id}/retry):
 * - content: the upload itself is at fault and no retry can help (not a video, undecodable, too large);
 * - transient: the platform failed it (timeouts, crashes, outages); the same upload may succeed;
 * - no-upload: nothing was uploaded within the upload window.
 * Null on tasks failed before the kind was recorded (migration 3).
 */
export type FailureKind = 'content' | 'transient' | 'no-upload';

/** Manual retries a pilot may ask for per task: enough for an outage, too few to loop on a broken upload. */
export const MAX_MANUAL_RETRIES = 3;

export interface ProcessedVideoMetadata {
  durationSeconds: number;
  width: number;
  height: number;
  sizeBytes: number;
  processingMs: number;
  sourceBytesRead: number;
}

/** The longest title, in characters (code points): docs/spec.md §9. */
export const MAX_TITLE_LENGTH = 80;

/**
 * A new task's title when the pilot gives none (docs/spec.md §9): the file name without its extension (a leading dot
 * is no extension), trimmed and cut to MAX_TITLE_LENGTH. File names are validated to hold no control character and
 * not to be blank, so the result is always a valid title. Migration 8's file_title() is the same rule in SQL.
 */
export function defaultTitle(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  const stem = (dot > 0 ? fileName.slice(0, dot) : fileName).trim();
  // Code points, as PostgreSQL's char_length counts them: a cut never splits a surrogate pair.
  return Array.from(stem === '' ? fileName.trim() : stem)
    .slice(0, MAX_TITLE_LENGTH)
    .join('');
}

export interface Task {
  id: number;
  ownerId: string;
  fileName: string;
  title: string;
  contentType: string;
  declaredBytes: number;
  status: TaskStatus;
  failureReason: string | null;
  failureKind: FailureKind | null;
  /** Retries the owner asked for (POST /api/tasks/{id}/retry), at most MAX_MANUAL_RETRIES. */
  manualRetries: number;
  originalKey: string;
  /**
   * The S3 version of the upload the task recorded first (docs/worker.md, "Single-use uploads"): every read of the
   * original names it. Null until the upload is recorded, and for tasks recorded before versions were (they read
   * the key's current version).
   */
  originalVersionId: string | null;
  processedKey: string | null;
  thumbnailKey: string | null;
  processed: ProcessedVideoMetadata | null;
  createdAt: Date;
  updatedAt: Date;
  uploadExpiresAt: Date;
  uploadedAt: Date | null;
  processingStartedAt: Date | null;
  processedAt: Date | null;
  failedAt: Date | null;
  /** The owner's switch; the task is published (docs/spec.md §5) while it is also processed. */
  public: boolean;
  /** While published: when it was first published (republishing keeps it, migration 8); null while it is not. */
  publishedAt: Date | null;
  /** The number of vote rows on it, published or not. */
  votes: number;
  /** The pilot's cut (docs/spec.md §8): where in the source the edit's clip starts, in seconds. */
  clipStartSeconds: number;
  /** The poster's offset inside the clip, in seconds. */
  posterSeconds: number;
  /** 1 for the first edit, +1 per re-cut; the worker records an edit only for the revision it claimed. */
  revision: number;
  /** Why the league hid it from the public side (docs/spec.md §10); null while it is not hidden. */
  hiddenReason: string | null;
}

/** The pilot's cut as the API and the worker carry it. */
export interface Cut {
  clipStartSeconds: number;
  posterSeconds: number;
}

/** The cut of a task created without one: the source's first seconds, its first frame as the poster. */
export const DEFAULT_CUT: Cut = { clipStartSeconds: 0, posterSeconds: 0 };

/** The caller, as the authorizer established it from a verified Cognito access token. */
export interface Caller {
  sub: string;
  username: string;
}
