import { beforeEach, describe, expect, it } from 'vitest';
import {
  abortAbandonedMultipartUploads,
  failStalledTasks,
  finishDeletes,
  MAX_RECOVERY_REQUEUES,
  recoverOrExpireUploads,
  runSweep,
  UNRECORDED_UPLOAD_REASON,
} from '#core/task-sweeper';
import { retryRefusal, TaskService } from '#core/task-service';
import type { Task } from '#core/task';
import { UploadsNotQueuedError } from '#core/platform-errors';
import type { QueuedUpload, SweepReport } from '#core/ports';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { limits, pilot } from '#test/unit/fakes/task-fixtures';

describe('recoverOrExpireUploads', () => {
  let clock: FixedClock;
  let repository: InMemoryTaskRepository;
  let store: InMemoryObjectStore;

  beforeEach(async () => {
    clock = new FixedClock();
    repository = new InMemoryTaskRepository(() => clock.now());
    store = new InMemoryObjectStore(() => clock.now());
    const service = new TaskService({ repository, store, uploads: store, clock, limits, nonce: () => 'n' });
    // 1 and 2 are old (1 was uploaded but never recorded); 3 was uploaded a moment ago.
    for (const fileName of ['a.mp4', 'b.mp4'])
      await service.create(pilot, { fileName, contentType: 'video/mp4', size: 10 });
    clock.advance(24 * 3_600_000 - 30_000);
    await service.create(pilot, { fileName: 'c.mp4', contentType: 'video/mp4', size: 10 });
    store.objects.set('uploads/1/n', 10);
    store.objects.set('uploads/3/n', 10);
  });

  it('queues again every old task whose upload is stored and fails those whose window closed empty', async () => {
    // Prepare
    clock.advance(60_000);

    // Act
    const result = await recoverOrExpireUploads({
      repository,
      store,
      clock,
      uploadWindowHours: 24,
      recoverAfterSeconds: 5_220,
    });

    // Assess: 1 waits for the worker to record it when the message comes; nothing is queued from here.
    expect(result).toEqual({
      recovered: [{ taskId: 1, key: 'uploads/1/n', sizeBytes: 10 }],
      unrecorded: [],
      expired: [2],
    });
    expect(repository.tasks.get(1)).toMatchObject({ status: 'awaiting_upload', failureReason: null });
    expect(repository.tasks.get(2)).toMatchObject({
      status: 'failed',
      failureReason: 'upload not received within 24 h',
      failureKind: 'no-upload',
    });
    expect(repository.tasks.get(3)).toMatchObject({ status: 'awaiting_upload' });
    expect([...store.objects.keys()].sort()).toEqual(['uploads/1/n', 'uploads/3/n']);
  });

  it('finds a queued upload again only once every delivery of its message has ended, until recorded', async () => {
    // Prepare: a first run recovered task 1, and its message was sent (or the send failed: nothing recorded).
    clock.advance(60_000);
    const options = { repository, store, clock, uploadWindowHours: 24, recoverAfterSeconds: 5_220 };
    const unsent = await recoverOrExpireUploads(options);
    const first = await recoverOrExpireUploads(options);
    await repository.markRequeued([1]);

    // Act
    clock.advance(3_600_000);
    const withinDeliveries = await recoverOrExpireUploads(options);
    clock.advance(1_621_000);
    const after = await recoverOrExpireUploads(options);
    await repository.markRequeued([1, 3]);
    await repository.markUploaded('uploads/1/n', 10);
    clock.advance(5_221_000);
    const recorded = await recoverOrExpireUploads(options);

    // Assess: a send that was never recorded is found again at once; 3 becomes old enough on the way (created 30 s
    // before the end of the first day) and is found again after its own message's deliveries; 1, recorded, is not.
    expect([unsent, first].map((run) => run.recovered.map((upload) => upload.taskId))).toEqual([[1], [1]]);
    expect(withinDeliveries.recovered).toEqual([]);
    expect(after.recovered.map((upload) => upload.taskId)).toEqual([1, 3]);
    expect(recorded.recovered.map((upload) => upload.taskId)).toEqual([3]);
  });

  it('names the version stored in what it queues, and records it with a task it fails unrecorded', async () => {
    // Prepare: task 1's upload is in a versioned bucket; its notification was lost
    store.objects.delete('uploads/1/n');
    const versionId = store.upload('uploads/1/n', 10);
    clock.advance(60_000);
    const options = { repository, store, clock, uploadWindowHours: 24, recoverAfterSeconds: 5_220 };

    // Act
    const first = await recoverOrExpireUploads(options);
    repository.requeueCounts.set(1, MAX_RECOVERY_REQUEUES);
    await recoverOrExpireUploads(options);

    // Assess
    expect(first.recovered).toContainEqual({ taskId: 1, key: 'uploads/1/n', sizeBytes: 10, versionId });
    expect(repository.tasks.get(1)).toMatchObject({ status: 'failed', originalVersionId: versionId });
  });

  it('fails a task, retryable, whose upload was queued MAX_RECOVERY_REQUEUES times and never recorded', async () => {
    // Prepare: the worker cannot record anything (a broken deploy): every send of task 1 ends in the DLQ.
    clock.advance(60_000);
    const options = { repository, store, clock, uploadWindowHours: 24, recoverAfterSeconds: 5_220 };
    const runs = [];
    for (let send = 0; send < MAX_RECOVERY_REQUEUES; send++) {
      const run = await recoverOrExpireUploads(options);
      runs.push(run.recovered.map((upload) => upload.taskId).filter((id) => id === 1));
      await repository.markRequeued([1]);
      clock.advance(5_221_000);
    }

    // Act
    const last = await recoverOrExpireUploads(options);

    // Assess
    expect(runs).toEqual(Array.from({ length: MAX_RECOVERY_REQUEUES }, () => [1]));
    expect(last.unrecorded).toEqual([1]);
    expect(last.recovered.map((upload) => upload.taskId)).not.toContain(1);
    expect(repository.tasks.get(1)).toMatchObject({
      status: 'failed',
      failureReason: UNRECORDED_UPLOAD_REASON,
      failureKind: 'transient',
      uploadedAt: clock.now(),
    });
    expect(retryRefusal(repository.tasks.get(1) as Task)).toBeUndefined();
  });

  it('leaves a task whose window is still open and whose upload is missing for a later run', async () => {
    // Act
    const result = await recoverOrExpireUploads({
      repository,
      store,
      clock,
      uploadWindowHours: 48,
      recoverAfterSeconds: 5_220,
    });

    // Assess
    expect(result.expired).toEqual([]);
    expect(repository.tasks.get(2)).toMatchObject({ status: 'awaiting_upload' });
  });
});

