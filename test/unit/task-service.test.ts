import { beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  TooManyRequestsError,
  ValidationError,
} from '#core/errors';
import { outputKeys } from '#core/object-keys';
import { processedFileName, RETRY_NOT_QUEUED_REASON, TaskService } from '#core/task-service';
import { FixedClock } from '#test/unit/fakes/fixed-clock';
import { InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';
import { InMemoryTaskRepository } from '#test/unit/fakes/in-memory-task-repository';
import type { Caller } from '#core/task';
import { limits, pilot, rival } from '#test/unit/fakes/task-fixtures';

const metadata = {
  durationSeconds: 20,
  width: 1280,
  height: 720,
  sizeBytes: 4_000,
  processingMs: 900,
  sourceBytesRead: 500,
};

describe('TaskService', () => {
  let clock: FixedClock;
  let repository: InMemoryTaskRepository;
  let store: InMemoryObjectStore;
  let service: TaskService;

  beforeEach(() => {
    clock = new FixedClock();
    repository = new InMemoryTaskRepository(() => clock.now());
    store = new InMemoryObjectStore(() => clock.now());
    service = new TaskService({ repository, store, uploads: store, clock, limits, nonce: () => 'nonce-1' });
  });

  describe("the pilot's cut (docs/spec.md §8)", () => {
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
        'requeue/1/r2-nonce-1',
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

  describe('create', () => {
    it('creates the user and the task and returns a presigned upload capped to the declared size', async () => {
      // Act
      const created = await service.create(pilot, {
        fileName: 'race.mp4',
        contentType: 'video/mp4',
        size: 600,
      });

      // Assess
      expect(created).toEqual({
        id: 1,
        fileName: 'race.mp4',
        title: 'race',
        status: 'awaiting_upload',
        createdAt: '2026-03-01T12:00:00.000Z',
        updatedAt: '2026-03-01T12:00:00.000Z',
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
        upload: {
          url: 'https://bucket.example/',
          fields: { key: 'uploads/1/nonce-1', 'Content-Type': 'video/mp4' },
          expiresAt: '2026-03-01T12:15:00.000Z',
          maxBytes: 600,
        },
      });
      expect(repository.users.get('sub-pilot')).toBe('pilot');
      expect(store.uploads).toEqual([
        { key: 'uploads/1/nonce-1', contentType: 'video/mp4', maxBytes: 600, expiresInSeconds: 900 },
      ]);
      expect(repository.tasks.get(1)?.uploadExpiresAt).toEqual(new Date('2026-03-02T12:00:00.000Z'));
    });

    it('rejects a declared size above the limit with PayloadTooLargeError and stores nothing', async () => {
      // Act
      const attempt = service.create(pilot, { fileName: 'huge.mp4', contentType: 'video/mp4', size: 1_001 });

      // Assess
      await expect(attempt).rejects.toThrow(
        new PayloadTooLargeError('The video is larger than the 1000 bytes limit'),
      );
      expect(repository.tasks.size).toBe(0);
      expect(repository.users.size).toBe(0);
      expect(store.uploads).toEqual([]);
    });

    it('refuses a sixth unfinished task with TooManyRequestsError and no retry delay, storing nothing', async () => {
      // Prepare
      for (let index = 0; index < 5; index += 1)
        await service.create(pilot, { fileName: `t${index}.mp4`, contentType: 'video/mp4', size: 10 });

      // Act
      const error: unknown = await service
        .create(pilot, { fileName: 'sixth.mp4', contentType: 'video/mp4', size: 10 })
        .catch((thrown: unknown) => thrown);

      // Assess
      expect(error).toEqual(
        new TooManyRequestsError(
          'You already have 5 unfinished tasks: wait until one is processed or failed, or delete one',
        ),
      );
      expect((error as TooManyRequestsError).retryAfterSeconds).toBeUndefined();
      expect(repository.tasks.size).toBe(5);
      expect(store.uploads).toHaveLength(5);
    });

    it('refuses bytes past the daily quota until enough of the oldest age out of the 24 h window', async () => {
      // Prepare: 3 × 1000 bytes (the quota is 3000) declared an hour apart, each task deleted at once.
      for (let index = 0; index < 3; index += 1) {
        const { id } = await service.create(pilot, {
          fileName: 'a.mp4',
          contentType: 'video/mp4',
          size: 1_000,
        });
        await service.delete(pilot, id);
        clock.advance(3_600_000);
      }

      // Act: 3 h after the first, 1000 more bytes need the first to age out, 21 h from now.
      const error: unknown = await service
        .create(pilot, { fileName: 'b.mp4', contentType: 'video/mp4', size: 1_000 })
        .catch((thrown: unknown) => thrown);
      clock.advance(21 * 3_600_000);
      const afterRetryAfter = await service.create(pilot, {
        fileName: 'b.mp4',
        contentType: 'video/mp4',
        size: 1_000,
      });

      // Assess
      expect(error).toEqual(
        new TooManyRequestsError('This upload would take your uploads of the last 24 hours past 3000 bytes', {
          retryAfterSeconds: 21 * 3_600,
        }),
      );
      expect(afterRetryAfter.status).toBe('awaiting_upload');
    });

    it('accepts a declared size exactly at the limit', async () => {
      // Act
      const created = await service.create(pilot, {
        fileName: 'max.mp4',
        contentType: 'video/mp4',
        size: 1_000,
      });

      // Assess
      expect(created.upload.maxBytes).toBe(1_000);
    });
  });

  describe('get', () => {
    it('returns a task awaiting upload without any download URL', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });

      // Act
      const task = await service.get(pilot, 1);

      // Assess
      expect(task).toEqual({
        id: 1,
        fileName: 'race.mp4',
        title: 'race',
        status: 'awaiting_upload',
        createdAt: '2026-03-01T12:00:00.000Z',
        updatedAt: '2026-03-01T12:00:00.000Z',
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
      });
    });

    it('returns the original URL once uploaded, named after the pilot file', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
      clock.advance(1_000);
      await repository.markUploaded('uploads/1/nonce-1', 10);

      // Act
      const task = await service.get(pilot, 1);

      // Assess
      expect(task).toEqual({
        id: 1,
        fileName: 'race.mp4',
        title: 'race',
        status: 'uploaded',
        createdAt: '2026-03-01T12:00:00.000Z',
        updatedAt: '2026-03-01T12:00:01.000Z',
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
        original: { url: 'https://bucket.example/uploads/1/nonce-1?ttl=300&name=race.mp4' },
      });
    });

    it("signs the original's URL with the version the task recorded, not the key's current one", async () => {
      // Prepare: the first post recorded, a second post to the grant stored but not yet deleted by the worker
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
      const first = store.upload('uploads/1/nonce-1', 10);
      await repository.markUploaded('uploads/1/nonce-1', 10, first);
      store.upload('uploads/1/nonce-1', 7);

      // Act
      const task = await service.get(pilot, 1);

      // Assess
      expect(task.original).toEqual({
        url: `https://bucket.example/uploads/1/nonce-1?ttl=300&versionId=${first}&name=race.mp4`,
      });
    });

    it('returns processed video and thumbnail URLs with metadata once processed', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mov', contentType: 'video/quicktime', size: 10 });
      await repository.markUploaded('uploads/1/nonce-1', 10);
      await repository.markProcessing(1);
      await repository.markProcessed(1, {
        processedKey: 'processed/1/video.mp4',
        thumbnailKey: 'processed/1/thumbnail.jpg',
        metadata,
      });

      // Act
      const task = await service.get(pilot, 1);

      // Assess
      expect(task).toEqual({
        id: 1,
        fileName: 'race.mov',
        title: 'race',
        status: 'processed',
        createdAt: '2026-03-01T12:00:00.000Z',
        updatedAt: '2026-03-01T12:00:00.000Z',
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
        original: { url: 'https://bucket.example/uploads/1/nonce-1?ttl=300&name=race.mov' },
        processed: {
          url: 'https://bucket.example/processed/1/video.mp4?ttl=300&name=race-idrl.mp4',
          playbackUrl: 'https://bucket.example/processed/1/video.mp4?ttl=300',
          durationSeconds: 20,
          width: 1280,
          height: 720,
          sizeBytes: 4_000,
        },
        thumbnail: { url: 'https://bucket.example/processed/1/thumbnail.jpg?ttl=300' },
      });
    });

    it('returns the failure reason of a failed task, with the original only if it arrived', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
      await repository.markUploaded('uploads/1/nonce-1', 10);
      await repository.markFailed(1, 'not a video', 'content');

      // Act
      const task = await service.get(pilot, 1);

      // Assess
      expect(task).toEqual({
        id: 1,
        fileName: 'race.mp4',
        title: 'race',
        status: 'failed',
        failureReason: 'not a video',
        retryable: false,
        createdAt: '2026-03-01T12:00:00.000Z',
        updatedAt: '2026-03-01T12:00:00.000Z',
        public: true,
        votes: 0,
        clip: { startSeconds: 0 },
        posterSeconds: 0,
        revision: 1,
        original: { url: 'https://bucket.example/uploads/1/nonce-1?ttl=300&name=race.mp4' },
      });
    });

    it('throws NotFoundError for a task that belongs to another user', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });

      // Act
      const attempt = service.get(rival, 1);

      // Assess
      await expect(attempt).rejects.toThrow(new NotFoundError('Video not found'));
    });
  });

  describe('list', () => {
    async function createMany(caller: Caller, count: number): Promise<void> {
      for (let index = 0; index < count; index++)
        await service.create(caller, {
          fileName: `${caller.username}-${index}.mp4`,
          contentType: 'video/mp4',
          size: 10,
        });
    }

    it('pages through only the caller tasks in ascending order with a cursor', async () => {
      // Prepare
      await createMany(pilot, 3);
      await createMany(rival, 2);

      // Act
      const first = await service.list(pilot, { max: 2, order: 'asc' });
      const second = await service.list(pilot, { max: 2, order: 'asc', cursor: Number(first.nextCursor) });

      // Assess
      expect(first.data.map((task) => task.id)).toEqual([1, 2]);
      expect(first.nextCursor).toBe('2');
      expect(second).toEqual({ data: [expect.objectContaining({ id: 3, fileName: 'pilot-2.mp4' })] });
    });

    it('lists in descending order and omits the cursor on the last page', async () => {
      // Prepare
      await createMany(pilot, 3);

      // Act
      const page = await service.list(pilot, { max: 3, order: 'desc' });

      // Assess
      expect(page.data.map((task) => task.id)).toEqual([3, 2, 1]);
      expect(page).not.toHaveProperty('nextCursor');
    });
  });

  describe('multipart upload', () => {
    // limits: 1000-byte cap, 300-byte parts; a 700-byte video is parts of 300, 300 and 100 bytes.
    async function started(size = 700) {
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size });
      return service.startMultipartUpload(pilot, 1);
    }

    function storeParts(uploadId: string, sizes: number[]): void {
      const parts = store.multipart.get(uploadId)?.parts;
      sizes.forEach((size, index) => parts?.set(index + 1, size));
    }

    it('starts an upload with the exact content type and a plan of fixed-size parts', async () => {
      // Act
      const upload = await started();

      // Assess
      expect(upload).toEqual({ uploadId: 'upload-1', partBytes: 300, partCount: 3, maxBytes: 700 });
      expect([...store.multipart.values()]).toEqual([
        { key: 'uploads/1/nonce-1', contentType: 'video/mp4', initiatedAt: clock.now(), parts: new Map() },
      ]);
    });

    it('aborts the unfinished upload of the task when a fresh one starts', async () => {
      // Prepare
      await started();

      // Act
      const fresh = await service.startMultipartUpload(pilot, 1);

      // Assess
      expect(fresh.uploadId).toBe('upload-2');
      expect([...store.multipart.keys()]).toEqual(['upload-2']);
    });

    it('signs each part for its exact size, the last one for the remainder', async () => {
      // Prepare
      const { uploadId } = await started();

      // Act
      const signed = await service.signUploadParts(pilot, 1, uploadId, [3, 1]);

      // Assess
      expect(signed).toEqual({
        parts: [
          {
            partNumber: 3,
            url: 'https://bucket.example/uploads/1/nonce-1?uploadId=upload-1&partNumber=3&length=100&ttl=900',
            sizeBytes: 100,
          },
          {
            partNumber: 1,
            url: 'https://bucket.example/uploads/1/nonce-1?uploadId=upload-1&partNumber=1&length=300&ttl=900',
            sizeBytes: 300,
          },
        ],
        expiresAt: '2026-03-01T12:15:00.000Z',
      });
    });

    it('refuses to sign a part beyond the plan, and any part of another pilot task', async () => {
      // Prepare
      const { uploadId } = await started();

      // Act
      const beyond = service.signUploadParts(pilot, 1, uploadId, [4]);
      const foreign = service.signUploadParts(rival, 1, uploadId, [1]);

      // Assess
      await expect(beyond).rejects.toThrow(
        new ValidationError('Invalid request', [
          { field: 'partNumbers', message: 'This upload has parts 1 to 3' },
        ]),
      );
      await expect(foreign).rejects.toThrow(new NotFoundError('Video not found'));
    });

    it('lists the stored parts so a resumed upload sends only the rest', async () => {
      // Prepare
      const { uploadId } = await started();
      storeParts(uploadId, [300]);

      // Act
      const listed = await service.listUploadParts(pilot, 1, uploadId);

      // Assess
      expect(listed).toEqual({ parts: [{ partNumber: 1, sizeBytes: 300, etag: '"etag-1"' }] });
    });

    it('refuses to complete while parts are missing, and keeps the upload to resume', async () => {
      // Prepare
      const { uploadId } = await started();
      storeParts(uploadId, [300]);

      // Act
      const attempt = service.completeMultipartUpload(pilot, 1, uploadId);

      // Assess
      await expect(attempt).rejects.toThrow(
        new ConflictError('The upload is not complete', [
          { field: 'parts', message: 'Parts still to upload: 2, 3' },
        ]),
      );
      expect(store.multipart.has(uploadId)).toBe(true);
    });

    it('completes from the stored parts when they are exactly the plan', async () => {
      // Prepare
      const { uploadId } = await started();
      storeParts(uploadId, [300, 300, 100]);

      // Act
      const task = await service.completeMultipartUpload(pilot, 1, uploadId);

      // Assess
      expect(task).toMatchObject({ id: 1, status: 'awaiting_upload' });
      expect(store.objects.get('uploads/1/nonce-1')).toBe(700);
      expect(store.multipart.size).toBe(0);
    });

    it('aborts an upload holding more bytes than declared instead of completing it', async () => {
      // Prepare
      const { uploadId } = await started();
      storeParts(uploadId, [300, 300, 101]);

      // Act
      const attempt = service.completeMultipartUpload(pilot, 1, uploadId);

      // Assess
      await expect(attempt).rejects.toThrow(
        new PayloadTooLargeError(
          'The upload held more than the 700 bytes declared; it was cancelled, please upload again',
        ),
      );
      expect(store.multipart.size).toBe(0);
      expect(store.objects.size).toBe(0);
    });

    it('refuses every multipart step once the video has been uploaded', async () => {
      // Prepare
      const { uploadId } = await started();
      await repository.markUploaded('uploads/1/nonce-1', 700);

      // Act
      const attempts = [
        service.startMultipartUpload(pilot, 1),
        service.signUploadParts(pilot, 1, uploadId, [1]),
        service.completeMultipartUpload(pilot, 1, uploadId),
      ];

      // Assess
      for (const attempt of attempts)
        await expect(attempt).rejects.toThrow(new ConflictError('This video has already been uploaded'));
    });

    it('completes once: the completion records its version, and every multipart step after it is refused before the notification', async () => {
      // Prepare
      const { uploadId } = await started();
      storeParts(uploadId, [300, 300, 100]);
      await service.completeMultipartUpload(pilot, 1, uploadId);

      // Act: the same completion again, and a second session, while the task still awaits its notification
      const attempts = [
        service.completeMultipartUpload(pilot, 1, uploadId),
        service.startMultipartUpload(pilot, 1),
        service.signUploadParts(pilot, 1, uploadId, [1]),
        service.listUploadParts(pilot, 1, uploadId),
      ];

      // Assess
      for (const attempt of attempts)
        await expect(attempt).rejects.toThrow(new ConflictError('This video has already been uploaded'));
      const [version] = store.versions.get('uploads/1/nonce-1') ?? [];
      expect(repository.tasks.get(1)).toMatchObject({
        status: 'awaiting_upload',
        originalVersionId: version?.versionId,
      });
      expect(store.versions.get('uploads/1/nonce-1')).toHaveLength(1);
      expect(store.multipart.size).toBe(0);
    });

    it('answers NotFoundError for an upload id that is not this task', async () => {
      // Prepare
      await started();

      // Act
      const attempt = service.listUploadParts(pilot, 1, 'upload-999');

      // Assess
      await expect(attempt).rejects.toThrow(
        new NotFoundError('Upload not found; it was cancelled or has expired'),
      );
    });

    it('aborts the unfinished upload when the task is deleted (cancel)', async () => {
      // Prepare
      const { uploadId } = await started();
      storeParts(uploadId, [300]);

      // Act
      await service.delete(pilot, 1);

      // Assess
      expect(store.multipart.size).toBe(0);
      expect(repository.tasks.size).toBe(0);
    });
  });

  describe('delete', () => {
    it('deletes the row and every object the task may own, including unrecorded outputs', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
      for (const key of [
        'uploads/1/nonce-1',
        'processed/1/video.mp4',
        'processed/1/thumbnail.jpg',
        'uploads/2/other',
      ])
        store.objects.set(key, 1);

      // Act
      await service.delete(pilot, 1);

      // Assess
      expect([repository.tasks.size, repository.deleting.size]).toEqual([0, 0]);
      expect([...store.objects.keys()]).toEqual(['uploads/2/other']);
    });

    it("deletes the original's recorded version for good, and hides a later post behind the key's delete", async () => {
      // Prepare: the task recorded its first post; a second post to the grant awaits the worker
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
      const first = store.upload('uploads/1/nonce-1', 10);
      await repository.markUploaded('uploads/1/nonce-1', 10, first);
      const second = store.upload('uploads/1/nonce-1', 7);

      // Act
      await service.delete(pilot, 1);

      // Assess: the recorded version is gone and nothing is current; the later post waits for its notification
      expect(await store.stat('uploads/1/nonce-1', first)).toBeNull();
      expect(await store.stat('uploads/1/nonce-1')).toBeNull();
      expect(store.versions.get('uploads/1/nonce-1')?.map((version) => version.versionId)).toEqual([second]);
    });

    it('keeps a delete whose object store failed invisible, and finishes it when repeated', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
      for (const key of ['uploads/1/nonce-1', 'processed/1/video.mp4']) store.objects.set(key, 1);
      store.failNextDelete.add('uploads/1/nonce-1');

      // Act
      const first = service.delete(pilot, 1);
      await expect(first).rejects.toThrow('Injected failure deleting uploads/1/nonce-1');
      const hidden = service.get(pilot, 1);
      const listed = await service.list(pilot, { max: 10, order: 'asc' });
      await service.delete(pilot, 1);

      // Assess
      await expect(hidden).rejects.toThrow(NotFoundError);
      expect(listed).toEqual({ data: [] });
      expect([repository.tasks.size, repository.deleting.size, store.objects.size]).toEqual([0, 0, 0]);
    });

    it('throws NotFoundError and keeps everything when the task belongs to another user', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
      store.objects.set('uploads/1/nonce-1', 1);

      // Act
      const attempt = service.delete(rival, 1);

      // Assess
      await expect(attempt).rejects.toThrow(new NotFoundError('Video not found'));
      expect(repository.tasks.size).toBe(1);
      expect(store.objects.size).toBe(1);
    });

    it('throws NotFoundError on a second delete of the same task', async () => {
      // Prepare
      await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
      await service.delete(pilot, 1);

      // Act
      const attempt = service.delete(pilot, 1);

      // Assess
      await expect(attempt).rejects.toThrow(new NotFoundError('Video not found'));
    });
  });
});

