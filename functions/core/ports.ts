/**
 * Ports: what the core needs from the outside world. Adapters in functions/adapters implement
 * them over pg, S3, Cognito and ffmpeg; unit tests implement them with in-memory fakes.
 * AWS and the local stack differ only in how adapters are configured, never in which run.
 */
import type { Readable } from 'node:stream';
import type { AuditAction, ReportReason, TaskResponse } from './schemas';
import type { Caller, Cut, FailureKind, ProcessedVideoMetadata, Task } from './task';

export interface NewTask {
  ownerId: string;
  fileName: string;
  /** @default defaultTitle(fileName) (functions/core/task.ts; in PostgreSQL, migration 8's trigger) */
  title?: string;
  contentType: string;
  declaredBytes: number;
  uploadExpiresAt: Date;
  /** Random part of the server-chosen upload key (see uploadKey in task.ts). */
  keyNonce: string;
  /** Publish the edit in the gallery once processed. @default true */
  public?: boolean;
  /** The pilot's cut (docs/spec.md §8). @default the first seconds of the source, poster at 0 */
  cut?: Cut;
}

/** What the owner may change on a task with PATCH /api/tasks/{id}; an absent field stays as it is. */
export interface TaskDetailsChange {
  public?: boolean;
  title?: string;
}

/** What one pilot may have at once and create per window (TaskLimits in task-service.ts). */
export interface TaskQuota {
  maxUnfinishedTasks: number;
  maxDeclaredBytes: number;
  windowSeconds: number;
}

/** A task created, or why the quota refused it (and when a retry could succeed, if known). */
export type TaskCreation =
  | { created: Task }
  | { refused: 'unfinished-tasks' }
  | { refused: 'declared-bytes'; retryAfterSeconds?: number };

/** A task retried, or the owner's unfinished-tasks quota refused it. */
export type TaskRetry = { retried: Task } | { refused: 'unfinished-tasks' };

/** A re-cut (markRecut): accepted, or refused by the per-pilot daily limit (with when one is free again). */
export type TaskRecut = { recut: Task } | { refused: 'daily-recuts'; retryAfterSeconds: number };

/**
 * A delivery's claim under the per-pilot cap (TaskRepository.claimEdit): the task claimed for this attempt, or
 * parked because its pilot already has the allowed number of edits in progress.
 */
export type EditClaim = { claimed: Task } | { parked: Task };

/** The revision a worker transition belongs to: it succeeds only while the task is still at that revision. */
export interface RevisionCondition {
  revision?: number;
}

export interface ListTasksQuery {
  ownerId: string;
  limit: number;
  order: 'asc' | 'desc';
  /** Exclusive id bound for keyset pagination. */
  after?: number;
}

