import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recutKey } from '#core/object-keys';
import { UploadProcessingService, type ProcessingAttempt, type UploadOutcome } from '#core/upload-processing';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { firstAttempt, pilot, storedUpload } from '#test/unit/fakes/task-fixtures';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { FakeSourceServer } from './fake-source-server';
import { FakeVideoProcessor } from './fake-video-processor';

const KEY = 'uploads/1/nonce';

/** Single-use upload grants (docs/worker.md, "Single-use uploads"): the worker's side, over in-memory ports. */
describe('UploadProcessingService with a versioned upload', () => {
  let clock: FixedClock;
  let tasks: InMemoryTaskRepository;
  let objects: InMemoryObjectStore;
  let sources: FakeSourceServer;
  let videos: FakeVideoProcessor;
  let service: UploadProcessingService;
  let workDir: string;
  let first: string;

  const attempt = (): ProcessingAttempt => firstAttempt(clock, workDir);

  /** A post to the task's grant and the delivery of its notification. */
  function deliver(versionId: string, sizeBytes: number): Promise<UploadOutcome> {
    return service.handle({ key: KEY, sizeBytes, versionId }, attempt());
  }

  /** Bytes the pilot's daily quota counts (the create's declared bytes included). */
  const chargedBytes = (): number => tasks.quotaUsage.reduce((sum, use) => sum + use.declaredBytes, 0);

  beforeEach(async () => {
    clock = new FixedClock();
    tasks = new InMemoryTaskRepository(() => clock.now());
    objects = new InMemoryObjectStore(() => clock.now());
    sources = new FakeSourceServer(objects);
    videos = new FakeVideoProcessor();
    service = new UploadProcessingService({ tasks, objects, sources, videos, clock }, { maxReceiveCount: 3 });
    workDir = await mkdtemp(join(tmpdir(), 'worker-single-use-'));
    await storedUpload(tasks, objects);
    objects.objects.delete(KEY);
    first = objects.upload(KEY, 2_000);
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
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
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'processed', revision: 1, originalVersionId: first });
    expect(chargedBytes()).toBe(charged + 3_000);
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
