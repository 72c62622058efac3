import type pg from 'pg';
import { PgTaskRepository } from '#adapters/pg/task-repository';
import { getMultipartUploads, getObjectStore } from '#commons/composition-root';
import { systemClock } from '#core/ports';
import { TaskService, type TaskLimits } from '#core/task-service';

/** The task service of one simulated Lambda instance: its own pool (one connection), the shared storage. */
export function instanceTaskService(pool: pg.Pool, limits: TaskLimits): TaskService {
  return new TaskService({
    repository: new PgTaskRepository(pool),
    store: getObjectStore(),
    uploads: getMultipartUploads(),
    clock: systemClock,
    limits,
  });
}
