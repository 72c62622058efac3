/** The gallery's write requests as the integration tests send them through the handlers. */
import { handler as updateTask } from '#functions/api/update-task';
import { handler as vote } from '#functions/api/vote';
import type { Caller } from '#core/task';
import { invoke } from '#test/helpers/api-gateway';
import type { CheckOptions } from '#test/helpers/contract';
import { verifiedInDatabase } from '#test/helpers/verified-email';

/**
 * POST /api/public/videos/{id}/vote by a voter whose email is verified (in the database's mirror, first); without a
 * caller, as the gateway passes an unauthorized request. An unverified voter's 403 is api-verify-email.test.ts's.
 */
export async function castVote(caller: Caller | undefined, id: string | number, options?: CheckOptions) {
  if (caller !== undefined) await verifiedInDatabase(caller);
  return invoke(
    vote,
    { method: 'POST', route: '/api/public/videos/{id}/vote', pathParameters: { id: String(id) }, caller },
    options,
  );
}

/** PATCH /api/tasks/{id} with any body (a string is sent verbatim; mark a deliberately bad one INVALID_REQUEST). */
export const patchTask = (caller: Caller, id: number, body: unknown, options?: CheckOptions) =>
  invoke(
    updateTask,
    { method: 'PATCH', route: '/api/tasks/{id}', pathParameters: { id: String(id) }, body, caller },
    options,
  );
