/**
 * The local IAM evaluator (infra/local/iam/policy.ts) implements only the policy features the template uses;
 * this holds every policy of every configuration to that, so a statement with a feature it lacks fails here
 * (and the local stack would refuse it at start) rather than being evaluated wrongly.
 */
import { describe, expect, it } from 'vitest';
import { type PolicyDocument, assertSupportedPolicy } from '#infra/local/iam/policy';
import { referenceAction } from '#infra/local/iam/service-reference';
import { synthesize } from './synth';

const CONFIGURATIONS = {
  default: {},
  serverless: { database: 'serverless' },
  mediaconvert: { processor: 'mediaconvert' },
} as const;

/** An intrinsic (`Ref`, `Fn::GetAtt`, `Fn::Join`, …) stands for a resolved string, as the local stack resolves it. */
function withoutIntrinsics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutIntrinsics);
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]?.startsWith('Fn::') === true))
    return 'arn:aws:resolved';
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withoutIntrinsics(inner)]));
}

function policiesOf(template: Record<string, unknown>): { name: string; document: PolicyDocument }[] {
  const resources = template.Resources as Record<string, { Properties?: Record<string, unknown> }>;
  const found: { name: string; document: PolicyDocument }[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    const properties = resource.Properties ?? {};
    if (properties.PolicyDocument !== undefined)
      found.push({
        name: logicalId,
        document: withoutIntrinsics(properties.PolicyDocument) as PolicyDocument,
      });
    if (Array.isArray(properties.Policies))
      for (const policy of properties.Policies as { PolicyName: string; PolicyDocument: unknown }[])
        found.push({
          name: `${logicalId}/${policy.PolicyName}`,
          document: withoutIntrinsics(policy.PolicyDocument) as PolicyDocument,
        });
  }
  return found;
}

describe('the template against the local IAM evaluator', () => {
  it.each(Object.entries(CONFIGURATIONS))(
    '%s: every policy uses only what the evaluator implements, and only actions AWS defines',
    (_name, props) => {
      const policies = policiesOf(synthesize(props).template.toJSON());
      expect(policies.length).toBeGreaterThan(20);
      for (const policy of policies) {
        assertSupportedPolicy(policy);
        const statements = [policy.document.Statement].flat();
        for (const action of statements.flatMap((statement) => [statement.Action ?? []].flat()))
          if (!action.includes('*'))
            expect(() => referenceAction(action), `${policy.name}: ${action}`).not.toThrow();
      }
    },
  );
});
