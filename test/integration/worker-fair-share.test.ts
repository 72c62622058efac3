import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgTaskRepository } from '#adapters/pg/task-repository';
import { createPool } from '#commons/clients';
import { outputKeys, REQUEUE_PREFIX } from '#core/object-keys';
import type { EditClaim } from '#core/ports';
import type { Caller, Task } from '#core/task';
import { UploadProcessingService, type UploadOutcome } from '#core/upload-processing';
import { createdTask } from '#test/helpers/tasks';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { FakeSourceServer } from '#test/unit/worker/fake-source-server';

/** The per-pilot cap these tests run with: the default, 2 of the worker's 5 instances. */
const CAP = 2;
const LEASE = { reclaimAfterSeconds: 210, maxConcurrentEdits: CAP };
const pools: pg.Pool[] = [];

/** A repository on a pool of its own with one connection, as each worker instance has (docs/spec.md §7.5). */
function instanceRepository(): PgTaskRepository {
  const pool = createPool({
    kind: 'url',
    connectionString: process.env.DATABASE_URL ?? '',
    autoPause: false,
    resumeWaitMs: 0,
  });
  pools.push(pool);
  return new PgTaskRepository(pool);
}

let repository: PgTaskRepository;
beforeAll(() => {
  repository = instanceRepository();
});
afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.end()));
});

function newPilot(): Caller {
  return { sub: randomUUID(), username: `pilot-${randomUUID().slice(0, 8)}` };
}

/** `count` uploads of `pilot`, each recorded as arrived ('uploaded'), in creation order. */
async function uploads(pilot: Caller, count: number): Promise<Task[]> {
  await repository.ensureUser(pilot);
  const created: Task[] = [];
  for (let index = 0; index < count; index++) {
    const task = await createdTask(repository, {
      ownerId: pilot.sub,
      fileName: `race-${index}.mp4`,
      contentType: 'video/mp4',
      declaredBytes: 100,
      uploadExpiresAt: new Date(Date.now() + 3_600_000),
      keyNonce: randomUUID(),
    });
    await repository.markUploaded(task.originalKey, 100);
    created.push(task);
  }
  return created;
}

function kindOf(claim: EditClaim | null): 'claimed' | 'parked' | 'none' {
  if (claim === null) return 'none';
  return 'claimed' in claim ? 'claimed' : 'parked';
}

const idsOf = (tasks: readonly Task[]): number[] => tasks.map((task) => task.id);

describe('claimEdit against PostgreSQL', () => {
  it("lets exactly the cap's number of one pilot's simultaneous deliveries claim, each on its own connection", async () => {
    // Prepare
    const tasks = await uploads(newPilot(), 6);
    const instances = tasks.map(() => instanceRepository());

    // Act
    const claims = await Promise.all(
      tasks.map((task, index) => (instances[index] ?? repository).claimEdit(task.id, LEASE)),
    );

    // Assess
    const kinds = claims.map((claim) => kindOf(claim));
    expect(kinds.filter((kind) => kind === 'claimed')).toHaveLength(CAP);
    expect(kinds.filter((kind) => kind === 'parked')).toHaveLength(tasks.length - CAP);
    const rows = await Promise.all(tasks.map((task) => repository.findById(task.id)));
    expect(rows.filter((row) => row?.status === 'processing')).toHaveLength(CAP);
  });

  it('claims a task once when two deliveries of it arrive at the same moment', async () => {
    // Prepare
    const [task] = await uploads(newPilot(), 1);
    const id = task?.id ?? 0;

    // Act
    const claims = await Promise.all([
      instanceRepository().claimEdit(id, LEASE),
      instanceRepository().claimEdit(id, LEASE),
    ]);

    // Assess
    expect(claims.map((claim) => kindOf(claim)).sort()).toEqual(['claimed', 'none']);
  });

  it('never loses a wake-up: an edit that ends while another delivery of its pilot is parked always finds it', async () => {
    // Each round: the pilot has two edits in progress and a third upload arrives just as both edits end. Whatever the
    // interleaving, the third is either claimed by its delivery or named by one of the two wake-ups.
    for (let round = 0; round < 8; round++) {
      // Prepare
      const [first, second, third] = await uploads(newPilot(), 3);
      if (first === undefined || second === undefined || third === undefined) throw new Error('no tasks');
      for (const task of [first, second])
        expect(kindOf(await repository.claimEdit(task.id, LEASE))).toBe('claimed');
      const [a, b, c] = [instanceRepository(), instanceRepository(), instanceRepository()];
      const end = async (instance: PgTaskRepository, task: Task): Promise<Task[]> => {
        await instance.markProcessed(task.id, { ...outputKeys(task.id), metadata: METADATA }, task);
        return instance.parkedToWake(task.ownerId, CAP);
      };

      // Act
      const [claim, wokenByFirst, wokenBySecond] = await Promise.all([
        c.claimEdit(third.id, LEASE),
        end(a, first),
        end(b, second),
      ]);

      // Assess
      const woken = [...idsOf(wokenByFirst), ...idsOf(wokenBySecond)];
      expect(kindOf(claim) === 'claimed' || woken.includes(third.id)).toBe(true);
    }
  });
});