export interface TaskRepository {
  /**
   * Creates the users row for a Cognito identity if it does not exist yet. Throws UnauthorizedError
   * when that identity's account was deleted: its access tokens outlive it (docs/api.md, "Deleting an account").
   */
  ensureUser(caller: Caller): Promise<void>;
  /**
   * Creates the task unless the owner's quota refuses it. Checking and creating are one atomic step
   * per owner: simultaneous creates cannot together exceed the quota.
   */
  create(task: NewTask, quota: TaskQuota): Promise<TaskCreation>;
  /**
   * Returns null when missing or owned by someone else: ownership is part of the lookup. This and
   * every read and transition below ignore a 'deleting' task: it is as good as gone.
   */
  findForOwner(id: number, ownerId: string): Promise<Task | null>;
  list(query: ListTasksQuery): Promise<Task[]>;
  /**
   * The owner's changes (publish switch, title): each one given is applied in one statement; returns the updated
   * task, or null when missing or someone else's.
   */
  updateDetails(id: number, ownerId: string, changes: TaskDetailsChange): Promise<Task | null>;
  /**
   * First step of a delete: the task enters 'deleting', in which every read below and every worker
   * transition ignores it, so nothing new is recorded. Succeeds again on a task already deleting
   * (a repeated delete), returning its object keys; null when missing or owned by someone else.
   */
  markDeleting(id: number, ownerId: string): Promise<DeletingTask | null>;
  /** Last step of a delete, once every object is gone: removes the row if it is still 'deleting'. */
  purgeDeleting(id: number): Promise<void>;
  /** Tasks 'deleting' for longer than this (a delete that failed half way): the sweeper finishes them. */
  listStaleDeletes(olderThanSeconds: number, limit: number): Promise<DeletingTask[]>;
  findByOriginalKey(key: string): Promise<Task | null>;
  findById(id: number): Promise<Task | null>;
  /**
   * Tasks still 'awaiting_upload' created before `createdBefore` or whose upload window closed by
   * `expiredBy`, and not queued again since `requeuedBefore` (markRequeued), oldest first: candidates
   * for recovery (their upload may sit in the bucket although its notification was never recorded)
   * or for expiry.
   */
  listAwaitingUpload(query: {
    createdBefore: Date;
    expiredBy: Date;
    requeuedBefore: Date;
    limit: number;
  }): Promise<Task[]>;
  /** Records that these tasks' uploads were queued again (those still 'awaiting_upload'), and counts it. */
  markRequeued(ids: readonly number[]): Promise<void>;
  /**
   * From 'awaiting_upload', once its upload was queued again `maxRequeues` times and never recorded: 'failed'
   * (transient) with `reason`, the upload recorded as arrived (so its owner may retry). Null otherwise.
   */
  failUnrecordedUpload(
    id: number,
    upload: { sizeBytes: number; versionId?: string; reason: string; maxRequeues: number },
  ): Promise<Task | null>;
  /**
   * Conditional transitions: each succeeds only from the expected state and returns the updated
   * task, or null when the task is gone or already past that state (duplicate delivery).
   */
  markUploaded(key: string, sourceBytes: number, versionId?: string): Promise<Task | null>;
  /**
   * The version a multipart completion stored, recorded by the API while the task still awaits its notification:
   * from then on it is the task's original, and the multipart routes refuse another upload (docs/api.md, "Resumable
   * uploads"). False when the task is past 'awaiting_upload' or already holds a version (the first one stays).
   */
  recordCompletedUpload(id: number, versionId: string): Promise<boolean>;
  /**
   * Counts a replayed upload (a later version of a task's key, which the worker deletes) against its pilot's daily
   * bytes, once per version however often its notification arrives (docs/spec.md §7.15).
   */
  chargeReplay(id: number, replay: { versionId: string; sizeBytes: number }): Promise<void>;
  /**
   * From 'uploaded'; or from 'processing' when reclaimAfterSeconds is given and the previous
   * attempt started longer ago than that (a crashed attempt's redelivery takes the task over).
   */
  markProcessing(id: number, options?: { reclaimAfterSeconds?: number }): Promise<Task | null>;
  /**
   * markProcessing under the per-pilot cap (#core/fair-share, claimDecision), decided and done in one step under
   * the pilot's lock: claimed, or parked (left 'uploaded', `parked_at` set the first time) when the pilot's edits
   * in progress and its parked tasks ahead leave no slot. Null when the task can be neither (gone, past
   * 'uploaded', or held by a live attempt): a duplicate.
   */
  claimEdit(
    id: number,
    options: { reclaimAfterSeconds: number; maxConcurrentEdits: number },
  ): Promise<EditClaim | null>;
  /**
   * The pilot's oldest parked tasks, one per free slot (#core/fair-share, freeSlots), read under the pilot's lock
   * so that a park committed just before is seen: the worker queues them again when one of the pilot's edits ends.
   * They stay parked until a delivery claims them.
   */
  parkedToWake(ownerId: string, maxConcurrentEdits: number): Promise<Task[]>;
  /**
   * Parked tasks no delivery has looked at for `idleSeconds` (a lost wake-up): the sweeper queues them again.
   */
  listParked(idleSeconds: number, limit: number): Promise<Task[]>;
  /**
   * The owner's re-cut (docs/spec.md §8): from 'processed' (or 'failed' with its upload stored) back to 'uploaded'
   * with the new cut and the next revision, counted against `maxDailyRecuts` in any rolling 24 h (checked and
   * counted in one step per owner). Null when the owner has no such task.
   */
  markRecut(
    id: number,
    ownerId: string,
    cut: Cut,
    limits: { maxDailyRecuts: number },
  ): Promise<TaskRecut | null>;
  /**
   * From 'processing' back to 'uploaded': the attempt holding the task gives it up after a transient
   * failure, so the queue's next delivery can claim it at once instead of waiting out the lease.
   */
  releaseProcessing(id: number, condition?: RevisionCondition): Promise<Task | null>;
  markProcessed(
    id: number,
    outputs: { processedKey: string; thumbnailKey: string; metadata: ProcessedVideoMetadata },
    condition?: RevisionCondition,
  ): Promise<Task | null>;
  markFailed(
    id: number,
    reason: string,
    kind: FailureKind,
    condition?: RevisionCondition,
  ): Promise<Task | null>;
  /**
   * From 'failed' back to 'uploaded' for the owner, counting one manual retry, while fewer than
   * `maxRetries` were made and the owner has fewer than `maxUnfinishedTasks` unfinished tasks (the
   * retried one becomes unfinished: checked and changed in one step per owner, as in `create`);
   * null when the task is not failed (any more) or has no retry left.
   */
  markRetried(
    id: number,
    ownerId: string,
    limits: { maxRetries: number; maxUnfinishedTasks: number },
  ): Promise<TaskRetry | null>;
  /**
   * Undoes markRetried for a retry whose upload could not be queued: 'uploaded' back to 'failed' with
   * `reason` (transient), the retry not counted. Null when the owner has no such task in 'uploaded'.
   */
  revertRetry(id: number, ownerId: string, reason: string): Promise<Task | null>;
  /**
   * Fails every task still 'uploaded' (but not parked: a parked task waits for a slot with no message in flight,
   * listParked) or 'processing' whose last change is more than
   * `stalledAfterSeconds` old (by the repository's clock, which stamped that change), with `reason`;
   * returns the failed tasks (for their output keys).
   */
  failStalledTasks(stalledAfterSeconds: number, reason: string): Promise<Task[]>;
  ping(): Promise<void>;
}

