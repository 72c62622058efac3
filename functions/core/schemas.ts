/**
 * Request and response schemas (zod 4). Requests are strict: an unknown field is a 400, so a typo
 * never silently drops a value. The same schemas generate the OpenAPI document, so the docs and the
 * validation cannot drift apart.
 */
import * as z from './zod';
import { MAX_TITLE_LENGTH, TASK_STATUSES } from './task';
import { DEFAULT_LEAGUE_FORMAT } from './league-format';
import { MAX_PARTS_PER_SIGNING } from './multipart';
import { RANKING_PERIODS } from './seasons';

const USERNAME = /^[A-Za-z0-9_.-]{3,32}$/;
// Cognito accepts passwords of at most 256 characters.
const MAX_PASSWORD = 256;
// Path separators, a drive/URL scheme colon, C0/C1 controls and bidi overrides (which can make
// "evil\u202Egpj.mp4" display as "evil4pm.jpg").
const FORBIDDEN_FILE_NAME_CHARS = /[/\\:\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
// video/<RFC 6838 subtype> or the generic binary type (matched after lower-casing).
const UPLOAD_CONTENT_TYPE = /^(?:video\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}|application\/octet-stream)$/;

/** The characters a password must contain (docs/spec.md §2), each with the message a pilot reads when it is missing. */
const PASSWORD_CHARACTER_RULES = [
  { range: 'A-Z', message: 'Must contain an upper-case letter' },
  { range: 'a-z', message: 'Must contain a lower-case letter' },
  { range: '0-9', message: 'Must contain a digit' },
] as const;

/**
 * The same rules as the OpenAPI document states them: one anchored pattern of lookaheads, which every JSON Schema
 * validator reads alike. Three patterns in an allOf were read differently: Stoplight Prism merges them into one
 * pattern no string matches. `[^A-Z]*[A-Z]` rather than `.*[A-Z]`: no backtracking, and no `.` that stops at a
 * line break.
 */
export const PASSWORD_PATTERN = `^${PASSWORD_CHARACTER_RULES.map(({ range }) => `(?=[^${range}]*[${range}])`).join('')}`;

/** A new password: checked rule by rule (each broken rule is its own message), documented as one pattern. */
const newPassword = z
  .string()
  .check(
    z.minLength(8, 'Must be at least 8 characters'),
    z.maxLength(MAX_PASSWORD, `Must be at most ${MAX_PASSWORD} characters`),
    z.superRefine((password, context) => {
      for (const { range, message } of PASSWORD_CHARACTER_RULES)
        if (!new RegExp(`[${range}]`).test(password))
          context.addIssue({ code: 'custom', message, input: password });
    }),
  )
  .register(z.globalRegistry, { pattern: PASSWORD_PATTERN });
const repeatedPassword = z.string().check(z.maxLength(MAX_PASSWORD));
/** password2 repeats password1. */
function passwordsMatch<T extends { password1: string; password2: string }>() {
  return z.refine<T>((body) => body.password1 === body.password2, {
    path: ['password2'],
    error: 'Passwords do not match',
  });
}
// Control characters and bidi overrides (a title is shown to everyone: no line breaks, no reordered text).
const FORBIDDEN_TITLE_CHARS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
const TITLE_LENGTH_MESSAGE = `Must be 1–${MAX_TITLE_LENGTH} characters`;

/**
 * A video's title (docs/spec.md §9): refused with a control character anywhere, then trimmed, then 1–80 characters
 * counted as code points (as PostgreSQL's char_length and JSON Schema's maxLength count them, not UTF-16 units).
 */
const title = z
  .string('Must be text')
  .check(
    z.refine((value) => !FORBIDDEN_TITLE_CHARS.test(value), {
      error: 'Must not contain control characters',
      abort: true,
    }),
    z.trim(),
    z.refine(
      (value) => value.length > 0 && Array.from(value).length <= MAX_TITLE_LENGTH,
      TITLE_LENGTH_MESSAGE,
    ),
  )
  .register(z.globalRegistry, {
    description: 'Shown in the gallery, on pilot pages and in shared links; no control characters',
    minLength: 1,
    maxLength: MAX_TITLE_LENGTH,
  });

