import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root: entries, the lock file and the layer sources are resolved from here, never from the cwd. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));

/** Absolute path of a file or folder given relative to the repository root. */
export function fromRoot(...segments: string[]): string {
  return path.join(projectRoot, ...segments);
}
