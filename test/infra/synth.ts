import { mkdtempSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { App, type Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Template } from 'aws-cdk-lib/assertions';
import { IdrlStack, type IdrlStackProps } from '#infra/stack';
import { ASSEMBLIES_ENV } from '#test/support/assembly-setup';

export interface SynthOptions {
  /**
   * Run esbuild and assemble the layer. Off by default: assertions on the template do not need the bundles,
   * and test/infra/bundle.test.ts covers the real bundling through `cdk synth`.
   */
  bundle?: boolean;
}

/** The configurations docs/infra.md deploys: the default, `-c database=serverless` and `-c processor=mediaconvert`. */
export const CONFIGURATIONS: Readonly<Record<string, Partial<IdrlStackProps>>> = {
  default: {},
  'database=serverless': { database: 'serverless' },
  'processor=mediaconvert': { processor: 'mediaconvert' },
};

export interface Synthesized {
  stack: IdrlStack;
  template: Template;
}

/**
 * A directory for one app's assembly inside the run's own (test/support/assembly-setup.ts), which the run removes;
 * outside the infra project, CDK's default (a `cdk.out*` directory in the system's temp directory).
 */
export function assemblyDir(): string | undefined {
  const root = process.env[ASSEMBLIES_ENV];
  return root === undefined ? undefined : mkdtempSync(path.join(root, 'app-'));
}

/** Synthesizes the stack as the app does, with the given props (defaults otherwise). */
export function synthesize(props: Partial<IdrlStackProps> = {}, options: SynthOptions = {}): Synthesized {
  const app = new App({
    outdir: assemblyDir(),
    context: options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  const stack = new IdrlStack(app, 'Test', { allowedOrigins: ['https://console.example.com'], ...props });
  return { stack, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation sees for a construct's default resource. */
export function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as Parameters<Stack['getLogicalId']>[0]);
}

/** The Properties of the resource with this logical id. */
export function propertiesOf(template: Template, id: string): Record<string, unknown> {
  const resources = template.toJSON().Resources as Record<
    string,
    { Properties: Record<string, unknown> } | undefined
  >;
  const resource = resources[id];
  if (!resource) throw new Error(`No resource ${id} in the template`);
  return resource.Properties;
}

interface CfnPolicy {
  Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: unknown[] } };
}

/** Every statement of every inline policy attached to the role of the function with this logical id. */
/** The statement active tracing gives every function's role (test/infra/stack.test.ts holds every function to it). */
export const TRACING_STATEMENT = {
  Effect: 'Allow',
  Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
  Resource: '*',
};

/**
 * The statements of the role of the function with this logical id: what it may do beyond sending its trace segments,
 * unless `withTracing` asks for that statement too.
 */
export function policyStatementsOf(
  template: Template,
  functionLogicalId: string,
  { withTracing = false }: { withTracing?: boolean } = {},
): unknown[] {
  const roleId = (propertiesOf(template, functionLogicalId).Role as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .map((policy) => policy as CfnPolicy)
    .filter((policy) => policy.Properties.Roles.some((role) => role.Ref === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
    .filter((statement) => withTracing || !isDeepStrictEqual(statement, TRACING_STATEMENT));
}

/** The managed policies of the role of the function with this logical id. */
export function managedPoliciesOf(template: Template, functionLogicalId: string): unknown {
  const role = propertiesOf(template, functionLogicalId).Role as { 'Fn::GetAtt': [string, string] };
  return propertiesOf(template, role['Fn::GetAtt'][0]).ManagedPolicyArns;
}

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

/** What cdk-nag reports: every finding, errors and warnings alike, and the synth's error if it failed. */
export interface NagResult {
  synthError: string | undefined;
  findings: string[];
}

/**
 * Synthesizes, into `outdir`, what `build` adds to an app checked by cdk-nag. The app's assembly stays cached:
 * `Template.fromStack` on its stacks afterwards costs no second synth.
 */
export function nagFindingsIn(outdir: string, build: (app: App) => void): NagResult {
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