export const signupRequest = z
  .strictObject({
    username: z.string().check(z.regex(USERNAME, 'Must be 3–32 characters of letters, digits, _ . -')),
    email: z.email('Must be a valid email address').check(z.maxLength(254), z.toLowerCase()),
    password1: newPassword,
    password2: repeatedPassword,
  })
  .check(passwordsMatch());
export type SignupRequest = z.infer<typeof signupRequest>;

/** A username or an email: what login, and the password reset, accept. */
const loginName = z
  .string()
  .check(z.minLength(1, 'Enter your username or email'), z.maxLength(254))
  .register(z.globalRegistry, { description: 'Username or email address' });

export const forgotPasswordRequest = z.strictObject({ username: loginName });
export type ForgotPasswordRequest = z.infer<typeof forgotPasswordRequest>;

export const resetPasswordRequest = z
  .strictObject({
    username: loginName,
    // Cognito's codes are 6 digits; its own limit on the field is 2048 characters of \S.
    code: z
      .string()
      .check(z.regex(/^[0-9]{6}$/, 'Must be the 6-digit code from the email'))
      .register(z.globalRegistry, { description: 'The code mailed by POST /api/auth/password/forgot' }),
    password1: newPassword,
    password2: repeatedPassword,
  })
  .check(passwordsMatch());
export type ResetPasswordRequest = z.infer<typeof resetPasswordRequest>;

/** The API's email codes, like Cognito's: 6 digits (functions/core/email-verification.ts). */
const verificationCode = z
  .string()
  .check(z.regex(/^[0-9]{6}$/, 'Must be the 6-digit code from the email'))
  .register(z.globalRegistry, {
    description: 'The code mailed at signup or by POST /api/auth/verify-email/resend',
  });

export const verifyEmailRequest = z.strictObject({ code: verificationCode });
export type VerifyEmailRequest = z.infer<typeof verifyEmailRequest>;

export const signupResponse = z.object({ username: z.string(), email: z.string() });
export type SignupResponse = z.infer<typeof signupResponse>;

export const meResponse = z.object({
  username: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  createdAt: z.iso.datetime(),
  admin: z
    .boolean()
    .register(z.globalRegistry, { description: "Whether the caller is in the stack's league-admins group" }),
});
export type MeResponse = z.infer<typeof meResponse>;

export const loginRequest = z.strictObject({
  username: loginName,
  password: z.string().check(z.minLength(1, 'Enter your password'), z.maxLength(MAX_PASSWORD)),
});
export type LoginRequest = z.infer<typeof loginRequest>;

export const deleteAccountRequest = z.strictObject({
  password: z
    .string()
    .check(z.minLength(1), z.maxLength(MAX_PASSWORD))
    .register(z.globalRegistry, { description: "The account's password, entered again" }),
});
export type DeleteAccountRequest = z.infer<typeof deleteAccountRequest>;

const sub = z.string().check(z.minLength(1), z.maxLength(128));

/** The in-VPC purge's event (functions/ops/purge-account.ts): whose data to remove. */
export const purgeAccountEvent = z.strictObject({ sub });
export type PurgeAccountEvent = z.infer<typeof purgeAccountEvent>;

/** The in-VPC purge's result. */
export const purgeResult = z.object({ tasks: z.int().check(z.nonnegative()) });

export const refreshRequest = z.strictObject({
  refresh_token: z.string().check(z.minLength(1), z.maxLength(8192)),
});
export type RefreshRequest = z.infer<typeof refreshRequest>;

export const tokenResponse = z.object({
  access_token: z.string(),
  refresh_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.int().register(z.globalRegistry, { description: 'Seconds until the access token expires' }),
});
export type TokenResponse = z.infer<typeof tokenResponse>;

/**
 * The latest start a clip may ask for: 24 h of source, far beyond any upload the size limit admits. The real bound
 * is the source's own duration, which only the worker's probe knows (a start past it fails the edit, saying so).
 */
