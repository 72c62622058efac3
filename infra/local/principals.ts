/**
 * The IAM side of the derived local world: one principal per running function, built from its role's
 * policies in the template (inline and attached, intrinsics resolved to local ARNs by the same resolver as
 * the environments), and the resource policies AWS also applies (the bucket's, the queues', the S3 gateway
 * endpoint's for in-VPC functions). Each principal gets fresh keys at every start; its function signs with
 * them, and the enforcement points (iam/) find the principal by its access key id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { LocalStackConfigError } from './errors';
import { type ResolvedResource, UnresolvableError, createResolver } from './template/intrinsics';
import type { LocalTemplate, TemplateFunction } from './template/reader';
import type { LocalPrincipal } from './iam/enforcer';
import type { PolicyDocument } from './iam/policy';

/** The Cognito actions of `npm run admin` (infra/bin/admin.ts): docs/operations.md asks the same of AWS credentials. */
export const LEAGUE_ADMIN_OPERATOR_ACTIONS = [
  'cognito-idp:AdminGetUser',
  'cognito-idp:ListUsersInGroup',
  'cognito-idp:AdminAddUserToGroup',
  'cognito-idp:AdminRemoveUserFromGroup',
] as const;

/**
 * AWS-managed policies of the execution roles: they grant CloudWatch Logs and (in a VPC) the network
 * interfaces, calls no local function makes (logs go to the terminal), so they are left out of evaluation.
 */
const EXECUTION_MANAGED_POLICIES = new Set([
  'AWSLambdaBasicExecutionRole',
  'AWSLambdaVPCAccessExecutionRole',
]);

export interface LocalIamSetup {
  principals: LocalPrincipal[];
  /** By function logical id. */
  byFunction: Map<string, LocalPrincipal>;
  resourcePolicies: Record<string, PolicyDocument>;
  vpcEndpointPolicies: Record<string, PolicyDocument>;
}

function accessKeyIdFor(logicalId: string): string {
  // ASIA: the prefix of temporary credentials, as a Lambda role's are; stable per function for reading logs.
  return `ASIA${createHash('sha256').update(logicalId).digest('hex').slice(0, 16).toUpperCase()}`;
}

export function localIamSetup(input: {
  template: LocalTemplate;
  functions: readonly TemplateFunction[];
  resources: ReadonlyMap<string, ResolvedResource>;
  region: string;
  accountId: string;
  stackName: string;
}): LocalIamSetup {
  const { template } = input;
  const resolve = createResolver({
    resources: input.resources,
    pseudo: { region: input.region, accountId: input.accountId, stackName: input.stackName },
    conditions: template.template.Conditions,
  });
  const document = (owner: string, value: unknown): PolicyDocument => {
    try {
      return resolve(value) as PolicyDocument;
    } catch (error) {
      if (error instanceof UnresolvableError)
        throw new LocalStackConfigError(`The policy of ${owner}: ${error.message}`, { cause: error });
      throw error;
    }
  };

  const byFunction = new Map<string, LocalPrincipal>();
  for (const fn of input.functions) {
    const role = template.roles.get(fn.roleLogicalId ?? '');
    if (role === undefined)
      throw new LocalStackConfigError(`${fn.logicalId}: no execution role in the template`);
    for (const arn of role.managedPolicyArns) {
      const name = String(resolve(arn)).split('/').at(-1) ?? '';
      if (!EXECUTION_MANAGED_POLICIES.has(name))
        throw new LocalStackConfigError(
          `${role.logicalId}: managed policy ${name} is not known to the local IAM`,
        );
    }
    const policies: Record<string, PolicyDocument> = {};
    for (const policy of role.policies)
      policies[policy.name] = document(`${role.logicalId}/${policy.name}`, policy.document);
    byFunction.set(fn.logicalId, {
      accessKeyId: accessKeyIdFor(fn.logicalId),
      secretAccessKey: randomBytes(30).toString('base64'),
      roleArn: `arn:aws:iam::${input.accountId}:role/${role.logicalId}`,
      functionName: fn.logicalId,
      policies,
      inVpc: fn.vpc,
    });
  }

  const resourcePolicies: Record<string, PolicyDocument> = {};
  for (const [bucketId, policy] of template.bucketPolicies) {
    const arn = input.resources.get(bucketId)?.attributes?.Arn;
    if (arn !== undefined) resourcePolicies[arn] = document(policy.logicalId, policy.document);
  }
  for (const [queueId, policy] of template.queuePolicies) {
    const arn = input.resources.get(queueId)?.attributes?.Arn;
    if (arn !== undefined) resourcePolicies[arn] = document(policy.logicalId, policy.document);
  }
  const vpcEndpointPolicies: Record<string, PolicyDocument> = {};
  for (const endpoint of template.vpcEndpoints) {
    if (endpoint.policy === undefined) continue;
    const service = String(resolve(endpoint.serviceName)).split('.').at(-1) ?? '';
    vpcEndpointPolicies[service] = document(endpoint.logicalId, endpoint.policy.document);
  }
  return { principals: [...byFunction.values()], byFunction, resourcePolicies, vpcEndpointPolicies };
}

/**
 * The operator of the runbook (`npm run redrive`, `npm run admin`; docs/operations.md), who on AWS runs it with their
 * own credentials: locally a principal of its own, allowed the SQS calls of the redrive on the given queues and the
 * Cognito calls that name the league's admins on the user pool, nothing else.
 */
export function operatorPrincipal(
  accountId: string,
  resources: { queueArns: readonly string[]; userPoolArn: string },
): LocalPrincipal {
  return {
    accessKeyId: 'AKIALOCALOPERATOR000',
    secretAccessKey: randomBytes(30).toString('base64'),
    roleArn: `arn:aws:iam::${accountId}:role/LocalOperator`,
    functionName: 'operator',
    policies: {
      Redrive: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [
              'sqs:GetQueueUrl',
              'sqs:GetQueueAttributes',
              'sqs:ReceiveMessage',
              'sqs:SendMessage',
              'sqs:DeleteMessage',
              'sqs:StartMessageMoveTask',
              'sqs:ListMessageMoveTasks',
            ],
            Resource: [...resources.queueArns],
          },
        ],
      },
      LeagueAdmins: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: [...LEAGUE_ADMIN_OPERATOR_ACTIONS],
            Resource: resources.userPoolArn,
          },
        ],
      },
    },
    inVpc: false,
  };
}

/**
 * A principal allowed every action: the one principal of a stack without IAM enforcement (LOCAL_IAM=off,
 * debugging), whose functions all sign with its key, and of tests that run functions without their roles. Its
 * signatures are still verified: no request without its secret is answered even then.
 */
export function unrestrictedPrincipal(
  accountId: string,
  credentials: { accessKeyId: string; secretAccessKey: string },
): LocalPrincipal {
  return {
    ...credentials,
    roleArn: `arn:aws:iam::${accountId}:role/LocalUnrestricted`,
    functionName: 'unrestricted',
    policies: {
      Unrestricted: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] },
    },
    inVpc: false,
  };
}
