/**
 * Resumable upload of one file by the API's part plan (docs/api.md, "Resumable upload"): parts go
 * straight to storage on presigned URLs, a few at a time, each retried after a drop; a resumed upload
 * first asks which parts storage already holds. The server completes the upload from storage's own
 * list, so the console keeps no ETags. Hand-written rather than Uppy: measured with esbuild, Uppy core
 * + @uppy/aws-s3 6.3.1 come to 70 KB minified (23 KB gzip), about twice the whole console script, for
 * bookkeeping this plan reduces to the loop below (docs/console.md, "Resumable uploads", has the sizes).
 */
import { defaultSleep, type ApiClient, type MultipartUpload, type Task } from './api';
import { s3ErrorCode, StorageUploadError } from './upload';

export interface PartProgress {
  loaded: number;
  total: number;
}

/** Parts in flight at once: enough to fill a phone's uplink, few enough not to starve the page. */
const CONCURRENCY = 3;
/** Attempts per part; waits between them double from RETRY_BASE_MS. */
const ATTEMPTS = 5;
const RETRY_BASE_MS = 1000;

/** PUTs one part with progress; resolves on 2xx, rejects with StorageUploadError otherwise. */
export type PutPart = (
  url: string,
  body: Blob,
  onProgress: (loaded: number) => void,
  signal: AbortSignal,
) => Promise<void>;

export const putPartWithXhr: PutPart = (url, body, onProgress, signal) =>
  new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', url);
    request.upload.addEventListener('progress', (event) => {
      onProgress(event.loaded);
    });
    request.addEventListener('load', () => {
      if (request.status >= 200 && request.status < 300) resolve();
      else {
        const code = s3ErrorCode(request.responseText);
        reject(
          new StorageUploadError(
            request.status,
            code,
            `Storage refused the upload (${code ?? `HTTP ${request.status}`}).`,
          ),
        );
      }
    });
    const unreachable = () => {
      reject(new StorageUploadError(0, null, 'The upload could not reach storage.'));
    };
    request.addEventListener('error', unreachable);
    request.addEventListener('timeout', unreachable);
    request.addEventListener('abort', unreachable);
    signal.addEventListener('abort', () => {
      request.abort();
    });
    // A Blob slice has no type: the request carries only the signed Content-Length.
    request.send(body);
  });

export interface MultipartUploadInput {
  api: ApiClient;
  taskId: number;
  file: Blob;
  upload: MultipartUpload;
  onProgress: (progress: PartProgress) => void;
  signal: AbortSignal;
  putPart?: PutPart;
  /** Waits between attempts (tests pass a shorter one). */
  sleep?: (ms: number) => Promise<void>;
}

function partRange(upload: MultipartUpload, size: number, partNumber: number): [number, number] {
  const start = (partNumber - 1) * upload.partBytes;
  return [start, Math.min(start + upload.partBytes, size)];
}

/** Uploads every part storage does not hold yet, then has the API complete the upload. */
export async function uploadParts(input: MultipartUploadInput): Promise<Task> {
  const { api, taskId, file, upload, signal } = input;
  const putPart = input.putPart ?? putPartWithXhr;
  const sleep = input.sleep ?? defaultSleep;
  const stored = await api.listParts(taskId, upload.uploadId);
  const sizeOf = (partNumber: number) => {
    const [start, end] = partRange(upload, file.size, partNumber);
    return end - start;
  };
  const done = new Set(
    stored.filter((part) => part.sizeBytes === sizeOf(part.partNumber)).map((part) => part.partNumber),
  );
  const queue = Array.from({ length: upload.partCount }, (_v, index) => index + 1).filter(
    (n) => !done.has(n),
  );
  const inFlight = new Map<number, number>();
  let completedBytes = [...done].reduce((sum, partNumber) => sum + sizeOf(partNumber), 0);
  const report = () => {
    const loaded = completedBytes + [...inFlight.values()].reduce((sum, bytes) => sum + bytes, 0);
    input.onProgress({ loaded, total: file.size });
  };
  report();

  const sendPart = async (partNumber: number): Promise<void> => {
    const [start, end] = partRange(upload, file.size, partNumber);
    for (let attempt = 1; ; attempt++) {
      signal.throwIfAborted();
      try {
        // Signed just before each attempt: a retry after a long drop never meets an expired URL.
        const [signed] = await api.signParts(taskId, upload.uploadId, [partNumber]);
        if (signed === undefined) throw new Error(`No URL for part ${partNumber}`);
        await putPart(
          signed.url,
          file.slice(start, end),
          (loaded) => {
            inFlight.set(partNumber, loaded);
            report();
          },
          signal,
        );
        inFlight.delete(partNumber);
        completedBytes += end - start;
        report();
        return;
      } catch (error) {
        inFlight.delete(partNumber);
        signal.throwIfAborted();
        if (attempt >= ATTEMPTS || !(error instanceof StorageUploadError)) throw error;
        await sleep(RETRY_BASE_MS * 2 ** (attempt - 1));
      }
    }
  };

  // After a part has failed for good, the other workers take no new part.
  let failed = false;
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined && !failed; next = queue.shift()) {
      await sendPart(next).catch((error: unknown) => {
        failed = true;
        throw error;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  return api.completeMultipartUpload(taskId, upload.uploadId);
}
