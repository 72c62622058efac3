import { describe, expect, it } from 'vitest';
import { ApiClient, ApiError, NetworkError, SessionExpiredError } from '#web/src/api';
import { describeError, viewsLabel, WAKING_UP } from '#web/src/messages';
import { Session } from '#web/src/session';
import { MemoryStorage } from './memory-storage';

interface Call {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

/** Answers requests from a script, in order, and records what the client sent. */
function scriptedFetch(answers: (Response | Error)[]): { fetch: typeof fetch; calls: Call[] } {
  const calls: Call[] = [];
  const fetchFn: typeof fetch = (input, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({
      method: init?.method ?? 'GET',
      path: input instanceof Request ? input.url : input.toString(),
      authorization: headers.authorization,
      body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
    });
    const answer = answers.shift();
    if (answer === undefined) throw new Error('unexpected request');
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { fetch: fetchFn, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function loggedIn(answers: (Response | Error)[]) {
  const session = new Session(new MemoryStorage());
  session.set({ accessToken: 'access-1', refreshToken: 'refresh-1', login: 'pilot' });
  const scripted = scriptedFetch(answers);
  return { session, calls: scripted.calls, api: new ApiClient(session, scripted.fetch) };
}

describe('ApiClient', () => {
  it('deletes the account with the password re-entered and ends the session; a wrong password keeps it', async () => {
    // Prepare
    const { session, calls, api } = loggedIn([
      json(403, { message: 'The password is incorrect' }),
      new Response(null, { status: 204 }),
    ]);

    // Act
    const wrong = api.deleteAccount('Wrong1234');
    await expect(wrong).rejects.toThrow(new ApiError(403, 'The password is incorrect'));
    const kept = session.get();
    await api.deleteAccount('Secret123');

    // Assess
    expect(calls).toEqual([
      {
        method: 'DELETE',
        path: '/api/auth/me',
        authorization: 'Bearer access-1',
        body: { password: 'Wrong1234' },
      },
      {
        method: 'DELETE',
        path: '/api/auth/me',
        authorization: 'Bearer access-1',
        body: { password: 'Secret123' },
      },
    ]);
    expect(kept).toEqual({ accessToken: 'access-1', refreshToken: 'refresh-1', login: 'pilot' });
    expect(session.get()).toBeNull();
  });

  it('logs out by revoking the refresh token on the server, then forgets the session', async () => {
    // Prepare
    const { session, calls, api } = loggedIn([new Response(null, { status: 204 })]);

    // Act
    await api.logOut();

    // Assess
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/api/auth/logout',
        authorization: undefined,
        body: { refresh_token: 'refresh-1' },
      },
    ]);
    expect(session.get()).toBeNull();
  });

  it('forgets the session even when the server cannot be reached to revoke it, and says so', async () => {
    // Prepare
    const { session, api } = loggedIn([new TypeError('Failed to fetch')]);

    // Act
    const failure = api.logOut();

    // Assess
    await expect(failure).rejects.toThrow(NetworkError);
    expect(session.get()).toBeNull();
  });

  it('logs in with a username or email and keeps both tokens in the session', async () => {
    // Prepare
    const session = new Session(new MemoryStorage());
    const { fetch, calls } = scriptedFetch([
      json(200, { access_token: 'a', refresh_token: 'r', token_type: 'Bearer', expires_in: 3600 }),
    ]);

    // Act
    await new ApiClient(session, fetch).logIn('pilot@example.com', 'Secret123');

    // Assess
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/api/auth/login',
        authorization: undefined,
        body: { username: 'pilot@example.com', password: 'Secret123' },
      },
    ]);
    expect(session.get()).toEqual({ accessToken: 'a', refreshToken: 'r', login: 'pilot@example.com' });
  });

  it('refreshes the access token once on 401 and retries the call with the new one', async () => {
    // Prepare
    const page = { data: [] };
    const { api, calls, session } = loggedIn([
      json(401, { message: 'Unauthorized' }),
      json(200, { access_token: 'access-2', token_type: 'Bearer', expires_in: 3600 }),
      json(200, page),
    ]);

    // Act
    const result = await api.listTasks();

    // Assess
    expect(result).toEqual(page);
    expect(calls).toEqual([
      { method: 'GET', path: '/api/tasks?max=50&order=1', authorization: 'Bearer access-1', body: undefined },
      {
        method: 'POST',
        path: '/api/auth/refresh',
        authorization: undefined,
        body: { refresh_token: 'refresh-1' },
      },
      { method: 'GET', path: '/api/tasks?max=50&order=1', authorization: 'Bearer access-2', body: undefined },
    ]);
    expect(session.get()).toEqual({ accessToken: 'access-2', refreshToken: 'refresh-1', login: 'pilot' });
  });

  it('shares one refresh between calls that hit 401 at the same time', async () => {
    // Prepare
    const { api, calls } = loggedIn([
      json(401, { message: 'Unauthorized' }),
      json(401, { message: 'Unauthorized' }),
      json(200, {
        access_token: 'access-2',
        refresh_token: 'refresh-2',
        token_type: 'Bearer',
        expires_in: 3600,
      }),
      json(200, { id: 1 }),
      json(200, { id: 2 }),
    ]);

    // Act
    await Promise.all([api.getTask(1), api.getTask(2)]);

    // Assess
    expect(calls.filter((call) => call.path === '/api/auth/refresh')).toHaveLength(1);
  });

  it('ends the session when the refresh token is refused', async () => {
    // Prepare
    const { api, session } = loggedIn([
      json(401, { message: 'Unauthorized' }),
      json(401, { message: 'Invalid refresh token' }),
    ]);

    // Act
    const failure = api.getTask(7);

    // Assess
    await expect(failure).rejects.toThrow(SessionExpiredError);
    expect(session.get()).toBeNull();
  });

  it('keeps the session when the refresh fails for a reason other than the token', async () => {
    // Prepare
    const { api, session } = loggedIn([
      json(401, { message: 'Unauthorized' }),
      json(500, { message: 'Internal server error' }),
    ]);

    // Act
    const failure = api.getTask(7);

    // Assess
    await expect(failure).rejects.toEqual(new ApiError(500, 'Internal server error'));
    expect(session.get()).not.toBeNull();
  });

  it('turns an error answer into ApiError with its status, message and field errors', async () => {
    // Prepare
    const errors = [{ field: 'password2', message: 'Passwords do not match' }];
    const { fetch } = scriptedFetch([json(400, { message: 'Validation failed', errors })]);

    // Act
    const failure = new ApiClient(new Session(new MemoryStorage()), fetch).signUp({
      username: 'pilot',
      email: 'p@example.com',
      password1: 'Secret123',
      password2: 'x',
    });

    // Assess
    await expect(failure).rejects.toEqual(new ApiError(400, 'Validation failed', errors));
  });

  it('keeps the status of an error answer that is not JSON', async () => {
    // Prepare
    const { api } = loggedIn([new Response('<html>Bad gateway</html>', { status: 502 })]);

    // Act
    const failure = api.deleteTask(3);

    // Assess
    await expect(failure).rejects.toEqual(new ApiError(502, ''));
  });

  it('waits out a database that is waking up, saying so, and then answers', async () => {
    // Prepare
    const session = new Session(new MemoryStorage());
    session.set({ accessToken: 'access-1', refreshToken: 'refresh-1', login: 'pilot' });
    const resuming = () =>
      new Response(JSON.stringify({ message: 'The database is waking up. Try again in a few seconds.' }), {
        status: 503,
        headers: { 'content-type': 'application/json', 'retry-after': '5' },
      });
    const scripted = scriptedFetch([resuming(), resuming(), json(200, { data: [] })]);
    const waking: boolean[] = [];
    const sleeps: number[] = [];
    const api = new ApiClient(session, scripted.fetch, {
      onWaking: (isWaking) => waking.push(isWaking),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
    });

    // Act
    const page = await api.listTasks();

    // Assess
    expect({ page, waking, sleeps, requests: scripted.calls.length }).toEqual({
      page: { data: [] },
      waking: [true, true, false],
      sleeps: [5000, 5000],
      requests: 3,
    });
  });

  it('hands a database still waking up after its waits to the view, as "waking up", not a failure', async () => {
    // Prepare
    const session = new Session(new MemoryStorage());
    session.set({ accessToken: 'access-1', refreshToken: 'refresh-1', login: 'pilot' });
    const resuming = new Response(JSON.stringify({ message: 'The database is waking up.' }), {
      status: 503,
      headers: { 'retry-after': '5' },
    });
    const scripted = scriptedFetch([resuming]);
    const api = new ApiClient(session, scripted.fetch, { maxWaits: 0 });

    // Act
    const failure: unknown = await api.getTask(1).catch((error: unknown) => error);

    // Assess
    expect(failure).toEqual(new ApiError(503, 'The database is waking up.', [], 5));
    expect({ wakingUp: (failure as ApiError).wakingUp, text: describeError(failure) }).toEqual({
      wakingUp: true,
      text: WAKING_UP,
    });
    expect(describeError(new ApiError(503, 'The database is unavailable'))).toBe(
      'The service had a problem. Try again in a moment.',
    );
  });

  it('sends a re-cut as PATCH with its clip and poster, and says when a refused one is possible again', async () => {
    // Prepare
    const { api, calls } = loggedIn([
      new Response(
        JSON.stringify({
          message: 'You have changed the cut 10 times in the last 24 hours; try again later',
        }),
        { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '7440' } },
      ),
    ]);

    // Act
    const failure: unknown = await api
      .changeCut(7, { clip: { startSeconds: 12.5 }, posterSeconds: 3 })
      .catch((error: unknown) => error);

    // Assess: one request (a 429 is not waited out like a waking database), its wait in the sentence.
    expect(calls.map(({ method, path, body }) => ({ method, path, body }))).toEqual([
      { method: 'PATCH', path: '/api/tasks/7', body: { clip: { startSeconds: 12.5 }, posterSeconds: 3 } },
    ]);
    expect(failure).toEqual(
      new ApiError(429, 'You have changed the cut 10 times in the last 24 hours; try again later', [], 7440),
    );
    expect(describeError(failure)).toBe(
      'You have changed the cut 10 times in the last 24 hours; try again later (in about 2 h 4 min).',
    );
  });

  it('reports a request that never got an answer as NetworkError', async () => {
    // Prepare
    const { api } = loggedIn([new TypeError('Failed to fetch')]);

    // Act
    const failure = api.createTask({
      fileName: 'race.mp4',
      contentType: 'video/mp4',
      size: 10,
      public: true,
    });

    // Assess
    await expect(failure).rejects.toThrow(NetworkError);
  });

  it("creates a task with the pilot's publication choice", async () => {
    // Prepare
    const { api, calls } = loggedIn([json(201, { id: 1 })]);

    // Act
    await api.createTask({ fileName: 'race.mp4', contentType: 'video/mp4', size: 10, public: false });

    // Assess
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/api/tasks',
        authorization: 'Bearer access-1',
        body: { fileName: 'race.mp4', contentType: 'video/mp4', size: 10, public: false },
      },
    ]);
  });

  it('asks for the next page with the cursor of the previous one', async () => {
    // Prepare
    const { api, calls } = loggedIn([json(200, { data: [] })]);

    // Act
    await api.listTasks('41');

    // Assess
    expect(calls[0]?.path).toBe('/api/tasks?max=50&order=1&cursor=41');
  });

  it("reports a play with the session's token, and anonymously without a session, never refreshing for it", async () => {
    // Prepare
    const accepted = () => new Response(null, { status: 202 });
    const { session, calls, api } = loggedIn([accepted(), json(401, { message: 'Unauthorized' })]);
    const visitor = scriptedFetch([accepted()]);
    const anonymous = new ApiClient(new Session(new MemoryStorage()), visitor.fetch);

    // Act
    await api.reportView(7);
    const refused = api.reportView(7);
    await anonymous.reportView(8);

    // Assess: a refused token is the caller's problem elsewhere; a play is no reason to end or refresh a session.
    await expect(refused).rejects.toThrow(ApiError);
    expect(calls).toEqual([
      {
        method: 'POST',
        path: '/api/public/videos/7/views',
        authorization: 'Bearer access-1',
        body: undefined,
      },
      {
        method: 'POST',
        path: '/api/public/videos/7/views',
        authorization: 'Bearer access-1',
        body: undefined,
      },
    ]);
    expect(session.get()?.accessToken).toBe('access-1');
    expect(visitor.calls).toEqual([
      { method: 'POST', path: '/api/public/videos/8/views', authorization: undefined, body: undefined },
    ]);
  });

  it('sends a report with its reason, and its details only when there are some', async () => {
    // Prepare
    const created = () =>
      json(201, { video: { id: 7 }, reason: 'spam', createdAt: '2026-12-07T10:00:00.000Z' });
    const { api, calls } = loggedIn([
      created(),
      created(),
      json(409, { message: 'You have already reported this video' }),
    ]);

    // Act
    await api.reportVideo(7, 'spam');
    await api.reportVideo(8, 'other', 'A cat video');
    const again = api.reportVideo(8, 'abuse');

    // Assess
    await expect(again).rejects.toMatchObject({
      status: 409,
      message: 'You have already reported this video',
    });
    expect(calls.map(({ method, path, body }) => ({ method, path, body }))).toEqual([
      { method: 'POST', path: '/api/public/videos/7/reports', body: { reason: 'spam' } },
      {
        method: 'POST',
        path: '/api/public/videos/8/reports',
        body: { reason: 'other', text: 'A cat video' },
      },
      { method: 'POST', path: '/api/public/videos/8/reports', body: { reason: 'abuse' } },
    ]);
  });

  it("calls every admin route as docs/api.md names it, with the pilot's name escaped in the path", async () => {
    // Prepare
    const done = () => new Response(null, { status: 204 });
    const { api, calls } = loggedIn([
      json(200, { data: [] }),
      done(),
      done(),
      done(),
      done(),
      done(),
      json(200, { data: [], nextCursor: '17' }),
      json(200, { data: [] }),
    ]);

    // Act
    await api.reportQueue('open');
    await api.hideVideo(42, 'Not a race');
    await api.restoreVideo(42);
    await api.suspendPilot('ace.pilot/x', 'Vote stuffing');
    await api.reinstatePilot('ace.pilot/x');
    await api.annulVotes('ace.pilot/x', 'Vote stuffing');
    const first = await api.auditLog();
    await api.auditLog(first.nextCursor);

    // Assess
    expect(calls.map(({ method, path, body, authorization }) => [method, path, body, authorization])).toEqual(
      [
        ['GET', '/api/admin/reports?status=open&max=100', undefined, 'Bearer access-1'],
        ['POST', '/api/admin/videos/42/hide', { reason: 'Not a race' }, 'Bearer access-1'],
        ['POST', '/api/admin/videos/42/restore', undefined, 'Bearer access-1'],
        ['POST', '/api/admin/pilots/ace.pilot%2Fx/suspend', { reason: 'Vote stuffing' }, 'Bearer access-1'],
        ['POST', '/api/admin/pilots/ace.pilot%2Fx/reinstate', undefined, 'Bearer access-1'],
        ['DELETE', '/api/admin/pilots/ace.pilot%2Fx/votes', { reason: 'Vote stuffing' }, 'Bearer access-1'],
        ['GET', '/api/admin/audit?max=20', undefined, 'Bearer access-1'],
        ['GET', '/api/admin/audit?max=20&cursor=17', undefined, 'Bearer access-1'],
      ],
    );
  });

  it('labels view counts in English with thousands grouped', () => {
    expect([0, 1, 2, 1234, 1_000_000].map(viewsLabel)).toEqual([
      '0 views',
      '1 view',
      '2 views',
      '1,234 views',
      '1,000,000 views',
    ]);
  });

  it('refuses authenticated calls without a session', async () => {
    // Prepare
    const { fetch, calls } = scriptedFetch([]);

    // Act
    const failure = new ApiClient(new Session(new MemoryStorage()), fetch).getTask(1);

    // Assess
    await expect(failure).rejects.toThrow(SessionExpiredError);
    expect(calls).toEqual([]);
  });
});
