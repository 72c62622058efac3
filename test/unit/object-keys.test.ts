import { describe, expect, it } from 'vitest';
import { outputKeys, processedVideoKey, taskIdFromKey, thumbnailKey, uploadKey } from '#core/object-keys';

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
});
