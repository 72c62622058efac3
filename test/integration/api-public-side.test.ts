/**
 * The league's public side (docs/spec.md §9) through the handlers and PostgreSQL: titles and republishing.
 * The gallery's own rules (§5) are in api-gallery.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handler as createTask } from '#functions/api/create-task';
import { handler as getPublicVideo } from '#functions/api/get-public-video';
import { handler as listPublicVideos } from '#functions/api/list-public-videos';
import { handler as getPilot } from '#functions/api/get-pilot';
import { handler as sharePage } from '#functions/api/share-page';
import { handler as myVotes } from '#functions/api/my-votes';
import { PUBLIC_CACHE_CONTROL, securityHeaders } from '#commons/http';
import { databasePool } from '#commons/clients';
import { getTaskRepository } from '#commons/composition-root';
import type {
  PilotPageResponse,
  PublicVideoListResponse,
  PublicVideoResponse,
  RankingsResponse,
  TaskResponse,
} from '#core/schemas';
import { handler as rankings } from '#functions/api/rankings';
import type { Caller, Task } from '#core/task';
import { apiEvent, invoke, testContext } from '#test/helpers/api-gateway';
import { type CheckOptions, INVALID_REQUEST } from '#test/helpers/contract';
import { castVote, patchTask } from '#test/helpers/gallery-requests';
import { publishedTask } from '#test/helpers/tasks';

function newCaller(): Caller {
  return { sub: randomUUID(), username: `pilot_${randomUUID().slice(0, 8)}` };
}

const create = (caller: Caller, body: Record<string, unknown>, options?: CheckOptions) =>
  invoke(
    createTask,
    { method: 'POST', route: '/api/tasks', body: { contentType: 'video/mp4', size: 10, ...body }, caller },
    options,
  );
const publicVideo = async (id: number) =>
  (
    await invoke(getPublicVideo, {
      method: 'GET',
      route: '/api/public/videos/{id}',
      pathParameters: { id: String(id) },
    })
  ).body as PublicVideoResponse;

/** The gallery from its first page down to (and including) the given videos. */
async function galleryOrder(ids: readonly number[]): Promise<number[]> {
  const seen: number[] = [];
  let cursor: string | undefined;
  do {
    const response = await invoke(listPublicVideos, {
      method: 'GET',
      route: '/api/public/videos',
      query: { max: '100', ...(cursor === undefined ? {} : { cursor }) },
    });
    const page = response.body as PublicVideoListResponse;
    seen.push(...page.data.map((video) => video.id));
    cursor = page.nextCursor;
  } while (cursor !== undefined && !ids.every((id) => seen.includes(id)));
  return seen.filter((id) => ids.includes(id));
}

