import middy from '@middy/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { atInvocationEnd, invocationEnd } from '#commons/invocation-end';
import { logger } from '#commons/logger';
import { lambdaContext } from '#infra/local/lambda-context';

const context = () => lambdaContext({ name: 'test', region: 'us-east-1', timeoutSeconds: 10, memoryMb: 128 });

// The registry is the module's, for the life of this test file: every test sees a close that fails.
const closeFailure = new Error('Connection terminated unexpectedly');
const closes: string[] = [];
atInvocationEnd(() => {
  closes.push('close');
  return Promise.reject(closeFailure);
});
atInvocationEnd(() => {
  closes.push('next');
  return Promise.resolve();
});

afterEach(() => {
  closes.length = 0;
  vi.restoreAllMocks();
});

describe('invocationEnd', () => {
  it('keeps a successful result when closing the connection fails, logs the failure and runs the other tasks', async () => {
    // Prepare
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const handler = middy<unknown, { statusCode: number }>()
      .use(invocationEnd())
      .handler(() => Promise.resolve({ statusCode: 200 }));

    // Act
    const result = await handler({}, context());

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(closes).toEqual(['close', 'next']);
    expect(logged.mock.calls).toEqual([
      ['A task at the end of the invocation failed; the result stands', { error: closeFailure }],
    ]);
  });

  it("keeps the handler's own error when closing the connection fails too", async () => {
    // Prepare
    vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const failure = new Error('the handler failed');
    const handler = middy()
      .use(invocationEnd())
      .handler(() => Promise.reject(failure));

    // Act
    const invoking = handler({}, context());

    // Assess
    await expect(invoking).rejects.toBe(failure);
    expect(closes).toEqual(['close', 'next']);
  });
});
