import { describe, expect, it } from 'vitest';
import {
  outputKeys,
  processedVideoKey,
  recutKey,
  revisionFromRequeueKey,
  taskIdFromRequeueKey,
  taskIdFromKey,
  taskOutputKeys,
  thumbnailKey,
  uploadKey,
} from '#core/object-keys';

describe('object keys', () => {
  it('parses back the task id of every upload key it builds', () => {
    // Act / Assess
    expect(uploadKey(42, 'f3a9')).toBe('uploads/42/f3a9');
    expect(taskIdFromKey(uploadKey(42, 'f3a9'))).toBe(42);
  });

  it('reads nothing from keys that are not upload keys', () => {
    // Act / Assess
    expect(taskIdFromKey(processedVideoKey(42))).toBeUndefined();
    expect(taskIdFromKey('uploads/x/f3a9')).toBeUndefined();
    expect(taskIdFromKey('uploads/42/f3a9/nested')).toBeUndefined();
    expect(taskIdFromKey('other/uploads/42/f3a9')).toBeUndefined();
  });

  it('gives each task deterministic output keys under processed/', () => {
    // Act / Assess
    expect(outputKeys(7)).toEqual({
      processedKey: 'processed/7/video.mp4',
      thumbnailKey: 'processed/7/thumbnail.jpg',
    });
    expect(thumbnailKey(7)).toBe(outputKeys(7).thumbnailKey);
  });

  it('lists every key either backend writes for a task: what a delete or a failure removes', () => {
    // Act / Assess
    expect(taskOutputKeys(7, 1)).toEqual([
      'processed/7/video.mp4',
      'processed/7/thumbnail.jpg',
      'processed/7/thumbnail.0000000.jpg',
      'processed/7/thumbnail.0000001.jpg',
      'processed/7/thumbnail.0000002.jpg',
      'processed/7/mediaconvert-job.json',
      'processed/7/mediaconvert-source',
    ]);
  });

  it("keeps a re-cut's outputs under r{revision}/, and names the revision it replaces among a task's keys", () => {
    // Act / Assess
    expect(outputKeys(7, 3)).toEqual({
      processedKey: 'processed/7/r3/video.mp4',
      thumbnailKey: 'processed/7/r3/thumbnail.jpg',
    });
    expect(taskOutputKeys(7, 2)).toEqual([
      'processed/7/r2/video.mp4',
      'processed/7/r2/thumbnail.jpg',
      'processed/7/r2/thumbnail.0000000.jpg',
      'processed/7/r2/thumbnail.0000001.jpg',
      'processed/7/r2/thumbnail.0000002.jpg',
      'processed/7/r2/mediaconvert-job.json',
      'processed/7/r2/mediaconvert-source',
      ...taskOutputKeys(7, 1),
    ]);
    expect(recutKey(7, 2, 'token')).toBe('requeue/7/r2-token');
    expect(revisionFromRequeueKey('requeue/7/r2-token')).toBe(2);
    expect(revisionFromRequeueKey('requeue/7/token')).toBeUndefined();
    expect(taskIdFromRequeueKey('requeue/7/r2-token')).toBe(7);
  });
});
