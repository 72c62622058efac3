/**
 * Client for the public REST API (docs/spec.md §2), and nothing else: the console has no private back door.
 * Wire types are declared here, as the API's clients see them, not imported from the server.
 */
import type { Session, Tokens } from './session';

export type TaskStatus = 'awaiting_upload' | 'uploaded' | 'processing' | 'processed' | 'failed';

export interface FieldError {
  field: string;
  message: string;
}

export interface Task {
  id: number;
  fileName: string;
  title: string;
  status: TaskStatus;
  createdAt: string;
  updatedAt: string;
  failureReason?: string | null;
  /** On failed tasks: whether retryTask can put it through processing again. */
  retryable?: boolean;
  original?: { url: string };
  processed?: {
    url: string;
    playbackUrl: string;
    durationSeconds: number;
    width: number;
    height: number;
    sizeBytes: number;
  };
  thumbnail?: { url: string };
  public: boolean;
  votes: number;
  /** The pilot's cut (docs/api.md, "The pilot's cut"): where the 16 s start, and the poster's offset in them. */
  clip: { startSeconds: number };
  posterSeconds: number;
  /** 1 for the first edit, +1 per re-cut. */
  revision: number;
  /** Hidden from the public side by the league's admins, and why (docs/api.md, "Moderation"). */
  hidden?: { reason: string };
}

/** What a cut sends: the clip's start in the source and the poster's offset inside the clip, in seconds. */
export interface Cut {
  clip: { startSeconds: number };
  posterSeconds: number;
}

/** A published video as everyone sees it (docs/spec.md §5): no private field. */
export interface PublicVideo {
  id: number;
  title: string;
  pilot: { username: string };
  votes: number;
  /** Plays, counted once per viewer per day. */
  views: number;
  publishedAt: string;
  durationSeconds: number;
  video: { url: string };
  thumbnail: { url: string };
}

export interface PublicVideoPage {
  data: PublicVideo[];
  nextCursor?: string;
}

export interface PilotPage {
  pilot: { username: string };
  rank: number;
  votes: number;
  videos: PublicVideoPage;
}

export interface Standing {
  rank: number;
  pilot: { username: string };
  votes: number;
  videos: number;
}

/** The rankings' periods (docs/api.md, "Rankings by period"): the last 7 or 30 UTC days, the season, all time. */
export const RANKING_PERIODS = ['week', 'month', 'season', 'all'] as const;
export type RankingPeriod = (typeof RANKING_PERIODS)[number];

export interface RankingsPage {
  data: Standing[];
  total: number;
  period: RankingPeriod;
  /** The first day (UTC) whose votes count; absent when every vote counts. */
  since?: string;
}

export interface UploadTicket {
  url: string;
  fields: Record<string, string>;
  expiresAt: string;
  maxBytes: number;
}

export interface CreatedTask extends Task {
  upload: UploadTicket;
}

/** The part plan of a multipart upload (docs/api.md, "Resumable upload"). */
export interface MultipartUpload {
  uploadId: string;
  partBytes: number;
  partCount: number;
  maxBytes: number;
}

export interface SignedPart {
  partNumber: number;
  url: string;
  sizeBytes: number;
}

export interface StoredPart {
  partNumber: number;
  sizeBytes: number;
}

export interface TaskPage {
  data: Task[];
  nextCursor?: string;
}

export interface Me {
  username: string;
  email: string;
  emailVerified: boolean;
  createdAt: string;
  admin: boolean;
}