describe('finishDeletes', () => {
  it("removes the objects (the original's recorded version for good), then the row, of deletes that stopped half way", async () => {
    // Prepare
    const clock = new FixedClock();
    const repository = new InMemoryTaskRepository(() => clock.now());
    const store = new InMemoryObjectStore(() => clock.now());
    const service = new TaskService({ repository, store, uploads: store, clock, limits, nonce: () => 'n' });
    for (const fileName of ['a.mp4', 'b.mp4'])
      await service.create(pilot, { fileName, contentType: 'video/mp4', size: 10 });
    await repository.markUploaded('uploads/1/n', 1, store.upload('uploads/1/n', 1));
    for (const key of ['processed/1/video.mp4', 'uploads/2/n']) store.objects.set(key, 1);
    store.failNextDelete.add('uploads/1/n');
    await expect(service.delete(pilot, 1)).rejects.toThrow('Injected failure deleting uploads/1/n');
    clock.advance(601_000);
    await repository.markDeleting(2, pilot.sub);

    // Act
    const purged = await finishDeletes({ repository, store, uploads: store, olderThanSeconds: 600 });

    // Assess: 2 entered 'deleting' just now, so its own request still finishes it.
    expect(purged).toEqual([1]);
    expect([...repository.deleting.keys()]).toEqual([2]);
    expect([...store.objects.keys()]).toEqual(['uploads/2/n']);
    expect(store.versions.get('uploads/1/n')).toEqual([]);
  });
});