const METADATA = {
  durationSeconds: 20,
  width: 1280,
  height: 720,
  sizeBytes: 5,
  processingMs: 1,
  sourceBytesRead: 1,
};

describe('parking and waking against PostgreSQL', () => {
  it('parks beyond the cap in arrival order, wakes the oldest one per free slot, and lets no later upload pass them', async () => {
    // Prepare
    const pilot = newPilot();
    const [first, second, third, fourth, fifth] = await uploads(pilot, 5);
    if (!first || !second || !third || !fourth || !fifth) throw new Error('no tasks');
    for (const task of [first, second, third, fourth]) await repository.claimEdit(task.id, LEASE);

    // Act: one edit ends; the newest upload arrives before the oldest parked one's wake-up is delivered
    await repository.markProcessed(first.id, { ...outputKeys(first.id), metadata: METADATA }, first);
    const woken = await repository.parkedToWake(pilot.sub, CAP);
    const later = await repository.claimEdit(fifth.id, LEASE);
    const oldest = await repository.claimEdit(third.id, LEASE);

    // Assess
    expect(idsOf(woken)).toEqual([third.id]);
    expect(kindOf(later)).toBe('parked');
    expect(kindOf(oldest)).toBe('claimed');
    // Both edits end: two free slots, two parked tasks, oldest first.
    await repository.markProcessed(second.id, { ...outputKeys(second.id), metadata: METADATA }, second);
    await repository.markFailed(third.id, 'Not a video.', 'content', third);
    expect(idsOf(await repository.parkedToWake(pilot.sub, CAP))).toEqual([fourth.id, fifth.id]);
    expect(kindOf(await repository.claimEdit(fifth.id, LEASE))).toBe('claimed');
    expect(kindOf(await repository.claimEdit(fourth.id, LEASE))).toBe('claimed');
    expect(await repository.parkedToWake(pilot.sub, CAP)).toEqual([]);
  });

  it('wakes no deleted task, and a delivery for it claims nothing', async () => {
    // Prepare
    const pilot = newPilot();
    const [first, second, third] = await uploads(pilot, 3);
    if (!first || !second || !third) throw new Error('no tasks');
    for (const task of [first, second, third]) await repository.claimEdit(task.id, LEASE);
    await repository.markDeleting(third.id, pilot.sub);

    // Act
    await repository.markProcessed(first.id, { ...outputKeys(first.id), metadata: METADATA }, first);
    const woken = await repository.parkedToWake(pilot.sub, CAP);
    const late = await repository.claimEdit(third.id, LEASE);

    // Assess
    expect(woken).toEqual([]);
    expect(late).toBeNull();
  });

  it('the stall rule passes parked tasks by; the sweeper finds them once no delivery looked at them', async () => {
    // Prepare
    const pilot = newPilot();
    const [first, second, third] = await uploads(pilot, 3);
    if (!first || !second || !third) throw new Error('no tasks');
    for (const task of [first, second, third]) await repository.claimEdit(task.id, LEASE);
    const pool = pools[0];
    await pool?.query(`UPDATE tasks SET updated_at = now() - interval '2 hours' WHERE owner_id = $1`, [
      pilot.sub,
    ]);

    // Act
    const stalled = await repository.failStalledTasks(3_600, 'stalled');
    const parked = await repository.listParked(1_080, 1_000);

    // Assess
    expect(idsOf(stalled.filter((task) => task.ownerId === pilot.sub)).sort()).toEqual(
      [first.id, second.id].sort(),
    );
    expect(idsOf(parked)).toContain(third.id);
    expect((await repository.findById(third.id))?.status).toBe('uploaded');
    // Nothing in progress any more: its delivery claims it, which takes it out of parking.
    expect(kindOf(await repository.claimEdit(third.id, LEASE))).toBe('claimed');
    expect(idsOf(await repository.listParked(0, 1_000))).not.toContain(third.id);
  });
});

/**
 * The worker fleet over real PostgreSQL: `size` instances, each with its own connection, take messages from one
 * FIFO queue in order. The object store stands in for S3 and its notifications: a requeue marker it receives is a
 * new message at the end of the queue, as S3 → SQS delivers it.
 */
class Fleet {
  readonly queue: string[] = [];
  readonly outcomes: UploadOutcome[] = [];
  readonly errors: unknown[] = [];
  /** Instances waiting for a message. */
  private readonly idle: (() => void)[] = [];
  private stopped = false;
  private readonly running: Promise<void>[] = [];

