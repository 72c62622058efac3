import { createdTask } from '#test/helpers/tasks';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceDescription } from '#adapters/ffmpeg/classify';
import { DEFAULT_LEAGUE_FORMAT } from '#core/league-format';
import { parseJobStateChange } from '#adapters/mediaconvert/job-event';
import { buildCreateJobInput } from '#adapters/mediaconvert/job-settings';
import { MediaConvertVideoProcessor, type SourceProber } from '#adapters/mediaconvert/processor';
import { PermanentProcessingError } from '#core/processing-errors';
import type { FinishedJob } from '#core/ports';
import { completeJob, UploadProcessingService, type ProcessingAttempt } from '#core/upload-processing';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { storedUpload } from '#test/unit/fakes/task-fixtures';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { completeEvent, errorEvent } from '#test/unit/mediaconvert/sample-events';
import { FakeSourceServer } from './fake-source-server';

const OPTIONS = {
  bucket: 'idrl-videos',
  roleArn: 'arn:aws:iam::111122223333:role/IdrlMediaConvert',
  queueArn: 'arn:aws:mediaconvert:us-west-2:111122223333:queues/Idrl',
  logoUri: 's3://assets/idrl-logo.png',
  format: DEFAULT_LEAGUE_FORMAT,
};

/** A SourceProber answering `description`, or throwing `failure`, recording the URLs it probed. */
class FakeProber implements SourceProber {
  readonly probed: string[] = [];
  description: SourceDescription = {
    startSeconds: 0,
    sourceSeconds: 16,
    hasAudio: true,
    demuxer: 'mov,mp4,m4a,3gp,3g2,mj2',
    frameRate: 30,
  };
  failure: Error | undefined;

  describe(source: string): Promise<SourceDescription> {
    this.probed.push(source);
    return this.failure ? Promise.reject(this.failure) : Promise.resolve(this.description);
  }
}

/** The job's outputs as MediaConvert writes them for task 1 (sizes in bytes). */
function writeOutputs(objects: InMemoryObjectStore): void {
  objects.objects.set('processed/1/video.mp4', 4_000_000);
  objects.objects.set('processed/1/thumbnail.0000000.jpg', 30_000);
  objects.objects.set('processed/1/thumbnail.0000001.jpg', 40_000);
}

function finished(event: unknown): FinishedJob {
  const job = parseJobStateChange(event);
  if (job === null) throw new Error('The sample event finishes no job');
  return job;
}

