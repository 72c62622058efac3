/**
 * Browser → S3 upload with the presigned POST the API returned. XMLHttpRequest rather than fetch,
 * because only XHR reports upload progress. The policy's fields go first and the file last: S3
 * ignores every form field after the file.
 */
import type { UploadTicket } from './api';

export interface UploadProgress {
  loaded: number;
  total: number;
}

/** Storage refused the upload (`status` and S3's error `code`), or could not be reached (status 0). */
export class StorageUploadError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'StorageUploadError';
  }
}

/** The console itself declined the file (not a video, empty, over the size limit). */
export class FileRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileRejectedError';
  }
}

export function buildUploadForm(ticket: UploadTicket, file: Blob, fileName: string): FormData {
  const form = new FormData();
  for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
  form.append('file', file, fileName);
  return form;
}

export function uploadToStorage(
  ticket: UploadTicket,
  file: File,
  onProgress: (progress: UploadProgress) => void,
  createRequest: () => XMLHttpRequest = () => new XMLHttpRequest(),
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = createRequest();
    request.open('POST', ticket.url);
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress({ loaded: event.loaded, total: event.total });
    });
    request.addEventListener('load', () => {
      if (request.status >= 200 && request.status < 300) {
        onProgress({ loaded: file.size, total: file.size });
        resolve();
        return;
      }
      const code = s3ErrorCode(request.responseText);
      reject(
        new StorageUploadError(
          request.status,
          code,
          `Storage refused the upload (${code ?? `HTTP ${request.status}`}).`,
        ),
      );
    });
    const unreachable = () => {
      reject(new StorageUploadError(0, null, 'The upload could not reach storage.'));
    };
    request.addEventListener('error', unreachable);
    request.addEventListener('timeout', unreachable);
    request.addEventListener('abort', unreachable);
    request.send(buildUploadForm(ticket, file, file.name));
  });
}

/** S3 answers errors as XML: `<Error><Code>EntityTooLarge</Code>…`. */
export function s3ErrorCode(body: string): string | null {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? null;
}
