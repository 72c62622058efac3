/**
 * What Lambda's runtime and API Gateway provide for X-Ray, locally: a trace header per request and per
 * invocation (docs/local-stack.md, "Trace ids"). No segment is recorded locally; the ids exist so that the
 * functions' log lines carry them (Powertools' `xray_trace_id`) as they do on AWS.
 */
import { randomBytes } from 'node:crypto';
import { traceIdOf } from '#commons/tracing';

/** A new X-Ray trace id: version 1, the epoch second in hex, 96 random bits. */
export function newTraceId(now: Date = new Date()): string {
  const seconds = Math.floor(now.getTime() / 1000)
    .toString(16)
    .padStart(8, '0');
  return `1-${seconds}-${randomBytes(12).toString('hex')}`;
}

/** The `X-Amzn-Trace-Id` the gateway adds to every request it forwards, as API Gateway does. */
export function requestTraceHeader(): string {
  return `Root=${newTraceId()}`;
}

/**
 * An invocation's `_X_AMZN_TRACE_ID`: the caller's trace (a request's `X-Amzn-Trace-Id`) when it has one, else
 * a new trace, as Lambda starts one for an event source or a schedule; a new segment id for the invocation; sampled.
 */
export function invocationTraceHeader(callerHeader?: string): string {
  const root = traceIdOf(callerHeader) ?? newTraceId();
  return `Root=${root};Parent=${randomBytes(8).toString('hex')};Sampled=1`;
}