describe('MediaConvert backend', () => {
  let clock: FixedClock;
  let tasks: InMemoryTaskRepository;
  let objects: InMemoryObjectStore;
  let prober: FakeProber;
  let service: UploadProcessingService;
  let workDir: string;

  function attempt(receiveCount = 1): ProcessingAttempt {
    return {
      receiveCount,
      deadline: new Date(clock.now().getTime() + 165_000),
      workDir,
      reclaimAfterSeconds: 210,
    };
  }

  beforeEach(async () => {
    clock = new FixedClock();
    tasks = new InMemoryTaskRepository(() => clock.now());
    objects = new InMemoryObjectStore(() => clock.now());
    prober = new FakeProber();
    const videos = new MediaConvertVideoProcessor(prober, objects, clock, OPTIONS);
    service = new UploadProcessingService(
      { tasks, objects, sources: new FakeSourceServer(objects), videos, clock },
      { maxReceiveCount: 3 },
    );
    workDir = await mkdtemp(join(tmpdir(), 'worker-mediaconvert-'));
    await storedUpload(tasks, objects);
  });

  afterEach(async () => {
    await rm(workDir, { recursive: true, force: true });
  });

  async function submit(): Promise<void> {
    await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());
  }

  describe('worker', () => {
    it('validates the upload through the source server, claims the task and stores the job request; the task stays processing', async () => {
      // Act
      const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt(2));

      // Assess
      expect(outcome).toEqual({
        kind: 'submitted',
        taskId: 1,
        jobRequestKey: 'processed/1/mediaconvert-job.json',
      });
      expect(prober.probed).toEqual(['http://127.0.0.1:9/uploads%2F1%2Fnonce']);
      expect(tasks.tasks.get(1)).toMatchObject({
        status: 'processing',
        failureReason: null,
        processed: null,
      });
      expect(objects.objects.has('processed/1/mediaconvert-job.json')).toBe(true);
      const stored: unknown = JSON.parse(await readFile(join(workDir, 'mediaconvert-job.json'), 'utf8'));
      expect(stored).toEqual(
        JSON.parse(
          JSON.stringify(
            buildCreateJobInput({
              ...OPTIONS,
              taskId: 1,
              revision: 1,
              attempt: 2,
              sourceKey: 'uploads/1/nonce',
              // A task recorded without a version (before versions were): the job reads the key.
              inputKey: 'uploads/1/nonce',
              startSeconds: 0,
              sourceSeconds: 16,
              frameRate: 30,
              posterSeconds: 0,
              hasAudio: true,
              submittedAt: clock.now(),
            }),
          ),
        ),
      );
    });

    it("copies the task's recorded version for the job, which reads that copy, never a later post to the grant", async () => {
      // Prepare: the task's version, then a second post to its grant before the edit
      objects.objects.delete('uploads/1/nonce');
      const first = objects.upload('uploads/1/nonce', 2_000);
      await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000, versionId: first }, attempt());
      const task = tasks.tasks.get(1);
      objects.upload('uploads/1/nonce', 3_000);

      // Assess
      expect(task).toMatchObject({ status: 'processing', originalVersionId: first });
      expect(objects.copies).toEqual([
        { sourceKey: 'uploads/1/nonce', versionId: first, key: 'processed/1/mediaconvert-source' },
      ]);
      expect(objects.objects.get('processed/1/mediaconvert-source')).toBe(2_000);
      const stored = JSON.parse(await readFile(join(workDir, 'mediaconvert-job.json'), 'utf8')) as {
        Settings: { Inputs: { FileInput?: string }[] };
        UserMetadata: Record<string, string>;
      };
      expect(stored.Settings.Inputs.map((input) => input.FileInput).filter(Boolean)).toEqual([
        `s3://${OPTIONS.bucket}/processed/1/mediaconvert-source`,
      ]);
      expect(stored.UserMetadata.idrlSourceKey).toBe('uploads/1/nonce');
    });

    it('fails a source the probe rejects at once, without submitting anything', async () => {
      // Prepare
      prober.failure = new PermanentProcessingError(
        'The file contains only audio; a video stream is required.',
      );

      // Act
      const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

      // Assess
      expect(outcome).toEqual({
        kind: 'failed',
        taskId: 1,
        reason: 'The file contains only audio; a video stream is required.',
        failureKind: 'content',
        detail: undefined,
      });
      expect([...objects.objects.keys()]).toEqual(['uploads/1/nonce']);
    });

    it('acknowledges a duplicate notification while the job runs: one request, one claim', async () => {
      // Prepare
      await submit();
      const claimedAt = tasks.tasks.get(1)?.processingStartedAt;

      // Act
      clock.advance(60_000);
      const outcome = await service.handle({ key: 'uploads/1/nonce', sizeBytes: 2_000 }, attempt());

      // Assess
      expect(outcome).toEqual({ kind: 'duplicate', taskId: 1, status: 'processing' });
      expect(prober.probed).toHaveLength(1);
      expect(tasks.tasks.get(1)?.processingStartedAt).toEqual(claimedAt);
    });
  });

  describe('completion (AWS sample events)', () => {
    it('COMPLETE: checks the outputs, records duration and frame size from the event and the size from storage, drops the logo capture and the job request', async () => {
      // Prepare
      await submit();
      writeOutputs(objects);

      // Act
      const outcome = await completeJob({ tasks, objects }, finished(completeEvent(1)));

      // Assess
      const metadata = {
        durationSeconds: 180.041,
        width: 1280,
        height: 720,
        sizeBytes: 4_000_000,
        processingMs: 80_000,
        sourceBytesRead: 0,
      };
      expect(outcome).toEqual({ kind: 'processed', taskId: 1, metadata });
      expect(tasks.tasks.get(1)).toMatchObject({
        status: 'processed',
        processedKey: 'processed/1/video.mp4',
        thumbnailKey: 'processed/1/thumbnail.0000001.jpg',
        processed: metadata,
      });
      expect([...objects.objects.keys()].sort()).toEqual([
        'processed/1/thumbnail.0000001.jpg',
        'processed/1/video.mp4',
        'uploads/1/nonce',
      ]);
    });

    it('a repeated COMPLETE changes nothing', async () => {
      // Prepare
      await submit();
      writeOutputs(objects);
      await completeJob({ tasks, objects }, finished(completeEvent(1)));
      const recorded = structuredClone(tasks.tasks.get(1));
      clock.advance(5_000);

      // Act
      const outcome = await completeJob({ tasks, objects }, finished(completeEvent(1)));

      // Assess
      expect(outcome).toEqual({ kind: 'duplicate', taskId: 1, status: 'processed' });
      expect(tasks.tasks.get(1)).toEqual(recorded);
    });

    it('ERROR: fails the task with a readable reason and removes whatever the job wrote', async () => {
      // Prepare
      await submit();
      writeOutputs(objects);

      // Act
      const outcome = await completeJob({ tasks, objects }, finished(errorEvent(1)));

      // Assess
      expect(outcome).toEqual({
        kind: 'failed',
        taskId: 1,
        reason: 'MediaConvert could not edit the video (error 1040: Example error message).',
        failureKind: 'transient',
        detail: undefined,
      });
      expect(tasks.tasks.get(1)).toMatchObject({
        status: 'failed',
        failureReason: 'MediaConvert could not edit the video (error 1040: Example error message).',
      });
      expect([...objects.objects.keys()]).toEqual(['uploads/1/nonce']);
    });

    it('out of order: a late ERROR after COMPLETE, and a late COMPLETE after ERROR, are no-ops', async () => {
      // Prepare: task 1 completes, task 2 fails.
      await submit();
      writeOutputs(objects);
      await completeJob({ tasks, objects }, finished(completeEvent(1)));
      const second = await createdTask(tasks, {
        ownerId: 'sub-pilot',
        fileName: 'other.mp4',
        contentType: 'video/mp4',
        declaredBytes: 2_000,
        uploadExpiresAt: new Date('2026-03-02T12:00:00.000Z'),
        keyNonce: 'nonce',
      });
      objects.objects.set(second.originalKey, 2_000);
      await service.handle({ key: second.originalKey, sizeBytes: 2_000 }, attempt());
      await completeJob({ tasks, objects }, finished(errorEvent(2)));
      const before = structuredClone([tasks.tasks.get(1), tasks.tasks.get(2)]);

      // Act
      const lateError = await completeJob({ tasks, objects }, finished(errorEvent(1)));
      const lateComplete = await completeJob({ tasks, objects }, finished(completeEvent(2)));

      // Assess
      expect([lateError, lateComplete]).toEqual([
        { kind: 'duplicate', taskId: 1, status: 'processed' },
        { kind: 'duplicate', taskId: 2, status: 'failed' },
      ]);
      expect([tasks.tasks.get(1), tasks.tasks.get(2)]).toEqual(before);
      expect(objects.objects.has('processed/1/video.mp4')).toBe(true);
    });

    it('a task deleted while the job ran stays deleted and loses what the job wrote', async () => {
      // Prepare: the API deleted the row and the keys it knows; the job then wrote its outputs.
      await submit();
      tasks.tasks.delete(1);
      objects.objects.delete('uploads/1/nonce');
      writeOutputs(objects);

      // Act
      const outcome = await completeJob({ tasks, objects }, finished(completeEvent(1)));

      // Assess
      expect(outcome).toEqual({ kind: 'deleted-during-processing', taskId: 1 });
      expect([...objects.objects.keys()]).toEqual([]);
    });

    it('fails a task whose COMPLETE event names outputs that are not in storage', async () => {
      // Prepare
      await submit();
      objects.objects.set('processed/1/video.mp4', 4_000_000);

      // Act
      const outcome = await completeJob({ tasks, objects }, finished(completeEvent(1)));

      // Assess
      expect(outcome).toMatchObject({
        kind: 'failed',
        reason: 'The edited video was not found in storage after processing finished.',
      });
      expect([...objects.objects.keys()]).toEqual(['uploads/1/nonce']);
    });
  });
});
