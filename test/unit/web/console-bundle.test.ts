import { describe, expect, it } from 'vitest';
import { buildConsoleBundle } from '#web/build';
import { consoleBundle } from '#web/console-bundle.generated';

describe('console bundle', () => {
  it('matches the web/ sources (run `npm run build:web` after changing web/)', async () => {
    // Act
    const fresh = await buildConsoleBundle();

    // Assess
    expect(consoleBundle).toEqual(fresh);
  });
});
