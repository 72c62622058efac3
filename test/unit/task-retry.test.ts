import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, ServiceUnavailableError } from '#core/errors';
import { UploadsNotQueuedError } from '#core/platform-errors';
import type { QueuedUpload, RetryTransitions } from '#core/ports';
import { TaskRetryService } from '#core/task-retry';
import { RETRY_NOT_QUEUED_REASON, TaskService } from '#core/task-service';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { limits, pilot } from '#test/unit/fakes/task-fixtures';

describe('TaskRetryService', () => {
  let repository: InMemoryTaskRepository;
  let service: TaskService;
  let transitions: RetryTransitions;
  const sent: QueuedUpload[][] = [];

  beforeEach(async () => {
    sent.length = 0;
    const clock = new FixedClock();
    repository = new InMemoryTaskRepository(() => clock.now());
    const store = new InMemoryObjectStore(() => clock.now());
    service = new TaskService({ repository, store, uploads: store, clock, limits, nonce: () => 'nonce-1' });
    // The transitions as the function inside the VPC runs them.
    transitions = {
      begin: (caller, id) => service.beginRetry(caller, id),
      revert: (caller, id) => service.revertRetry(caller, id),
    };
    await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
    await repository.markUploaded('uploads/1/nonce-1', 10);
    await repository.markFailed(1, 'Processing failed after 3 attempts', 'transient');
  });

  it('queues the upload of a begun retry and answers the task as it now is', async () => {
    // Prepare
    const retries = new TaskRetryService({
      transitions,
      queue: {
        send: (uploads) => {
          sent.push([...uploads]);
          return Promise.resolve();
        },
      },
    });

    // Act
    const task = await retries.retry(pilot, 1);

    // Assess
    expect(task).toMatchObject({ id: 1, status: 'uploaded' });
    expect(sent).toEqual([[{ taskId: 1, key: 'uploads/1/nonce-1', sizeBytes: 10 }]]);
    expect(repository.tasks.get(1)).toMatchObject({ status: 'uploaded', manualRetries: 1 });
  });

  it('queues nothing for a refused retry', async () => {
    // Prepare
    await service.create(pilot, { fileName: 'not-a-video.mp4', contentType: 'video/mp4', size: 10 });
    await repository.markUploaded('uploads/2/nonce-1', 10);
    await repository.markFailed(2, 'not a video', 'content');
    const queue = {
      send: (uploads: readonly QueuedUpload[]) => Promise.resolve(void sent.push([...uploads])),
    };

    // Act
    const attempt = new TaskRetryService({ transitions, queue }).retry(pilot, 2);

    // Assess
    await expect(attempt).rejects.toThrow(new ConflictError('The upload cannot be processed: not a video'));
    expect(sent).toEqual([]);
  });

  it('reverts the transition when the upload cannot be queued, and asks to come back in a few seconds', async () => {
    // Prepare
    const refused = new UploadsNotQueuedError([1]);
    const retries = new TaskRetryService({ transitions, queue: { send: () => Promise.reject(refused) } });

    // Act
    const attempt = retries.retry(pilot, 1);

    // Assess
    await expect(attempt).rejects.toThrow(
      new ServiceUnavailableError('The retry could not be queued', { retryAfterSeconds: 5 }),
    );
    await expect(attempt).rejects.toMatchObject({ cause: refused });
    expect(repository.tasks.get(1)).toMatchObject({
      status: 'failed',
      failureReason: RETRY_NOT_QUEUED_REASON,
      failureKind: 'transient',
      manualRetries: 0,
    });
  });

  it('fails with both errors when the revert fails too, leaving the task to the sweeper', async () => {
    // Prepare
    const refused = new UploadsNotQueuedError([1]);
    const unreachable = new Error('Lambda unreachable');
    const retries = new TaskRetryService({
      transitions: {
        begin: (caller, id) => transitions.begin(caller, id),
        revert: () => Promise.reject(unreachable),
      },
      queue: { send: () => Promise.reject(refused) },
    });

    // Act
    const attempt = retries.retry(pilot, 1);

    // Assess
    await expect(attempt).rejects.toEqual(
      new AggregateError([refused, unreachable], 'The retry could neither be queued nor reverted'),
    );
    await expect(attempt).rejects.toMatchObject({ errors: [refused, unreachable] });
    expect(repository.tasks.get(1)).toMatchObject({ status: 'uploaded', manualRetries: 1 });
  });
});
