import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { outputKeys, recutKey } from '#core/object-keys';
import { PermanentProcessingError } from '#core/processing-errors';
import { completeJob, UploadProcessingService, type ProcessingAttempt } from '#core/upload-processing';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { firstAttempt, pilot, storedUpload } from '#test/unit/fakes/task-fixtures';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { FakeSourceServer } from './fake-source-server';
import { FakeVideoProcessor } from './fake-video-processor';

/** Exactly once across revisions (docs/worker.md): the worker's side of a re-cut, over in-memory ports. */
describe('UploadProcessingService across revisions', () => {
  let clock: FixedClock;
  let tasks: InMemoryTaskRepository;
  let objects: InMemoryObjectStore;
  let videos: FakeVideoProcessor;
  let service: UploadProcessingService;
  let workDir: string;

  const attempt = (): ProcessingAttempt => firstAttempt(clock, workDir);

  /** The pilot's re-cut as the API makes it: the transition, then the marker naming the new revision. */
  async function recut(startSeconds: number): Promise<string> {
    const result = await tasks.markRecut(
      1,
      pilot.sub,
      { clipStartSeconds: startSeconds, posterSeconds: 0 },
      {
        maxDailyRecuts: 100,
      },
    );
    if (result === null || !('recut' in result)) throw new Error('re-cut refused');
    const marker = recutKey(1, result.recut.revision, `token-${result.recut.revision}`);
    await objects.putEmpty(marker);
    return marker;
  }

  const upload = { key: 'uploads/1/nonce', sizeBytes: 2_000 };

  beforeEach(async () => {
    clock = new FixedClock();
    tasks = new InMemoryTaskRepository(() => clock.now());
    objects = new InMemoryObjectStore(() => clock.now());
    videos = new FakeVideoProcessor();
    service = new UploadProcessingService(
      { tasks, objects, sources: new FakeSourceServer(objects), videos, clock },
      { maxReceiveCount: 3 },
    );
    workDir = await mkdtemp(join(tmpdir(), 'worker-revisions-'));
    await storedUpload(tasks, objects);
    await service.handle(upload, attempt());
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("edits a re-cut with the new cut into the revision's own keys and removes the edit it replaces", async () => {
    // Act
    const marker = await recut(40);
    const outcome = await service.handle({ key: marker, sizeBytes: 0 }, attempt());

    // Assess
    expect(outcome).toMatchObject({ kind: 'processed', taskId: 1 });
    expect(videos.calls.at(-1)).toMatchObject({
      cut: { clipStartSeconds: 40, posterSeconds: 0 },
      revision: 2,
    });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'processed', revision: 2, ...outputKeys(1, 2) });
    expect(outputKeys(1, 2)).toEqual({
      processedKey: 'processed/1/r2/video.mp4',
      thumbnailKey: 'processed/1/r2/thumbnail.jpg',
    });
    expect([...objects.objects.keys()].sort()).toEqual([
      'processed/1/r2/thumbnail.jpg',
      'processed/1/r2/video.mp4',
      'uploads/1/nonce',
    ]);
  });

  it('ignores a late duplicate of the original upload notification after a re-cut was processed', async () => {
    // Prepare
    await service.handle({ key: await recut(40), sizeBytes: 0 }, attempt());
    const calls = videos.calls.length;

    // Act
    const outcome = await service.handle(upload, attempt());

    // Assess
    expect(outcome).toEqual({ kind: 'duplicate', taskId: 1, status: 'processed' });
    expect(videos.calls).toHaveLength(calls);
    expect(tasks.tasks.get(1)).toMatchObject({ revision: 2, clipStartSeconds: 40, ...outputKeys(1, 2) });
  });

  it('claims nothing for the marker of a revision a newer re-cut replaced, delivered after it', async () => {
    // Prepare: two re-cuts; the second one's marker is processed first
    const second = await recut(40);
    await service.handle({ key: second, sizeBytes: 0 }, attempt());
    const third = await recut(80);
    const calls = videos.calls.length;

    // Act: the revision-2 marker redelivered while revision 3 waits for its own
    const late = await service.handle({ key: second, sizeBytes: 0 }, attempt());

    // Assess
    expect(late).toEqual({ kind: 'duplicate', taskId: 1, status: 'uploaded' });
    expect(videos.calls).toHaveLength(calls);
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'uploaded', revision: 3 });

    // Act: revision 3's own marker
    const current = await service.handle({ key: third, sizeBytes: 0 }, attempt());

    // Assess
    expect(current).toMatchObject({ kind: 'processed' });
    expect(videos.calls.at(-1)).toMatchObject({ cut: { clipStartSeconds: 80 }, revision: 3 });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'processed', revision: 3, ...outputKeys(1, 3) });
  });

  it('records nothing from an attempt whose revision was replaced while it edited, and removes what it wrote', async () => {
    // Prepare: revision 2 is being edited when the task is taken past it (a stale lease taken over, then re-cut)
    const marker = await recut(40);
    videos.behaviour = async () => {
      const task = tasks.tasks.get(1);
      if (task === undefined) throw new Error('no task');
      Object.assign(task, { status: 'processed' });
      await tasks.markRecut(
        1,
        pilot.sub,
        { clipStartSeconds: 80, posterSeconds: 0 },
        { maxDailyRecuts: 100 },
      );
      await tasks.markProcessing(1);
    };

    // Act
    const outcome = await service.handle({ key: marker, sizeBytes: 0 }, attempt());

    // Assess: revision 3 holds the task; revision 2's outputs are gone, and it was not recorded
    expect(outcome).toEqual({ kind: 'duplicate', taskId: 1, status: 'processing' });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'processing', revision: 3 });
    expect([...objects.objects.keys()].filter((key) => key.startsWith('processed/1/r2/'))).toEqual([]);
  });

  it("fails a re-cut with the edit's reason and keeps none of the task's outputs, old or new", async () => {
    // Prepare
    const marker = await recut(900);
    videos.behaviour = () =>
      Promise.reject(
        new PermanentProcessingError('The cut starts at 900 s, but the video is only 20 s long.'),
      );

    // Act
    const outcome = await service.handle({ key: marker, sizeBytes: 0 }, attempt());

    // Assess
    expect(outcome).toMatchObject({
      kind: 'failed',
      reason: 'The cut starts at 900 s, but the video is only 20 s long.',
    });
    expect([...objects.objects.keys()]).toEqual(['uploads/1/nonce']);
  });

  it('records a MediaConvert completion only for the revision the task is at', async () => {
    // Prepare: revision 2 is processing (its job submitted); a late COMPLETE of revision 1 arrives
    const marker = await recut(40);
    await tasks.markProcessing(1);
    await objects.putEmpty('processed/1/video.mp4');
    await objects.putEmpty('processed/1/thumbnail.0000001.jpg');
    await objects.deleteMany([marker]);
    const late = {
      kind: 'complete' as const,
      taskId: 1,
      sourceKey: 'uploads/1/nonce',
      revision: 1,
      videoKey: 'processed/1/video.mp4',
      thumbnailKey: 'processed/1/thumbnail.0000001.jpg',
      discardKeys: [],
      durationSeconds: 20,
      width: 1280,
      height: 720,
      processingMs: 1,
    };

    // Act
    const outcome = await completeJob({ tasks, objects }, late);

    // Assess: nothing recorded, the stale job's outputs removed
    expect(outcome).toEqual({ kind: 'duplicate', taskId: 1, status: 'processing' });
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'processing', revision: 2 });
    expect(objects.objects.has('processed/1/video.mp4')).toBe(false);
  });
});
