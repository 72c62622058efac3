import type * as z from './zod';
import { ValidationError, type FieldError } from './errors';

function fieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: [...issue.path, key].join('.'), message: 'Unknown field' }))
      : [{ field: issue.path.length === 0 ? '(root)' : issue.path.join('.'), message: issue.message }],
  );
}

/** Parses untrusted input; failures become one ValidationError listing every field at fault. */
export function parseInput<Schema extends z.ZodMiniType>(
  schema: Schema,
  input: unknown,
  message = 'Invalid request',
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(message, fieldErrors(result.error.issues));
  return result.data;
}
