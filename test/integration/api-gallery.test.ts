import { randomUUID } from 'node:crypto';
import { awaitingTask, publishedTask } from '#test/helpers/tasks';
import { instanceTaskService } from '#test/helpers/task-services';
import { castVote, patchTask } from '#test/helpers/gallery-requests';
import { verifiedInDatabase } from '#test/helpers/verified-email';
import { afterAll, describe, expect, it } from 'vitest';
import { handler as deleteTask } from '#functions/api/delete-task';
import { handler as getPublicVideo } from '#functions/api/get-public-video';
import { handler as getTask } from '#functions/api/get-task';
import { handler as listPublicVideos } from '#functions/api/list-public-videos';
import { handler as rankings } from '#functions/api/rankings';
import { handler as withdrawVote } from '#functions/api/withdraw-vote';
import { handler as createTask } from '#functions/api/create-task';
import { createPool, databasePool, s3Client } from '#commons/clients';
import { databaseConfig, taskLimits } from '#commons/config';
import { outputKeys } from '#core/object-keys';
import { PgGalleryRepository } from '#adapters/pg/gallery-repository';
import { DOWNLOAD_SIGNING_WINDOW_SECONDS } from '#adapters/s3/object-store';
import { PUBLIC_MEDIA_URL_TTL_SECONDS } from '#core/public-cache';
import { VotingService } from '#core/gallery-service';
import { ConflictError, TooManyRequestsError } from '#core/errors';
import { systemClock } from '#core/ports';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PUBLIC_CACHE_CONTROL, securityHeaders } from '#commons/http';
import { getTaskRepository } from '#commons/composition-root';
import {
  MAX_RANKINGS_OFFSET,
  type PublicVideoListResponse,
  type RankingsResponse,
  type TaskResponse,
} from '#core/schemas';
import type { Caller, Task } from '#core/task';
import { invoke } from '#test/helpers/api-gateway';
import { type CheckOptions, INVALID_REQUEST } from '#test/helpers/contract';
import { anyNumber, anyString, matching } from '#test/helpers/matchers';

const PUBLIC_HEADERS = { ...securityHeaders, 'cache-control': PUBLIC_CACHE_CONTROL };
const PRESIGNED = (key: string) =>
  matching(
    new RegExp(
      `^${process.env.S3_ENDPOINT}/${process.env.BUCKET_NAME}/${key}\\?.*X-Amz-Expires=${PUBLIC_MEDIA_URL_TTL_SECONDS + DOWNLOAD_SIGNING_WINDOW_SECONDS}`,
    ),
  );

function newCaller(prefix = 'pilot'): Caller {
  return { sub: randomUUID(), username: `${prefix}_${randomUUID().slice(0, 8)}` };
}

const processedTask = (owner: Caller, options: { public?: boolean } = {}): Promise<Task> =>
  publishedTask(getTaskRepository(), owner, options);

const withdraw = (caller: Caller, id: number) =>
  invoke(withdrawVote, {
    method: 'DELETE',
    route: '/api/public/videos/{id}/vote',
    pathParameters: { id: String(id) },
    caller,
  });
const publicVideo = (id: string | number, options?: CheckOptions) =>
  invoke(
    getPublicVideo,
    { method: 'GET', route: '/api/public/videos/{id}', pathParameters: { id: String(id) } },
    options,
  );
const gallery = (query?: Record<string, string>, options?: CheckOptions) =>
  invoke(listPublicVideos, { method: 'GET', route: '/api/public/videos', query }, options);
const ranking = (query?: Record<string, string>, options?: CheckOptions) =>
  invoke(rankings, { method: 'GET', route: '/api/public/rankings', query }, options);

