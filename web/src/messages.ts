/** Every failure the console can meet, as a sentence a pilot can act on. */
import { ApiError, NetworkError } from './api';
import { FileRejectedError, StorageUploadError } from './upload';

const STORAGE_CODES: Record<string, string> = {
  EntityTooLarge: 'The file is larger than the upload allows.',
  EntityTooSmall: 'The file is smaller than it was declared to be.',
  AccessDenied:
    'Storage refused the upload: the upload link has expired or does not match this file. Try again.',
  ExpiredToken: 'The upload link has expired. Try again.',
};

/** What the pilot reads while a database that pauses when the league is quiet resumes. */
export const WAKING_UP =
  "The league's database is waking up after a quiet spell (about 15 seconds). Try again in a moment.";

/** Shown while requests wait for the database to resume. */
export const WAKING_NOW = "Waking up the league's database after a quiet spell — about 15 seconds…";

export function describeError(error: unknown): string {
  if (error instanceof NetworkError) return 'Cannot reach the service. Check your connection and try again.';
  if (error instanceof StorageUploadError) {
    if (error.status === 0) return 'The upload could not reach storage. Check your connection and try again.';
    return (error.code !== null ? STORAGE_CODES[error.code] : undefined) ?? `${error.message} Try again.`;
  }
  if (error instanceof ApiError) return describeApiError(error);
  if (error instanceof FileRejectedError) return error.message;
  return 'Something went wrong in the console. Reload the page and try again.';
}

function describeApiError(error: ApiError): string {
  if (error.wakingUp) return WAKING_UP;
  // The API's own messages are written for users; 5xx messages are generic by design, so a fixed text is clearer.
  if (error.status >= 500) return 'The service had a problem. Try again in a moment.';
  // A daily limit says when it frees up: the wait turns "later" into a time the pilot can plan with.
  if (error.status === 429 && error.retryAfterSeconds !== null && error.message !== '')
    return `${error.message.replace(/\.$/, '')} (in about ${formatWait(error.retryAfterSeconds)}).`;
  if (error.message !== '') return error.message;
  switch (error.status) {
    case 400:
      return 'Some fields need attention.';
    case 401:
      return 'Please log in.';
    case 404:
      return 'This video does not exist any more.';
    case 409:
      return 'That conflicts with something that already exists.';
    case 413:
      return 'The file is too large.';
    default:
      return `The service answered with an unexpected status (${error.status}).`;
  }
}

/** A wait, rounded up to what a person plans with: "40 s", "12 min", "3 h 5 min". */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.ceil(seconds))} s`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const rest = minutes % 60;
  return rest === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${rest} min`;
}

/**
 * Binary units with their IEC names, as Windows counts and GNOME/KDE can show them (docs/console.md, "Sizes"):
 * 150,000,000 bytes is "143.1 MiB" and the 524,288,000-byte limit "500 MiB", never a binary number labelled "MB".
 * The step up is decided on the rounded value, so 1,048,575 bytes reads "1 MiB", not "1024 KiB".
 */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (Number(value.toFixed(1)) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) return value === 1 ? '1 byte' : `${value} bytes`;
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}

/** A video's vote count, as the gallery and the pilot's task page show it: "1 vote", "3 votes". */
export function votesLabel(votes: number): string {
  return votes === 1 ? '1 vote' : `${votes} votes`;
}

/** "1 view", "1,234 views": grouped as in English, whatever the browser's locale, like the rest of the console. */
export function viewsLabel(views: number): string {
  return views === 1 ? '1 view' : `${views.toLocaleString('en-US')} views`;
}
