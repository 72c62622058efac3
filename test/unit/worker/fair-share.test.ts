import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { claimDecision, freeSlots } from '#core/fair-share';
import { REQUEUE_PREFIX } from '#core/object-keys';
import { PermanentProcessingError } from '#core/processing-errors';
import type { Task } from '#core/task';
import { failStalledTasks, findIdleParkedTasks } from '#core/task-sweeper';
import {
  completeJob,
  UploadProcessingService,
  type ProcessingAttempt,
  type UploadOutcome,
} from '#core/upload-processing';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { firstAttempt, pilot, rival, storedUpload } from '#test/unit/fakes/task-fixtures';
import { FakeSourceServer } from './fake-source-server';
import { FakeVideoProcessor } from './fake-video-processor';

describe('claimDecision', () => {
  it.each([
    // editing, parked ahead, cap, already editing → decision
    [0, 0, 2, false, 'claim'],
    [1, 0, 2, false, 'claim'],
    [2, 0, 2, false, 'park'],
    [3, 0, 2, false, 'park'],
    // A later upload leaves the slot of every parked task ahead of it.
    [0, 1, 2, false, 'claim'],
    [1, 1, 2, false, 'park'],
    [0, 2, 2, false, 'park'],
    // A dead attempt's task taken over keeps its slot.
    [2, 0, 2, true, 'claim'],
    [0, 0, 1, false, 'claim'],
    [1, 0, 1, false, 'park'],
  ] as const)(
    '%i editing, %i parked ahead, cap %i, already editing %s → %s',
    (editing, waitingAhead, cap, alreadyEditing, expected) => {
      expect(claimDecision({ editing, waitingAhead }, cap, alreadyEditing)).toBe(expected);
    },
  );

  it('wakes one parked task per free slot, never a negative number', () => {
    expect([freeSlots(0, 2), freeSlots(1, 2), freeSlots(2, 2), freeSlots(3, 2)]).toEqual([2, 1, 0, 0]);
  });
});