export const MAX_CLIP_START_SECONDS = 86_400;
const CLIP_SECONDS = DEFAULT_LEAGUE_FORMAT.maxSourceSeconds;

const clip = z.strictObject({
  startSeconds: z
    .number('Must be a number of seconds')
    .check(
      z.minimum(0, 'Must be at least 0'),
      z.maximum(MAX_CLIP_START_SECONDS, `Must be at most ${MAX_CLIP_START_SECONDS}`),
    )
    .register(z.globalRegistry, {
      description: `Where the edit's ${CLIP_SECONDS} s of source start, in seconds (default 0)`,
    }),
});

const posterSeconds = z
  .number('Must be a number of seconds')
  .check(
    z.minimum(0, 'Must be at least 0'),
    z.lt(CLIP_SECONDS, `Must be less than ${CLIP_SECONDS} (an offset inside the clip)`),
  )
  .register(z.globalRegistry, {
    description: 'The poster frame, in seconds from the start of the clip (default 0)',
  });

export const createTaskRequest = z.strictObject({
  fileName: z
    .string()
    .check(
      z.minLength(1, { error: 'Must not be empty', abort: true }),
      z.maxLength(255, { error: 'Must be at most 255 characters', abort: true }),
      z.refine(
        (name) => !FORBIDDEN_FILE_NAME_CHARS.test(name),
        'Must not contain / \\ : or control characters',
      ),
      z.refine((name) => name.trim() !== '' && name !== '.' && name !== '..', 'Must be a file name'),
    )
    .register(z.globalRegistry, { description: 'Display name only; the object key is chosen by the server' }),
  contentType: z
    .string()
    .check(z.toLowerCase(), z.regex(UPLOAD_CONTENT_TYPE, 'Must be video/* or application/octet-stream')),
  size: z
    .int('Must be a positive integer')
    .check(z.positive('Must be a positive integer'))
    .register(z.globalRegistry, { description: 'Bytes; the upload is capped to this size' }),
  public: z.optional(
    z.boolean('Must be true or false').register(z.globalRegistry, {
      description: 'Show the edited video in the public gallery (default true)',
    }),
  ),
  clip: z.optional(clip),
  posterSeconds: z.optional(posterSeconds),
  title: z.optional(title),
});
export type CreateTaskRequest = z.infer<typeof createTaskRequest>;

/**
 * The owner's changes, at least one field; each one present is applied, the others stay. The publish switch and
 * the title answer 200; a new cut, `clip` and/or `posterSeconds`, edits a processed task again from its stored
 * original (202).
 */
export const updateTaskRequest = z
  .strictObject({
    public: z.optional(z.boolean('Must be true or false')),
    title: z.optional(title),
    clip: z.optional(clip),
    posterSeconds: z.optional(posterSeconds),
  })
  .check(
    z.refine(
      (body) => Object.keys(body).length > 0,
      'Send at least one of public, title, clip, posterSeconds',
    ),
  );
export type UpdateTaskRequest = z.infer<typeof updateTaskRequest>;

const decimal = (message: string) =>
  z.pipe(z.string().check(z.regex(/^[0-9]{1,15}$/, message)), z.transform(Number));

/** A page size parameter: 1 to 100 (docs/spec.md §2 and §5). */
const pageSize = z.optional(
  z.pipe(
    decimal('Must be an integer from 1 to 100'),
    z
      .int()
      .check(
        z.minimum(1, 'Must be an integer from 1 to 100'),
        z.maximum(100, 'Must be an integer from 1 to 100'),
      ),
  ),
);

export const listTasksQuery = z.strictObject({
  max: pageSize,
  order: z.optional(z.enum(['0', '1'], 'Must be 0 (ascending) or 1 (descending)')),
  cursor: z.optional(
    z.pipe(
      decimal('Must be the nextCursor of a previous page'),
      z.int().check(z.positive('Must be the nextCursor of a previous page')),
    ),
  ),
});
export type ListTasksQueryInput = z.infer<typeof listTasksQuery>;