  constructor(
    private readonly services: UploadProcessingService[],
    private readonly workDir: string,
  ) {}

  send(key: string): void {
    this.queue.push(key);
    this.idle.shift()?.();
  }

  start(): void {
    for (const service of this.services) this.running.push(this.instance(service));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const wake of this.idle.splice(0)) wake();
    await Promise.all(this.running);
  }

  private async next(): Promise<string | undefined> {
    while (!this.stopped) {
      const key = this.queue.shift();
      if (key !== undefined) return key;
      await new Promise<void>((resolve) => this.idle.push(resolve));
    }
    return undefined;
  }

  private async instance(service: UploadProcessingService): Promise<void> {
    for (let key = await this.next(); key !== undefined; key = await this.next()) {
      try {
        this.outcomes.push(
          await service.handle(
            { key, sizeBytes: 100 },
            {
              receiveCount: 1,
              deadline: new Date(Date.now() + 165_000),
              workDir: this.workDir,
              reclaimAfterSeconds: 210,
            },
          ),
        );
      } catch (error) {
        this.errors.push(error);
      }
    }
  }
}

/**
 * Resolves once `condition` holds: the test waits for events, never asserts a duration (a condition that never
 * holds ends in the test's timeout).
 */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("a burst: one pilot's 5 uploads, then another pilot's 1, on the 5 worker instances", () => {
  it(
    "starts the other pilot's edit before the first pilot's 3rd, and every upload ends processed",
    { timeout: 60_000 },
    async () => {
      // Prepare
      const objects = new InMemoryObjectStore();
      const starts: number[] = [];
      const finish = new Map<number, () => void>();
      const editor = {
        async edit(input: { taskId: number; workDir: string }) {
          starts.push(input.taskId);
          await new Promise<void>((resolve) => finish.set(input.taskId, resolve));
          const videoPath = join(input.workDir, `${input.taskId}.mp4`);
          await writeFile(videoPath, 'video');
          return {
            videoPath,
            thumbnailPath: videoPath,
            durationSeconds: 20,
            width: 1280,
            height: 720,
            sizeBytes: 5,
          };
        },
      };
      const workDir = await mkdtemp(join(tmpdir(), 'worker-burst-'));
      const services = Array.from(
        { length: 5 },
        () =>
          new UploadProcessingService(
            {
              tasks: instanceRepository(),
              objects,
              sources: new FakeSourceServer(objects),
              videos: editor,
              clock: new FixedClock(),
            },
            { maxReceiveCount: 3, maxConcurrentEditsPerPilot: CAP },
          ),
      );
      const fleet = new Fleet(services, workDir);
      const putEmpty = objects.putEmpty.bind(objects);
      objects.putEmpty = async (key) => {
        await putEmpty(key);
        if (key.startsWith(REQUEUE_PREFIX)) fleet.send(key);
      };
      const burst = await uploads(newPilot(), 5);
      const [other] = await uploads(newPilot(), 1);
      if (other === undefined) throw new Error('no task');
      for (const task of [...burst, other]) objects.objects.set(task.originalKey, 100);
      const burstIds = idsOf(burst);

      // Act
      for (const task of [...burst, other]) fleet.send(task.originalKey);
      fleet.start();
      await until(() => starts.length >= 3);
      const startedBeforeAnyEditEnded = [...starts];
      // The edits end one at a time, in the order they started; each end lets a parked upload of the pilot start.
      for (let index = 0; index < 6; index++) {
        await until(() => finish.has(starts[index] ?? 0));
        finish.get(starts[index] ?? 0)?.();
        await until(
          () => fleet.outcomes.filter((outcome) => outcome.kind === 'processed').length === index + 1,
        );
      }
      await fleet.stop();
      await rm(workDir, { recursive: true, force: true });

      // Assess
      // Two of the burst (which two is up to the race of their claims) and the other pilot's, before any edit ended.
      expect(startedBeforeAnyEditEnded).toContain(other.id);
      expect(startedBeforeAnyEditEnded.filter((id) => burstIds.includes(id))).toHaveLength(CAP);
      const thirdOfBurst = starts.filter((id) => burstIds.includes(id))[2] ?? 0;
      expect(starts.indexOf(other.id)).toBeLessThan(starts.indexOf(thirdOfBurst));
      expect([...starts].sort((x, y) => x - y)).toEqual([...burstIds, other.id]);
      expect(fleet.errors).toEqual([]);
      const finals = await Promise.all([...burst, other].map((task) => repository.findById(task.id)));
      expect(finals.map((task) => task?.status)).toEqual(Array(6).fill('processed'));
      // Parking acknowledged three deliveries: no message was retried or failed.
      expect(fleet.outcomes.filter((outcome) => outcome.kind === 'parked')).toHaveLength(3);
      expect(fleet.outcomes.filter((outcome) => outcome.kind === 'failed')).toEqual([]);
    },
  );
});