/** A gate an edit waits at, opened by the test: edits run concurrently, and end in the order the test chooses. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('UploadProcessingService under the per-pilot cap', () => {
  /** The gate each task's edit waits at. */
  const gates = new Map<number, ReturnType<typeof gate>>();
  let workDir: string;
  let clock: FixedClock;
  let tasks: InMemoryTaskRepository;
  let objects: InMemoryObjectStore;
  let videos: FakeVideoProcessor;
  let service: UploadProcessingService;

  const attempt = (): ProcessingAttempt => firstAttempt(clock, workDir);

  async function upload(owner = pilot): Promise<Task> {
    const task = await storedUpload(tasks, objects, { owner, keyNonce: randomUUID() });
    gates.set(task.id, gate());
    return task;
  }

  function deliver(task: Task): Promise<UploadOutcome> {
    return service.handle({ key: task.originalKey, sizeBytes: 2_000 }, attempt());
  }

  function markers(): string[] {
    return [...objects.objects.keys()].filter((key) => key.startsWith(REQUEUE_PREFIX));
  }

  /** Lets the handlers run up to their next wait (every fake resolves at once). */
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

  beforeEach(async () => {
    clock = new FixedClock();
    tasks = new InMemoryTaskRepository(() => clock.now());
    objects = new InMemoryObjectStore(() => clock.now());
    videos = new FakeVideoProcessor();
    videos.behaviour = (input) => gates.get(input.taskId)?.wait ?? Promise.resolve();
    service = new UploadProcessingService(
      { tasks, objects, sources: new FakeSourceServer(objects), videos, clock },
      { maxReceiveCount: 3, maxConcurrentEditsPerPilot: 2 },
    );
    workDir = await mkdtemp(join(tmpdir(), 'worker-fair-'));
    gates.clear();
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  it("parks a pilot's third concurrent upload (acknowledged, not failed), and its first ended edit queues it again", async () => {
    // Prepare
    const [first, second, third] = [await upload(), await upload(), await upload()];
    const running = [deliver(first), deliver(second)];
    await settle();

    // Act
    const parked = await deliver(third);

    // Assess
    expect(parked).toEqual({ kind: 'parked', taskId: third.id });
    expect(tasks.tasks.get(third.id)?.status).toBe('uploaded');
    expect(videos.calls.map((call) => call.taskId)).toEqual([first.id, second.id]);
    expect(markers()).toEqual([]);
    gates.get(first.id)?.open();
    expect(await running[0]).toMatchObject({ kind: 'processed', taskId: first.id });
    const [marker] = markers();
    expect(marker).toMatch(new RegExp(`^requeue/${third.id}/`));
    // The marker's delivery claims it: the slot is free.
    gates.get(third.id)?.open();
    expect(await service.handle({ key: marker ?? '', sizeBytes: 0 }, attempt())).toMatchObject({
      kind: 'processed',
      taskId: third.id,
    });
    gates.get(second.id)?.open();
    await Promise.all(running);
  });

  it("never caps another pilot: the rival's upload claims while the pilot's two edits run", async () => {
    // Prepare
    const running = [deliver(await upload()), deliver(await upload())];
    await settle();
    const other = await upload(rival);
    gates.get(other.id)?.open();

    // Act
    const outcome = await deliver(other);

    // Assess
    expect(outcome).toMatchObject({ kind: 'processed', taskId: other.id });
    for (const open of gates.values()) open.open();
    await Promise.all(running);
  });

  it('keeps the order of parked tasks: a later upload waits behind an earlier parked one for the one free slot', async () => {
    // Prepare: two edits, the third upload parked; then one edit ends, and a fourth upload arrives before the
    // third's wake-up is delivered.
    const [first, second, third, fourth] = [await upload(), await upload(), await upload(), await upload()];
    const running = [deliver(first), deliver(second)];
    await settle();
    await deliver(third);
    gates.get(first.id)?.open();
    await running[0];

    // Act
    const later = await deliver(fourth);

    // Assess
    expect(later).toEqual({ kind: 'parked', taskId: fourth.id });
    const wake = markers().find((key) => key.startsWith(`requeue/${third.id}/`));
    gates.get(third.id)?.open();
    expect(await service.handle({ key: wake ?? '', sizeBytes: 0 }, attempt())).toMatchObject({
      kind: 'processed',
    });
    // The third's end wakes the fourth.
    expect(markers().some((key) => key.startsWith(`requeue/${fourth.id}/`))).toBe(true);
    gates.get(second.id)?.open();
    await Promise.all(running);
  });

  it('wakes a parked task when an edit fails, permanently or transiently', async () => {
    // Prepare
    const [first, second, third] = [await upload(), await upload(), await upload()];
    videos.behaviour = async (input) => {
      await gates.get(input.taskId)?.wait;
      if (input.taskId === first.id) throw new PermanentProcessingError('Not a video.');
      if (input.taskId === second.id) throw new Error('S3 is down');
    };
    const running = [deliver(first), deliver(second)];
    await settle();
    await deliver(third);

    // Act
    gates.get(first.id)?.open();
    const failed = await running[0];
    const afterFailure = markers().length;
    gates.get(second.id)?.open();
    const released = running[1];

    // Assess
    expect(failed).toMatchObject({ kind: 'failed', taskId: first.id });
    expect(afterFailure).toBe(1);
    await expect(released).rejects.toThrow('S3 is down');
    expect(tasks.tasks.get(second.id)?.status).toBe('uploaded');
    // One more slot freed by the release: one more wake-up of the (still parked) third.
    expect(markers().filter((key) => key.startsWith(`requeue/${third.id}/`))).toHaveLength(2);
  });

  it('does not resurrect a parked task that its pilot deleted: no wake-up names it, and a late marker is ignored', async () => {
    // Prepare
    const [first, second, third] = [await upload(), await upload(), await upload()];
    const running = [deliver(first), deliver(second)];
    await settle();
    await deliver(third);
    await tasks.markDeleting(third.id, pilot.sub);

    // Act
    gates.get(first.id)?.open();
    await running[0];
    const late = await service.handle({ key: `requeue/${third.id}/late`, sizeBytes: 0 }, attempt());

    // Assess
    expect(markers()).toEqual([]);
    expect(late).toEqual({ kind: 'ignored', key: `requeue/${third.id}/late` });
    expect(tasks.tasks.has(third.id)).toBe(false);
    gates.get(second.id)?.open();
    await Promise.all(running);
  });

  it("wakes a parked task when a MediaConvert job (the pilot's edit in progress) completes", async () => {
    // Prepare: two claimed tasks stand for two submitted jobs; the third is parked.
    const [first, second, third] = [await upload(), await upload(), await upload()];
    for (const task of [first, second]) {
      await tasks.markUploaded(task.originalKey, 2_000);
      await tasks.markProcessing(task.id);
    }
    expect(await deliver(third)).toEqual({ kind: 'parked', taskId: third.id });

    // Act
    const outcome = await completeJob(
      { tasks, objects },
      { kind: 'error', taskId: first.id, sourceKey: first.originalKey, revision: 1, reason: 'error 1010' },
      2,
    );

    // Assess
    expect(outcome).toMatchObject({ kind: 'failed', taskId: first.id });
    expect(markers()).toEqual([expect.stringMatching(new RegExp(`^requeue/${third.id}/`))]);
  });

  it('the sweeper queues a parked task nobody looked at again, and never fails it as stalled', async () => {
    // Prepare: the pilot's two tasks are 'processing' (their attempts died), the third parked.
    const [first, second, third] = [await upload(), await upload(), await upload()];
    for (const task of [first, second]) {
      await tasks.markUploaded(task.originalKey, 2_000);
      await tasks.markProcessing(task.id);
    }
    await deliver(third);
    clock.advance(5_000_000);

    // Act
    const stalled = await failStalledTasks({ repository: tasks, store: objects, stalledAfterSeconds: 4_320 });
    const unparked = await findIdleParkedTasks({ repository: tasks, store: objects, idleSeconds: 1_080 });

    // Assess
    expect(stalled).toEqual([first.id, second.id]);
    expect(tasks.tasks.get(third.id)?.status).toBe('uploaded');
    expect(unparked).toEqual([{ taskId: third.id, key: third.originalKey, sizeBytes: 2_000 }]);
    // Its delivery now claims it: the pilot has nothing in progress.
    gates.get(third.id)?.open();
    expect(await deliver(third)).toMatchObject({ kind: 'processed', taskId: third.id });
  });
});
