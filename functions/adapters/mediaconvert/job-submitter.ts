/**
 * Creates the MediaConvert job a worker stored as processed/{id}/mediaconvert-job.json. Runs outside
 * the VPC (MediaConvert's API has no route from the isolated subnets) with no database access: all it
 * can do is read job requests and create jobs in this stack's queue with this stack's service role.
 */
import { buffer } from 'node:stream/consumers';
import {
  CreateJobCommand,
  type CreateJobCommandInput,
  type MediaConvertClient,
} from '@aws-sdk/client-mediaconvert';
import type { ObjectStore } from '#core/ports';
import { jobRequestKey, PROCESSED_PREFIX } from '#core/object-keys';

/** A stored request that is not one the worker writes: creating a job from it could never be right. */
export class InvalidJobRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidJobRequestError';
  }
}

interface SubmitterOptions {
  roleArn: string;
  queueArn: string;
}

/** The task id of a job request key; null for any other key under processed/. */
export function taskIdOfJobRequest(key: string): number | null {
  const match = new RegExp(`^${PROCESSED_PREFIX}(\\d+)/`).exec(key);
  const taskId = match?.[1] === undefined ? null : Number(match[1]);
  return taskId !== null && jobRequestKey(taskId) === key ? taskId : null;
}

export class MediaConvertJobSubmitter {
  constructor(
    private readonly objects: Pick<ObjectStore, 'readRange'>,
    private readonly client: Pick<MediaConvertClient, 'send'>,
    private readonly options: SubmitterOptions,
  ) {}

  /** Returns the job id (the existing job's when MediaConvert recognises the client request token). */
  async submit(key: string): Promise<string> {
    if (taskIdOfJobRequest(key) === null) throw new InvalidJobRequestError(`${key} is not a job request key`);
    const { body } = await this.objects.readRange(key);
    const request = JSON.parse((await buffer(body)).toString('utf8')) as CreateJobCommandInput;
    // Defence in depth: the role and queue are this stack's whatever the stored request says.
    if (request.Role !== this.options.roleArn || request.Queue !== this.options.queueArn) {
      throw new InvalidJobRequestError(`${key} names another role or queue`);
    }
    if (request.ClientRequestToken === undefined)
      throw new InvalidJobRequestError(`${key} has no client request token`);
    const { Job } = await this.client.send(new CreateJobCommand(request));
    if (Job?.Id === undefined) throw new Error(`MediaConvert returned no job for ${key}`);
    return Job.Id;
  }
}
