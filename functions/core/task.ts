/** The task lifecycle of SPEC §3. */
export const TASK_STATUSES = ['awaiting_upload', 'uploaded', 'processing', 'processed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export interface ProcessedVideoMetadata {
  durationSeconds: number;
  width: number;
  height: number;
  sizeBytes: number;
  processingMs: number;
  sourceBytesRead: number;
}

export interface Task {
  id: number;
  ownerId: string;
  fileName: string;
  contentType: string;
  declaredBytes: number;
  status: TaskStatus;
  failureReason: string | null;
  originalKey: string;
  processedKey: string | null;
  thumbnailKey: string | null;
  processed: ProcessedVideoMetadata | null;
  createdAt: Date;
  updatedAt: Date;
  uploadExpiresAt: Date;
  uploadedAt: Date | null;
  processingStartedAt: Date | null;
  processedAt: Date | null;
  failedAt: Date | null;
}

/** The caller, as the authorizer established it from a verified Cognito access token. */
export interface Caller {
  sub: string;
  username: string;
}

/**
 * Object keys are chosen by the server only. Uploads live under one prefix (the only one that
 * notifies the queue); outputs have deterministic keys so a redelivery overwrites, never duplicates.
 */
export const UPLOADS_PREFIX = 'uploads/';
export const PROCESSED_PREFIX = 'processed/';

export function uploadKey(taskId: number, nonce: string): string {
  return `${UPLOADS_PREFIX}${taskId}/${nonce}`;
}

export function processedVideoKey(taskId: number): string {
  return `${PROCESSED_PREFIX}${taskId}/video.mp4`;
}

export function thumbnailKey(taskId: number): string {
  return `${PROCESSED_PREFIX}${taskId}/thumbnail.jpg`;
}