/** A published video (processed and public) as the public gallery shows it. */
export interface PublishedVideo {
  id: number;
  title: string;
  pilotUsername: string;
  votes: number;
  /** Plays counted once per viewer per day (#core/views). */
  views: number;
  publishedAt: Date;
  durationSeconds: number;
  processedKey: string;
  thumbnailKey: string;
}

/** Where a gallery page starts: strictly after this (published_at, id) in newest-first order. */
export interface GalleryCursor {
  publishedAt: Date;
  id: number;
}

/** A ranked pilot as their page shows them: `id` (the users row) finds their videos. */
export interface PilotPage {
  id: string;
  username: string;
  rank: number;
  votes: number;
}

export interface PilotStanding {
  rank: number;
  username: string;
  votes: number;
  videos: number;
}

export type VoteOutcome =
  | { kind: 'voted'; votes: number }
  | { kind: 'not-published' }
  | { kind: 'own-video' }
  | { kind: 'suspended' };

/** The public side of docs/spec.md §5. Every count is kept exact by the store itself, not by its callers. */
/** One reported play: the video, its UTC day (YYYY-MM-DD) and the viewer's key of that day (#core/views). */
export interface PlayedView {
  taskId: number;
  day: string;
  viewer: string;
}

/** Where the route puts reported plays, for the in-VPC consumer to count. */
export interface ViewQueue {
  send(view: PlayedView): Promise<void>;
}

/** The views of published videos, counted once per (video, day, viewer). */
export interface ViewRepository {
  /**
   * Records each play of a published video whose (video, day, viewer) is not recorded yet, and raises its video's
   * count by exactly the rows inserted; duplicates (in the batch, or already recorded) and plays of unpublished or
   * missing videos count nothing. Returns how many were counted.
   */
  record(views: readonly PlayedView[]): Promise<number>;
  /** Deletes the dedup rows of days before `day` (YYYY-MM-DD); returns how many. */
  pruneBefore(day: string): Promise<number>;
}

export interface GalleryRepository {
  /** Published videos newest first; with `ownerId`, that pilot's only. */
  listPublished(query: { limit: number; after?: GalleryCursor; ownerId?: string }): Promise<PublishedVideo[]>;
  /** A pilot with at least one published video, by username compared case-insensitively; null otherwise. */
  findPilot(username: string): Promise<PilotPage | null>;
  findPublished(id: number): Promise<PublishedVideo | null>;
  /** Whether the voter's email is verified (users.email_verified_at, migration 11); no users row yet: false. */
  voterVerified(voterSub: string): Promise<boolean>;
  /** Records the voter's one vote; throws ConflictError when they already voted for that video. */
  vote(taskId: number, voter: Caller): Promise<VoteOutcome>;
  /** Of the given ids, the published videos the voter has a vote on, ascending. */
  votedAmong(voterSub: string, taskIds: readonly number[]): Promise<number[]>;
  /** Removes the voter's vote from a published video; false when there was none to remove. */
  withdrawVote(taskId: number, voterSub: string): Promise<boolean>;
  /**
   * Pilots with a published video by their votes; with `since` (`YYYY-MM-DD`), only the votes cast from 00:00 UTC
   * that day on count (docs/spec.md §9, "Seasons").
   */
  rankings(query: {
    limit: number;
    offset: number;
    since?: string;
  }): Promise<{ rows: PilotStanding[]; total: number }>;
}