/** Every published video, page by page (other test files publish videos too). */
async function wholeGallery(): Promise<PublicVideoListResponse['data']> {
  const videos: PublicVideoListResponse['data'] = [];
  let cursor: string | undefined;
  do {
    const response = await gallery({ max: '100', ...(cursor === undefined ? {} : { cursor }) });
    expect(response.statusCode).toBe(200);
    const page = response.body as PublicVideoListResponse;
    videos.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return videos;
}

async function wholeRanking(): Promise<RankingsResponse> {
  const data: RankingsResponse['data'] = [];
  for (let offset = 0; ; offset += 100) {
    const response = await ranking({ limit: '100', offset: String(offset) });
    expect(response.statusCode).toBe(200);
    const page = response.body as RankingsResponse;
    data.push(...page.data);
    if (page.data.length < 100) return { data, total: page.total, period: page.period };
  }
}

async function standingOf(pilot: Caller) {
  const { data } = await wholeRanking();
  return data.find((row) => row.pilot.username === pilot.username);
}

/**
 * A Lambda instance holds one connection (pool size 1), so concurrency means several instances:
 * each of these services has its own pool, and their votes reach PostgreSQL at the same time.
 */
const instancePools = Array.from({ length: 20 }, () => createPool(databaseConfig()));
const instances = instancePools.map(
  (pool) =>
    new VotingService({ repository: new PgGalleryRepository(pool), clock: systemClock, seasonStarts: [] }),
);
afterAll(async () => {
  await Promise.all(instancePools.map((pool) => pool.end()));
});

/** The outcome of one vote on its own instance, as its HTTP status would be. */
async function voteOn(index: number, voter: Caller, id: number): Promise<number> {
  await verifiedInDatabase(voter);
  try {
    await instances[index]?.vote(voter, id);
    return 201;
  } catch (error) {
    if (error instanceof ConflictError) return 409;
    throw error;
  }
}

/** The counts kept by triggers, next to what they count. */
async function countsOf(taskId: number, owner: Caller) {
  const { rows } = await databasePool().query<{
    vote_count: number;
    vote_rows: string;
    published_votes: string;
    expected_votes: string;
    published_videos: number;
  }>(
    `SELECT t.vote_count, (SELECT count(*) FROM votes WHERE task_id = t.id) AS vote_rows,
       u.published_votes, u.published_videos,
       (SELECT count(*) FROM votes v JOIN tasks p ON p.id = v.task_id
        WHERE p.owner_id = u.id AND p.published_at IS NOT NULL) AS expected_votes
     FROM tasks t JOIN users u ON u.id = t.owner_id WHERE t.id = $1 AND u.id = $2`,
    [taskId, owner.sub],
  );
  const row = rows[0];
  if (row === undefined) return undefined;
  return {
    voteCount: row.vote_count,
    voteRows: Number(row.vote_rows),
    pilotVotes: Number(row.published_votes),
    pilotVotesExpected: Number(row.expected_votes),
    pilotVideos: row.published_videos,
  };
}

describe('GET /api/public/videos/{id}', () => {
  it('answers a published video with public fields only, cacheable, URLs valid for an hour', async () => {
    // Prepare
    const owner = newCaller();
    const task = await processedTask(owner);

    // Act
    const response = await publicVideo(task.id);

    // Assess
    expect(response).toEqual({
      statusCode: 200,
      headers: PUBLIC_HEADERS,
      body: {
        id: task.id,
        title: 'secret-name',
        pilot: { username: owner.username },
        votes: 0,
        views: 0,
        publishedAt: task.publishedAt?.toISOString(),
        durationSeconds: 12.5,
        video: { url: PRESIGNED(`processed/${task.id}/video.mp4`) },
        thumbnail: { url: PRESIGNED(`processed/${task.id}/thumbnail.jpg`) },
      },
    });
    // The default title is the file name without its extension (docs/spec.md §9); the name itself never shows.
    expect(JSON.stringify(response.body)).not.toMatch(/secret-name\.mov|uploads\//);
  });

  it.each([
    ['private', async (owner: Caller) => (await processedTask(owner, { public: false })).id],
    [
      'unfinished',
      async (owner: Caller) => {
        const repository = getTaskRepository();
        const task = await awaitingTask(repository, owner);
        return task.id;
      },
    ],
    [
      'failed',
      async (owner: Caller) => {
        const repository = getTaskRepository();
        const task = await awaitingTask(repository, owner);
        await repository.markFailed(task.id, 'not a video', 'content');
        return task.id;
      },
    ],
    [
      'deleted',
      async (owner: Caller) => {
        const task = await processedTask(owner);
        const repository = getTaskRepository();
        await repository.markDeleting(task.id, owner.sub);
        await repository.purgeDeleting(task.id);
        return task.id;
      },
    ],
    [
      'being deleted (its objects not yet removed)',
      async (owner: Caller) => {
        const task = await processedTask(owner);
        await getTaskRepository().markDeleting(task.id, owner.sub);
        return task.id;
      },
    ],
    ['unknown', () => Promise.resolve(999_999_999)],
  ])('answers 404 for a %s video on every public route', async (_kind, make) => {
    // Prepare
    const owner = newCaller();
    const voter = newCaller('voter');
    const id = await make(owner);
    const notFound = { statusCode: 404, headers: securityHeaders, body: { message: 'Video not found' } };

    // Act
    const results = [await publicVideo(id), await castVote(voter, id)];

    // Assess
    expect(results).toEqual([notFound, notFound]);
    expect(await withdraw(voter, id)).toEqual({
      statusCode: 404,
      headers: securityHeaders,
      body: { message: 'You have no vote on this video' },
    });
  });

  it.each(['0', '-1', 'abc', '1e3', '9999999999999999'])('answers 400 for the id %j', async (id) => {
    const expected = {
      statusCode: 400,
      headers: securityHeaders,
      body: { message: 'Invalid video id', errors: [{ field: 'id', message: 'Must be a positive integer' }] },
    };
    expect(await publicVideo(id, INVALID_REQUEST)).toEqual(expected);
    expect(await castVote(newCaller(), id, INVALID_REQUEST)).toEqual(expected);
  });
});

describe('POST and DELETE /api/public/videos/{id}/vote', () => {
  it('counts a vote, refuses a second one with 409 and takes a withdrawn one away', async () => {
    // Prepare
    const owner = newCaller();
    const voter = newCaller('voter');
    const task = await processedTask(owner);

    // Act
    const first = await castVote(voter, task.id);
    const second = await castVote(voter, task.id);
    const shown = await publicVideo(task.id);
    const withdrawn = await withdraw(voter, task.id);
    const again = await withdraw(voter, task.id);

    // Assess
    expect(first).toEqual({ statusCode: 201, headers: securityHeaders, body: { id: task.id, votes: 1 } });
    expect(second).toEqual({
      statusCode: 409,
      headers: securityHeaders,
      body: { message: 'You have already voted for this video' },
    });
    expect((shown.body as { votes: number }).votes).toBe(1);
    expect(withdrawn).toEqual({ statusCode: 204, headers: securityHeaders, body: undefined });
    expect(again).toEqual({
      statusCode: 404,
      headers: securityHeaders,
      body: { message: 'You have no vote on this video' },
    });
    expect(await countsOf(task.id, owner)).toEqual({
      voteCount: 0,
      voteRows: 0,
      pilotVotes: 0,
      pilotVotesExpected: 0,
      pilotVideos: 1,
    });
  });

  it('answers 403 to a pilot voting for their own video, and 401 without a caller', async () => {
    // Prepare
    const owner = newCaller();
    const task = await processedTask(owner);

    // Act
    const own = await castVote(owner, task.id);
    const anonymous = await castVote(undefined, task.id);

    // Assess
    expect(own).toEqual({
      statusCode: 403,
      headers: securityHeaders,
      body: { message: 'You cannot vote for your own video' },
    });
    expect(anonymous).toEqual({
      statusCode: 401,
      headers: securityHeaders,
      body: { message: 'Unauthorized' },
    });
    expect(await countsOf(task.id, owner)).toMatchObject({ voteCount: 0, voteRows: 0 });
  });

  it('counts 20 concurrent votes of 20 users exactly', async () => {
    // Prepare
    const owner = newCaller();
    const task = await processedTask(owner);
    const voters = Array.from({ length: 20 }, () => newCaller('voter'));

    // Act
    const statuses = await Promise.all(voters.map((voter, index) => voteOn(index, voter, task.id)));

    // Assess
    expect(statuses).toEqual(Array(20).fill(201));
    expect((await publicVideo(task.id)).body).toMatchObject({ votes: 20 });
    expect(await countsOf(task.id, owner)).toEqual({
      voteCount: 20,
      voteRows: 20,
      pilotVotes: 20,
      pilotVotesExpected: 20,
      pilotVideos: 1,
    });
  });

  it('accepts exactly one of 10 concurrent votes of one user: one 201 and nine 409', async () => {
    // Prepare
    const owner = newCaller();
    const task = await processedTask(owner);
    const voter = newCaller('voter');

    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, index) => voteOn(index, voter, task.id)),
    );

    // Assess
    const statuses = outcomes.sort();
    expect(statuses).toEqual([201, ...Array<number>(9).fill(409)]);
    expect(await countsOf(task.id, owner)).toMatchObject({ voteCount: 1, voteRows: 1, pilotVotes: 1 });
  });

  it('keeps every count exact through votes, withdrawals, unpublish, republish and delete', async () => {
    // Prepare
    const owner = newCaller();
    const first = await processedTask(owner);
    const second = await processedTask(owner);
    const voters = Array.from({ length: 4 }, () => newCaller('voter'));
    for (const voter of voters) await castVote(voter, first.id);
    await castVote(voters[0] ?? owner, second.id);

    // Act + Assess, step by step
    await withdraw(voters[3] ?? owner, first.id);
    expect(await countsOf(first.id, owner)).toEqual({
      voteCount: 3,
      voteRows: 3,
      pilotVotes: 4,
      pilotVotesExpected: 4,
      pilotVideos: 2,
    });
    expect(await standingOf(owner)).toEqual({
      rank: anyNumber,
      pilot: { username: owner.username },
      votes: 4,
      videos: 2,
    });

    const unpublished = await patchTask(owner, first.id, { public: false });
    expect(unpublished.body).toMatchObject({ id: first.id, public: false, votes: 3 });
    expect(await countsOf(first.id, owner)).toEqual({
      voteCount: 3,
      voteRows: 3,
      pilotVotes: 1,
      pilotVotesExpected: 1,
      pilotVideos: 1,
    });
    expect((await publicVideo(first.id)).statusCode).toBe(404);
    expect((await castVote(newCaller('voter'), first.id)).statusCode).toBe(404);
    expect((await withdraw(voters[0] ?? owner, first.id)).statusCode).toBe(404);

    await patchTask(owner, first.id, { public: true });
    expect(await countsOf(first.id, owner)).toEqual({
      voteCount: 3,
      voteRows: 3,
      pilotVotes: 4,
      pilotVotesExpected: 4,
      pilotVideos: 2,
    });

    await invoke(deleteTask, {
      method: 'DELETE',
      route: '/api/tasks/{id}',
      pathParameters: { id: String(first.id) },
      caller: owner,
    });
    expect(await countsOf(first.id, owner)).toBeUndefined();
    expect(await countsOf(second.id, owner)).toEqual({
      voteCount: 1,
      voteRows: 1,
      pilotVotes: 1,
      pilotVotesExpected: 1,
      pilotVideos: 1,
    });
    const { rows } = await databasePool().query('SELECT 1 FROM votes WHERE task_id = $1', [first.id]);
    expect(rows).toEqual([]);

    await invoke(deleteTask, {
      method: 'DELETE',
      route: '/api/tasks/{id}',
      pathParameters: { id: String(second.id) },
      caller: owner,
    });
    expect(await standingOf(owner)).toBeUndefined();
  });
});