describe('TaskService.beginRetry and .revertRetry', () => {
  let clock: FixedClock;
  let repository: InMemoryTaskRepository;
  let store: InMemoryObjectStore;
  let service: TaskService;

  beforeEach(async () => {
    clock = new FixedClock();
    repository = new InMemoryTaskRepository(() => clock.now());
    store = new InMemoryObjectStore(() => clock.now());
    service = new TaskService({ repository, store, uploads: store, clock, limits, nonce: () => 'nonce-1' });
    await service.create(pilot, { fileName: 'race.mp4', contentType: 'video/mp4', size: 10 });
    await repository.markUploaded('uploads/1/nonce-1', 10);
    store.objects.set('uploads/1/nonce-1', 10);
  });

  it('puts a transient failure back to uploaded and answers the upload to queue', async () => {
    // Prepare
    await repository.markFailed(1, 'Processing failed after 3 attempts', 'transient');

    // Act
    const started = await service.beginRetry(pilot, 1);

    // Assess
    expect(started.upload).toEqual({ taskId: 1, key: 'uploads/1/nonce-1', sizeBytes: 10 });
    expect(started.task).toEqual({
      id: 1,
      fileName: 'race.mp4',
      title: 'race',
      status: 'uploaded',
      createdAt: '2026-03-01T12:00:00.000Z',
      updatedAt: '2026-03-01T12:00:00.000Z',
      public: true,
      votes: 0,
      clip: { startSeconds: 0 },
      posterSeconds: 0,
      revision: 1,
      original: { url: 'https://bucket.example/uploads/1/nonce-1?ttl=300&name=race.mp4' },
    });
    expect(repository.tasks.get(1)).toMatchObject({
      status: 'uploaded',
      manualRetries: 1,
      failureKind: null,
    });
  });

  it('reverts a begun retry: failed again, retryable, the retry not counted; then nothing is left to revert', async () => {
    // Prepare
    await repository.markFailed(1, 'Processing failed after 3 attempts', 'transient');
    await service.beginRetry(pilot, 1);
    clock.advance(1000);

    // Act
    await service.revertRetry(rival, 1);
    const byStranger = repository.tasks.get(1)?.status;
    await service.revertRetry(pilot, 1);
    const reverted = await service.get(pilot, 1);
    await service.revertRetry(pilot, 1);

    // Assess
    expect(byStranger).toBe('uploaded');
    expect(reverted).toMatchObject({
      status: 'failed',
      failureReason: RETRY_NOT_QUEUED_REASON,
      retryable: true,
    });
    expect(repository.tasks.get(1)).toMatchObject({
      status: 'failed',
      failureKind: 'transient',
      manualRetries: 0,
      failedAt: clock.now(),
    });
  });

  it.each([
    ['a content failure', 'content', 'The upload cannot be processed: not a video'],
    [
      'a task with nothing uploaded',
      'no-upload',
      'Nothing was uploaded for this task; upload the video again.',
    ],
  ] as const)('refuses %s with the reason and changes nothing', async (_name, kind, message) => {
    // Prepare
    if (kind === 'no-upload') {
      await service.create(pilot, { fileName: 'b.mp4', contentType: 'video/mp4', size: 10 });
      await repository.markFailed(2, 'upload not received within 24 h', kind);
    } else await repository.markFailed(1, 'not a video', kind);
    const id = kind === 'no-upload' ? 2 : 1;

    // Act
    const attempt = service.beginRetry(pilot, id);

    // Assess
    await expect(attempt).rejects.toThrow(new ConflictError(message));
    expect(repository.tasks.get(id)).toMatchObject({ status: 'failed', manualRetries: 0 });
  });

  it('refuses a task that is not failed, one of another user, and a fourth retry', async () => {
    // Act
    const notFailed = service.beginRetry(pilot, 1);
    const stranger = service.beginRetry(rival, 1);
    for (let retry = 0; retry < 3; retry++) {
      await repository.markFailed(1, 'Processing did not finish', 'transient');
      await service.beginRetry(pilot, 1);
    }
    await repository.markFailed(1, 'Processing did not finish', 'transient');
    const fourth = service.beginRetry(pilot, 1);

    // Assess
    await expect(notFailed).rejects.toThrow(new ConflictError('Only a failed task can be retried.'));
    await expect(stranger).rejects.toThrow(NotFoundError);
    await expect(fourth).rejects.toThrow(
      new ConflictError('This task was already retried 3 times; upload the video again.'),
    );
    expect((await service.get(pilot, 1)).retryable).toBe(false);
    expect(repository.tasks.get(1)?.manualRetries).toBe(3);
  });

  it('refuses a retry past the unfinished-tasks quota like a create, and changes nothing', async () => {
    // Prepare: the failed task and 5 others still unfinished (the quota).
    await repository.markFailed(1, 'Processing did not finish', 'transient');
    for (let other = 0; other < limits.maxUnfinishedTasks; other++)
      await service.create(pilot, { fileName: `heat-${other}.mp4`, contentType: 'video/mp4', size: 10 });

    // Act
    const attempt = service.beginRetry(pilot, 1);

    // Assess
    await expect(attempt).rejects.toThrow(
      new TooManyRequestsError(
        'You already have 5 unfinished tasks: wait until one is processed or failed, or delete one',
      ),
    );
    expect(repository.tasks.get(1)).toMatchObject({ status: 'failed', manualRetries: 0 });
  });
});

describe('processedFileName', () => {
  it.each([
    ['race.mov', 'race-idrl.mp4'],
    ['final.lap.mkv', 'final.lap-idrl.mp4'],
    ['noextension', 'noextension-idrl.mp4'],
    ['.hidden', '.hidden-idrl.mp4'],
  ])('names the edit of %s as %s', (input, expected) => {
    expect(processedFileName(input)).toBe(expected);
  });
});