/** A report as a pilot files it. */
export interface NewReport {
  taskId: number;
  reporter: Caller;
  reason: ReportReason;
  text?: string;
}

export type ReportOutcome =
  | { kind: 'reported'; createdAt: Date }
  | { kind: 'not-published' }
  | { kind: 'own-video' }
  | { kind: 'unverified' }
  | { kind: 'suspended' }
  | { kind: 'daily-limit' };

/** One reported video of the admins' queue with its reports, oldest first. */
export interface ReportedVideo {
  id: number;
  title: string;
  pilotUsername: string;
  published: boolean;
  hiddenReason: string | null;
  reports: { reporterUsername: string; reason: ReportReason; text: string | null; createdAt: Date }[];
}

/** Who did an admin action and why (the audit log's who and why). */
export interface AdminAction {
  admin: string;
  reason: string | null;
}

export interface AuditEntry {
  id: number;
  at: Date;
  admin: string;
  action: AuditAction;
  target: { video: number } | { pilot: string };
  reason: string | null;
  votes: number | null;
}

/**
 * Reports, hiding, suspension and annulment in the database (docs/spec.md §10). Each action is one transaction that
 * also appends its audit entry, so the log holds exactly the changes made. Counts stay exact through the triggers.
 */
export interface ModerationRepository {
  report(report: NewReport, dailyLimit: number): Promise<ReportOutcome>;
  reportedVideos(query: { status: 'open' | 'closed'; limit: number }): Promise<ReportedVideo[]>;
  /** Hides (and closes the video's open reports) or changes the reason; false when there is no such task. */
  hide(taskId: number, action: AdminAction & { reason: string }): Promise<boolean>;
  /** Lifts a hide; false when there is no such task. Restoring a visible video changes (and logs) nothing. */
  restore(taskId: number, action: AdminAction): Promise<boolean>;
  /** Deletes every vote the pilot cast (counted or withheld); null when the pilot is unknown here. */
  annulVotes(username: string, action: AdminAction & { reason: string }): Promise<{ votes: number } | null>;
  /**
   * Records a suspension (suspension set) or a reinstatement (null) of the pilot with this sub and username; whether
   * it changed anything (a repeat is logged once).
   */
  setSuspension(
    pilot: Caller,
    suspension: { reason: string } | null,
    action: AdminAction,
  ): Promise<{ changed: boolean }>;
  audit(query: { limit: number; before?: number }): Promise<AuditEntry[]>;
}

/** Suspending and reinstating across the VPC boundary: the in-VPC half (functions/ops/pilot-standing.ts). */
export interface PilotStandingRecorder {
  record(pilot: Caller, suspension: { reason: string } | null, admin: string): Promise<{ changed: boolean }>;
}

/** A task on its way out: what remains to delete. */
export interface DeletingTask {
  id: number;
  originalKey: string;
  /** The upload's version the task recorded (its download URL names it), deleted for good; null before one was. */
  originalVersionId: string | null;
  /** The outputs of this revision and its predecessor may exist (taskOutputKeys). */
  revision: number;
}

export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  expiresAt: Date;
  maxBytes: number;
}

/** Bytes `start` to `end` of an object, both inclusive; without `end`, to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface ObjectVersion {
  sizeBytes: number;
  /** The entity tag, quotes included, as the store sends it. */
  eTag: string;
  /** The X-Ray trace header stored with an upload (object-keys.ts, TRACE_METADATA_KEY), when it has one. */
  traceHeader?: string;
  /** The S3 version id; absent from a store without versioning. */
  versionId?: string;
}

/** One ranged read of an object, as the store answered it. */
export interface ObjectRange {
  body: Readable;
  /** Bytes in `body`. */
  contentLength: number;
  /** `bytes <first>-<last>/<total>` for a ranged read; undefined for a whole-object read. */
  contentRange: string | undefined;
  totalBytes: number;
}

