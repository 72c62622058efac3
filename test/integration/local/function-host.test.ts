/**
 * The local Lambda runtime (infra/local/runtime/): each function's bundle in execution environments of
 * its own, with exactly its environment, warm reuse, INIT errors, the timeout and reserved concurrency
 * as Lambda applies them.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionSpec, FunctionHost, FunctionThrottledError } from '#infra/local/runtime/function-host';

const BUNDLE = `
let invocations = 0;
if (!process.env.BUCKET_NAME) throw new Error('Environment variable BUCKET_NAME is required');
export const handler = async (event, context) => {
  invocations += 1;
  if (event.action === 'hang') await new Promise(() => setInterval(() => undefined, 1000));
  if (event.action === 'wait') while (!(await import('node:fs')).existsSync(event.file)) await new Promise((r) => setTimeout(r, 20));
  if (event.action === 'throw') throw new TypeError('bad input');
  return {
    invocations,
    pid: process.pid,
    env: Object.keys(process.env).sort(),
    trace: process.env._X_AMZN_TRACE_ID,
    memory: context.memoryLimitInMB,
    remaining: context.getRemainingTimeInMillis(),
  };
};
`;

let dir: string;
const hosts: FunctionHost[] = [];
const logged: string[] = [];

function host(overrides: Partial<FunctionSpec> = {}): FunctionHost {
  const created = new FunctionHost(
    {
      name: 'TestFunction',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:TestFunction',
      entryFile: path.join(dir, 'index.mjs'),
      exportName: 'handler',
      taskRoot: dir,
      env: { BUCKET_NAME: 'idrl-videos', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256' },
      timeoutSeconds: 5,
      memoryMb: 256,
      reservedConcurrency: undefined,
      ...overrides,
    },
    { log: (line) => logged.push(line) },
  );
  hosts.push(created);
  return created;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'idrl-function-host-'));
  await writeFile(path.join(dir, 'index.mjs'), BUNDLE);
});

afterEach(() => {
  for (const created of hosts.splice(0)) created.stop();
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a local Lambda function', () => {
  it('sees exactly its own environment and memory, and reuses its warm environment', async () => {
    const fn = host();

    const first = await fn.invoke({});
    const second = await fn.invoke({});

    expect(first).toMatchObject({
      ok: true,
      payload: {
        invocations: 1,
        env: ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 'BUCKET_NAME', '_X_AMZN_TRACE_ID'],
        memory: '256',
      },
    });
    expect(second).toMatchObject({ ok: true, payload: { invocations: 2 } });
    expect((second as { payload: { pid: number } }).payload.pid).toBe(
      (first as { payload: { pid: number } }).payload.pid,
    );
  });

  it("gives every invocation its X-Ray trace header, continuing the caller's trace when it has one", async () => {
    const fn = host();
    const caller = 'Root=1-6745a1b2-0123456789abcdef01234567';

    const traceOf = async (traceHeader?: string) =>
      ((await fn.invoke({}, { throttle: true, traceHeader })) as { payload: { trace: string } }).payload
        .trace;
    const [first, second, continued] = [await traceOf(), await traceOf(), await traceOf(caller)];

    const header = /^Root=(1-[0-9a-f]{8}-[0-9a-f]{24});Parent=([0-9a-f]{16});Sampled=1$/;
    expect([first, second, continued]).toEqual([
      expect.stringMatching(header),
      expect.stringMatching(header),
      expect.stringMatching(header),
    ]);
    // A warm environment gets a new header per invocation, as Lambda's runtime sets it per request.
    expect(first.match(header)?.[1]).not.toBe(second.match(header)?.[1]);
    expect(continued.match(header)?.[1]).toBe('1-6745a1b2-0123456789abcdef01234567');
  });

  it('fails its invocation at INIT when a variable its code requires is not in its environment', async () => {
    const fn = host({ env: {} });

    const outcome = await fn.invoke({});

    expect(outcome).toEqual({
      ok: false,
      error: expect.objectContaining({
        errorType: 'Error',
        errorMessage: 'Environment variable BUCKET_NAME is required',
      }) as object,
    });
    expect(logged.some((line) => line.startsWith('[TestFunction] INIT_REPORT Status: error'))).toBe(true);
  });

  it("reports a handler's error as a function error and keeps the environment", async () => {
    const fn = host();

    const failed = await fn.invoke({ action: 'throw' });
    const next = await fn.invoke({});

    expect(failed).toMatchObject({ ok: false, error: { errorType: 'TypeError', errorMessage: 'bad input' } });
    expect(next).toMatchObject({ ok: true, payload: { invocations: 2 } });
  });

  it('stops an invocation at its timeout by ending the environment, as Lambda does', async () => {
    const fn = host({ timeoutSeconds: 1 });
    const { payload } = (await fn.invoke({})) as { payload: { pid: number } };

    const outcome = await fn.invoke({ action: 'hang' });
    const after = await fn.invoke({});

    expect(outcome).toEqual({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' },
    });
    expect(existsSync(`/proc/${payload.pid}`)).toBe(false);
    // A cold start: the module scope is new.
    expect(after).toMatchObject({ ok: true, payload: { invocations: 1 } });
  });

  it('throttles a synchronous invocation beyond its reserved concurrency, and an event source waits instead', async () => {
    const fn = host({ reservedConcurrency: 1 });
    const released = path.join(dir, 'released');

    const running = fn.invoke({ action: 'wait', file: released });
    const throttled = fn.invoke({});
    const queued = fn.invoke({}, { throttle: false });
    await expect(throttled).rejects.toThrow(FunctionThrottledError);
    await writeFile(released, '');

    expect(await running).toMatchObject({ ok: true, payload: { invocations: 1 } });
    expect(await queued).toMatchObject({ ok: true, payload: { invocations: 2 } });
    expect(fn.warmInstances).toBe(1);
  });
});