/** Why a video is reported (docs/api.md, "Moderation"). */
export const REPORT_REASONS = ['spam', 'abuse', 'not-a-race', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
/** The longest report text the API accepts, in characters. */
export const MAX_REPORT_TEXT = 500;
/** The longest reason an admin may give for an action, in characters. */
export const MAX_MODERATION_REASON = 300;

/** One video of the admins' report queue, with its reports oldest first. */
export interface ReportedVideo {
  video: {
    id: number;
    title: string;
    pilot: { username: string };
    published: boolean;
    hidden?: { reason: string };
  };
  reports: { reporter: { username: string }; reason: ReportReason; text?: string; createdAt: string }[];
}

export type AuditAction = 'hide' | 'restore' | 'suspend' | 'reinstate' | 'annul-votes';

export interface AuditEntry {
  id: number;
  at: string;
  admin: { username: string };
  action: AuditAction;
  target: { video: { id: number } } | { pilot: { username: string } };
  reason?: string;
  /** annul-votes: how many votes were deleted. */
  votes?: number;
}

export interface AuditPage {
  data: AuditEntry[];
  nextCursor?: string;
}

export interface SignUpInput {
  username: string;
  email: string;
  password1: string;
  password2: string;
}

/**
 * The API answered with an error status; `errors` carries per-field messages for 400 and 409, and
 * `retryAfterSeconds` the Retry-After of a 503 while the database wakes up or of a 429 past a daily limit.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldError[] = [],
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** A database that pauses when the league is quiet is resuming (about 15 s): not a failure. */
  get wakingUp(): boolean {
    return this.status === 503 && this.retryAfterSeconds !== null;
  }
}

/** How the client waits out a database that is waking up (503 with Retry-After). */
export interface WakeOptions {
  /** Told `true` when the API says the database is waking up, `false` once it answers again. */
  onWaking?: (waking: boolean) => void;
  /** Waits before the 503 is handed to the view. @default 4 */
  maxWaits?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** The request never got an answer (offline, DNS, connection reset). */
export class NetworkError extends Error {
  constructor(options?: ErrorOptions) {
    super('The service could not be reached.', options);
    this.name = 'NetworkError';
  }
}

/** The refresh token was refused too: the pilot has to log in again. */
export class SessionExpiredError extends ApiError {
  constructor() {
    super(401, 'Your session has expired. Please log in again.');
    this.name = 'SessionExpiredError';
  }
}

const TASK_PAGE_SIZE = 50;
export const GALLERY_PAGE_SIZE = 24;
export const RANKINGS_PAGE_SIZE = 20;
export const AUDIT_PAGE_SIZE = 20;

interface LoginResponse {
  access_token: string;
  refresh_token?: string;
}

export class ApiClient {
  /** One refresh at a time: concurrent 401s (list poll + detail) share it. */
  private refreshing: Promise<void> | null = null;

  constructor(
    private readonly session: Session,
    private readonly fetchFn: typeof fetch = (input, init) => fetch(input, init),
    private readonly wake: WakeOptions = {},
  ) {}

  async signUp(input: SignUpInput): Promise<void> {
    await this.send('POST', '/api/auth/signup', input);
  }

  async logIn(login: string, password: string): Promise<void> {
    const tokens = (await this.send('POST', '/api/auth/login', {
      username: login,
      password,
    })) as LoginResponse;
    this.session.set({
      accessToken: tokens.access_token,
      refreshToken: tokens.refresh_token ?? '',
      login: usernameOf(tokens.access_token) ?? login,
    });
  }

  /** 202 whether or not the account exists: a code goes to its email if it does. */
  async forgotPassword(username: string): Promise<void> {
    await this.send('POST', '/api/auth/password/forgot', { username });
  }

  /** The pilot's sessions end on the server, this browser's included (it holds none while logged out). */
  async resetPassword(input: {
    username: string;
    code: string;
    password1: string;
    password2: string;
  }): Promise<void> {
    await this.send('POST', '/api/auth/password/reset', input);
  }

  /**
   * Ends the session on the server (its refresh token is revoked), then forgets the tokens here. They are forgotten
   * even when the revocation fails, which is rethrown so the pilot can be told the session was not ended.
   */
  async logOut(): Promise<void> {
    const tokens = this.session.get();
    try {
      if (tokens !== null && tokens.refreshToken !== '')
        await this.send('POST', '/api/auth/logout', { refresh_token: tokens.refreshToken });
    } finally {
      this.session.clear();
    }
  }