const taskId = z.pipe(
  decimal('Must be a positive integer'),
  z.int().check(z.positive('Must be a positive integer')),
);

export const taskIdParameters = z.strictObject({ id: taskId });

export const uploadParameters = z.strictObject({
  id: taskId,
  // S3 upload ids are opaque URL-safe strings; the bound keeps a path parameter from being a payload.
  uploadId: z.string().check(z.regex(/^[A-Za-z0-9._~-]{1,1024}$/, 'Must be an upload id from this API')),
});

const GALLERY_CURSOR = /^([0-9]{1,15})-([0-9]{1,15})$/;

const galleryCursorParameter = z.optional(
  z.pipe(
    z.string().check(z.regex(GALLERY_CURSOR, 'Must be the nextCursor of a previous page')),
    z.transform((cursor) => {
      const [, publishedAt, id] = GALLERY_CURSOR.exec(cursor) ?? [];
      return { publishedAt: new Date(Number(publishedAt)), id: Number(id) };
    }),
  ),
);

export const publicVideosQuery = z.strictObject({ max: pageSize, cursor: galleryCursorParameter });

/** A pilot's page: usernames as signup allows them (compared case-insensitively). */
export const pilotParameters = z.strictObject({
  username: z.string().check(z.regex(USERNAME, 'Must be 3–32 characters of letters, digits, _ . -')),
});

/** The gallery's opaque cursor: the last video's publish time (ms) and id, parsed by publicVideosQuery. */
export function galleryCursor(video: { publishedAt: Date; id: number }): string {
  return `${video.publishedAt.getTime()}-${video.id}`;
}

/**
 * The deepest rankings page: every offset is a query of its own for PostgreSQL (OFFSET n sorts and skips n rows)
 * and a cache key of its own for the CDN, so an unbounded offset lets one client keep both busy with distinct,
 * never-cached requests. 10 000 is 100 pages of the largest page, deeper than anyone reads a league table.
 */
export const MAX_RANKINGS_OFFSET = 10_000;
/** At most this many ids per GET /api/me/votes: a gallery page holds fewer (docs/spec.md §9). */
export const MAX_VOTE_STATE_IDS = 100;
const VOTE_STATE_IDS = /^[0-9]{1,15}(,[0-9]{1,15})*$/;
const VOTE_STATE_IDS_MESSAGE = `Must be 1–${MAX_VOTE_STATE_IDS} video ids, separated by commas`;

export const myVotesQuery = z.strictObject({
  ids: z.pipe(
    z
      .string(VOTE_STATE_IDS_MESSAGE)
      .check(z.regex(VOTE_STATE_IDS, VOTE_STATE_IDS_MESSAGE))
      .register(z.globalRegistry, {
        description: 'Comma-separated video ids, at most 100',
        example: '12,7,3',
      }),
    z.transform((ids, context) => {
      const unique = [...new Set(ids.split(',').map(Number))];
      if (unique.length > MAX_VOTE_STATE_IDS || unique.includes(0))
        context.issues.push({ code: 'custom', message: VOTE_STATE_IDS_MESSAGE, input: ids });
      return unique;
    }),
  ),
});

export const myVotesResponse = z.object({
  data: z.array(z.int()).register(z.globalRegistry, {
    description: 'The given ids of published videos the caller has voted for, ascending',
  }),
});
export type MyVotesResponse = z.infer<typeof myVotesResponse>;

export const rankingsQuery = z.strictObject({
  limit: pageSize,
  offset: z.optional(
    z.pipe(
      decimal(`Must be an integer from 0 to ${MAX_RANKINGS_OFFSET}`),
      z.int().check(z.maximum(MAX_RANKINGS_OFFSET, `Must be an integer from 0 to ${MAX_RANKINGS_OFFSET}`)),
    ),
  ),
  period: z.optional(
    z.enum(RANKING_PERIODS, `Must be one of ${RANKING_PERIODS.join(', ')}`).register(z.globalRegistry, {
      description:
        'Which votes count: cast in the last 7 or 30 UTC days (today included), in the current season, or ever (the default)',
    }),
  ),
});
export const multipartUploadResponse = z.object({
  uploadId: z.string(),
  partBytes: z.int().register(z.globalRegistry, {
    description: 'Every part but the last has exactly this size; part n covers bytes (n-1)·partBytes …',
  }),
  partCount: z.int(),
  maxBytes: z.int(),
});
export type MultipartUploadResponse = z.infer<typeof multipartUploadResponse>;

