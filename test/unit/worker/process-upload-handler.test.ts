import { createdTask } from '#test/helpers/tasks';
import { existsSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UploadProcessingService } from '#core/upload-processing';
import { createProcessUploadHandler } from '#functions/worker/process-upload-handler';
import type { TraceSegment } from '#adapters/xray/udp-segments';
import { lambdaContext } from '#infra/local/lambda-context';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { storedUpload } from '#test/unit/fakes/task-fixtures';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { sqsEvent as sqsEventOf } from '#test/helpers/sqs';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import { FakeSourceServer } from './fake-source-server';
import { FakeVideoProcessor } from './fake-video-processor';

function sqsEvent(body: string, receiveCount = 1): SQSEvent {
  return sqsEventOf(body, { receiveCount, messageId: 'message-1' });
}

const created = (key: string) =>
  JSON.stringify({ Records: [{ eventName: 'ObjectCreated:Post', s3: { object: { key, size: 2_000 } } }] });
const context = () =>
  lambdaContext({ name: 'process-upload', region: 'us-east-1', timeoutSeconds: 180, memoryMb: 3008 });

describe('process-upload handler', () => {
  let tasks: InMemoryTaskRepository;
  let objects: InMemoryObjectStore;
  let videos: FakeVideoProcessor;
  let metrics: Metrics;
  let logger: Logger;
  let handler: ReturnType<typeof createProcessUploadHandler>;

  beforeEach(async () => {
    const clock = new FixedClock();
    tasks = new InMemoryTaskRepository(() => clock.now());
    objects = new InMemoryObjectStore(() => clock.now());
    videos = new FakeVideoProcessor();
    metrics = new Metrics({ namespace: 'idrl-test', serviceName: 'worker' });
    // EMF output is Powertools' concern; these tests assert what was added.
    vi.spyOn(metrics, 'publishStoredMetrics').mockReturnValue(metrics);
    const service = new UploadProcessingService(
      { tasks, objects, sources: new FakeSourceServer(objects), videos, clock },
      { maxReceiveCount: 3 },
    );
    logger = new Logger({ logLevel: 'SILENT' });
    handler = createProcessUploadHandler({ service, logger, metrics });
    await storedUpload(tasks, objects);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('processes the upload, records its metrics and acknowledges the message', async () => {
    // Prepare: S3 sent the notification 42 s before the worker got to it
    const addMetric = vi.spyOn(metrics, 'addMetric');
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T12:00:00.000Z') });
    const event = sqsEvent(created('uploads/1/nonce'));
    vi.setSystemTime(new Date('2026-03-01T12:00:42.000Z'));

    // Act
    const response = await handler(event, context());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(tasks.tasks.get(1)?.status).toBe('processed');
    expect(addMetric.mock.calls).toEqual([
      ['ProcessingSeconds', 'Seconds', 0],
      ['SentToProcessedSeconds', 'Seconds', 42],
      ['SourceBytesRead', 'Bytes', 2_000],
      ['OutputBytes', 'Bytes', 5],
      ['VideosProcessed', 'Count', 1],
    ]);
  });

  it("acknowledges a delivery its pilot's cap parks, as a parked edit, not a failure", async () => {
    // Prepare: the pilot's other upload is being edited, and the cap is one edit
    const addMetric = vi.spyOn(metrics, 'addMetric');
    const editing = await storedUpload(tasks, objects, { keyNonce: 'other' });
    await tasks.markUploaded(editing.originalKey, 2_000);
    await tasks.markProcessing(editing.id);
    const capped = createProcessUploadHandler({
      service: new UploadProcessingService(
        { tasks, objects, sources: new FakeSourceServer(objects), videos, clock: new FixedClock() },
        { maxReceiveCount: 3, maxConcurrentEditsPerPilot: 1 },
      ),
      logger,
      metrics,
    });

    // Act
    const response = await capped(sqsEvent(created('uploads/1/nonce')), context());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(tasks.tasks.get(1)?.status).toBe('uploaded');
    expect(videos.calls).toEqual([]);
    expect(addMetric.mock.calls).toEqual([['EditsParked', 'Count', 1]]);
  });

  it('stops ffmpeg 15 s before the Lambda timeout and leases the task for the whole invocation', async () => {
    // Prepare
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T12:00:00.000Z') });
    const invocation = { ...context(), getRemainingTimeInMillis: () => 180_000 };
    const markProcessing = vi.spyOn(tasks, 'markProcessing');

    // Act
    await handler(sqsEvent(created('uploads/1/nonce')), invocation);

    // Assess
    expect(videos.calls[0]?.deadline).toEqual(new Date('2026-03-01T12:02:45.000Z'));
    expect(markProcessing.mock.calls).toEqual([[1, { reclaimAfterSeconds: 210 }]]);
  });

  it('removes the per-invocation temp dir whether processing succeeds or fails', async () => {
    // Prepare
    videos.behaviour = () => Promise.reject(new Error('disk on fire'));

    // Act
    const response = await handler(sqsEvent(created('uploads/1/nonce')), context());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(videos.calls).toHaveLength(1);
    expect(existsSync(videos.calls[0]?.workDir ?? '')).toBe(false);
  });

  it('reports a transient failure as a batch item failure so SQS redelivers only that message', async () => {
    // Prepare
    videos.behaviour = () => Promise.reject(new Error('socket hang up'));

    // Act
    const response = await handler(sqsEvent(created('uploads/1/nonce'), 2), context());

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
    expect(tasks.tasks.get(1)?.status).toBe('uploaded');
  });

  it('fails the task instead of asking for redelivery once ApproximateReceiveCount reaches MAX_RECEIVE_COUNT', async () => {
    // Prepare
    videos.behaviour = () => Promise.reject(new Error('connect ECONNREFUSED 10.0.3.7:5432'));
    const warn = vi.spyOn(logger, 'warn');

    // Act
    const response = await handler(sqsEvent(created('uploads/1/nonce'), 3), context());

    // Assess: the pilot reads a fixed reason; the error's text, naming the host, only reaches the log.
    expect(response).toEqual({ batchItemFailures: [] });
    const reason = 'Processing failed after 3 attempts; retry it or upload the video again.';
    expect(tasks.tasks.get(1)).toMatchObject({ status: 'failed', failureReason: reason });
    expect(warn.mock.calls).toEqual([
      [
        'Video failed',
        {
          outcome: {
            kind: 'failed',
            taskId: 1,
            reason,
            failureKind: 'transient',
            detail: 'connect ECONNREFUSED 10.0.3.7:5432',
          },
        },
      ],
    ]);
  });

  it('acknowledges the s3:TestEvent and touches nothing', async () => {
    // Act
    const response = await handler(
      sqsEvent(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'idrl-videos' })),
      context(),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(tasks.tasks.get(1)?.status).toBe('awaiting_upload');
    expect(videos.calls).toEqual([]);
  });

  it('acknowledges a body that is not an S3 notification, since redelivery cannot help', async () => {
    // Act
    const response = await handler(sqsEvent('{"hello":'), context());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(videos.calls).toEqual([]);
  });

  it('finds the task by the URL-decoded key', async () => {
    // Prepare
    const task = await createdTask(tasks, {
      ownerId: 'sub-pilot',
      fileName: 'b.mp4',
      contentType: 'video/mp4',
      declaredBytes: 1,
      uploadExpiresAt: new Date('2026-03-02T12:00:00.000Z'),
      keyNonce: 'a b+c',
    });
    objects.objects.set(task.originalKey, 1);

    // Act
    const response = await handler(sqsEvent(created('uploads/2/a+b%2Bc')), context());

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(tasks.tasks.get(task.id)?.status).toBe('processed');
  });

  describe("the task's trace", () => {
    const TRACE = 'Root=1-6745a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1';

    /** The structured lines a real logger writes while the handler runs. */
    async function linesOf(traceHeaderOf: (key: string) => Promise<string | undefined>) {
      const written: string[] = [];
      const segments: TraceSegment[] = [];
      const capture = (chunk: unknown): boolean => {
        written.push(String(chunk));
        return true;
      };
      const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
      const service = new UploadProcessingService(
        { tasks, objects, sources: new FakeSourceServer(objects), videos, clock: new FixedClock() },
        { maxReceiveCount: 3 },
      );
      const traced = createProcessUploadHandler({
        service,
        logger: new Logger({ logLevel: 'INFO', serviceName: 'worker' }),
        metrics,
        traceHeaderOf,
        segments: {
          record: (segment) => {
            segments.push(segment);
            return Promise.resolve();
          },
        },
      });
      const response = await traced(sqsEvent(created('uploads/1/nonce')), context());
      stdout.mockRestore();
      stderr.mockRestore();
      const lines = written
        .join('')
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return { response, lines, segments };
    }

    it('logs the trace id stored with the upload on every line about it', async () => {
      // Prepare
      const asked: string[] = [];

      // Act
      const { response, lines, segments } = await linesOf((key) => {
        asked.push(key);
        return Promise.resolve(TRACE);
      });

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(asked).toEqual(['uploads/1/nonce']);
      expect(lines.map(({ message, taskId, traceId }) => ({ message, taskId, traceId }))).toEqual([
        { message: 'Video processed', taskId: 1, traceId: '1-6745a1b2-0123456789abcdef01234567' },
      ]);
      // ... and records the processing as a segment of that trace, under the request that created the task.
      expect(segments).toEqual([
        {
          traceHeader: TRACE,
          startedAt: expect.any(Date) as Date,
          endedAt: expect.any(Date) as Date,
          annotations: { taskId: 1, outcome: 'processed', receiveCount: 1 },
          fault: false,
        },
      ]);
    });

    it("records a processing the queue will redeliver as a fault in the task's trace", async () => {
      // Prepare
      videos.behaviour = () => Promise.reject(new Error('socket hang up'));

      // Act
      const { response, segments } = await linesOf(() => Promise.resolve(TRACE));

      // Assess
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-1' }] });
      expect(segments.map(({ annotations, fault }) => ({ annotations, fault }))).toEqual([
        { annotations: { taskId: 1, outcome: 'redelivered', receiveCount: 1 }, fault: true },
      ]);
    });

    it('processes the upload without a trace id when the stored one cannot be read', async () => {
      // Act
      const { response, lines, segments } = await linesOf(() =>
        Promise.reject(new Error('HeadObject throttled')),
      );

      // Assess
      expect(response).toEqual({ batchItemFailures: [] });
      expect(tasks.tasks.get(1)?.status).toBe('processed');
      expect(lines.map(({ message, traceId }) => ({ message, traceId }))).toEqual([
        { message: "The upload's trace could not be read", traceId: undefined },
        { message: 'Video processed', traceId: undefined },
      ]);
      expect(segments).toEqual([]);
    });

    it('drops a stored value that is not an X-Ray trace header', async () => {
      // Act
      const { lines, segments } = await linesOf(() => Promise.resolve('Root=<script>;Sampled=1'));

      // Assess
      expect(lines.map(({ message, traceId }) => ({ message, traceId }))).toEqual([
        { message: 'Video processed', traceId: undefined },
      ]);
      expect(segments).toEqual([]);
    });
  });
});