  /** Who the caller is: what GET /api/auth/me answers (the console reads emailVerified). */
  me(): Promise<Me> {
    return this.authorized('GET', '/api/auth/me') as Promise<Me>;
  }

  /** 204: the email is verified; a wrong or expired code is a 400 on `code`. */
  async verifyEmail(code: string): Promise<void> {
    await this.authorized('POST', '/api/auth/verify-email', { code });
  }

  /** 202: a new code is on its way; 429 within a minute of the last one (Retry-After). */
  async resendVerificationCode(): Promise<void> {
    await this.authorized('POST', '/api/auth/verify-email/resend');
  }

  /** Deletes the account and everything it owns; the session ends with it. */
  async deleteAccount(password: string): Promise<void> {
    await this.authorized('DELETE', '/api/auth/me', { password });
    this.session.clear();
  }

  createTask(
    file: {
      fileName: string;
      contentType: string;
      size: number;
      public: boolean;
      title?: string;
    } & Partial<Cut>,
  ): Promise<CreatedTask> {
    return this.authorized('POST', '/api/tasks', file) as Promise<CreatedTask>;
  }

  listTasks(cursor?: string): Promise<TaskPage> {
    const query = new URLSearchParams({ max: String(TASK_PAGE_SIZE), order: '1' });
    if (cursor !== undefined) query.set('cursor', cursor);
    return this.authorized('GET', `/api/tasks?${query.toString()}`) as Promise<TaskPage>;
  }

  getTask(id: number): Promise<Task> {
    return this.authorized('GET', `/api/tasks/${id}`) as Promise<Task>;
  }

  async deleteTask(id: number): Promise<void> {
    await this.authorized('DELETE', `/api/tasks/${id}`);
  }

  setPublic(id: number, isPublic: boolean): Promise<Task> {
    return this.authorized('PATCH', `/api/tasks/${id}`, { public: isPublic }) as Promise<Task>;
  }

  renameTask(id: number, title: string): Promise<Task> {
    return this.authorized('PATCH', `/api/tasks/${id}`, { title }) as Promise<Task>;
  }

  /**
   * Re-cuts a processed (or failed) task from its stored original. 202: the task is back in 'uploaded' at its next
   * revision; 200 with the same revision: that was already the cut, nothing starts. 409 while it is edited, 429
   * (with Retry-After) past the daily re-cuts: ApiError.
   */
  changeCut(id: number, cut: Cut): Promise<Task> {
    return this.authorized('PATCH', `/api/tasks/${id}`, cut) as Promise<Task>;
  }

  /** Public: sent without a token, so the answer is the shared, cacheable one. */
  listPublicVideos(cursor?: string): Promise<PublicVideoPage> {
    const query = new URLSearchParams({ max: String(GALLERY_PAGE_SIZE) });
    if (cursor !== undefined) query.set('cursor', cursor);
    return this.send('GET', `/api/public/videos?${query.toString()}`) as Promise<PublicVideoPage>;
  }

  /** One published video with fresh media URLs: what its lasting link (#/gallery/{id}) shows. */
  getPublicVideo(id: number): Promise<PublicVideo> {
    return this.send('GET', `/api/public/videos/${id}`) as Promise<PublicVideo>;
  }

  /** Public, cacheable: a pilot's standing and a page of their published videos. */
  pilot(username: string, cursor?: string): Promise<PilotPage> {
    const query = new URLSearchParams({ max: String(GALLERY_PAGE_SIZE) });
    if (cursor !== undefined) query.set('cursor', cursor);
    const path = `/api/public/pilots/${encodeURIComponent(username)}?${query.toString()}`;
    return this.send('GET', path) as Promise<PilotPage>;
  }

  rankings(offset: number, period: RankingPeriod = 'all'): Promise<RankingsPage> {
    const query = new URLSearchParams({ limit: String(RANKINGS_PAGE_SIZE), offset: String(offset) });
    // The default period stays out of the address: the CDN caches one answer per query string.
    if (period !== 'all') query.set('period', period);
    return this.send('GET', `/api/public/rankings?${query.toString()}`) as Promise<RankingsPage>;
  }

