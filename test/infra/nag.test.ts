import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { IdrlStack } from '#infra/stack';
import { type NagResult, nagFindingsIn } from '#test/infra/synth';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** nagFindings in a folder of its own, removed after the file. */
function nagFindings(build: (app: App) => void): NagResult {
  const outdir = mkdtempSync(path.join(tmpdir(), 'idrl-nag-'));
  outdirs.push(outdir);
  return nagFindingsIn(outdir, build);
}

describe('cdk-nag AwsSolutions checks', () => {
  it.each(['rds', 'serverless'] as const)(
    'finds nothing unacknowledged in the stack with database=%s, errors and warnings alike',
    (database) => {
      // Act
      const result = nagFindings(
        (app) => new IdrlStack(app, 'Nag', { allowedOrigins: ['https://console.example.com'], database }),
      );

      // Assess
      expect(result).toEqual({ synthError: undefined, findings: [] });
    },
  );

  it('finds nothing unacknowledged with the MediaConvert backend (-c processor=mediaconvert)', () => {
    // Act
    const result = nagFindings(
      (app) =>
        new IdrlStack(app, 'NagMediaConvert', {
          allowedOrigins: ['https://console.example.com'],
          processor: 'mediaconvert',
        }),
    );

    // Assess
    expect(result).toEqual({ synthError: undefined, findings: [] });
  });

  it('reports an unacknowledged finding and fails the synth (the check above can fail)', () => {
    // Act
    const result = nagFindings((app) => {
      const stack = new Stack(app, 'Control');
      const bucket = new s3.Bucket(stack, 'Bucket');
      Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: 'Control: only S10 must remain.' });
    });

    // Assess
    expect(result).toEqual({
      synthError: expect.stringContaining('A copy of this report can be found in') as unknown,
      findings: ['error AwsSolutions-S10 Control/Bucket/Resource'],
    });
  });
});