describe('titles (docs/spec.md §9)', () => {
  it('defaults to the file name without its extension, or takes the one sent, trimmed', async () => {
    // Prepare
    const pilot = newCaller();

    // Act
    const defaulted = await create(pilot, { fileName: 'Heat 3 final.MOV' });
    const given = await create(pilot, { fileName: 'DJI_0042.mp4', title: '  Night race — qualifier 😀 ' });

    // Assess
    expect(defaulted.statusCode).toBe(201);
    expect(defaulted.body).toMatchObject({ fileName: 'Heat 3 final.MOV', title: 'Heat 3 final' });
    expect(given.statusCode).toBe(201);
    expect(given.body).toMatchObject({ fileName: 'DJI_0042.mp4', title: 'Night race — qualifier 😀' });
    const stored = await getTaskRepository().findForOwner((given.body as TaskResponse).id, pilot.sub);
    expect(stored?.title).toBe('Night race — qualifier 😀');
  });

  it('is changed by its owner with PATCH, and the public video carries the new one', async () => {
    // Prepare
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner);

    // Act
    const renamed = await patchTask(owner, task.id, { title: 'Gate 4 dive' });

    // Assess
    expect(renamed.statusCode).toBe(200);
    expect(renamed.body).toMatchObject({ id: task.id, title: 'Gate 4 dive', public: true });
    expect((await publicVideo(task.id)).title).toBe('Gate 4 dive');
  });

  it('changes title and publication together or each alone, leaving the other as it was', async () => {
    // Prepare
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner);

    // Act
    const both = await patchTask(owner, task.id, { public: false, title: 'Hidden lap' });
    const titleOnly = await patchTask(owner, task.id, { title: 'Still hidden' });
    const publicOnly = await patchTask(owner, task.id, { public: true });

    // Assess
    expect(both.body).toMatchObject({ public: false, title: 'Hidden lap' });
    expect(titleOnly.body).toMatchObject({ public: false, title: 'Still hidden' });
    expect(publicOnly.body).toMatchObject({ public: true, title: 'Still hidden' });
  });

  it('refuses an invalid title with 400 at creation and in a PATCH, and another pilot’s task with 404', async () => {
    // Prepare
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner);

    // Act
    const responses = await Promise.all([
      create(owner, { fileName: 'a.mp4', title: '' }, INVALID_REQUEST),
      create(owner, { fileName: 'a.mp4', title: 'x'.repeat(81) }, INVALID_REQUEST),
      patchTask(owner, task.id, { title: 'line\nbreak' }, INVALID_REQUEST),
      patchTask(owner, task.id, { title: '   ' }, INVALID_REQUEST),
      patchTask(owner, task.id, { title: null }, INVALID_REQUEST),
    ]);
    const foreign = await patchTask(newCaller(), task.id, { title: 'Mine now' });

    // Assess
    expect(responses.map((response) => [response.statusCode, response.body])).toEqual([
      [400, { message: 'Invalid request', errors: [{ field: 'title', message: 'Must be 1–80 characters' }] }],
      [400, { message: 'Invalid request', errors: [{ field: 'title', message: 'Must be 1–80 characters' }] }],
      [
        400,
        {
          message: 'Invalid request',
          errors: [{ field: 'title', message: 'Must not contain control characters' }],
        },
      ],
      [400, { message: 'Invalid request', errors: [{ field: 'title', message: 'Must be 1–80 characters' }] }],
      [400, { message: 'Invalid request', errors: [{ field: 'title', message: 'Must be text' }] }],
    ]);
    expect(foreign.statusCode).toBe(404);
    expect((await publicVideo(task.id)).title).toBe('secret-name');
  });

  it('is refused by the database outside 1–80 characters, whoever writes it', async () => {
    // Prepare
    const task = await publishedTask(getTaskRepository(), newCaller());

    // Act + Assess
    await expect(
      databasePool().query('UPDATE tasks SET title = $2 WHERE id = $1', [task.id, 'x'.repeat(81)]),
    ).rejects.toThrow(/tasks_title_length/);
    await expect(
      databasePool().query("UPDATE tasks SET title = '' WHERE id = $1", [task.id]),
    ).rejects.toThrow(/tasks_title_length/);
  });

  it('is given to rows inserted without one (the previous release) by the same default rule', async () => {
    // Prepare
    const owner = newCaller();
    await getTaskRepository().ensureUser(owner);

    // Act: the previous release's INSERT, which knows no title column.
    const { rows } = await databasePool().query<{ title: string }>(
      `INSERT INTO tasks (owner_id, file_name, content_type, declared_bytes, original_key, upload_expires_at)
       VALUES ($1, $2, 'video/mp4', 1, $3, now() + interval '1 hour') RETURNING title`,
      [owner.sub, '  Heat 3 final.cut.MOV', `uploads/legacy/${randomUUID()}`],
    );

    // Assess
    expect(rows).toEqual([{ title: 'Heat 3 final.cut' }]);
  });
});