/** One stored part of an unfinished multipart upload, as the store lists it. */
export interface StoredPart {
  partNumber: number;
  sizeBytes: number;
  etag: string;
}

/** One unfinished multipart upload, as the store lists it. */
export interface PendingMultipartUpload {
  key: string;
  uploadId: string;
  initiatedAt: Date;
}

export interface ObjectStore {
  presignUpload(input: {
    key: string;
    contentType: string;
    maxBytes: number;
    expiresInSeconds: number;
  }): Promise<PresignedUpload>;
  presignDownload(input: {
    key: string;
    /** The version the URL reads (a task's original); without it, the current one. */
    versionId?: string;
    expiresInSeconds: number;
    downloadFileName?: string;
  }): Promise<string>;
  /**
   * Size and entity tag of that version (the current one without `versionId`), or null when the object or the
   * version does not exist.
   */
  stat(key: string, versionId?: string): Promise<ObjectVersion | null>;
  deleteMany(keys: string[]): Promise<void>;
  /** Deletes one version for good (no delete marker); a version already gone is not an error. */
  deleteVersion(key: string, versionId: string): Promise<void>;
  /** Copies one version of an object (server side) to another key of the bucket. */
  copyVersion(input: { sourceKey: string; versionId: string; key: string }): Promise<void>;
  putFile(input: { key: string; path: string; contentType: string }): Promise<void>;
  /** An empty object: a marker whose only content is its key (REQUEUE_PREFIX). */
  putEmpty(key: string): Promise<void>;
  /**
   * Streams the whole object or one range of it (worker). The body must be consumed or destroyed;
   * `signal` aborts a request that has not answered yet. With `ifMatch` (an entity tag from stat)
   * the read rejects with ObjectChangedError once the object is no longer that version; with `versionId` it reads
   * that version, whatever was stored under the key since.
   */
  readRange(
    key: string,
    range?: ByteRange,
    options?: { signal?: AbortSignal; ifMatch?: string; versionId?: string },
  ): Promise<ObjectRange>;
}

/** A pilot's data in the database, as account deletion removes it (docs/api.md, "Deleting an account"). */
export interface AccountRepository {
  /**
   * Records that the identity is deleted, for good: from then on ensureUser refuses it, so a token that
   * outlives the account creates nothing new. Idempotent.
   */
  markDeleted(sub: string): Promise<void>;
  /** The tasks the pilot owns now. */
  listTasks(ownerId: string): Promise<DeletingTask[]>;
  /**
   * Deletes, in one transaction, the pilot's users row and with it their tasks, the votes on those tasks,
   * the votes they cast (every count kept right by the triggers) and their quota usage; returns the tasks
   * deleted. A task creation in flight is waited for and included. Nothing to delete is not an error.
   */
  deleteData(ownerId: string): Promise<DeletingTask[]>;
}

/** What one purge removed. */
export interface PurgeResult {
  tasks: number;
}

/**
 * Removes every trace of a pilot but the Cognito user. The database is reachable only inside the VPC and
 * Cognito only outside it: the function that deletes an account calls this across the boundary
 * (functions/adapters/lambda/account-purger.ts). Idempotent.
 */
export interface AccountPurger {
  purge(sub: string): Promise<PurgeResult>;
}

/** An upload to put (back) on the upload queue: the object the message names, and whose task it is. */
export interface QueuedUpload {
  taskId: number;
  key: string;
  sizeBytes: number;
  /** The version the message names: the task's own, or the current one found by the sweeper. */
  versionId?: string;
}

/**
 * The worker's queue, written with SQS SendMessage from functions outside the VPC (docs/worker.md,
 * "Re-enqueueing"). Every upload is tried; when SQS refused some, it rejects with UploadsNotQueuedError
 * naming their tasks (the others are queued).
 */
export interface UploadQueue {
  send(uploads: readonly QueuedUpload[]): Promise<void>;
}

/** What one run of the sweep inside the VPC did; `recovered` is for its caller to queue. */
export interface SweepReport {
  /** Uploads in the bucket whose task still awaits them: the worker never recorded them. */
  recovered: QueuedUpload[];
  /** Tasks whose upload was queued again as often as allowed and never recorded: failed. */
  unrecorded: number[];
  expired: number[];
  aborted: number;
  stalled: number[];
  purged: number[];
  /** Parked tasks whose wake-up was lost (listParked): queued again by the sweep's caller like `recovered`. */
  unparked: QueuedUpload[];
}

