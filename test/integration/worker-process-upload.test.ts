/**
 * The worker entry end to end against real PostgreSQL, s3rver and ffmpeg: SQS events built the way
 * S3 → SQS delivers them, tasks created the way the API creates them.
 */
import { createdTask } from '#test/helpers/tasks';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { databasePool, s3Client } from '#commons/clients';
import { storageConfig } from '#commons/config';
import { getTaskRepository, getTaskService } from '#commons/composition-root';
import type { Caller, Task } from '#core/task';
import { handler } from '#functions/worker/process-upload';
import { lambdaContext } from '#infra/local/lambda-context';
import { generateValidFixture, INVALID_FIXTURES, VALID_FIXTURES } from './worker-media';
import { sqsEvent as sqsEventOf } from '#test/helpers/sqs';
import { postUpload } from '#test/support/http-client';
import { storedVersions } from '#test/helpers/object-versions';

const { bucket } = storageConfig();
const repository = getTaskRepository();

function fixture(file: string) {
  const found = [...VALID_FIXTURES, ...INVALID_FIXTURES].find((candidate) => candidate.file === file);
  if (!found) throw new Error(`no fixture ${file}`);
  return found;
}

/**
 * The SQS record S3 → SQS delivers for one ObjectCreated, with the key URL-encoded as S3 does (and the version, as a
 * versioned bucket names it).
 */
function sqsEvent(key: string, size: number, receiveCount = 1, versionId?: string): SQSEvent {
  const body = JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Post',
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'uploads',
          bucket: { name: bucket },
          object: {
            key: encodeURIComponent(key).replace(/%2F/g, '/'),
            size,
            eTag: 'etag',
            ...(versionId === undefined ? {} : { versionId }),
          },
        },
      },
    ],
  });
  return sqsEventOf(body, { receiveCount });
}

function deliver(event: SQSEvent, timeoutSeconds = 180): Promise<SQSBatchResponse> {
  return handler(
    event,
    lambdaContext({ name: 'process-upload', region: 'us-east-1', timeoutSeconds, memoryMb: 2048 }),
  );
}

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await s3Client().send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

async function taskRow(task: Task): Promise<Task | null> {
  return repository.findByOriginalKey(task.originalKey);
}