describe('republishing keeps the first publication time (docs/spec.md §9)', () => {
  it('returns a republished video to its first place in the gallery instead of the top', async () => {
    // Prepare: `first` was published a day before `later`.
    const owner = newCaller();
    const repository = getTaskRepository();
    const first = await publishedTask(repository, owner);
    await databasePool().query(
      `UPDATE tasks SET published_at = published_at - interval '1 day',
         first_published_at = first_published_at - interval '1 day' WHERE id = $1`,
      [first.id],
    );
    const firstPublishedAt = (await publicVideo(first.id)).publishedAt;
    const later = await publishedTask(repository, owner);

    // Act
    await patchTask(owner, first.id, { public: false });
    await patchTask(owner, first.id, { public: true });

    // Assess
    expect((await publicVideo(first.id)).publishedAt).toBe(firstPublishedAt);
    expect(Date.parse(firstPublishedAt)).toBeLessThan(later.publishedAt?.getTime() ?? 0);
    expect(await galleryOrder([first.id, later.id])).toEqual([later.id, first.id]);
  });

  it('keeps it through processing again (a re-cut) as through the owner’s switch', async () => {
    // Prepare
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner);

    // Act: the worker's statements take it out of processed and back (what a re-cut does).
    await databasePool().query("UPDATE tasks SET status = 'processing' WHERE id = $1", [task.id]);
    const whileProcessing = await databasePool().query<{ published_at: Date | null }>(
      'SELECT published_at FROM tasks WHERE id = $1',
      [task.id],
    );
    await databasePool().query("UPDATE tasks SET status = 'processed' WHERE id = $1", [task.id]);

    // Assess
    expect(whileProcessing.rows).toEqual([{ published_at: null }]);
    expect((await publicVideo(task.id)).publishedAt).toBe(task.publishedAt?.toISOString());
  });

  it('sets the first publication of a task created private when it is first made public', async () => {
    // Prepare
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner, { public: false });

    // Act
    const before = Date.now();
    await patchTask(owner, task.id, { public: true });

    // Assess
    expect(task.publishedAt).toBeNull();
    expect(Date.parse((await publicVideo(task.id)).publishedAt)).toBeGreaterThanOrEqual(before - 1000);
  });
});

const votesOf = (
  caller: Caller | undefined,
  query: Record<string, string> | undefined,
  options?: CheckOptions,
) => invoke(myVotes, { method: 'GET', route: '/api/me/votes', query, caller }, options);

describe('GET /api/me/votes (docs/spec.md §9)', () => {
  it("answers the caller's own votes among the ids, published videos only, never cacheable", async () => {
    // Prepare
    const repository = getTaskRepository();
    const owner = newCaller();
    const [voted, alsoVoted, notVoted, unpublished] = [
      await publishedTask(repository, owner),
      await publishedTask(repository, owner),
      await publishedTask(repository, owner),
      await publishedTask(repository, owner),
    ];
    const fan = newCaller();
    const otherFan = newCaller();
    for (const task of [voted, alsoVoted, unpublished])
      expect((await castVote(fan, task.id)).statusCode).toBe(201);
    expect((await castVote(otherFan, notVoted.id)).statusCode).toBe(201);
    await patchTask(owner, unpublished.id, { public: false });
    const ids = [notVoted, alsoVoted, unpublished, voted, alsoVoted].map((task) => task.id).join(',');

    // Act
    const mine = await votesOf(fan, { ids });
    const theirs = await votesOf(otherFan, { ids });
    const none = await votesOf(newCaller(), { ids });

    // Assess
    expect(mine).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: { data: [voted.id, alsoVoted.id].sort((a, b) => a - b) },
    });
    expect(mine.headers['cache-control']).not.toBe(PUBLIC_CACHE_CONTROL);
    expect(theirs.body).toEqual({ data: [notVoted.id] });
    expect(none.body).toEqual({ data: [] });
  });

  it('takes 1 to 100 distinct positive ids and refuses anything else with 400; no token is 401', async () => {
    // Prepare
    const fan = newCaller();
    const ids = (count: number) => Array.from({ length: count }, (_, index) => index + 1).join(',');
    const refused = {
      message: 'Invalid query parameters',
      errors: [{ field: 'ids', message: 'Must be 1–100 video ids, separated by commas' }],
    };

    // Act
    const hundred = await votesOf(fan, { ids: ids(100) });
    const repeated = await votesOf(fan, { ids: `${ids(100)},1,2` });
    const bad = await Promise.all(
      [ids(101), '', '0', '1,,2', '1,x', '-1', '1.5', ' 1', '1234567890123456'].map((value) =>
        votesOf(fan, { ids: value }, INVALID_REQUEST),
      ),
    );
    const missing = await votesOf(fan, undefined, INVALID_REQUEST);
    const unknown = await votesOf(fan, { ids: '1', user: 'someone' }, INVALID_REQUEST);
    const anonymous = await votesOf(undefined, { ids: '1' });

    // Assess
    expect([hundred.statusCode, repeated.statusCode]).toEqual([200, 200]);
    expect(bad.map((response) => [response.statusCode, response.body])).toEqual(
      bad.map(() => [400, refused]),
    );
    expect([missing.statusCode, missing.body]).toEqual([400, refused]);
    expect(unknown.statusCode).toBe(400);
    expect(anonymous.statusCode).toBe(401);
  });
});