describe('failStalledTasks', () => {
  const reason = 'Processing did not finish; retry it or upload the video again.';
  let clock: FixedClock;
  let repository: InMemoryTaskRepository;
  let store: InMemoryObjectStore;

  beforeEach(async () => {
    clock = new FixedClock();
    repository = new InMemoryTaskRepository(() => clock.now());
    store = new InMemoryObjectStore(() => clock.now());
    const service = new TaskService({ repository, store, uploads: store, clock, limits, nonce: () => 'n' });
    for (const fileName of ['a.mp4', 'b.mp4', 'c.mp4', 'd.mp4'])
      await service.create(pilot, { fileName, contentType: 'video/mp4', size: 10 });
  });

  it('fails uploaded and processing tasks unchanged for longer than the bound and deletes their outputs', async () => {
    // Prepare: 1 uploaded and 2 processing (an attempt died after storing outputs) go quiet; 3 is claimed again later; 4 never arrives.
    await repository.markUploaded('uploads/1/n', 10);
    await repository.markUploaded('uploads/2/n', 10);
    await repository.markProcessing(2);
    await repository.markUploaded('uploads/3/n', 10);
    for (const key of [
      'uploads/2/n',
      'processed/2/video.mp4',
      'processed/2/thumbnail.jpg',
      'processed/3/video.mp4',
    ])
      store.objects.set(key, 1);
    clock.advance(3_000_000);
    await repository.markProcessing(3);
    clock.advance(1_400_000);

    // Act
    const failed = await failStalledTasks({ repository, store, stalledAfterSeconds: 4_320 });

    // Assess
    expect(failed).toEqual([1, 2]);
    expect(repository.tasks.get(1)).toMatchObject({
      status: 'failed',
      failureReason: reason,
      failureKind: 'transient',
      failedAt: clock.now(),
    });
    expect(repository.tasks.get(2)).toMatchObject({
      status: 'failed',
      failureReason: reason,
      failedAt: clock.now(),
    });
    expect(repository.tasks.get(3)).toMatchObject({ status: 'processing', failureReason: null });
    expect(repository.tasks.get(4)).toMatchObject({ status: 'awaiting_upload', failureReason: null });
    expect([...store.objects.keys()]).toEqual(['uploads/2/n', 'processed/3/video.mp4']);
  });

  it("deletes a stalled re-cut's outputs of its own revision and of the one it replaced", async () => {
    // Prepare: task 1 processed at revision 1, re-cut to revision 2, whose attempt died after storing its outputs
    await repository.markUploaded('uploads/1/n', 10);
    await repository.markProcessing(1);
    await repository.markProcessed(1, {
      processedKey: 'processed/1/video.mp4',
      thumbnailKey: 'processed/1/thumbnail.jpg',
      metadata: {
        durationSeconds: 20,
        width: 1280,
        height: 720,
        sizeBytes: 1,
        processingMs: 1,
        sourceBytesRead: 1,
      },
    });
    await repository.markRecut(
      1,
      pilot.sub,
      { clipStartSeconds: 30, posterSeconds: 0 },
      { maxDailyRecuts: 5 },
    );
    await repository.markProcessing(1);
    for (const key of [
      'uploads/1/n',
      'processed/1/video.mp4',
      'processed/1/r2/video.mp4',
      'processed/1/r2/thumbnail.jpg',
    ])
      store.objects.set(key, 1);
    clock.advance(4_400_000);

    // Act
    const failed = await failStalledTasks({ repository, store, stalledAfterSeconds: 4_320 });

    // Assess
    expect(failed).toEqual([1]);
    expect([...store.objects.keys()]).toEqual(['uploads/1/n']);
  });

  it('leaves a task alone until its last change is older than the bound', async () => {
    // Prepare: a transient failure released the task 4320 s ago to the millisecond; its redelivery may still come.
    await repository.markUploaded('uploads/1/n', 10);
    clock.advance(4_320_000);

    // Act
    const failed = await failStalledTasks({ repository, store, stalledAfterSeconds: 4_320 });

    // Assess
    expect(failed).toEqual([]);
    expect(repository.tasks.get(1)).toMatchObject({ status: 'uploaded', failureReason: null });
  });
});

