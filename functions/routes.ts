/**
 * The one route table (docs/spec.md §7.2). The CDK API construct, the local gateway and
 * the OpenAPI document are all generated from it. `name` is the Lambda's entry file:
 * functions/api/<name>.ts exporting `handler`.
 */
export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/** API Gateway's throttling of one route: requests per second (steady) and at once (burst). */
export interface RouteThrottle {
  rateLimit: number;
  burstLimit: number;
}

export interface RouteDefinition {
  name: string;
  method: HttpMethod;
  /** API Gateway path syntax: `{id}` is a path parameter. */
  path: string;
  /** true: the Lambda authorizer must accept a Cognito access token first. */
  auth: boolean;
  /**
   * Only for the league's admins (docs/spec.md §10): the authorizer says whether the caller is in the admins group,
   * and the route's function (adminApiHandler) answers anyone else 403. Requires `auth`. @default false
   */
  admin?: true;
  /** Whether the function talks to PostgreSQL, and so runs inside the VPC. */
  database: boolean;
  /**
   * A rare route's own cap on concurrent instances (and so database connections), below the stack's
   * per-route reservation. @default - the stack's per-route reservation
   */
  reservedConcurrency?: number;
  summary: string;
  /**
   * Limits of this route for all callers together (HTTP APIs have no per-client throttling), below
   * Cognito's own quotas so floods end at the edge; without it the stage's default applies. Limits per client
   * address are `perClientRules` below.
   */
  throttle?: RouteThrottle;
}

/** Voting and withdrawing, each: a flood of one ends at the edge instead of in the database's connections. */
const VOTE_THROTTLE: RouteThrottle = { rateLimit: 25, burstLimit: 50 };

/**
 * Reserved concurrency of the public GETs: their answers are cached by the CDN (functions/core/public-cache.ts), so
 * the origin sees about one request per distinct URL per max-age, each a single indexed query of a few ms.
 */
const PUBLIC_READ_CONCURRENCY = 2;

/** The API stage's throttle for every route without its own `throttle`, all callers together. */
export const DEFAULT_STAGE_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const satisfies RouteThrottle;