describe('process-upload worker', () => {
  let dir: string;
  let sharedTmp: string | undefined;
  let pilot: Caller;

  /** A task in awaiting_upload whose upload (a generated fixture) has just arrived in the bucket. */
  async function uploaded(file: string): Promise<{ task: Task; event: (receiveCount?: number) => SQSEvent }> {
    const task = await createdTask(repository, {
      ownerId: pilot.sub,
      fileName: file,
      contentType: 'video/mp4',
      declaredBytes: 1,
      uploadExpiresAt: new Date(Date.now() + 3_600_000),
      keyNonce: randomUUID(),
    });
    const body = await readFile(join(dir, file));
    await s3Client().send(new PutObjectCommand({ Bucket: bucket, Key: task.originalKey, Body: body }));
    return { task, event: (receiveCount = 1) => sqsEvent(task.originalKey, body.length, receiveCount) };
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'worker-integration-'));
    // The worker's /tmp of its own: other test files run ffmpeg at the same time, and their work
    // folders in the shared /tmp must not count as this worker's leftovers.
    sharedTmp = process.env.TMPDIR;
    process.env.TMPDIR = await mkdtemp(join(dir, 'tmp-'));
    pilot = { sub: randomUUID(), username: `pilot_${randomUUID().slice(0, 8)}` };
    await repository.ensureUser(pilot);
    await generateValidFixture(dir, fixture('clip.mov') as (typeof VALID_FIXTURES)[number]);
    for (const invalid of INVALID_FIXTURES) await invalid.generate(join(dir, invalid.file), dir);
  });

  afterAll(async () => {
    if (sharedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = sharedTmp;
    await rm(dir, { recursive: true, force: true });
  });

  it('processes an upload: outputs under processed/{id}/, metadata recorded, message acknowledged, /tmp clean', async () => {
    // Prepare
    const { task, event } = await uploaded('clip.mov');
    const tmpBefore = (await readdir(tmpdir())).filter((name) => name.startsWith('idrl-worker-'));

    // Act
    const response = await deliver(event());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const row = await taskRow(task);
    expect(row).toMatchObject({
      status: 'processed',
      failureReason: null,
      processedKey: `processed/${task.id}/video.mp4`,
      thumbnailKey: `processed/${task.id}/thumbnail.jpg`,
      processed: { durationSeconds: expect.closeTo(7, 1) as unknown, width: 1280, height: 720 },
    });
    expect(row?.processed?.sourceBytesRead).toBeGreaterThan(0);
    expect(row?.uploadedAt).not.toBeNull();
    expect(row?.processingStartedAt).not.toBeNull();
    expect(row?.processedAt).not.toBeNull();
    expect(await keysUnder(`processed/${task.id}/`)).toEqual([
      `processed/${task.id}/thumbnail.jpg`,
      `processed/${task.id}/video.mp4`,
    ]);
    expect((await readdir(tmpdir())).filter((name) => name.startsWith('idrl-worker-'))).toEqual(tmpBefore);
  });

  it('makes one output and one transition from the same message delivered twice at once', async () => {
    // Prepare
    const { task, event } = await uploaded('clip.mov');
    const message = event();

    // Act
    const responses = await Promise.all([deliver(message), deliver(message)]);

    // Assess
    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const row = await taskRow(task);
    expect(row?.status).toBe('processed');
    const processedAt = row?.processedAt;
    expect(await deliver(event(2))).toEqual({ batchItemFailures: [] });
    expect((await taskRow(task))?.processedAt).toEqual(processedAt);
    expect(await keysUnder(`processed/${task.id}/`)).toHaveLength(2);
  });

  it('edits re-cuts exactly once across revisions: duplicate and late messages of older revisions change nothing', async () => {
    // Prepare: revision 1 processed
    const { task, event } = await uploaded('clip.mov');
    expect(await deliver(event())).toEqual({ batchItemFailures: [] });
    const tasks = getTaskService();
    const markerOf = async (revision: number): Promise<SQSEvent> => {
      const [marker] = (await keysUnder(`requeue/${task.id}/r${revision}-`)).slice(-1);
      if (marker === undefined) throw new Error(`no marker of revision ${revision}`);
      return sqsEvent(marker, 0);
    };

    // Act: re-cut from 1 s (revision 2); its marker delivered twice at once, then the original's message late
    expect((await tasks.update(pilot, task.id, { clip: { startSeconds: 1 } })).recut).toBe(true);
    const second = await markerOf(2);
    const twice = await Promise.all([deliver(second), deliver(second)]);
    const lateOriginal = await deliver(event());
    const afterSecond = await taskRow(task);
    // Then revision 3 from 2 s, with revision 2's marker redelivered before revision 3's own
    expect(
      (await tasks.update(pilot, task.id, { clip: { startSeconds: 2 }, posterSeconds: 0.5 })).recut,
    ).toBe(true);
    const third = await markerOf(3);
    const lateSecond = await deliver(second);
    const whileWaiting = await taskRow(task);
    await deliver(third);

    // Assess
    for (const response of [...twice, lateOriginal, lateSecond])
      expect(response).toEqual({ batchItemFailures: [] });
    expect(afterSecond).toMatchObject({
      status: 'processed',
      revision: 2,
      processedKey: `processed/${task.id}/r2/video.mp4`,
      processed: { durationSeconds: expect.closeTo(6, 1) as unknown },
    });
    expect(whileWaiting).toMatchObject({ status: 'uploaded', revision: 3 });
    expect(await taskRow(task)).toMatchObject({
      status: 'processed',
      revision: 3,
      clipStartSeconds: 2,
      posterSeconds: 0.5,
      processedKey: `processed/${task.id}/r3/video.mp4`,
      thumbnailKey: `processed/${task.id}/r3/thumbnail.jpg`,
      processed: { durationSeconds: expect.closeTo(5, 1) as unknown },
    });
    // Only the newest edit's objects remain, and every marker was consumed.
    expect(await keysUnder(`processed/${task.id}/`)).toEqual([
      `processed/${task.id}/r3/thumbnail.jpg`,
      `processed/${task.id}/r3/video.mp4`,
    ]);
    expect(await keysUnder(`requeue/${task.id}/`)).toEqual([]);
  });

  describe('single-use upload grants (docs/worker.md, "Single-use uploads")', () => {
    const first = 'clip.mov';
    /** A PNG: were it ever edited, the task would fail. */
    const second = 'image.mp4';

    /** A task created as the API creates it, and a post of a fixture to its grant with S3's notification of it. */
    async function granted() {
      const sizes = await Promise.all(
        [first, second].map(async (file) => (await readFile(join(dir, file))).length),
      );
      const created = await getTaskService().create(pilot, {
        fileName: first,
        contentType: 'video/mp4',
        size: Math.max(...sizes),
      });
      const task = await repository.findById(created.id);
      if (task === null) throw new Error('the task was not created');
      const post = async (file: string): Promise<{ versionId: string; event: SQSEvent }> => {
        const posted = await postUpload(created.upload, join(dir, file), 'video/mp4');
        expect(posted.status).toBe(204);
        const versionId = posted.headers.get('x-amz-version-id') ?? '';
        const { length } = await readFile(join(dir, file));
        return { versionId, event: sqsEvent(task.originalKey, length, 1, versionId) };
      };
      return { task, post };
    }

    /** The pilot's download of the original (GET /api/tasks/{id}), and what is stored under the key now. */
    async function originals(task: Task): Promise<{ download: Buffer; current: Buffer }> {
      const view = await getTaskService().get(pilot, task.id);
      const download = Buffer.from(await (await fetch(view.original?.url ?? '')).arrayBuffer());
      const stored = await s3Client().send(new GetObjectCommand({ Bucket: bucket, Key: task.originalKey }));
      return { download, current: Buffer.from((await stored.Body?.transformToByteArray()) ?? []) };
    }

    async function replaysCharged(task: Task): Promise<string[]> {
      const { rows } = await databasePool().query<{ declared_bytes: string }>(
        'SELECT declared_bytes FROM upload_quota_usage WHERE owner_id = $1 AND replay LIKE $2',
        [pilot.sub, `${task.originalKey}?versionId=%`],
      );
      return rows.map((row) => row.declared_bytes);
    }

    it("edits the first post once; the grant's second post is deleted, never edited, and counts against the quota", async () => {
      // Prepare
      const { task, post } = await granted();
      const firstPost = await post(first);
      expect(await deliver(firstPost.event)).toEqual({ batchItemFailures: [] });
      const edited = await taskRow(task);

      // Act: the same grant posted again, its notification delivered twice
      const secondPost = await post(second);
      const responses = [await deliver(secondPost.event), await deliver(secondPost.event)];

      // Assess: one edit, one stored version, the first file's bytes
      expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(secondPost.versionId).not.toBe(firstPost.versionId);
      const row = await taskRow(task);
      expect(row).toMatchObject({ status: 'processed', revision: 1, originalVersionId: firstPost.versionId });
      expect(row?.processedAt).toEqual(edited?.processedAt);
      const firstBytes = await readFile(join(dir, first));
      const { download, current } = await originals(task);
      expect(download.equals(firstBytes)).toBe(true);
      expect(current.equals(firstBytes)).toBe(true);
      const gone = await s3Client()
        .send(
          new GetObjectCommand({ Bucket: bucket, Key: task.originalKey, VersionId: secondPost.versionId }),
        )
        .then(
          () => 'kept',
          (error: unknown) => (error as Error).name,
        );
      expect(gone).toBe('NoSuchVersion');
      expect(await replaysCharged(task)).toEqual([String((await readFile(join(dir, second))).length)]);
    });

    /** The first post, recorded as its notification records it (markUploaded with its version). */
    async function recordedFirstPost() {
      const { task, post } = await granted();
      const { versionId } = await post(first);
      const { length } = await readFile(join(dir, first));
      expect(await repository.markUploaded(task.originalKey, length, versionId)).not.toBeNull();
      return { task, post };
    }

    it("downloads the first post while the grant's second post still awaits its notification", async () => {
      // Prepare
      const { task, post } = await recordedFirstPost();

      // Act: the same grant posted again; the worker has not handled it yet
      await post(second);
      const { download, current } = await originals(task);

      // Assess: the key holds the second file now, the pilot's download still the first
      expect(current.equals(await readFile(join(dir, second)))).toBe(true);
      expect(download.equals(await readFile(join(dir, first)))).toBe(true);
    });

    it("deletes the original for good with its task: a URL handed out before answers 404, and a later post's version goes with its notification", async () => {
      // Prepare: a download URL handed out, then a second post to the grant not handled yet
      const { task, post } = await recordedFirstPost();
      const url = (await getTaskService().get(pilot, task.id)).original?.url ?? '';
      const before = await fetch(url);
      await before.arrayBuffer();
      const secondPost = await post(second);

      // Act: the task's delete, then the second post's notification
      await getTaskService().delete(pilot, task.id);
      const after = await fetch(url);
      const left = await storedVersions(bucket, `uploads/${task.id}/`);
      const orphan = await deliver(secondPost.event);

      // Assess
      expect([before.status, after.status]).toEqual([200, 404]);
      expect(await after.text()).toContain('<Code>NoSuchVersion</Code>');
      expect(left).toEqual([`${task.originalKey}/${secondPost.versionId}`]);
      expect(orphan).toEqual({ batchItemFailures: [] });
      expect(await storedVersions(bucket, `uploads/${task.id}/`)).toEqual([]);
    });

    it('keeps the edit in progress on the first post when the grant is posted again during it', async () => {
      // Prepare
      const { task, post } = await granted();
      const firstPost = await post(first);

      // Act: the second post and its notification while the first one's edit runs
      const editing = deliver(firstPost.event);
      await vi.waitFor(
        async () => {
          expect((await taskRow(task))?.status).toBe('processing');
        },
        { timeout: 30_000, interval: 20 },
      );
      const secondPost = await post(second);
      const replay = await deliver(secondPost.event);
      const edit = await editing;

      // Assess: one edit of the first file, never put back on the queue
      expect([edit, replay]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(await taskRow(task)).toMatchObject({
        status: 'processed',
        revision: 1,
        originalVersionId: firstPost.versionId,
        processed: { durationSeconds: expect.closeTo(7, 1) as unknown },
      });
      expect(await keysUnder(`requeue/${task.id}/`)).toEqual([]);
      const { download, current } = await originals(task);
      const firstBytes = await readFile(join(dir, first));
      expect(download.equals(firstBytes)).toBe(true);
      expect(current.equals(firstBytes)).toBe(true);
    });
  });

  it('completes a task whose previous attempt crashed mid-processing when the message is redelivered', async () => {
    // Prepare: the crashed attempt claimed the task ten minutes ago and never came back.
    const { task, event } = await uploaded('clip.mov');
    await repository.markUploaded(task.originalKey, 1);
    await repository.markProcessing(task.id);
    await databasePool().query(
      `UPDATE tasks SET processing_started_at = now() - interval '10 minutes' WHERE id = $1`,
      [task.id],
    );

    // Act
    const response = await deliver(event(2));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect((await taskRow(task))?.status).toBe('processed');
  });

  it('leaves nothing behind when the task is deleted while it is being processed', async () => {
    // Prepare
    const { task, event } = await uploaded('clip.mov');
    const processing = deliver(event());
    // Polls until the worker moved the task on; it must then be mid-processing, not already done.
    let status = (await taskRow(task))?.status;
    while (status === 'awaiting_upload' || status === 'uploaded') {
      await new Promise((resolve) => setTimeout(resolve, 20));
      status = (await taskRow(task))?.status;
    }
    expect(status).toBe('processing');

    // Act
    await getTaskService().delete(pilot, task.id);
    const response = await processing;

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await taskRow(task)).toBeNull();
    expect(await keysUnder(`processed/${task.id}/`)).toEqual([]);
    expect(await keysUnder(`uploads/${task.id}/`)).toEqual([]);
  });

  it('deletes an upload whose task no longer exists and acknowledges it', async () => {
    // Prepare
    const { task, event } = await uploaded('clip.mov');
    await repository.markDeleting(task.id, pilot.sub);

    // Act
    const response = await deliver(event());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(await keysUnder(`uploads/${task.id}/`)).toEqual([]);
  });

  it.each(INVALID_FIXTURES)('fails a $name at once with a reason and acknowledges it', async (invalid) => {
    // Prepare
    const { task, event } = await uploaded(invalid.file);

    // Act
    const response = await deliver(event());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const row = await taskRow(task);
    expect(row?.status).toBe('failed');
    expect(row?.failureReason).toMatch(invalid.reason);
    expect(await keysUnder(`processed/${task.id}/`)).toEqual([]);
  });

  it('retries a transient storage failure, then fails the task on the final attempt', async () => {
    // Prepare: the task exists but its object is not in the bucket.
    const { task, event } = await uploaded('clip.mov');
    await s3Client().send(new DeleteObjectCommand({ Bucket: bucket, Key: task.originalKey }));

    // Act
    const first = await deliver(event(1));
    const statusAfterFirst = (await taskRow(task))?.status;
    const last = await deliver(event(3));

    // Assess
    expect(first.batchItemFailures).toHaveLength(1);
    expect(statusAfterFirst).toBe('uploaded');
    expect(last).toEqual({ batchItemFailures: [] });
    const row = await taskRow(task);
    expect(row?.status).toBe('failed');
    expect(row?.failureReason).toBe(
      'Processing failed after 3 attempts; retry it or upload the video again.',
    );
  });

  it('stops ffmpeg before the Lambda timeout and fails the task with a reason', async () => {
    // Prepare: 15 s left at the start of the invocation is exactly the safety margin, so the deadline
    // has passed when the first tool starts and the outcome cannot depend on how fast this machine
    // decodes (one second of budget did not suffice on a busy one).
    const landscape = VALID_FIXTURES[0];
    if (!landscape) throw new Error('no landscape fixture');
    await generateValidFixture(dir, landscape);
    const { task, event } = await uploaded(landscape.file);

    // Act
    const response = await deliver(event(), 15);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const row = await taskRow(task);
    expect(row?.status).toBe('failed');
    expect(row?.failureReason).toMatch(
      /^Processing was stopped after 0 s \(probe\): the video takes longer than the worker allows\.$/,
    );
  });
});
