import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { IdrlStack } from '#infra/stack';

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** Synthesizes what `build` adds to an app checked by cdk-nag; returns every finding, errors and warnings alike. */
function nagFindings(build: (app: App) => void): { synthError: string | undefined; findings: string[] } {
  const outdir = mkdtempSync(path.join(tmpdir(), 'idrl-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
  build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  let synthError: string | undefined;
  try {
    app.synth();
  } catch (error) {
    synthError = (error as Error).message;
  }
  const report = JSON.parse(
    readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs.map(
        (construct) => `${violation.severity} ${violation.ruleName} ${construct.constructPath}`,
      ),
    ),
  );
  return { synthError, findings };
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
