import { afterEach, describe, expect, it, vi } from 'vitest';
import { currentTraceHeader, traceIdOf } from '#commons/tracing';
import { invocationTraceHeader, newTraceId, requestTraceHeader } from '#infra/local/trace';

const ROOT = '1-6745a1b2-0123456789abcdef01234567';

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the trace header a function hands on', () => {
  it('keeps the root, parent and sampling decision of the invocation, and drops anything else', () => {
    // Prepare: Lambda's header also carries a Lineage field
    vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1`);

    // Act + Assess
    expect(currentTraceHeader()).toBe(`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`);
  });

  it('marks an unsampled trace as such and leaves out a malformed parent', () => {
    // Prepare
    vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${ROOT};Parent=nothex;Sampled=0`);

    // Act + Assess
    expect(currentTraceHeader()).toBe(`Root=${ROOT};Sampled=0`);
  });

  it('is absent outside a traced invocation or with a root that is not an X-Ray trace id', () => {
    vi.stubEnv('_X_AMZN_TRACE_ID', '');
    expect(currentTraceHeader()).toBeUndefined();
    vi.stubEnv('_X_AMZN_TRACE_ID', 'Root=1-xyz-abc;Sampled=1');
    expect(currentTraceHeader()).toBeUndefined();
  });
});

describe('the trace id of a stored header', () => {
  it.each([
    [`Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`, ROOT],
    [`Sampled=1;Root=${ROOT}`, ROOT],
    [undefined, undefined],
    ['', undefined],
    ['Root=1-6745a1b2-0123456789abcdef0123456"><b>', undefined],
    [`Parent=53995c3f42cd8ad8`, undefined],
  ])('of %j is %j', (header, id) => {
    expect(traceIdOf(header)).toBe(id);
  });
});

describe('the local stack’s trace headers', () => {
  it('makes X-Ray trace ids from the epoch second and 96 random bits', () => {
    // Act
    const id = newTraceId(new Date('2026-12-07T17:00:00Z'));

    // Assess
    expect(id).toMatch(/^1-6b16e610-[0-9a-f]{24}$/);
    expect(newTraceId()).not.toBe(newTraceId());
  });

  it('continues the caller’s trace in an invocation, with a segment of its own, else starts one', () => {
    // Act
    const request = requestTraceHeader();
    const invocation = invocationTraceHeader(request);
    const fresh = invocationTraceHeader(undefined);

    // Assess
    expect(request).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(invocation).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
    expect(traceIdOf(invocation)).toBe(traceIdOf(request));
    expect(traceIdOf(fresh)).toMatch(/^1-/);
    expect(traceIdOf(fresh)).not.toBe(traceIdOf(request));
  });
});