  /** Which of these published videos the logged-in pilot has voted for (at most 100 ids). */
  async myVotes(ids: readonly number[]): Promise<number[]> {
    const query = new URLSearchParams({ ids: ids.join(',') });
    return ((await this.authorized('GET', `/api/me/votes?${query.toString()}`)) as { data: number[] }).data;
  }

  /**
   * Reports a play (202, counted later, once per viewer per day). With the session's token when there is one, so a
   * pilot is one viewer on every device; never refreshed or ended for it: an expired token is an anonymous play.
   */
  async reportView(id: number): Promise<void> {
    await this.send('POST', `/api/public/videos/${id}/views`, undefined, this.session.get()?.accessToken);
  }

  vote(id: number): Promise<{ id: number; votes: number }> {
    return this.authorized('POST', `/api/public/videos/${id}/vote`) as Promise<{ id: number; votes: number }>;
  }

  async withdrawVote(id: number): Promise<void> {
    await this.authorized('DELETE', `/api/public/videos/${id}/vote`);
  }

  /** 201; 409 when the caller already reported it, 403 unverified / own video / suspended, 429 past the daily limit. */
  async reportVideo(id: number, reason: ReportReason, text?: string): Promise<void> {
    await this.authorized(
      'POST',
      `/api/public/videos/${id}/reports`,
      text === undefined ? { reason } : { reason, text },
    );
  }

  /** The admins' queue: videos with reports of that status, by their oldest report. */
  async reportQueue(status: 'open' | 'closed'): Promise<ReportedVideo[]> {
    const query = new URLSearchParams({ status, max: '100' });
    return (
      (await this.authorized('GET', `/api/admin/reports?${query.toString()}`)) as { data: ReportedVideo[] }
    ).data;
  }

  async hideVideo(id: number, reason: string): Promise<void> {
    await this.authorized('POST', `/api/admin/videos/${id}/hide`, { reason });
  }

  async restoreVideo(id: number): Promise<void> {
    await this.authorized('POST', `/api/admin/videos/${id}/restore`);
  }

  async suspendPilot(username: string, reason: string): Promise<void> {
    await this.authorized('POST', `${adminPilotPath(username)}/suspend`, { reason });
  }

  async reinstatePilot(username: string): Promise<void> {
    await this.authorized('POST', `${adminPilotPath(username)}/reinstate`);
  }

  async annulVotes(username: string, reason: string): Promise<void> {
    await this.authorized('DELETE', `${adminPilotPath(username)}/votes`, { reason });
  }

  /** The admins' actions, newest first; `cursor` is the previous page's nextCursor. */
  auditLog(cursor?: string): Promise<AuditPage> {
    const query = new URLSearchParams({ max: String(AUDIT_PAGE_SIZE) });
    if (cursor !== undefined) query.set('cursor', cursor);
    return this.authorized('GET', `/api/admin/audit?${query.toString()}`) as Promise<AuditPage>;
  }

  /** 202 with the task back in 'uploaded'; 409 (ApiError) says why a task cannot be retried. */
  retryTask(id: number): Promise<Task> {
    return this.authorized('POST', `/api/tasks/${id}/retry`) as Promise<Task>;
  }

  startMultipartUpload(taskId: number): Promise<MultipartUpload> {
    return this.authorized('POST', `/api/tasks/${taskId}/multipart`) as Promise<MultipartUpload>;
  }

  async signParts(taskId: number, uploadId: string, partNumbers: number[]): Promise<SignedPart[]> {
    const signed = (await this.authorized('POST', `${multipartPath(taskId, uploadId)}/parts`, {
      partNumbers,
    })) as { parts: SignedPart[] };
    return signed.parts;
  }

  async listParts(taskId: number, uploadId: string): Promise<StoredPart[]> {
    const listed = (await this.authorized('GET', `${multipartPath(taskId, uploadId)}/parts`)) as {
      parts: StoredPart[];
    };
    return listed.parts;
  }