describe('PATCH /api/tasks/{id}', () => {
  it("switches the owner's task between public and private; the gallery follows", async () => {
    // Prepare
    const owner = newCaller();
    const task = await processedTask(owner);

    // Act
    const hidden = await patchTask(owner, task.id, { public: false });
    const listedWhileHidden = (await wholeGallery()).some((video) => video.id === task.id);
    const shown = await patchTask(owner, task.id, { public: true });
    const listedAgain = (await wholeGallery()).find((video) => video.id === task.id);

    // Assess
    expect(hidden).toEqual({
      statusCode: 200,
      headers: securityHeaders,
      body: {
        id: task.id,
        fileName: 'secret-name.mov',
        title: 'secret-name',
        status: 'processed',
        createdAt: anyString,
        updatedAt: anyString,
        public: false,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
        original: { url: anyString },
        processed: {
          url: anyString,
          playbackUrl: anyString,
          durationSeconds: 12.5,
          width: 1280,
          height: 720,
          sizeBytes: 4242,
        },
        thumbnail: { url: anyString },
      },
    });
    expect(listedWhileHidden).toBe(false);
    expect((shown.body as TaskResponse).public).toBe(true);
    // Republishing keeps the first publication time (docs/spec.md §9; test/integration/api-public-side.test.ts).
    expect(listedAgain?.publishedAt).toBe(task.publishedAt?.toISOString());
  });

  it('answers 404 for a task of someone else and 400 for a bad body', async () => {
    // Prepare
    const owner = newCaller();
    const task = await processedTask(owner);

    // Act
    const foreign = await patchTask(newCaller(), task.id, { public: false });
    const bad = await Promise.all([
      patchTask(owner, task.id, { public: 'no' }, INVALID_REQUEST),
      patchTask(owner, task.id, {}, INVALID_REQUEST),
      patchTask(owner, task.id, { public: false, status: 'processed' }, INVALID_REQUEST),
      patchTask(owner, task.id, '{not json', INVALID_REQUEST),
    ]);

    // Assess
    expect(foreign).toEqual({
      statusCode: 404,
      headers: securityHeaders,
      body: { message: 'Video not found' },
    });
    expect(bad.map((response) => [response.statusCode, response.body])).toEqual([
      [400, { message: 'Invalid request', errors: [{ field: 'public', message: 'Must be true or false' }] }],
      [
        400,
        {
          message: 'Invalid request',
          errors: [{ field: '(root)', message: 'Send at least one of public, title, clip, posterSeconds' }],
        },
      ],
      [400, { message: 'Invalid request', errors: [{ field: 'status', message: 'Unknown field' }] }],
      [400, { message: 'The request body is not valid JSON' }],
    ]);
    expect((await publicVideo(task.id)).statusCode).toBe(200);
  });

  it('POST /api/tasks with public false keeps the edit out of the gallery', async () => {
    // Prepare
    const owner = newCaller();

    // Act
    const response = await invoke(createTask, {
      method: 'POST',
      route: '/api/tasks',
      body: { fileName: 'a.mp4', contentType: 'video/mp4', size: 10, public: false },
      caller: owner,
    });
    const invalid = await invoke(
      createTask,
      {
        method: 'POST',
        route: '/api/tasks',
        body: { fileName: 'a.mp4', contentType: 'video/mp4', size: 10, public: 1 },
        caller: owner,
      },
      INVALID_REQUEST,
    );

    // Assess
    expect(response.body).toMatchObject({ public: false, votes: 0 });
    const stored = await getTaskRepository().findForOwner((response.body as TaskResponse).id, owner.sub);
    expect(stored).toMatchObject({ public: false, publishedAt: null });
    expect(invalid).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: { message: 'Invalid request', errors: [{ field: 'public', message: 'Must be true or false' }] },
    });
    const fetched = await invoke(getTask, {
      method: 'GET',
      route: '/api/tasks/{id}',
      pathParameters: { id: String((response.body as TaskResponse).id) },
      caller: owner,
    });
    expect(fetched.body).toMatchObject({ public: false, votes: 0 });
  });
});