/** The sweep of the database and the bucket (inside the VPC), as the scheduled function outside it runs it. */
export interface TaskSweep {
  run(): Promise<SweepReport>;
  /** Records that these recovered uploads were queued (TaskRepository.markRequeued). */
  markRequeued(taskIds: readonly number[]): Promise<void>;
}

/** A retry's transition done: the task as its owner now sees it, and the upload to queue. */
export interface RetryStart {
  task: TaskResponse;
  upload: QueuedUpload;
}

/**
 * The database half of `POST /api/tasks/{id}/retry`, inside the VPC (TaskService.beginRetry, .revertRetry);
 * the route outside it queues the upload in between.
 */
export interface RetryTransitions {
  begin(caller: Caller, id: number): Promise<RetryStart>;
  /** Undoes a begun retry whose upload could not be queued. */
  revert(caller: Caller, id: number): Promise<void>;
}

/** One part URL to sign: which upload and part, the exact size it must have, and how long it lasts. */
export interface PartSigning {
  key: string;
  uploadId: string;
  partNumber: number;
  contentLength: number;
  expiresInSeconds: number;
}

/**
 * Unfinished multipart uploads (docs/api.md, "Resumable upload"): a port of its own, so functions
 * that only read and write whole objects (the worker) carry none of it.
 */
export interface MultipartUploads {
  /** Starts a multipart upload whose object will have exactly this content type; returns its id. */
  createMultipartUpload(input: { key: string; contentType: string }): Promise<string>;
  /** A presigned UploadPart URL whose signature binds the part's Content-Length. */
  presignUploadPart(input: PartSigning): Promise<string>;
  /** Every stored part in part-number order; null when no such upload exists for this key. */
  listParts(input: { key: string; uploadId: string }): Promise<StoredPart[] | null>;
  /** Resolves with the version S3 stored (a versioned bucket names one). */
  completeMultipartUpload(input: {
    key: string;
    uploadId: string;
    parts: readonly StoredPart[];
  }): Promise<{ versionId?: string }>;
  /** Aborting an upload that is already gone succeeds. */
  abortMultipartUpload(input: { key: string; uploadId: string }): Promise<void>;
  /** Every unfinished multipart upload whose key starts with `prefix`. */
  listMultipartUploads(prefix: string): Promise<PendingMultipartUpload[]>;
}

export interface IdentityTokens {
  accessToken: string;
  refreshToken?: string;
  expiresIn: number;
}

export interface IdentityProvider {
  /**
   * Creates the account with an unverified email. Throws ConflictError when the username is taken, in any case,
   * atomically: of two simultaneous sign-ups with one username exactly one succeeds. An email is never a conflict
   * here: only a verified one is an alias.
   */
  signUp(input: { username: string; email: string; password: string }): Promise<{ sub: string }>;
  /** `username` is the username or the email, in any case. Throws UnauthorizedError for unknown users and wrong passwords alike. */
  login(input: { username: string; password: string }): Promise<IdentityTokens>;
  refresh(refreshToken: string): Promise<IdentityTokens>;
  /** Revokes a refresh token (and the access tokens issued with it); an unknown or revoked one is not an error. */
  revoke(refreshToken: string): Promise<void>;
  /** The user with this username (in any case), with its canonical username, or null when there is none. */
  findUser(username: string): Promise<{ sub: string; username: string } | null>;
  /** Whether the password is the user's: a wrong one and an unknown user are both false. */
  checkPassword(input: { username: string; password: string }): Promise<boolean>;
  /** Idempotent: a user that is already gone is not an error. */
  deleteUser(username: string): Promise<void>;
  /** Mails a password-reset code to the account's email; an unknown account is no error (nothing is sent). */
  forgotPassword(username: string): Promise<void>;
  /**
   * Sets the new password if the code is the account's, then ends every session of the account (its refresh tokens
   * are revoked). Throws ValidationError for a wrong or expired code and for an unknown account alike.
   */
  resetPassword(input: { username: string; code: string; password: string }): Promise<void>;
  /** Marks the email unverified and has the provider mail `code` to it (functions/core/email-verification.ts). */
  sendVerificationCode(username: string, email: string, code: string): Promise<void>;
  /** Marks the email verified; ConflictError when another account has verified the same address. */
  markEmailVerified(username: string, email: string): Promise<void>;
  /** The account's email and whether it is verified (AdminGetUser alone), or null when the account is gone. */
  getEmail(username: string): Promise<{ email: string; verified: boolean } | null>;
  /** The account of this exact username (the token's), or null when it is gone. */
  getAccount(username: string): Promise<IdentityAccount | null>;
  /** Suspension: the user can neither sign in nor refresh, and every session ends. Idempotent. */
  suspendUser(username: string): Promise<void>;
  /** Lifts a suspension: the user can sign in again. Idempotent. */
  reinstateUser(username: string): Promise<void>;
  /** The user-pool groups of this exact username, read now; none for an unknown user. */
  groupsOf(username: string): Promise<string[]>;
}

