import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOCAL_BUNDLE_INPUTS_CONTEXT } from '../bundle-context';
import { fromRoot } from '../paths';

/** Lambda's runtime and architecture for every function (docs/spec.md §7.8: the ffmpeg build is x86_64). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;
export const FUNCTION_ARCHITECTURE = lambda.Architecture.X86_64;

/**
 * esbuild emits ESM, but some CommonJS dependencies (pg, parts of the SDK) still call `require` for Node
 * built-ins; an ESM bundle has no `require`, so one is created from `import.meta.url`.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);";

/**
 * Module substitutions of the Lambda bundles only (tests and the local stack run the sources with the
 * real modules). Lambda always provides the role's credentials in the environment, so the SDK's
 * default provider chain (SSO, INI, process, web identity, instance metadata and the STS/SSO clients
 * they pull: ≈ 120 KiB per bundle) is replaced by the environment provider alone (docs/infra.md,
 * "Bundles under 500 KiB").
 */
export const LAMBDA_MODULE_ALIASES: Record<string, string> = {
  '@aws-sdk/credential-provider-node': fromRoot('functions/commons/env-credentials.ts'),
};

/**
 * esbuild options of every function bundle, exported so the benchmarks measure exactly the bundles
 * CDK deploys. Bundle everything, the SDK included (see FunctionWithLogGroup); pg's optional native
 * binding is never used.
 */
export const LAMBDA_BUNDLING = {
  target: 'node24',
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  externalModules: ['pg-native'],
  // CDK's BundlingOptions have no `alias`; each entry becomes `--alias:<module>=<path>`.
  esbuildArgs: {
    '--alias': Object.entries(LAMBDA_MODULE_ALIASES).map(([module, path]) => `${module}=${path}`),
  },
};

/** The CloudWatch namespace of the metrics every function publishes with Powertools (EMF). */
export const METRICS_NAMESPACE = 'IDRL';

/** Memory of every function that does not choose its own (the worker does). */
export const DEFAULT_FUNCTION_MEMORY_MB = 512;

export interface FunctionWithLogGroupProps {
  /** Entry file relative to the repository root, e.g. `functions/api/login.ts`; it must export `handler`. */
  readonly entry: string;
  /** Shown in the console and used as POWERTOOLS_SERVICE_NAME. */
  readonly serviceName: string;
  /** @default 'IDRL video platform: <entry>' */
  readonly description?: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default Size.mebibytes(512), Lambda's free ephemeral storage */
  readonly ephemeralStorageSize?: lambda.FunctionProps['ephemeralStorageSize'];
  /** Retention of the function's own log group. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** When set, the function runs in these subnets (it needs PostgreSQL). @default - outside any VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - the VPC's private isolated subnets, when `vpc` is set */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** With `vpc`, pass the shared database client group: the database admits that group only. @default - a new group */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** @default - no reservation: the function scales within the account's unreserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** @default - none */
  readonly layers?: lambda.ILayerVersion[];
  /** Extra environment variables; resource locations are added with {@link grantWithEnvironment}. @default - none */
  readonly environment?: Record<string, string>;
}

/**
 * A NodejsFunction with this project's defaults set once (Powertools' FunctionWithLogGroup shape):
 * Node.js 24 on x86_64, an explicit log group with retention (no implicit never-expiring group), source maps,
 * and a minified ESM bundle built by the local esbuild (never Docker).
 *
 * The AWS SDK v3 is bundled rather than taken from the runtime: what runs in Lambda is then exactly the version
 * the tests ran against, packages the runtime may not carry (`@aws-sdk/s3-presigned-post`, `@aws-sdk/rds-signer`)
 * need no special case, and tree-shaking keeps the cost to a few hundred kilobytes.
 */
export class FunctionWithLogGroup extends NodejsFunction {
  constructor(scope: Construct, id: string, props: FunctionWithLogGroupProps) {
    // The log group is a sibling so that it exists before the function can write to it.
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const bundleInputs: unknown = scope.node.tryGetContext(LOCAL_BUNDLE_INPUTS_CONTEXT);
    super(scope, id, {
      entry: fromRoot(props.entry),
      handler: 'handler',
      projectRoot: fromRoot(),
      depsLockFilePath: fromRoot('package-lock.json'),
      description: props.description ?? `IDRL video platform: ${props.entry}`,
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
      memorySize: props.memorySize ?? DEFAULT_FUNCTION_MEMORY_MB,
      timeout: props.timeout ?? Duration.seconds(10),
      ephemeralStorageSize: props.ephemeralStorageSize,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpc
        ? (props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED })
        : undefined,
      securityGroups: props.securityGroups,
      allowPublicSubnet: false,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      layers: props.layers,
      // X-Ray records every invocation (docs/operations.md, "Tracing"); the worker adds its processing of an
      // upload to the trace of the request that created the task.
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        LOG_LEVEL: props.logLevel ?? 'INFO',
        // Stack traces point at the TypeScript sources instead of minified code.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        ...LAMBDA_BUNDLING,
        format: OutputFormat.ESM,
        forceDockerBundling: false,
        ...(typeof bundleInputs === 'string' ? { assetHash: `${bundleInputs}:${props.entry}` } : {}),
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions (the Service Authorization Reference lists no resource type for them).',
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Node.js 24 (Lambda support until 2028-04-30) is fixed by the product spec (docs/spec.md §7.8): tests and the local stack run the same Node major as Lambda; nodejs26.x is the next move (docs/dependencies.md).',
    });
  }
}

/** What a function needs to use one resource: the IAM grant and where to find the resource. */
export interface ResourceUse {
  /** Environment variables naming the resource (the shared contract in functions/commons/config.ts). */
  readonly environment: Record<string, string>;
  /** Grants the function's role exactly what it needs on that resource (and acknowledges what cdk-nag flags in it). */
  readonly grant: (fn: lambda.Function) => void;
}

/**
 * Sets permission and environment variable together, so a function never knows of a resource it may not
 * use, nor holds a permission for a resource it cannot find.
 */
export function grantWithEnvironment(fn: lambda.Function, use: ResourceUse): void {
  use.grant(fn);
  for (const [name, value] of Object.entries(use.environment)) fn.addEnvironment(name, value);
}