const METADATA = {
  durationSeconds: 20,
  width: 1280,
  height: 720,
  sizeBytes: 4242,
  processingMs: 1,
  sourceBytesRead: 100,
};

describe('PATCH /api/tasks/{id} with a new cut (docs/spec.md §8)', () => {
  /** The re-cut markers of a task in the bucket: what puts it back on the upload queue. */
  async function markers(taskId: number): Promise<string[]> {
    const listed = await s3Client().send(
      new ListObjectsV2Command({ Bucket: process.env.BUCKET_NAME, Prefix: `requeue/${taskId}/` }),
    );
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  it('re-cuts a published video as revision 2 (202): out of the gallery while it is edited, back with its votes', async () => {
    // Prepare
    const owner = newCaller();
    const task = await processedTask(owner);
    const fan = newCaller('fan');
    expect((await castVote(fan, task.id)).statusCode).toBe(201);

    // Act
    const response = await patchTask(owner, task.id, { clip: { startSeconds: 95.5 }, posterSeconds: 3 });
    const listedWhileEditing = (await wholeGallery()).some((video) => video.id === task.id);

    // Assess
    expect(response.statusCode).toBe(202);
    expect(response.body).toMatchObject({
      id: task.id,
      status: 'uploaded',
      clip: { startSeconds: 95.5 },
      posterSeconds: 3,
      revision: 2,
      votes: 1,
    });
    expect((response.body as TaskResponse).processed).toBeUndefined();
    expect(listedWhileEditing).toBe(false);
    expect(await markers(task.id)).toEqual([expect.stringMatching(new RegExp(`^requeue/${task.id}/r2-`))]);
    expect(await countsOf(task.id, owner)).toMatchObject({ voteCount: 1, voteRows: 1, pilotVotes: 0 });

    // Act: the worker records revision 2 (a late revision-1 outcome first, which records nothing)
    const repository = getTaskRepository();
    await repository.markProcessing(task.id);
    const outputs = { ...outputKeys(task.id, 2), metadata: { ...METADATA } };
    const stale = await repository.markProcessed(
      task.id,
      { ...outputKeys(task.id), metadata: METADATA },
      { revision: 1 },
    );
    const recorded = await repository.markProcessed(task.id, outputs, { revision: 2 });
    const listed = (await wholeGallery()).find((video) => video.id === task.id);

    // Assess
    expect(stale).toBeNull();
    expect(recorded).toMatchObject({
      status: 'processed',
      revision: 2,
      processedKey: `processed/${task.id}/r2/video.mp4`,
    });
    expect(listed?.votes).toBe(1);
    expect(await countsOf(task.id, owner)).toMatchObject({
      voteCount: 1,
      pilotVotes: 1,
      pilotVotesExpected: 1,
    });
  });

  it('refuses a re-cut while the video is being edited (409), before anything was uploaded (409), and for someone else (404)', async () => {
    // Prepare
    const owner = newCaller();
    const editing = await processedTask(owner);
    expect((await patchTask(owner, editing.id, { clip: { startSeconds: 10 } })).statusCode).toBe(202);
    const waiting = await awaitingTask(getTaskRepository(), owner);

    // Act
    const responses = await Promise.all([
      patchTask(owner, editing.id, { clip: { startSeconds: 20 } }),
      patchTask(owner, waiting.id, { posterSeconds: 1 }),
      patchTask(newCaller(), editing.id, { clip: { startSeconds: 20 } }),
    ]);

    // Assess
    expect(responses.map((response) => [response.statusCode, response.body])).toEqual([
      [409, { message: 'The video is being edited; change the cut once it is processed.' }],
      [409, { message: 'The cut can be changed once the video is processed (or has failed).' }],
      [404, { message: 'Video not found' }],
    ]);
    expect(await getTaskRepository().findById(editing.id)).toMatchObject({
      revision: 2,
      clipStartSeconds: 10,
    });
  });

  it('limits re-cuts per pilot per rolling day in one step: of simultaneous re-cuts past the limit, only the allowed ones pass', async () => {
    // Prepare: a limit of 2, three processed tasks re-cut at the same moment on three instances
    const owner = newCaller();
    const tasks = await Promise.all([processedTask(owner), processedTask(owner), processedTask(owner)]);
    const services = instancePools
      .slice(0, 3)
      .map((pool) => instanceTaskService(pool, { ...taskLimits(), maxDailyRecuts: 2 }));

    // Act
    const outcomes = await Promise.allSettled(
      services.map((service, index) =>
        service.update(owner, tasks[index]?.id ?? 0, { clip: { startSeconds: 5 } }),
      ),
    );

    // Assess
    const refused = outcomes.filter((outcome) => outcome.status === 'rejected');
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(2);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ reason: expect.any(TooManyRequestsError) as unknown });
    const revisions = await Promise.all(tasks.map((task) => getTaskRepository().findById(task.id)));
    expect(revisions.map((task) => task?.revision).sort()).toEqual([1, 2, 2]);
  });
});