const pilotPage = (username: string, query?: Record<string, string>, options?: CheckOptions) =>
  invoke(
    getPilot,
    { method: 'GET', route: '/api/public/pilots/{username}', pathParameters: { username }, query },
    options,
  );

/** The rank the rankings give this pilot: the page must agree with them. */
async function rankingsRankOf(username: string): Promise<number | undefined> {
  for (let offset = 0; ; offset += 100) {
    const page = (
      await invoke(rankings, {
        method: 'GET',
        route: '/api/public/rankings',
        query: { limit: '100', offset: String(offset) },
      })
    ).body as RankingsResponse;
    const row = page.data.find((standing) => standing.pilot.username === username);
    if (row !== undefined) return row.rank;
    if (page.data.length < 100) return undefined;
  }
}

describe('GET /api/public/pilots/{username} (docs/spec.md §9)', () => {
  it("answers the pilot's standing and published videos, newest first, cacheable, whatever the name's case", async () => {
    // Prepare: three videos, one private; two votes on the first.
    const repository = getTaskRepository();
    const owner = { sub: randomUUID(), username: `Ace_${randomUUID().slice(0, 8)}` };
    const first = await publishedTask(repository, owner);
    const second = await publishedTask(repository, owner);
    const hidden = await publishedTask(repository, owner, { public: false });
    await castVote(newCaller(), first.id);
    await castVote(newCaller(), first.id);

    // Act
    const response = await pilotPage(owner.username.toLowerCase());

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toEqual({ ...securityHeaders, 'cache-control': PUBLIC_CACHE_CONTROL });
    const page = response.body as PilotPageResponse;
    expect(page).toMatchObject({ pilot: { username: owner.username }, votes: 2 });
    expect(page.rank).toBe(await rankingsRankOf(owner.username));
    expect(page.videos.data.map((video) => [video.id, video.title, video.votes])).toEqual([
      [second.id, 'secret-name', 0],
      [first.id, 'secret-name', 2],
    ]);
    expect(page.videos.data.some((video) => video.id === hidden.id)).toBe(false);
    expect(page.videos.nextCursor).toBeUndefined();
  });

  it('pages its videos with the gallery’s cursor', async () => {
    // Prepare
    const owner = newCaller();
    const tasks: Task[] = [];
    for (let index = 0; index < 3; index++) tasks.push(await publishedTask(getTaskRepository(), owner));

    // Act
    const first = (await pilotPage(owner.username, { max: '2' })).body as PilotPageResponse;
    const second = (await pilotPage(owner.username, { max: '2', cursor: first.videos.nextCursor ?? '' }))
      .body as PilotPageResponse;

    // Assess
    expect([...first.videos.data, ...second.videos.data].map((video) => video.id)).toEqual(
      tasks.map((task) => task.id).reverse(),
    );
    expect(second.videos.nextCursor).toBeUndefined();
  });

  it('shares a rank between tied pilots, as the rankings do', async () => {
    // Prepare: two pilots with the same (unusual) number of votes.
    const [alpha, bravo] = [newCaller(), newCaller()];
    for (const pilot of [alpha, bravo]) {
      const task = await publishedTask(getTaskRepository(), pilot);
      for (let index = 0; index < 7; index++) await castVote(newCaller(), task.id);
    }

    // Act
    const pages = await Promise.all([alpha, bravo].map((pilot) => pilotPage(pilot.username)));

    // Assess
    const [alphaRank, bravoRank] = pages.map((page) => (page.body as PilotPageResponse).rank);
    expect(alphaRank).toBe(bravoRank);
    expect(alphaRank).toBe(await rankingsRankOf(alpha.username));
  });

  it('is 404 for an unknown pilot, one without a published video, and one whose videos were unpublished', async () => {
    // Prepare
    const repository = getTaskRepository();
    const privateOnly = newCaller();
    await publishedTask(repository, privateOnly, { public: false });
    const unpublished = newCaller();
    const task = await publishedTask(repository, unpublished);
    await patchTask(unpublished, task.id, { public: false });
    const accountOnly = newCaller();
    await repository.ensureUser(accountOnly);

    // Act
    const responses = await Promise.all(
      ['nobody_here', privateOnly.username, unpublished.username, accountOnly.username].map((name) =>
        pilotPage(name),
      ),
    );

    // Assess
    expect(responses.map((response) => [response.statusCode, response.body])).toEqual(
      responses.map(() => [404, { message: 'Pilot not found' }]),
    );
  });

  it('is 400 for a name no pilot can have and for unknown or malformed parameters', async () => {
    // Act
    const responses = await Promise.all([
      pilotPage('ab', undefined, INVALID_REQUEST),
      pilotPage('a'.repeat(33), undefined, INVALID_REQUEST),
      pilotPage('bad name', undefined, INVALID_REQUEST),
      pilotPage('ace', { max: '0' }, INVALID_REQUEST),
      pilotPage('ace', { cursor: 'x' }, INVALID_REQUEST),
      pilotPage('ace', { sort: 'votes' }, INVALID_REQUEST),
    ]);

    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([400, 400, 400, 400, 400, 400]);
  });
});