describe('abortAbandonedMultipartUploads', () => {
  it('aborts only the unfinished multipart uploads started longer ago than the upload window', async () => {
    // Prepare
    const clock = new FixedClock();
    const store = new InMemoryObjectStore(() => clock.now());
    await store.createMultipartUpload({ key: 'uploads/1/old', contentType: 'video/mp4' });
    clock.advance(60_000);
    await store.createMultipartUpload({ key: 'uploads/2/new', contentType: 'video/mp4' });
    clock.advance(24 * 3_600_000 - 30_000);

    // Act
    const aborted = await abortAbandonedMultipartUploads({ uploads: store, clock, uploadWindowHours: 24 });

    // Assess
    expect(aborted).toBe(1);
    expect([...store.multipart.values()].map((upload) => upload.key)).toEqual(['uploads/2/new']);
  });
});

describe('runSweep', () => {
  const report: SweepReport = {
    recovered: [
      { taskId: 4, key: 'uploads/4/n', sizeBytes: 10 },
      { taskId: 9, key: 'uploads/9/n', sizeBytes: 20 },
    ],
    unrecorded: [8],
    expired: [5],
    aborted: 1,
    stalled: [6],
    purged: [7],
    unparked: [{ taskId: 11, key: 'uploads/11/n', sizeBytes: 30 }],
  };

  /** The sweep as the function inside the VPC answers it, with the sends it was told of. */
  function sweep(): {
    run: () => Promise<SweepReport>;
    markRequeued: (ids: readonly number[]) => Promise<void>;
    marked: number[][];
  } {
    const marked: number[][] = [];
    return {
      marked,
      run: () => Promise.resolve(report),
      markRequeued: (ids) => Promise.resolve(void marked.push([...ids])),
    };
  }

  it('queues the uploads the sweep recovered and the parked tasks it found, records the recovered sends only, and reports every use case by task id', async () => {
    // Prepare
    const sent: QueuedUpload[][] = [];
    const inside = sweep();

    // Act
    const result = await runSweep({
      sweep: inside,
      queue: { send: (uploads) => Promise.resolve(void sent.push([...uploads])) },
    });

    // Assess
    expect(sent).toEqual([[...report.recovered, ...report.unparked]]);
    expect(inside.marked).toEqual([[4, 9]]);
    expect(result).toEqual({
      recovered: [4, 9],
      unrecorded: [8],
      expired: [5],
      aborted: 1,
      stalled: [6],
      purged: [7],
      unparked: [11],
    });
  });

  it('records only the sends SQS accepted and fails, for the next run to find the others at once', async () => {
    // Prepare
    const inside = sweep();

    // Act
    const run = runSweep({
      sweep: inside,
      queue: { send: () => Promise.reject(new UploadsNotQueuedError([9])) },
    });

    // Assess
    await expect(run).rejects.toThrow(new UploadsNotQueuedError([9]));
    expect(inside.marked).toEqual([[4]]);
  });

  it('records nothing when nothing was recovered', async () => {
    // Prepare
    const inside = { ...sweep(), run: () => Promise.resolve({ ...report, recovered: [] }) };

    // Act
    await runSweep({ sweep: inside, queue: { send: () => Promise.resolve() } });

    // Assess
    expect(inside.marked).toEqual([]);
  });
});