export const signPartsRequest = z.strictObject({
  partNumbers: z
    .array(z.int().check(z.positive('Must be positive part numbers')))
    .check(
      z.minLength(1, 'Must list at least one part'),
      z.maxLength(MAX_PARTS_PER_SIGNING, `Must list at most ${MAX_PARTS_PER_SIGNING} parts`),
    ),
});

export const signedPartsResponse = z.object({
  parts: z.array(
    z.object({
      partNumber: z.int(),
      url: z.url(),
      sizeBytes: z.int().register(z.globalRegistry, {
        description: 'The Content-Length the URL is signed for; any other size is refused',
      }),
    }),
  ),
  expiresAt: z.iso.datetime(),
});
export type SignedPartsResponse = z.infer<typeof signedPartsResponse>;

export const uploadedPartsResponse = z.object({
  parts: z.array(z.object({ partNumber: z.int(), sizeBytes: z.int(), etag: z.string() })),
});
export type UploadedPartsResponse = z.infer<typeof uploadedPartsResponse>;

const url = z.object({ url: z.url() });

export const taskResponse = z.object({
  id: z.int(),
  fileName: z.string(),
  title: z.string(),
  status: z.enum(TASK_STATUSES),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  failureReason: z.optional(z.string()),
  /** On failed tasks: whether POST /api/tasks/{id}/retry can put it through the pipeline again. */
  retryable: z.optional(z.boolean()),
  original: z.optional(url),
  processed: z.optional(
    z.object({
      url: z.url().register(z.globalRegistry, { description: 'Downloads as an attachment' }),
      playbackUrl: z.url().register(z.globalRegistry, { description: 'Plays inline (video element)' }),
      durationSeconds: z.number(),
      width: z.int(),
      height: z.int(),
      sizeBytes: z.int(),
    }),
  ),
  thumbnail: z.optional(url),
  public: z.boolean(),
  votes: z.int(),
  clip: z.object({ startSeconds: z.number() }),
  posterSeconds: z.number(),
  revision: z.int().register(z.globalRegistry, { description: '1 for the first edit, +1 per re-cut' }),
  hidden: z.optional(
    z
      .object({ reason: z.string() })
      .register(z.globalRegistry, { description: 'Hidden from the public side by the league, and why' }),
  ),
});
export type TaskResponse = z.infer<typeof taskResponse>;

export const createdTaskResponse = z.extend(taskResponse, {
  upload: z.object({
    url: z.url(),
    fields: z.record(z.string(), z.string()),
    expiresAt: z.iso.datetime(),
    maxBytes: z.int(),
  }),
});
export type CreatedTaskResponse = z.infer<typeof createdTaskResponse>;

export const taskListResponse = z.object({ data: z.array(taskResponse), nextCursor: z.optional(z.string()) });
export type TaskListResponse = z.infer<typeof taskListResponse>;

const pilot = z.object({ username: z.string() });

export const publicVideoResponse = z.object({
  id: z.int(),
  title: z.string(),
  pilot,
  votes: z.int(),
  views: z.int().register(z.globalRegistry, { description: 'Plays, counted once per viewer per day' }),
  publishedAt: z.iso.datetime(),
  durationSeconds: z.number(),
  video: url,
  thumbnail: url,
});
export type PublicVideoResponse = z.infer<typeof publicVideoResponse>;

export const publicVideoListResponse = z.object({
  data: z.array(publicVideoResponse),
  nextCursor: z.optional(z.string()),
});
export type PublicVideoListResponse = z.infer<typeof publicVideoListResponse>;

