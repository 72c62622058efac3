import type { Caller } from '#core/task';
import type { TaskLimits } from '#core/task-service';

/** Small limits so tests can cross them with tiny declared sizes. */
export const limits: TaskLimits = {
  maxUploadBytes: 1_000,
  uploadUrlTtlSeconds: 900,
  downloadUrlTtlSeconds: 300,
  uploadWindowHours: 24,
  maxUnfinishedTasks: 5,
  maxDailyUploadBytes: 3_000,
  partBytes: 300,
};
export const pilot: Caller = { sub: 'sub-pilot', username: 'pilot' };
export const rival: Caller = { sub: 'sub-rival', username: 'rival' };