  completeMultipartUpload(taskId: number, uploadId: string): Promise<Task> {
    return this.authorized('POST', `${multipartPath(taskId, uploadId)}/complete`) as Promise<Task>;
  }

  /** Sends with the access token; on 401 refreshes once and retries, else ends the session. */
  private async authorized(method: string, path: string, body?: unknown): Promise<unknown> {
    const tokens = this.requireSession();
    try {
      return await this.send(method, path, body, tokens.accessToken);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 401) throw error;
    }
    await this.refresh(tokens);
    try {
      return await this.send(method, path, body, this.requireSession().accessToken);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) this.expire();
      throw error;
    }
  }

  private refresh(tokens: Tokens): Promise<void> {
    this.refreshing ??= this.send('POST', '/api/auth/refresh', { refresh_token: tokens.refreshToken })
      .then((answer) => {
        const fresh = answer as LoginResponse;
        this.session.set({
          ...tokens,
          accessToken: fresh.access_token,
          refreshToken: fresh.refresh_token ?? tokens.refreshToken,
        });
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && (error.status === 400 || error.status === 401)) this.expire();
        throw error;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  private requireSession(): Tokens {
    const tokens = this.session.get();
    if (tokens === null) throw new SessionExpiredError();
    return tokens;
  }

  private expire(): never {
    this.session.clear();
    throw new SessionExpiredError();
  }

  private async send(method: string, path: string, body?: unknown, accessToken?: string): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (accessToken !== undefined) headers.authorization = `Bearer ${accessToken}`;
    const request = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
    const { onWaking, maxWaits = 4, sleep = defaultSleep } = this.wake;
    for (let waits = 0; ; waits += 1) {
      const response = await this.fetchOnce(path, request);
      const retryAfter = retryAfterSeconds(response);
      // The API refused before touching any data (the database was not up), so sending again is safe.
      if (response.status === 503 && retryAfter !== null && waits < maxWaits) {
        onWaking?.(true);
        await sleep(retryAfter * 1000);
        continue;
      }
      if (waits > 0) onWaking?.(false);
      return this.read(response, retryAfter);
    }
  }

  private async fetchOnce(path: string, init: RequestInit): Promise<Response> {
    try {
      return await this.fetchFn(path, init);
    } catch (error) {
      throw new NetworkError({ cause: error });
    }
  }

  private async read(response: Response, retryAfter: number | null): Promise<unknown> {
    const text = await response.text();
    const payload = parseJson(text);
    if (!response.ok) {
      const message = typeof payload?.message === 'string' ? payload.message : '';
      const errors = Array.isArray(payload?.errors) ? (payload.errors as FieldError[]) : [];
      throw new ApiError(response.status, message, errors, retryAfter);
    }
    return payload ?? undefined;
  }
}

/** Waits `ms` between attempts (the API client's wake-up waits, the multipart upload's retries). */
export const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Retry-After in seconds: on a 503 the database is waking up (the client waits and sends again); on a 429 a daily
 * limit frees up then (up to a day: the view says when).
 */
function retryAfterSeconds(response: Response): number | null {
  const value = response.headers.get('retry-after');
  if (![429, 503].includes(response.status) || value === null || !/^\d{1,6}$/.test(value)) return null;
  return Number(value);
}

/**
 * The `username` claim of a Cognito access token: the header shows the account's name, not what was
 * typed (an email, in its typed case). Display only; the API verifies tokens, the console never does.
 */
export function usernameOf(accessToken: string): string | undefined {
  try {
    const payload = accessToken.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { username?: unknown };
    return typeof claims.username === 'string' ? claims.username : undefined;
  } catch {
    return undefined;
  }
}

function adminPilotPath(username: string): string {
  return `/api/admin/pilots/${encodeURIComponent(username)}`;
}

function multipartPath(taskId: number, uploadId: string): string {
  return `/api/tasks/${taskId}/multipart/${encodeURIComponent(uploadId)}`;
}

function parseJson(text: string): Record<string, unknown> | null {
  if (text === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    // A proxy or gateway error page is not JSON; the status alone then explains the failure.
    return null;
  }
}