export const pilotPageResponse = z.object({
  pilot,
  rank: z.int().register(z.globalRegistry, { description: '1 + the number of pilots with more votes' }),
  votes: z.int(),
  videos: publicVideoListResponse,
});
export type PilotPageResponse = z.infer<typeof pilotPageResponse>;

export const voteResponse = z.object({ id: z.int(), votes: z.int() });
export type VoteResponse = z.infer<typeof voteResponse>;

export const rankingsResponse = z.object({
  data: z.array(
    z.object({
      rank: z.int().register(z.globalRegistry, { description: '1 + the number of pilots with more votes' }),
      pilot,
      votes: z.int(),
      videos: z.int(),
    }),
  ),
  total: z.int().register(z.globalRegistry, { description: 'Pilots with at least one published video' }),
  period: z.enum(RANKING_PERIODS),
  since: z.optional(
    z.iso.date().register(z.globalRegistry, {
      description: 'The first day (from 00:00 UTC) whose votes count; absent when every vote counts',
    }),
  ),
});
export type RankingsResponse = z.infer<typeof rankingsResponse>;

export const healthResponse = z.object({
  status: z.enum(['ok', 'unavailable']),
  database: z.enum(['ok', 'resuming', 'unreachable']),
});
export type HealthResponse = z.infer<typeof healthResponse>;

export const errorResponse = z.object({
  message: z.string(),
  errors: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
});

/* The functions inside the VPC that the retry route and the scheduled sweep invoke (docs/architecture.md, "The
   VPC boundary"): their events, and their results as the callers check them. */

const invokedTaskId = z.int().check(z.positive());

const invokedCaller = z.strictObject({ sub, username: z.string().check(z.minLength(1), z.maxLength(128)) });

/** functions/ops/retry-transition.ts: begin a retry, or revert one whose upload could not be queued. */
export const retryTransitionEvent = z.strictObject({
  action: z.enum(['begin', 'revert']),
  caller: invokedCaller,
  id: invokedTaskId,
});
export type RetryTransitionEvent = z.infer<typeof retryTransitionEvent>;

const queuedUpload = z.object({
  taskId: invokedTaskId,
  key: z.string().check(z.minLength(1)),
  sizeBytes: z.int().check(z.nonnegative()),
  /** The version the message names (docs/worker.md, "Single-use uploads"); absent for an unversioned object. */
  versionId: z.optional(z.string().check(z.minLength(1))),
});

export const retryStartResult = z.object({ task: taskResponse, upload: queuedUpload });

/** functions/ops/email-codes.ts: issue a code, check one, or record the verified email (its three steps). */
export const emailCodeEvent = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('issue'), caller: invokedCaller }),
  z.strictObject({ action: z.literal('check'), caller: invokedCaller, code: verificationCode }),
  z.strictObject({ action: z.literal('mark-verified'), caller: invokedCaller }),
]);
export type EmailCodeEvent = z.infer<typeof emailCodeEvent>;

export const issuedCodeResult = z.object({ code: verificationCode });

/**
 * functions/ops/sweep-tasks.ts: `{}` runs the sweep (the schedule's own event stays with the function outside);
 * `{ requeued }` records the sends of the recovered uploads SQS accepted.
 */
export const sweepEvent = z.union([
  z.strictObject({}),
  z.strictObject({ requeued: z.array(invokedTaskId).check(z.maxLength(1000)) }),
]);
export type SweepEvent = z.infer<typeof sweepEvent>;

export const sweepReportResult = z.object({
  recovered: z.array(queuedUpload),
  unrecorded: z.array(invokedTaskId),
  expired: z.array(invokedTaskId),
  aborted: z.int().check(z.nonnegative()),
  stalled: z.array(invokedTaskId),
  purged: z.array(invokedTaskId),
  // Absent from a sweep of the release before the fair worker (a deploy replaces the two halves one at a time).
  unparked: z._default(z.array(queuedUpload), []),
});

/* Moderation (docs/spec.md §10, docs/api.md "Moderation"). */

