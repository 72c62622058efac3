/** The task lifecycle of docs/spec.md §3. */
export const TASK_STATUSES = ['awaiting_upload', 'uploaded', 'processing', 'processed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** The statuses the unfinished-tasks quota counts: a task the platform still has work or a wait for. */
export const UNFINISHED_STATUSES: readonly TaskStatus[] = ['awaiting_upload', 'uploaded', 'processing'];

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
  /** The owner's switch; the task is published (docs/spec.md §5) while it is also processed. */
  public: boolean;
  /** When it was last published; null while it is not. */
  publishedAt: Date | null;
  /** The number of vote rows on it, published or not. */
  votes: number;
}

/** The caller, as the authorizer established it from a verified Cognito access token. */
export interface Caller {
  sub: string;
  username: string;
}
