import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { boundaries } from '../../eslint/boundaries.js';

/** Lints one line at a virtual path with the boundary rules alone (no type information needed). */
async function violations(filePath: string, source: string): Promise<string[]> {
  const eslint = new ESLint({
    overrideConfigFile: true,
    overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: tseslint.parser } }, ...boundaries],
    cwd: process.cwd(),
  });
  const [result] = await eslint.lintText(source, { filePath });
  return (result?.messages ?? []).map((message) => `${message.ruleId ?? 'parse'}: ${message.message}`);
}

describe('import boundaries', () => {
  it.each([
    ['functions/core/task-service.ts', "import pg from 'pg';", 'no database driver'],
    ['functions/core/task-service.ts', "import { S3Client } from '@aws-sdk/client-s3';", 'no AWS SDK'],
    ['functions/core/task-service.ts', "import middy from '@middy/core';", 'no HTTP middleware'],
    ['functions/core/task-service.ts', "import { Logger } from '@aws-lambda-powertools/logger';", 'log'],
    [
      'functions/core/task-service.ts',
      "import { PgTaskRepository } from '#adapters/pg/task-repository';",
      'adapters',
    ],
    ['functions/core/task-service.ts', "import { x } from '../adapters/pg/task-repository';", 'adapters'],
    ['functions/core/task-service.ts', "import { taskLimits } from '#commons/config';", 'commons'],
    ['functions/core/task-service.ts', "import { handler } from '#functions/api/get-task';", 'entry files'],
    ['functions/adapters/pg/task-repository.ts', "import { taskLimits } from '#commons/config';", 'commons'],
    [
      'functions/adapters/s3/object-store.ts',
      "import { handler } from '#functions/worker/process-upload';",
      'entry files',
    ],
    ['functions/api/get-task.ts', "import { pilot } from '#test/unit/fakes/task-fixtures';", 'test code'],
    ['functions/api/console.ts', "import { buildConsoleBundle } from '#web/build';", 'build script'],
    ['infra/stack.ts', "import { synth } from '#test/infra/synth';", 'test code'],
    ['web/src/main.ts', "import { x } from '../../test/helpers/tokens';", 'test code'],
  ])('refuses in %s: %s', async (filePath, source, reason) => {
    // Act
    const messages = await violations(filePath, source);

    // Assess
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(new RegExp(`^no-restricted-imports: .*${reason}`));
  });

  it.each([
    ['functions/core/task-service.ts', "import { NotFoundError } from './errors';"],
    ['functions/core/task-service.ts', "import { randomUUID } from 'node:crypto';"],
    ['functions/adapters/pg/task-repository.ts', "import pg from 'pg';"],
    ['functions/api/get-task.ts', "import { getTaskService } from '#commons/composition-root';"],
    ['functions/api/console.ts', "import type { ConsoleAsset } from '#web/console-bundle';"],
    ['test/unit/task-service.test.ts', "import { PgTaskRepository } from '#adapters/pg/task-repository';"],
  ])('allows in %s: %s', async (filePath, source) => {
    // Act / Assess
    expect(await violations(filePath, source)).toEqual([]);
  });
});