export const routes = [
  {
    name: 'signup',
    method: 'POST',
    path: '/api/auth/signup',
    auth: false,
    database: false,
    summary: 'Create a pilot account',
    throttle: { rateLimit: 5, burstLimit: 10 },
  },
  {
    name: 'login',
    method: 'POST',
    path: '/api/auth/login',
    auth: false,
    database: false,
    summary: 'Log in with username or email',
    throttle: { rateLimit: 20, burstLimit: 40 },
  },
  {
    name: 'refresh',
    method: 'POST',
    path: '/api/auth/refresh',
    auth: false,
    database: false,
    summary: 'Exchange a refresh token for a new access token',
    throttle: { rateLimit: 20, burstLimit: 40 },
  },
  {
    name: 'logout',
    method: 'POST',
    path: '/api/auth/logout',
    auth: false,
    database: false,
    summary: "End a session: revoke its refresh token (and Cognito's access tokens issued with it)",
    throttle: { rateLimit: 20, burstLimit: 40 },
  },
  {
    name: 'forgot-password',
    method: 'POST',
    path: '/api/auth/password/forgot',
    auth: false,
    database: false,
    summary: 'Mail a password-reset code to the account (the same answer whether it exists or not)',
    // Each call can send an email: Cognito's default sender allows 50 a day for the whole pool (docs/infra.md).
    throttle: { rateLimit: 5, burstLimit: 10 },
  },
  {
    name: 'reset-password',
    method: 'POST',
    path: '/api/auth/password/reset',
    auth: false,
    database: false,
    summary: 'Set a new password with the mailed code; every session of the pilot ends',
    // Guessing codes: Cognito locks a user out after a few wrong ones, this bounds the attempts on all users.
    throttle: { rateLimit: 5, burstLimit: 10 },
  },
  {
    name: 'me',
    method: 'GET',
    path: '/api/auth/me',
    auth: true,
    // Cognito holds the account (email, verification, creation time, groups); Cognito is outside the VPC.
    database: false,
    summary: 'Who the caller is: username, email and whether it is verified, creation time, admin',
  },
  {
    name: 'verify-email',
    method: 'POST',
    path: '/api/auth/verify-email',
    auth: true,
    // Cognito holds the email's verified flag (outside the VPC); the code and the mirror are checked and written by
    // an in-VPC function this one invokes (docs/api.md, "Verifying the email").
    database: false,
    summary: "Verify the caller's email with the 6-digit code mailed to it",
    // Guessing: 5 wrong codes void a code (per account); this bounds the attempts on all accounts together.
    throttle: { rateLimit: 5, burstLimit: 10 },
  },
  {
    name: 'resend-verification',
    method: 'POST',
    path: '/api/auth/verify-email/resend',
    auth: true,
    database: false,
    summary: 'Mail a new verification code to the caller (one a minute, five a day per account)',
    // Each call can send an email: Cognito's default sender allows 50 a day for the whole pool (docs/infra.md).
    throttle: { rateLimit: 5, burstLimit: 10 },
  },
  {
    name: 'delete-account',
    method: 'DELETE',
    path: '/api/auth/me',
    auth: true,
    // Cognito is outside the VPC; the data is purged by an in-VPC function this one invokes (docs/api.md).
    database: false,
    summary: "Delete the caller's account and everything it owns (password required)",
    throttle: { rateLimit: 5, burstLimit: 10 },
  },
  {
    name: 'create-task',
    method: 'POST',
    path: '/api/tasks',
    auth: true,
    database: true,
    summary: 'Create a task and get a presigned upload',
  },
  {
    name: 'list-tasks',
    method: 'GET',
    path: '/api/tasks',
    auth: true,
    database: true,
    summary: "List the caller's tasks",
  },
  {
    name: 'get-task',
    method: 'GET',
    path: '/api/tasks/{id}',
    auth: true,
    database: true,
    summary: 'Get one task with download URLs',
  },
  {
    name: 'update-task',
    method: 'PATCH',
    path: '/api/tasks/{id}',
    auth: true,
    database: true,
    summary: 'Publish or unpublish a task in the public gallery',
    // The owner's switch and title edits: a few per pilot per day (docs/infra.md, "The connection budget").
    reservedConcurrency: 2,
  },
  {
    name: 'delete-task',
    method: 'DELETE',
    path: '/api/tasks/{id}',
    auth: true,
    database: true,
    summary: 'Delete a task and every object it owns',
    // One click per task, and the console deletes one at a time.
    reservedConcurrency: 2,
  },
  {
    name: 'start-multipart-upload',
    method: 'POST',
    path: '/api/tasks/{id}/multipart',
    auth: true,
    database: true,
    summary: 'Start a resumable (multipart) upload into a task awaiting its upload',
    // Once per upload (and per resume after a lost session): about 100 ms of S3 calls.
    reservedConcurrency: 1,
  },
  {
    name: 'sign-upload-parts',
    method: 'POST',
    path: '/api/tasks/{id}/multipart/{uploadId}/parts',
    auth: true,
    database: true,
    summary: 'Presign part uploads, each bound to its exact size',
    // A batch of part URLs per call, signed without an S3 request. 3: the console uploads three parts at once and
    // signs each just before its PUT (web/src/multipart.ts, CONCURRENCY); with 2, the third call was throttled and
    // API Gateway answered it 500, failing the upload (seen on the template-derived local stack).
    reservedConcurrency: 3,
  },
  {
    name: 'list-upload-parts',
    method: 'GET',
    path: '/api/tasks/{id}/multipart/{uploadId}/parts',
    auth: true,
    database: true,
    summary: 'List the parts stored so far (to resume)',
    // Only when an upload resumes.
    reservedConcurrency: 1,
  },
  {
    name: 'complete-multipart-upload',
    method: 'POST',
    path: '/api/tasks/{id}/multipart/{uploadId}/complete',
    auth: true,
    database: true,
    summary: 'Check the stored parts against the declared size and complete the upload',
    // Once per upload, but S3 may take seconds to assemble a large object.
    reservedConcurrency: 2,
  },
  {
    name: 'list-public-videos',
    method: 'GET',
    path: '/api/public/videos',
    auth: false,
    database: true,
    summary: 'Published videos, newest first',
    // Served through the CDN (Cache-Control: public): the origin sees one miss per page per max-age.
    reservedConcurrency: PUBLIC_READ_CONCURRENCY,
  },
  {
    name: 'get-public-video',
    method: 'GET',
    path: '/api/public/videos/{id}',
    auth: false,
    database: true,
    summary: 'One published video',
    reservedConcurrency: PUBLIC_READ_CONCURRENCY,
  },
  {
    name: 'record-view',
    method: 'POST',
    path: '/api/public/videos/{id}/views',
    auth: false,
    // Only a message to the views queue; its consumer writes inside the VPC (docs/infra.md, "Views").
    database: false,
    summary: 'Report a play of a video (counted once per viewer per day); 202 whatever the video',
    // Every play in every browser: above a vote's, below the stage's default, a bound on what one flood can queue.
    throttle: { rateLimit: 30, burstLimit: 60 },
  },
  {
    name: 'get-pilot',
    method: 'GET',
    path: '/api/public/pilots/{username}',
    auth: false,
    database: true,
    summary: "A pilot's page: standing and published videos, newest first",
    reservedConcurrency: PUBLIC_READ_CONCURRENCY,
  },
  {
    name: 'vote',
    method: 'POST',
    path: '/api/public/videos/{id}/vote',
    auth: true,
    database: true,
    summary: "Cast the caller's vote for a published video",
    throttle: VOTE_THROTTLE,
  },
  {
    name: 'withdraw-vote',
    method: 'DELETE',
    path: '/api/public/videos/{id}/vote',
    auth: true,
    database: true,
    summary: "Withdraw the caller's vote",
    // Withdrawing is rarer than voting; the throttle above bounds both.
    reservedConcurrency: 3,
    throttle: VOTE_THROTTLE,
  },
  {
    name: 'my-votes',
    method: 'GET',
    path: '/api/me/votes',
    auth: true,
    database: true,
    summary: 'Which of the given published videos the caller has voted for',
    // Once per gallery or pilot page a logged-in pilot opens: one primary-key lookup per id.
    reservedConcurrency: 3,
  },
  {
    name: 'rankings',
    method: 'GET',
    path: '/api/public/rankings',
    auth: false,
    database: true,
    summary: 'Pilots ranked by the votes on their published videos',
    reservedConcurrency: PUBLIC_READ_CONCURRENCY,
  },
  // Moderation (docs/spec.md §10). A rare pilot action and the admins' tools: one instance each, except reporting.
  {
    name: 'report-video',
    method: 'POST',
    path: '/api/public/videos/{id}/reports',
    auth: true,
    database: true,
    summary: 'Report a published video to the league (verified email; once per video)',
    reservedConcurrency: 2,
    throttle: { rateLimit: 5, burstLimit: 10 },
  },
  {
    name: 'admin-reports',
    method: 'GET',
    path: '/api/admin/reports',
    auth: true,
    admin: true,
    database: true,
    summary: 'Reported videos with their reports, oldest report first',
    reservedConcurrency: 1,
  },
  {
    name: 'hide-video',
    method: 'POST',
    path: '/api/admin/videos/{id}/hide',
    auth: true,
    admin: true,
    database: true,
    summary: 'Hide a video from the public side, with a reason its owner sees',
    reservedConcurrency: 1,
  },
  {
    name: 'restore-video',
    method: 'POST',
    path: '/api/admin/videos/{id}/restore',
    auth: true,
    admin: true,
    database: true,
    summary: 'Bring a hidden video back, with its votes',
    reservedConcurrency: 1,
  },
  {
    name: 'suspend-pilot',
    method: 'POST',
    path: '/api/admin/pilots/{username}/suspend',
    auth: true,
    admin: true,
    // Cognito is outside the VPC; the database half is an in-VPC function this one invokes (docs/api.md).
    database: false,
    summary: 'Suspend a pilot: no sign-in, sessions ended, videos hidden, votes withheld',
  },
  {
    name: 'reinstate-pilot',
    method: 'POST',
    path: '/api/admin/pilots/{username}/reinstate',
    auth: true,
    admin: true,
    database: false,
    summary: "Lift a pilot's suspension: sign-in, videos and votes come back",
  },
  {
    name: 'annul-votes',
    method: 'DELETE',
    path: '/api/admin/pilots/{username}/votes',
    auth: true,
    admin: true,
    database: true,
    summary: 'Delete every vote a pilot cast',
    reservedConcurrency: 1,
  },
  {
    name: 'audit-log',
    method: 'GET',
    path: '/api/admin/audit',
    auth: true,
    admin: true,
    database: true,
    summary: 'Every admin action: who, when, what, why; newest first',
    reservedConcurrency: 1,
  },
  {
    name: 'retry-task',
    method: 'POST',
    path: '/api/tasks/{id}/retry',
    auth: true,
    // SQS is outside the VPC; the transition is done by an in-VPC function this one invokes (docs/api.md).
    database: false,
    summary: 'Put a task that failed for a transient reason through processing again',
  },
  {
    name: 'health',
    method: 'GET',
    path: '/api/health',
    auth: false,
    database: true,
    summary: 'Service and database health',
    // Probes and the console waiting for a waking database: one short query each.
    reservedConcurrency: 1,
  },
  {
    name: 'openapi',
    method: 'GET',
    path: '/api/openapi.json',
    auth: false,
    database: false,
    summary: 'This API as an OpenAPI 3.1 document',
  },
  {
    name: 'share-page',
    method: 'GET',
    path: '/v/{id}',
    auth: false,
    database: true,
    summary: "A published video's lasting address: link-preview tags, then the console on the video",
    // Cached by the CDN like the public JSON answers (infra/constructs/cdn.ts).
    reservedConcurrency: PUBLIC_READ_CONCURRENCY,
  },
  {
    name: 'console',
    method: 'GET',
    path: '/',
    auth: false,
    database: false,
    summary: 'The web console (HTML page)',
  },
  {
    name: 'console-asset',
    method: 'GET',
    path: '/assets/{file}',
    auth: false,
    database: false,
    summary: "The web console's scripts, styles and icon",
  },
] as const satisfies readonly RouteDefinition[];

