/**
 * Benchmarks through the running local stack (`npm start`'s entry point in a child process, as a
 * developer runs it): the time from an upload's last byte to `processed`, and API throughput and
 * latency under an HTTP load generator with 10 000 tasks in the database.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { callApi, postUpload } from '#test/support/http-client';
import { freeStackPorts, startStackProcess } from '#test/support/stack-process';
import { type LoadRow, measureLoad, paceFor } from './load';
import { summarize, type Summary } from './stats';

export type StackEndpoint = 'create-task' | 'list-tasks' | 'get-task';

export interface StackBenchResult {
  /** Seconds from the presigned POST's response (its last byte stored) to `processed`, per upload. */
  uploadToProcessedSeconds: Summary;
  tasksInDatabase: number;
  load: LoadRow<StackEndpoint>[];
}

interface CreatedTask {
  id: number;
  upload: { url: string; fields: Record<string, string> };
}

const POLL_MS = 100;
const CONNECTION_LEVELS = [1, 10, 50];
/** The create-task runs double as the seeding: together they leave at least this many tasks. */
const TASKS_IN_DATABASE = 10_000;

export async function expectStatus<T>(
  pending: Promise<{ status: number; body: T }>,
  status: number,
  what: string,
): Promise<T> {
  const response = await pending;
  if (response.status !== status)
    throw new Error(`${what}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

async function waitForProcessed(api: string, token: string, id: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const task = await expectStatus(
      callApi<{ status: string; failureReason?: string }>(api, 'GET', `/tasks/${id}`, { token }),
      200,
      'get task',
    );
    if (task.status === 'processed') return;
    if (task.status === 'failed') throw new Error(`task ${id} failed: ${task.failureReason ?? ''}`);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  throw new Error(`task ${id} was not processed within ${timeoutMs / 1000} s`);
}

export async function benchThroughStack(
  sourcePath: string,
  uploads: number,
  log: (line: string) => void,
): Promise<StackBenchResult> {
  const stateDir = await mkdtemp(join(tmpdir(), 'idrl-bench-stack-'));
  const stack = await startStackProcess(stateDir, await freeStackPorts());
  try {
    const api = stack.apiUrl;
    const username = `bench${Date.now().toString(36)}`;
    const password = 'Bench-Pass-1';
    await expectStatus(
      callApi(api, 'POST', '/auth/signup', {
        body: { username, email: `${username}@example.com`, password1: password, password2: password },
      }),
      201,
      'signup',
    );
    const { access_token: token } = await expectStatus(
      callApi<{ access_token: string }>(api, 'POST', '/auth/login', { body: { username, password } }),
      200,
      'login',
    );

    const { size } = await stat(sourcePath);
    const latencies: number[] = [];
    for (let upload = 1; upload <= uploads; upload += 1) {
      const task = await expectStatus(
        callApi<CreatedTask>(api, 'POST', '/tasks', {
          token,
          body: { fileName: 'race-60s-1080p.mp4', contentType: 'video/mp4', size },
        }),
        201,
        'create task',
      );
      const response = await postUpload(task.upload, sourcePath, 'video/mp4');
      const stored = performance.now();
      if (!response.ok) throw new Error(`upload: ${response.status} ${await response.text()}`);
      await waitForProcessed(api, token, task.id, 300_000);
      const seconds = (performance.now() - stored) / 1000;
      latencies.push(seconds);
      log(`  upload ${upload}/${uploads}: last byte → processed in ${seconds.toFixed(2)} s`);
    }

    const rows: LoadRow<StackEndpoint>[] = [];
    const createBody = JSON.stringify({ fileName: 'load.mp4', contentType: 'video/mp4', size: 1_000_000 });
    // Seeding through the API itself: the create-task runs leave TASKS_IN_DATABASE tasks behind.
    const perLevel = Math.ceil(TASKS_IN_DATABASE / CONNECTION_LEVELS.length);
    for (const connections of CONNECTION_LEVELS) {
      const row = await measureLoad('create-task', `${api}/tasks`, {
        method: 'POST',
        token,
        body: createBody,
        connections,
        amount: perLevel,
        overallRate: paceFor('create-task'),
      });
      rows.push(row);
      log(`  create-task ×${connections}: ${row.requestsPerSecond} req/s, p95 ${row.p95Ms} ms`);
    }
    const listed = await expectStatus(
      callApi<{ data: { id: number }[] }>(api, 'GET', '/tasks?max=1&order=1', { token }),
      200,
      'list',
    );
    const someId = listed.data[0]?.id;
    if (someId === undefined) throw new Error('no task to get');
    for (const [endpoint, url] of [
      ['list-tasks', `${api}/tasks?max=50&order=1`],
      ['get-task', `${api}/tasks/${someId}`],
    ] as const) {
      for (const connections of CONNECTION_LEVELS) {
        const row = await measureLoad(endpoint, url, {
          method: 'GET',
          token,
          connections,
          overallRate: paceFor(endpoint),
        });
        rows.push(row);
        log(`  ${endpoint} ×${connections}: ${row.requestsPerSecond} req/s, p95 ${row.p95Ms} ms`);
      }
    }
    return {
      uploadToProcessedSeconds: summarize(latencies),
      tasksInDatabase: perLevel * CONNECTION_LEVELS.length + uploads,
      load: rows,
    };
  } finally {
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
