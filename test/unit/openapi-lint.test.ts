import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '#commons/openapi';

const run = promisify(execFile);
const REDOCLY = path.resolve('node_modules/.bin/redocly');

interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: { ruleId: string; message: string }[];
}

/** Lints a document with the repository's redocly.yaml (the recommended rules and its justified exceptions). */
async function lint(document: object, dir: string): Promise<LintReport> {
  const file = path.join(dir, `openapi-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify(document));
  // A document with problems exits non-zero; the JSON report is on stdout either way.
  const output = await run(REDOCLY, ['lint', file, '--config', 'redocly.yaml', '--format', 'json']).catch(
    (error: unknown) => ({ stdout: (error as { stdout?: string }).stdout ?? '' }),
  );
  return JSON.parse(output.stdout) as LintReport;
}

describe('the OpenAPI document under redocly lint', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'idrl-openapi-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has no error and no warning under the recommended rules', async () => {
    // Act
    const report = await lint(openApiDocument(), dir);

    // Assess
    expect(report.problems).toEqual([]);
    expect(report.totals).toEqual({ errors: 0, warnings: 0, ignored: 0 });
  }, 60_000);

  it('reports a public operation that does not declare security (the check above can fail)', async () => {
    // Prepare
    const document = openApiDocument() as { paths: Record<string, Record<string, { security?: unknown }>> };
    const health = document.paths['/api/health']?.get;
    if (health === undefined) throw new Error('no health operation');
    delete health.security;

    // Act
    const report = await lint(document, dir);

    // Assess
    expect(report.problems.map((problem) => problem.ruleId)).toEqual(['security-defined']);
  }, 60_000);
});