/** What the identity provider holds about one account. */
export interface IdentityAccount {
  username: string;
  email: string;
  emailVerified: boolean;
  createdAt: Date;
  /** The user-pool groups the account is a member of. */
  groups: string[];
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** The league edit of one upload, as local files the caller uploads (docs/spec.md §4). */
export interface EditedVideo {
  videoPath: string;
  thumbnailPath: string;
  durationSeconds: number;
  width: number;
  height: number;
  sizeBytes: number;
}

/**
 * One stored object made readable by URL for the length of an edit: the static ffmpeg cannot resolve
 * S3's host name, so the worker serves the upload on loopback (docs/worker.md, "Reading the source").
 */
export interface ServedSource {
  /** http://127.0.0.1:<port>/<token>: an address, so ffmpeg needs no DNS. */
  readonly url: string;
  /** Bytes of the object sent to readers so far. */
  bytesSent(): number;
  /** The first storage error met while serving; an edit that read through it saw a broken file. */
  failure(): Error | undefined;
  /** Stops serving and aborts reads still in flight. */
  close(): Promise<void>;
}

export interface SourceServer {
  /** Serves that version (the current one without it); rejects when it does not exist. */
  serve(key: string, versionId?: string): Promise<ServedSource>;
}

/** What a processor needs to know of the task it edits. */
export interface EditInput {
  /** A URL or local path ffmpeg/ffprobe read the upload from. */
  source: string;
  /** An empty directory this attempt owns; the caller removes it. */
  workDir: string;
  deadline: Date;
  taskId: number;
  /** The upload's object key: a backend that reads the bucket itself (MediaConvert) starts from it. */
  sourceKey: string;
  /** The task's version of that key (docs/worker.md, "Single-use uploads"), when it recorded one. */
  sourceVersionId?: string;
  /** The attempt number (the delivery's receive count): with the task id it makes job creation idempotent. */
  attempt: number;
  /** The pilot's cut: where the clip starts in the source, and the poster's offset inside it. */
  cut: Cut;
  /** The revision being edited: where its outputs go, and what a backend's completion reports back. */
  revision: number;
}

/**
 * The edit was handed to an asynchronous backend (MediaConvert): the task stays `processing` until the
 * backend's completion event is recorded with {@link FinishedJob}.
 */
export interface SubmittedEdit {
  /** The stored job request, for the logs. */
  jobRequestKey: string;
}

export interface VideoProcessor {
  /**
   * Edits `source` into files under `workDir` (ffmpeg), or validates it and submits the edit to a
   * backend that finishes later (MediaConvert), stopping before `deadline`. Throws
   * PermanentProcessingError for a source that can never be edited (the task fails at once); any other
   * error is transient and worth another attempt.
   */
  edit(input: EditInput): Promise<EditedVideo | SubmittedEdit>;
}

/**
 * The final state an asynchronous backend reported for a task's job, in the core's terms. `sourceKey`
 * comes back with the job: it tells a deleted task (no row for that upload) from a finished one.
 */
export type FinishedJob =
  | {
      kind: 'complete';
      taskId: number;
      sourceKey: string;
      /** The revision the job edited: its outcome is recorded only while the task is still at it. */
      revision: number;
      videoKey: string;
      thumbnailKey: string;
      /** Outputs the backend had to write that the task does not keep (the logo frame capture). */
      discardKeys: string[];
      durationSeconds: number;
      width: number;
      height: number;
      processingMs: number;
    }
  | { kind: 'error'; taskId: number; sourceKey: string; revision: number; reason: string };