describe('GET /api/public/videos', () => {
  it('lists published videos newest first, page by page with a cursor, cacheable', async () => {
    // Prepare
    const owner = newCaller();
    const published = [];
    for (let index = 0; index < 3; index += 1) published.push(await processedTask(owner));
    await processedTask(owner, { public: false });

    // Act
    const first = await gallery({ max: '1' });
    const all = await wholeGallery();

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.headers).toEqual(PUBLIC_HEADERS);
    expect((first.body as PublicVideoListResponse).data).toHaveLength(1);
    expect((first.body as PublicVideoListResponse).nextCursor).toMatch(/^[0-9]+-[0-9]+$/);
    const mine = all.filter((video) => video.pilot.username === owner.username).map((video) => video.id);
    expect(mine).toEqual(published.map((task) => task.id).reverse());
    const order = all.map((video) => [Date.parse(video.publishedAt), video.id] as const);
    const sorted = [...order].sort((a, b) => b[0] - a[0] || b[1] - a[1]);
    expect(order).toEqual(sorted);
    expect(new Set(all.map((video) => video.id)).size).toBe(all.length);
  });

  it.each([
    [{ max: '0' }, 'max', 'Must be an integer from 1 to 100'],
    [{ max: '101' }, 'max', 'Must be an integer from 1 to 100'],
    [{ max: 'ten' }, 'max', 'Must be an integer from 1 to 100'],
    [{ cursor: '12' }, 'cursor', 'Must be the nextCursor of a previous page'],
    [{ cursor: 'abc-1' }, 'cursor', 'Must be the nextCursor of a previous page'],
    [{ order: '1' }, 'order', 'Unknown field'],
  ])('answers 400 for %j', async (query, field, message) => {
    expect(await gallery(query, INVALID_REQUEST)).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: { message: 'Invalid query parameters', errors: [{ field, message }] },
    });
  });
});