export type RouteName = (typeof routes)[number]['name'];

/** The evaluation windows AWS WAF's rate-based rules allow (seconds): a client's requests are counted over one of these. */
export const PER_CLIENT_WINDOWS_SECONDS = [60, 120, 300, 600] as const;
/** AWS WAF's lowest rate limit: a rule may not allow fewer requests than this per window. */
export const MIN_PER_CLIENT_LIMIT = 10;

/**
 * A limit per client address (SPEC §7: more accounts do not buy more attempts): at most `limit` requests in any
 * `windowSeconds` from one IP address to the rule's routes together; beyond it a 429 with `Retry-After`. Enforced by
 * the opt-in WAF web ACL on AWS (infra/constructs/waf.ts) and by the local gateway (infra/local/throttle.ts), both
 * from this one table (docs/api.md, "Per-client limits").
 */
export interface PerClientRule {
  /** Letters, digits and dashes: the WAF rule's name and metric, and the local gateway's counter. */
  name: string;
  limit: number;
  windowSeconds: (typeof PER_CLIENT_WINDOWS_SECONDS)[number];
  /**
   * Route keys (`METHOD /path`, API Gateway's syntax, `{name}` a path parameter) counted together. By path, not by
   * route name: a rule may name a route another branch adds, and it applies once that route exists.
   */
  routes: readonly string[];
}