describe('GET /v/{id}: the shared address (docs/spec.md §9)', () => {
  // The page is HTML: the handler's raw answer, not invoke()'s JSON parsing.
  const share = async (id: string) => {
    const result = await sharePage(
      apiEvent({ method: 'GET', route: '/v/{id}', pathParameters: { id } }),
      testContext(),
    );
    return { statusCode: result.statusCode, headers: result.headers ?? {}, body: String(result.body) };
  };

  it('carries Open Graph and Twitter card tags, escaped, and opens the console on the video; cacheable', async () => {
    // Prepare: a title and nothing else that could break out of an attribute or inject markup.
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner);
    const title = `"><script>alert(1)</script> Heat & 'gate' 3`;
    await patchTask(owner, task.id, { title });

    // Act
    const response = await share(String(task.id));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': PUBLIC_CACHE_CONTROL,
      'content-security-policy': expect.stringContaining("default-src 'none'") as string,
    });
    const html = response.body;
    const escaped = '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; Heat &amp; &#39;gate&#39; 3';
    expect(html).not.toContain('<script');
    expect(html).toContain(`<meta property="og:title" content="${escaped}">`);
    expect(html).toContain(`<meta name="twitter:title" content="${escaped}">`);
    expect(html).toContain('<meta name="twitter:card" content="summary_large_image">');
    expect(html).toMatch(
      new RegExp(`<meta property="og:image" content="[^"]*processed/${task.id}/thumbnail\\.jpg[^"]*">`),
    );
    expect(html).toMatch(
      new RegExp(`<meta property="og:video" content="[^"]*processed/${task.id}/video\\.mp4[^"]*">`),
    );
    expect(html).toContain(`by ${owner.username}`);
    expect(html).toContain(`<meta http-equiv="refresh" content="0; url=/#/gallery/${task.id}">`);
    expect(html).not.toMatch(/secret-name\.mov|uploads\//);
  });

  it('is a 404 page, never cached, for an unpublished, unknown or malformed id', async () => {
    // Prepare
    const owner = newCaller();
    const task = await publishedTask(getTaskRepository(), owner, { public: false });

    // Act
    const responses = await Promise.all([String(task.id), '999999999', 'abc'].map((id) => share(id)));

    // Assess
    for (const response of responses) {
      expect(response.statusCode).toBe(404);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.body).toContain('This video is not in the gallery (any more).');
    }
  });
});
