/**
 * Asymmetric matchers typed `unknown` instead of vitest's `any`, so whole-object assertions
 * stay whole without tripping the type-checked lint rules.
 */
import { expect } from 'vitest';

export const anyString: unknown = expect.any(String);
export const anyNumber: unknown = expect.any(Number);
export const anyDate: unknown = expect.any(Date);
export const anyObject: unknown = expect.any(Object);

export function matching(pattern: RegExp): unknown {
  return expect.stringMatching(pattern);
}

export function containing(object: Record<string, unknown>): unknown {
  return expect.objectContaining(object);
}