/**
 * Shared addresses (a venue's Wi-Fi, a carrier's NAT) share one budget, so each limit leaves room for a club's
 * evening; the windows are WAF's longer ones (5 or 10 minutes), the longest a refused pilot ever waits.
 */
export const perClientRules = [
  // Accounts are what a script needs to vote more than once: 10 per 10 minutes from one address.
  { name: 'signup', limit: 10, windowSeconds: 600, routes: ['POST /api/auth/signup'] },
  // Password guessing across many accounts; a pilot's own typos stay far below it.
  { name: 'login', limit: 30, windowSeconds: 300, routes: ['POST /api/auth/login'] },
  // Each forgot mails a code (Cognito's default sender: 50 a day for the pool) and each reset guesses one.
  {
    name: 'password-reset',
    limit: 10,
    windowSeconds: 600,
    routes: ['POST /api/auth/password/forgot', 'POST /api/auth/password/reset'],
  },
  // The same for e-mail verification: a resend mails a code, a verify guesses one.
  {
    name: 'email-verification',
    limit: 10,
    windowSeconds: 600,
    routes: ['POST /api/auth/verify-email', 'POST /api/auth/verify-email/resend'],
  },
  // Voting through a whole gallery page stays far below; a farm of accounts on one address does not.
  {
    name: 'voting',
    limit: 100,
    windowSeconds: 300,
    routes: ['POST /api/public/videos/{id}/vote', 'DELETE /api/public/videos/{id}/vote'],
  },
] as const satisfies readonly PerClientRule[];

/** The body of a per-client refusal (a 429 whose `Retry-After` says when to try again), alike in both worlds. */
export const PER_CLIENT_REFUSAL_MESSAGE = 'Too many requests from your address. Please wait and try again.';

/**
 * How long API Gateway reuses the authorizer's answer for one Authorization header. The CDK API
 * construct configures it and the local gateway applies it, so both run the authorizer equally often.
 * Short: a cached answer can outlive the token's own expiry by this much, and the access token of a
 * logged-out session acts until it expires (docs/api.md, "Logout: how long a session outlives it").
 */
export const AUTHORIZER_CACHE_TTL_SECONDS = 60;
