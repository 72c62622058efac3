import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, TooManyRequestsError } from '#core/errors';
import { outputKeys } from '#core/object-keys';
import { TaskService } from '#core/task-service';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { limits, pilot, rival } from '#test/unit/fakes/task-fixtures';

const metadata = {
  durationSeconds: 20,
  width: 1280,
  height: 720,
  sizeBytes: 4_000,
  processingMs: 900,
  sourceBytesRead: 500,
};

describe('TaskService: the pilot cut (docs/spec.md §8)', () => {
  let clock: FixedClock;
  let repository: InMemoryTaskRepository;
  let store: InMemoryObjectStore;
  let service: TaskService;
  let nonces: number;

  beforeEach(() => {
    clock = new FixedClock();
    repository = new InMemoryTaskRepository(() => clock.now());
    store = new InMemoryObjectStore(() => clock.now());
    nonces = 0;
    service = new TaskService({
      repository,
      store,
      uploads: store,
      clock,
      limits,
      nonce: () => `nonce-${++nonces}`,
    });
  });

  /** Task 1 of the pilot, created with `request`'s cut, taken through the worker's transitions to processed. */
  async function processedTask(cut: { clip?: { startSeconds: number }; posterSeconds?: number } = {}) {
    const created = await service.create(pilot, {
      fileName: 'race.mp4',
      contentType: 'video/mp4',
      size: 600,
      ...cut,
    });
    await repository.markUploaded('uploads/1/nonce-1', 600);
    await repository.markProcessing(created.id);
    await repository.markProcessed(created.id, { ...outputKeys(created.id), metadata });
    return created;
  }

  it('stores the cut given at creation and shows it on the task, revision 1', async () => {
    // Act
    const created = await service.create(pilot, {
      fileName: 'race.mp4',
      contentType: 'video/mp4',
      size: 600,
      clip: { startSeconds: 95.5 },
      posterSeconds: 3.25,
    });

    // Assess
    expect(created).toMatchObject({ clip: { startSeconds: 95.5 }, posterSeconds: 3.25, revision: 1 });
    expect(repository.tasks.get(1)).toMatchObject({
      clipStartSeconds: 95.5,
      posterSeconds: 3.25,
      revision: 1,
    });
  });

  it('re-cuts a processed task: next revision, back to uploaded, queued by a marker naming the revision', async () => {
    // Prepare
    await processedTask();

    // Act
    const { task, recut } = await service.update(pilot, 1, { clip: { startSeconds: 40 } });

    // Assess
    expect(recut).toBe(true);
    expect(task).toMatchObject({
      status: 'uploaded',
      clip: { startSeconds: 40 },
      posterSeconds: 0,
      revision: 2,
    });
    expect(task.processed).toBeUndefined();
    expect(task.original).toBeDefined();
    expect([...store.objects.keys()].filter((key) => key.startsWith('requeue/'))).toEqual([
      'requeue/1/r2-nonce-2',
    ]);
  });

  it('changes only the poster when only posterSeconds is sent, keeping the clip', async () => {
    // Prepare
    await processedTask({ clip: { startSeconds: 12 } });

    // Act
    const { task } = await service.update(pilot, 1, { posterSeconds: 7.5 });

    // Assess
    expect(task).toMatchObject({ clip: { startSeconds: 12 }, posterSeconds: 7.5, revision: 2 });
  });

  it('starts nothing for the cut the task already has, and applies the publish switch beside it', async () => {
    // Prepare
    await processedTask({ clip: { startSeconds: 12 }, posterSeconds: 1 });

    // Act
    const { task, recut } = await service.update(pilot, 1, {
      clip: { startSeconds: 12 },
      posterSeconds: 1,
      public: false,
    });

    // Assess
    expect(recut).toBe(false);
    expect(task).toMatchObject({ status: 'processed', revision: 1, public: false });
    expect([...store.objects.keys()].some((key) => key.startsWith('requeue/'))).toBe(false);
  });

  it('refuses a re-cut while the video is being edited (409) and changes nothing, the publish switch included', async () => {
    // Prepare
    await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 600 });
    await repository.markUploaded('uploads/1/nonce-1', 600);
    await repository.markProcessing(1);

    // Act
    const refused = service.update(pilot, 1, { clip: { startSeconds: 40 }, public: false });

    // Assess
    await expect(refused).rejects.toThrow(
      new ConflictError('The video is being edited; change the cut once it is processed.'),
    );
    expect(repository.tasks.get(1)).toMatchObject({ status: 'processing', revision: 1, public: true });
  });

  it('refuses a re-cut before anything was uploaded (409)', async () => {
    // Prepare
    await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 600 });

    // Act / Assess
    await expect(service.update(pilot, 1, { posterSeconds: 2 })).rejects.toThrow(ConflictError);
  });

  it('re-cuts a failed task whose upload is stored: a start past the end is fixed without uploading again', async () => {
    // Prepare
    await service.create(pilot, {
      fileName: 'race.mp4',
      contentType: 'video/mp4',
      size: 600,
      clip: { startSeconds: 900 },
    });
    await repository.markUploaded('uploads/1/nonce-1', 600);
    await repository.markProcessing(1);
    await repository.markFailed(1, 'The cut starts at 900 s, but the video is only 60 s long.', 'content');

    // Act
    const { task, recut } = await service.update(pilot, 1, { clip: { startSeconds: 30 } });

    // Assess
    expect(recut).toBe(true);
    expect(task).toMatchObject({ status: 'uploaded', clip: { startSeconds: 30 }, revision: 2 });
    expect(task.failureReason).toBeUndefined();
  });

  it("answers 404 for another pilot's task and leaves it alone", async () => {
    // Prepare
    await processedTask();

    // Act / Assess
    await expect(service.update(rival, 1, { clip: { startSeconds: 4 } })).rejects.toThrow(NotFoundError);
    expect(repository.tasks.get(1)).toMatchObject({ status: 'processed', revision: 1 });
  });

  it('limits re-cuts per pilot per rolling 24 h (429 with Retry-After), counting across tasks', async () => {
    // Prepare: limits.maxDailyRecuts is 2
    await processedTask();
    await service.update(pilot, 1, { clip: { startSeconds: 10 } });
    await repository.markProcessing(1);
    await repository.markProcessed(1, { ...outputKeys(1, 2), metadata });
    clock.advance(3_600_000);
    await service.update(pilot, 1, { clip: { startSeconds: 20 } });
    await repository.markProcessing(1);
    await repository.markProcessed(1, { ...outputKeys(1, 3), metadata });

    // Act
    const refused = service.update(pilot, 1, { clip: { startSeconds: 30 } });

    // Assess: the first re-cut ages out 23 h from now
    await expect(refused).rejects.toThrow(TooManyRequestsError);
    await expect(refused).rejects.toMatchObject({ retryAfterSeconds: 23 * 3600 });
    expect(repository.tasks.get(1)).toMatchObject({ status: 'processed', revision: 3 });

    // Act: a day after the first one, one is free again
    clock.advance(23 * 3600 * 1000 + 1000);
    const { recut } = await service.update(pilot, 1, { clip: { startSeconds: 30 } });

    // Assess
    expect(recut).toBe(true);
  });
});
