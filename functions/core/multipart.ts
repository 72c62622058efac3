/**
 * The multipart upload contract (docs/api.md, "Resumable upload (multipart)"): the server cuts the declared
 * size into fixed-size parts, signs each part for exactly its size and completes the upload only
 * when the stored parts are exactly that plan. The console slices the file by the same rule, from
 * the `partBytes` the API returns.
 */
import type { MultipartUploads } from './ports';

/** S3 accepts part numbers 1 to 10,000. */
export const MAX_PARTS = 10_000;
/** S3's minimum size of every part but the last (s3rver does not enforce it; tests use smaller parts). */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
/** Default part size: a phone on field Wi-Fi retries at most 8 MiB after a drop. */
export const DEFAULT_PART_BYTES = 8 * 1024 * 1024;
/** How many part URLs one request may ask for. */
export const MAX_PARTS_PER_SIGNING = 100;

export interface PartPlan {
  partBytes: number;
  partCount: number;
}

export function partPlan(sizeBytes: number, partBytes: number): PartPlan {
  return { partBytes, partCount: Math.max(1, Math.ceil(sizeBytes / partBytes)) };
}

/** Size of part `partNumber` (1-based) of a `sizeBytes` upload: full parts, then the remainder. */
export function partSize(sizeBytes: number, plan: PartPlan, partNumber: number): number {
  return partNumber < plan.partCount ? plan.partBytes : sizeBytes - (plan.partCount - 1) * plan.partBytes;
}

/**
 * Aborts every unfinished multipart upload into exactly `key` (a prefix listing, then the exact key): their
 * parts are invisible but billed until aborted.
 */
export async function abortPendingUploads(uploads: MultipartUploads, key: string): Promise<void> {
  const pending = await uploads.listMultipartUploads(key);
  await Promise.all(
    pending.filter((upload) => upload.key === key).map((upload) => uploads.abortMultipartUpload(upload)),
  );
}