describe('GET /api/public/rankings', () => {
  it('ranks pilots by the votes on their published videos, ties sharing a rank, then by username', async () => {
    // Prepare: three pilots with 2, 2 and 1 votes, one of whose private video has more votes
    const tag = randomUUID().slice(0, 6);
    const [alpha, bravo, charlie] = ['a', 'b', 'c'].map((letter) => ({
      sub: randomUUID(),
      username: `rank_${tag}_${letter}`,
    })) as [Caller, Caller, Caller];
    const videos = {
      alpha: await processedTask(alpha),
      bravo: await processedTask(bravo),
      charlie: await processedTask(charlie),
      charliePrivate: await processedTask(charlie),
    };
    const voters = Array.from({ length: 3 }, () => newCaller('voter'));
    for (const voter of voters.slice(0, 2)) {
      await castVote(voter, videos.bravo.id);
      await castVote(voter, videos.alpha.id);
    }
    await castVote(voters[0] ?? alpha, videos.charlie.id);
    for (const voter of voters) await castVote(voter, videos.charliePrivate.id);
    await patchTask(charlie, videos.charliePrivate.id, { public: false });

    // Act
    const whole = await wholeRanking();
    const firstPage = await ranking();

    // Assess
    const mine = whole.data.filter((row) => row.pilot.username.startsWith(`rank_${tag}_`));
    const rankOf = (votes: number) => 1 + whole.data.filter((row) => row.votes > votes).length;
    expect(mine).toEqual([
      { rank: rankOf(2), pilot: { username: alpha.username }, votes: 2, videos: 1 },
      { rank: rankOf(2), pilot: { username: bravo.username }, votes: 2, videos: 1 },
      { rank: rankOf(1), pilot: { username: charlie.username }, votes: 1, videos: 1 },
    ]);
    expect(whole.total).toBe(whole.data.length);
    for (const [index, row] of whole.data.entries()) {
      expect(row.rank).toBe(rankOf(row.votes));
      const next = whole.data[index + 1];
      if (next !== undefined) expect(next.votes).toBeLessThanOrEqual(row.votes);
    }
    expect(firstPage.headers).toEqual(PUBLIC_HEADERS);
    expect((firstPage.body as RankingsResponse).data.length).toBe(Math.min(20, whole.total));
  });

  it('answers an empty page with the total past the end, up to the deepest offset', async () => {
    // Act
    const response = await ranking({ offset: String(MAX_RANKINGS_OFFSET) });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.body).toEqual({ data: [], total: (await wholeRanking()).total, period: 'all' });
  });

  it.each([
    [{ limit: '0' }, 'limit', 'Must be an integer from 1 to 100'],
    [{ limit: '101' }, 'limit', 'Must be an integer from 1 to 100'],
    [{ offset: '-1' }, 'offset', 'Must be an integer from 0 to 10000'],
    [{ offset: '1.5' }, 'offset', 'Must be an integer from 0 to 10000'],
    // Each offset is a query and a cache key of its own: past the cap they would be unbounded.
    [{ offset: '10001' }, 'offset', 'Must be an integer from 0 to 10000'],
    [{ offset: '100000000' }, 'offset', 'Must be an integer from 0 to 10000'],
    [{ page: '2' }, 'page', 'Unknown field'],
  ])('answers 400 for %j', async (query, field, message) => {
    expect(await ranking(query, INVALID_REQUEST)).toEqual({
      statusCode: 400,
      headers: securityHeaders,
      body: { message: 'Invalid query parameters', errors: [{ field, message }] },
    });
  });
});