export const REPORT_REASONS = ['spam', 'abuse', 'not-a-race', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
/** A report's optional words; the admin's reason for an action. Both are shown to other people. */
export const MAX_REPORT_TEXT = 500;
export const MAX_MODERATION_REASON = 300;
// Line breaks are fine in a report's words; other control characters and bidi overrides never are.
const FORBIDDEN_NOTE_CHARS = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

function note(maxLength: number, options: { lineBreaks: boolean }) {
  return z
    .string('Must be text')
    .check(
      z.refine(
        (value) => !FORBIDDEN_NOTE_CHARS.test(options.lineBreaks ? value.replace(/\r?\n/g, '') : value),
        { error: 'Must not contain control characters', abort: true },
      ),
      z.trim(),
      z.refine(
        (value) => value.length > 0 && Array.from(value).length <= maxLength,
        `Must be 1–${maxLength} characters`,
      ),
    )
    .register(z.globalRegistry, { minLength: 1, maxLength });
}

export const reportRequest = z.strictObject({
  reason: z.enum(REPORT_REASONS, `Must be one of ${REPORT_REASONS.join(', ')}`),
  text: z.optional(note(MAX_REPORT_TEXT, { lineBreaks: true })),
});
export type ReportRequest = z.infer<typeof reportRequest>;

export const reportResponse = z.object({
  video: z.object({ id: z.int() }),
  reason: z.enum(REPORT_REASONS),
  createdAt: z.iso.datetime(),
});
export type ReportResponse = z.infer<typeof reportResponse>;

/** hide, suspend, annul: the admin says why; the owner reads it (hide), the audit log keeps it. */
export const moderationRequest = z.strictObject({
  reason: note(MAX_MODERATION_REASON, { lineBreaks: false }),
});
export type ModerationRequest = z.infer<typeof moderationRequest>;

export const REPORT_STATUSES = ['open', 'closed'] as const;

export const adminReportsQuery = z.strictObject({
  status: z.optional(z.enum(REPORT_STATUSES, 'Must be open or closed')),
  max: pageSize,
});

export const adminReportsResponse = z.object({
  data: z.array(
    z.object({
      video: z.object({
        id: z.int(),
        title: z.string(),
        pilot,
        hidden: z.optional(z.object({ reason: z.string() })),
        published: z.boolean(),
      }),
      reports: z.array(
        z.object({
          reporter: pilot,
          reason: z.enum(REPORT_REASONS),
          text: z.optional(z.string()),
          createdAt: z.iso.datetime(),
        }),
      ),
    }),
  ),
});
export type AdminReportsResponse = z.infer<typeof adminReportsResponse>;

export const AUDIT_ACTIONS = ['hide', 'restore', 'suspend', 'reinstate', 'annul-votes'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const auditQuery = z.strictObject({
  max: pageSize,
  cursor: z.optional(
    z.pipe(
      decimal('Must be the nextCursor of a previous page'),
      z.int().check(z.positive('Must be the nextCursor of a previous page')),
    ),
  ),
});

export const auditResponse = z.object({
  data: z.array(
    z.object({
      id: z.int(),
      at: z.iso.datetime(),
      admin: pilot,
      action: z.enum(AUDIT_ACTIONS),
      target: z.union([z.object({ video: z.object({ id: z.int() }) }), z.object({ pilot })]),
      reason: z.optional(z.string()),
      votes: z.optional(
        z.int().register(z.globalRegistry, { description: 'annul-votes: how many votes were deleted' }),
      ),
    }),
  ),
  nextCursor: z.optional(z.string()),
});
export type AuditResponse = z.infer<typeof auditResponse>;

/** functions/ops/pilot-standing.ts: record a suspension (reason set) or a reinstatement (reason null). */
export const pilotStandingEvent = z.strictObject({
  sub,
  username: z.string(),
  admin: z.string(),
  suspension: z.nullable(z.strictObject({ reason: z.string() })),
});
export type PilotStandingEvent = z.infer<typeof pilotStandingEvent>;
export const pilotStandingResult = z.object({ changed: z.boolean() });
