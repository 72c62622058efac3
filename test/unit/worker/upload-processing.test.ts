import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseResumingError } from '#core/errors';
import {
  ObjectChangedError,
  PermanentProcessingError,
  ProcessingTimeoutError,
  ResourceExhaustedError,
} from '#core/processing-errors';
import { UploadProcessingService, type ProcessingAttempt, type UploadOutcome } from '#core/upload-processing';
import { recutKey } from '#core/object-keys';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { pilot, storedUpload } from '#test/unit/fakes/task-fixtures';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { FakeSourceServer } from './fake-source-server';
import { FakeVideoProcessor } from './fake-video-processor';

const OUTPUTS = ['processed/1/video.mp4', 'processed/1/thumbnail.jpg'];

describe('UploadProcessingService', () => {
  let clock: FixedClock;
  let tasks: InMemoryTaskRepository;
  let objects: InMemoryObjectStore;
  let sources: FakeSourceServer;
  let videos: FakeVideoProcessor;
  let service: UploadProcessingService;
  let workDir: string;

  function attempt(overrides: Partial<ProcessingAttempt> = {}): ProcessingAttempt {
    return {
      receiveCount: 1,
      deadline: new Date(clock.now().getTime() + 165_000),
      workDir,
      reclaimAfterSeconds: 210,
      ...overrides,
    };
  }

  beforeEach(async () => {
    clock = new FixedClock();
    tasks = new InMemoryTaskRepository(() => clock.now());
    objects = new InMemoryObjectStore(() => clock.now());
    sources = new FakeSourceServer(objects);
    videos = new FakeVideoProcessor();
    service = new UploadProcessingService({ tasks, objects, sources, videos, clock }, { maxReceiveCount: 3 });
    workDir = await mkdtemp(join(tmpdir(), 'worker-unit-'));
    await storedUpload(tasks, objects);
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it('edits an upload read through the source server, stores both outputs under deterministic keys and records the metadata', async () => {
    // Prepare
    const first = attempt();
    videos.behaviour = () => {
      clock.advance(4_000);
      return Promise.resolve();
    };

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, first);

    // Assess
    const metadata = {
      durationSeconds: 20,
      width: 1280,
      height: 720,
      sizeBytes: 5,
      processingMs: 4_000,
      sourceBytesRead: 2_000,
    };
    expect(outcome).toEqual({ kind: 'processed', taskId: 1, metadata });
    expect(tasks.tasks.get(1)).toMatchObject({
      status: 'processed',
      processedKey: OUTPUTS[0],
      thumbnailKey: OUTPUTS[1],
      processed: metadata,
    });
    expect([...objects.objects.keys()]).toEqual(['uploads/1/nonce', ...OUTPUTS]);
    expect(videos.calls).toEqual([
      {
        source: 'http://127.0.0.1:9/uploads%2F1%2Fnonce',
        workDir,
        deadline: first.deadline,
        taskId: 1,
        sourceKey: 'uploads/1/nonce',
        attempt: 1,
        cut: { clipStartSeconds: 0, posterSeconds: 0 },
        revision: 1,
      },
    ]);
    expect({ served: sources.served, open: sources.open }).toEqual({ served: ['uploads/1/nonce'], open: 0 });
  });

  it('acknowledges a duplicate of an already processed upload without editing again', async () => {
    // Prepare
    await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());
    const before = { ...tasks.tasks.get(1) };

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(outcome).toEqual({ kind: 'duplicate', taskId: 1, status: 'processed' });
    expect(tasks.tasks.get(1)).toEqual(before);
    expect(videos.calls).toHaveLength(1);
  });

  it('leaves a task to the live attempt that holds it', async () => {
    // Prepare
    await tasks.markUploaded('uploads/1/nonce', 2_000);
    await tasks.markProcessing(1);
    clock.advance(60_000);

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(outcome).toEqual({ kind: 'duplicate', taskId: 1, status: 'processing' });
    expect(videos.calls).toEqual([]);
  });

  it('takes over a task whose attempt crashed once the claim is older than the worker timeout', async () => {
    // Prepare
    await tasks.markUploaded('uploads/1/nonce', 2_000);
    await tasks.markProcessing(1);
    clock.advance(211_000);

    // Act
    const outcome = await service.handle(
      { key: 'uploads/1/nonce', sizeBytes: 2_000 },
      attempt({ receiveCount: 2 }),
    );

    // Assess
    expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
    expect(tasks.tasks.get(1)?.status).toBe('processed');
  });

  it('deletes the object of a task that no longer exists and acknowledges', async () => {
    // Prepare
    await tasks.markDeleting(1, 'sub-pilot');

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(outcome).toEqual({ kind: 'orphan-deleted', key: 'uploads/1/nonce' });
    expect(objects.objects.size).toBe(0);
    expect(videos.calls).toEqual([]);
  });

  it('ignores keys outside uploads/ and touches nothing', async () => {
    // Act
    const outcome = await service.handle({ key: 'processed/1/video.mp4', sizeBytes: 5 }, attempt());

    // Assess
    expect(outcome).toEqual({ kind: 'ignored', key: 'processed/1/video.mp4' });
    expect(tasks.tasks.get(1)?.status).toBe('awaiting_upload');
  });

  it('fails the task at once with the reason of a permanent error and keeps no outputs', async () => {
    // Prepare
    objects.objects.set(OUTPUTS[0] ?? '', 1);
    videos.behaviour = () =>
      Promise.reject(
        new PermanentProcessingError('The file contains only audio; a video stream is required.'),
      );

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(outcome).toEqual({
      kind: 'failed',
      taskId: 1,
      reason: 'The file contains only audio; a video stream is required.',
      failureKind: 'content',
    });
    expect(tasks.tasks.get(1)).toMatchObject({
      status: 'failed',
      failureReason: 'The file contains only audio; a video stream is required.',
    });
    expect([...objects.objects.keys()]).toEqual(['uploads/1/nonce']);
    expect(sources.open).toBe(0);
  });

  it('retries instead of failing the task when storage broke the read that ffmpeg judged', async () => {
    // Prepare: S3 dropped the connection mid-read; ffmpeg took the cut-off file for a broken video.
    const storage = new Error('read ECONNRESET');
    videos.behaviour = () => {
      sources.failure = storage;
      return Promise.reject(
        new PermanentProcessingError(
          'The video could not be decoded (Invalid data found when processing input).',
        ),
      );
    };

    // Act
    const handled = service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    await expect(handled).rejects.toBe(storage);
    expect(tasks.tasks.get(1)?.status).toBe('uploaded');
    expect(sources.open).toBe(0);
  });

  it('does not publish an edit that succeeded over a read storage broke', async () => {
    // Prepare: ffmpeg took the early end of the read for the end of the file and finished.
    const storage = new Error('read ECONNRESET');
    videos.behaviour = () => {
      sources.failure = storage;
      return Promise.resolve();
    };

    // Act
    const handled = service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    await expect(handled).rejects.toBe(storage);
    expect(tasks.tasks.get(1)?.status).toBe('uploaded');
    expect([...objects.objects.keys()]).toEqual(['uploads/1/nonce']);
  });

  it('releases the task and rethrows a transient error so the redelivery can claim it at once', async () => {
    // Prepare
    const transient = new Error('socket hang up');
    videos.behaviour = () => Promise.reject(transient);

    // Act
    const handled = service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    await expect(handled).rejects.toBe(transient);
    expect(tasks.tasks.get(1)?.status).toBe('uploaded');
    videos.behaviour = () => Promise.resolve();
    await expect(
      service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt({ receiveCount: 2 })),
    ).resolves.toMatchObject({ kind: 'processed' });
  });

  it('treats a database still resuming as transient: nothing recorded, the redelivery processes the upload', async () => {
    // Prepare
    const markUploaded = tasks.markUploaded.bind(tasks);
    let resuming = true;
    tasks.markUploaded = (key, sourceBytes) =>
      resuming ? Promise.reject(new DatabaseResumingError()) : markUploaded(key, sourceBytes);

    // Act
    const handled = service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    await expect(handled).rejects.toBeInstanceOf(DatabaseResumingError);
    expect(tasks.tasks.get(1)?.status).toBe('awaiting_upload');
    resuming = false;
    await expect(
      service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt({ receiveCount: 2 })),
    ).resolves.toMatchObject({ kind: 'processed' });
  });

  it('fails the task on the final attempt instead of rethrowing a transient error', async () => {
    // Prepare
    videos.behaviour = () => Promise.reject(new Error('socket hang up'));

    // Act
    const outcome = await service.handle(
      { key: 'uploads/1/nonce', sizeBytes: 2_000 },
      attempt({ receiveCount: 3 }),
    );

    // Assess
    expect(outcome).toEqual({
      kind: 'failed',
      taskId: 1,
      reason: 'Processing failed after 3 attempts; retry it or upload the video again.',
      failureKind: 'transient',
      detail: 'socket hang up',
    });
    expect(tasks.tasks.get(1)).toMatchObject({
      status: 'failed',
      failureReason: 'Processing failed after 3 attempts; retry it or upload the video again.',
    });
  });

  it('retries an edit the system killed once, then fails the task with its reason before the retry budget', async () => {
    // Prepare
    const killed = new ResourceExhaustedError(
      'The video needs more memory than the worker has: ffmpeg edit was stopped (SIGKILL).',
    );
    videos.behaviour = () => Promise.reject(killed);

    // Act
    const first = service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());
    await expect(first).rejects.toBe(killed);
    const statusBetween = tasks.tasks.get(1)?.status;
    const second = await service.handle(
      { key: 'uploads/1/nonce', sizeBytes: 2_000 },
      attempt({ receiveCount: 2 }),
    );

    // Assess
    expect(statusBetween).toBe('uploaded');
    expect(second).toEqual({ kind: 'failed', taskId: 1, reason: killed.message, failureKind: 'content' });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'failed', failureReason: killed.message });
  });

  it('removes its outputs when the task is deleted while it is being processed', async () => {
    // Prepare
    videos.behaviour = async () => {
      await tasks.markDeleting(1, 'sub-pilot');
      await objects.deleteMany(['uploads/1/nonce', ...OUTPUTS]);
    };

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(outcome).toEqual({ kind: 'deleted-during-processing', taskId: 1 });
    expect(tasks.tasks.size).toBe(0);
    expect(objects.objects.size).toBe(0);
  });

  it('acknowledges a transient failure caused by the task being deleted under it', async () => {
    // Prepare: the owner deletes the task (row and upload) just as the worker starts reading it.
    const serve = sources.serve.bind(sources);
    sources.serve = async (key) => {
      await tasks.markDeleting(1, 'sub-pilot');
      await objects.deleteMany([key]);
      return serve(key);
    };

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(outcome).toEqual({ kind: 'deleted-during-processing', taskId: 1 });
    expect(tasks.tasks.size).toBe(0);
    expect(objects.objects.size).toBe(0);
    expect(videos.calls).toEqual([]);
  });

  it('records nothing when the task is deleted while a permanent failure is being recorded', async () => {
    // Prepare
    videos.behaviour = async () => {
      await tasks.markDeleting(1, 'sub-pilot');
      throw new PermanentProcessingError('The file contains no video stream.');
    };

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(outcome).toEqual({ kind: 'deleted-during-processing', taskId: 1 });
    expect(tasks.tasks.size).toBe(0);
  });

  function markers(): string[] {
    return [...objects.objects.keys()].filter((key) => key.startsWith('requeue/'));
  }

  it('processes a requeue marker as the upload of its task and removes the marker', async () => {
    // Prepare: a marker the sweeper wrote before it queued with SQS SendMessage, for an upload the worker never
    // recorded (an outage), still in the queue when the new worker takes over.
    objects.objects.set('requeue/1/m', 0);

    // Act
    const outcome = await service.handle({ key: 'requeue/1/m', sizeBytes: 0 }, attempt());

    // Assess
    expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'processed' });
    expect(sources.served).toEqual(['uploads/1/nonce']);
    expect(markers()).toEqual([]);
  });

  it('processes a retried task again from its marker', async () => {
    // Prepare
    await tasks.markUploaded('uploads/1/nonce', 2_000);
    await tasks.markFailed(1, 'Processing did not finish', 'transient');
    await tasks.markRetried(1, 'sub-pilot', { maxRetries: 3, maxUnfinishedTasks: 5 });
    objects.objects.set('requeue/1/m', 0);

    // Act
    const outcome = await service.handle({ key: 'requeue/1/m', sizeBytes: 0 }, attempt());

    // Assess
    expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'processed', manualRetries: 1 });
  });

  it('processes a redriven notification of a task still awaiting its upload', async () => {
    // Act: the message was dead-lettered while the database was down, then redriven.
    const outcome = await service.handle(
      { key: 'uploads/1/nonce', sizeBytes: 2_000 },
      attempt({ receiveCount: 1 }),
    );

    // Assess
    expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
  });

  it('drops a marker whose task is gone, and deletes an upload whose task is being deleted', async () => {
    // Prepare
    objects.objects.set('requeue/7/m', 0);
    await tasks.markDeleting(1, 'sub-pilot');

    // Act
    const marker = await service.handle({ key: 'requeue/7/m', sizeBytes: 0 }, attempt());
    const upload = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(marker).toEqual({ kind: 'ignored', key: 'requeue/7/m' });
    expect(upload).toEqual({ kind: 'orphan-deleted', key: 'uploads/1/nonce' });
    expect(objects.objects.size).toBe(0);
    expect(videos.calls).toEqual([]);
  });

  it('gives up a read of a replaced upload and queues the task again for the newest version', async () => {
    // Prepare: a second upload replaces the object mid-read; the pinned read fails on its final receive.
    videos.behaviour = () => {
      objects.overwrite('uploads/1/nonce', 3_000);
      sources.failure = new ObjectChangedError('uploads/1/nonce');
      return Promise.reject(new Error('ffmpeg: Invalid data found when processing input'));
    };

    // Act
    const outcome = await service.handle(
      { key: 'uploads/1/nonce', sizeBytes: 2_000 },
      attempt({ receiveCount: 3 }),
    );

    // Assess
    expect(outcome).toEqual({ kind: 'superseded', taskId: 1 });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'uploaded', failureReason: null });
    expect(markers()).toHaveLength(1);
  });

  it('records a timeout as a transient failure, which a retry may fix', async () => {
    // Prepare
    videos.behaviour = () => Promise.reject(new ProcessingTimeoutError('Processing took too long.'));

    // Act
    const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

    // Assess
    expect(outcome).toEqual({
      kind: 'failed',
      taskId: 1,
      reason: 'Processing took too long.',
      failureKind: 'transient',
    });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'failed', failureKind: 'transient' });
  });

  /** Single-use upload grants (docs/worker.md, "Single-use uploads"): the upload is a version of a versioned bucket. */
  describe('with a versioned upload', () => {
    const KEY = 'uploads/1/nonce';
    let first: string;

    /** A post to the task's grant and the delivery of its notification. */
    function deliver(versionId: string, sizeBytes: number): Promise<UploadOutcome> {
      return service.handle({ key: KEY, sizeBytes, versionId }, attempt());
    }

    /** Bytes the pilot's daily quota counts (the create's declared bytes included). */
    const chargedBytes = (): number => tasks.quotaUsage.reduce((sum, use) => sum + use.declaredBytes, 0);

    beforeEach(() => {
      objects.objects.delete(KEY);
      first = objects.upload(KEY, 2_000);
    });

    it('records the first version and edits that version', async () => {
      // Act
      const outcome = await deliver(first, 2_000);

      // Assess
      expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
      expect(tasks.tasks.get(1)).toMatchObject({ status: 'processed', originalVersionId: first });
      expect(sources.servedVersions).toEqual([first]);
      expect(videos.calls).toEqual([expect.objectContaining({ sourceKey: KEY, sourceVersionId: first })]);
    });

    it("deletes a second post's version without editing it or moving the task, and counts its bytes once", async () => {
      // Prepare
      await deliver(first, 2_000);
      const charged = chargedBytes();
      const second = objects.upload(KEY, 3_000);

      // Act: its notification, then a redelivery of it
      const replay = await deliver(second, 3_000);
      const redelivered = await deliver(second, 3_000);

      // Assess
      expect(replay).toEqual({ kind: 'replay-deleted', taskId: 1, versionId: second });
      expect(redelivered).toEqual({ kind: 'replay-deleted', taskId: 1, versionId: second });
      expect(objects.versions.get(KEY)).toEqual([expect.objectContaining({ versionId: first, size: 2_000 })]);
      expect(await objects.stat(KEY)).toMatchObject({ sizeBytes: 2_000, versionId: first });
      expect(videos.calls).toHaveLength(1);
      expect(tasks.tasks.get(1)).toMatchObject({
        status: 'processed',
        revision: 1,
        originalVersionId: first,
      });
      expect(chargedBytes()).toBe(charged + 3_000);
    });

    it("deletes for good the version a post stored after its task's delete", async () => {
      // Prepare: the task deleted (its recorded version too), then its grant posted once more before it expired
      await deliver(first, 2_000);
      await tasks.markDeleting(1, 'sub-pilot');
      await objects.deleteMany([KEY]);
      await objects.deleteVersion(KEY, first);
      const late = objects.upload(KEY, 3_000);

      // Act
      const outcome = await deliver(late, 3_000);

      // Assess: no version of the key is left, and nothing is current
      expect(outcome).toEqual({ kind: 'orphan-deleted', key: KEY });
      expect(objects.versions.get(KEY)).toEqual([]);
      expect(await objects.stat(KEY)).toBeNull();
      expect(videos.calls).toHaveLength(1);
    });

    it("edits the version a multipart completion recorded, although another post's notification comes first", async () => {
      // Prepare: the API recorded the completion's version; a post to the grant followed, and S3 delivers it first
      expect(await tasks.recordCompletedUpload(1, first)).toBe(true);
      const second = objects.upload(KEY, 3_000);

      // Act
      const replay = await deliver(second, 3_000);
      const outcome = await deliver(first, 2_000);

      // Assess
      expect(replay).toEqual({ kind: 'replay-deleted', taskId: 1, versionId: second });
      expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
      expect(sources.servedVersions).toEqual([first]);
      expect(objects.versions.get(KEY)?.map((version) => version.versionId)).toEqual([first]);
    });

    it('keeps the first version when the second arrives during the edit, which reads the first', async () => {
      // Prepare: the pilot posts again while the worker edits; that post's notification is handled meanwhile.
      let during: UploadOutcome | undefined;
      let second = '';
      videos.behaviour = async () => {
        if (during !== undefined) return;
        second = objects.upload(KEY, 3_000);
        during = await deliver(second, 3_000);
      };

      // Act
      const outcome = await deliver(first, 2_000);

      // Assess: one edit, of the first version; the second is gone and the task never went back to the queue
      expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
      expect(during).toEqual({ kind: 'replay-deleted', taskId: 1, versionId: second });
      expect(videos.calls).toHaveLength(1);
      expect(sources.servedVersions).toEqual([first]);
      expect(objects.versions.get(KEY)?.map((version) => version.versionId)).toEqual([first]);
      expect([...objects.objects.keys()].filter((key) => key.startsWith('requeue/'))).toEqual([]);
    });

    it("deletes a second post delivered first once the first post's notification recorded the task", async () => {
      // Prepare: both posts before any delivery; S3 may deliver them in any order.
      const second = objects.upload(KEY, 3_000);

      // Act
      const recorded = await deliver(first, 2_000);
      const replay = await deliver(second, 3_000);

      // Assess
      expect(recorded).toMatchObject({ kind: 'processed' });
      expect(replay).toEqual({ kind: 'replay-deleted', taskId: 1, versionId: second });
      expect(await objects.stat(KEY)).toMatchObject({ sizeBytes: 2_000, versionId: first });
    });

    it('edits a re-cut from the recorded version, not from a later post to the grant', async () => {
      // Prepare: a second post whose notification has not arrived yet, then the pilot's re-cut
      await deliver(first, 2_000);
      objects.upload(KEY, 3_000);
      const result = await tasks.markRecut(
        1,
        pilot.sub,
        { clipStartSeconds: 5, posterSeconds: 0 },
        { maxDailyRecuts: 2 },
      );
      if (result === null || !('recut' in result)) throw new Error('re-cut refused');
      const marker = recutKey(1, result.recut.revision, 'token');
      await objects.putEmpty(marker);

      // Act
      const outcome = await service.handle({ key: marker, sizeBytes: 0 }, attempt());

      // Assess
      expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
      expect(sources.servedVersions).toEqual([first, first]);
    });
  });
});
