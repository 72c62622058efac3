/**
 * The bucket's key layout, built and parsed in this one module (CDK grants, the API, the worker, the
 * sweeper and the local stack all use it). Keys are chosen by the server only. Uploads live under
 * one prefix (the only one that notifies the queue); outputs have deterministic keys so a
 * redelivery overwrites, never duplicates.
 */
export const UPLOADS_PREFIX = 'uploads/';
export const PROCESSED_PREFIX = 'processed/';

/** `uploads/{taskId}/{nonce}`: the nonce makes one task's key reveal nothing about another's. */
export function uploadKey(taskId: number, nonce: string): string {
  return `${UPLOADS_PREFIX}${taskId}/${nonce}`;
}

/** The task id in `uploads/{taskId}/{nonce}`, or undefined for any other key. */
export function taskIdFromKey(key: string): number | undefined {
  const match = UPLOAD_KEY.exec(key);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

const UPLOAD_KEY = new RegExp(`^${UPLOADS_PREFIX}(\\d+)/[^/]+$`);

export function processedVideoKey(taskId: number): string {
  return `${PROCESSED_PREFIX}${taskId}/video.mp4`;
}

export function thumbnailKey(taskId: number): string {
  return `${PROCESSED_PREFIX}${taskId}/thumbnail.jpg`;
}

/** Every output key a task can own: what a delete or a failed attempt removes. */
export function outputKeys(taskId: number): { processedKey: string; thumbnailKey: string } {
  return { processedKey: processedVideoKey(taskId), thumbnailKey: thumbnailKey(taskId) };
}
