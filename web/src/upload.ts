/** What can go wrong between the browser and storage (the parts themselves: multipart.ts). */

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

/** S3 answers errors as XML: `<Error><Code>EntityTooLarge</Code>…`. */
export function s3ErrorCode(body: string): string | null {
  return /<Code>([^<]+)<\/Code>/.exec(body)?.[1] ?? null;
}
