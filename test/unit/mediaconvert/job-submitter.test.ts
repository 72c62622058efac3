import { Readable } from 'node:stream';
import { CreateJobCommand } from '@aws-sdk/client-mediaconvert';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LEAGUE_FORMAT } from '#core/league-format';
import { buildCreateJobInput } from '#adapters/mediaconvert/job-settings';
import {
  InvalidJobRequestError,
  MediaConvertJobSubmitter,
  taskIdOfJobRequest,
} from '#adapters/mediaconvert/job-submitter';
import { createMediaConvertClient } from '#commons/clients';
import type { ObjectRange } from '#core/ports';

const ROLE = 'arn:aws:iam::111122223333:role/IdrlMediaConvert';
const QUEUE = 'arn:aws:mediaconvert:us-west-2:111122223333:queues/Idrl';
const request = buildCreateJobInput({
  taskId: 3,
  revision: 1,
  attempt: 1,
  bucket: 'idrl-videos',
  sourceKey: 'uploads/3/nonce',
  inputKey: 'uploads/3/nonce',
  startSeconds: 0,
  sourceSeconds: 5,
  frameRate: null,
  posterSeconds: 0,
  hasAudio: false,
  format: DEFAULT_LEAGUE_FORMAT,
  logoUri: 's3://assets/idrl-logo.png',
  roleArn: ROLE,
  queueArn: QUEUE,
  submittedAt: new Date('2026-03-01T12:00:00.000Z'),
});

/** Stores one JSON document per key; records what the MediaConvert client was sent. */
function fakes(stored: Record<string, unknown>) {
  const sent: CreateJobCommand[] = [];
  const objects = {
    readRange(key: string): Promise<ObjectRange> {
      const body = Buffer.from(JSON.stringify(stored[key]));
      return Promise.resolve({
        body: Readable.from([body]),
        contentLength: body.length,
        contentRange: undefined,
        totalBytes: body.length,
      });
    },
  };
  const client = {
    send(command: CreateJobCommand) {
      sent.push(command);
      return Promise.resolve({ Job: { Id: '1536964333549-opn151' } });
    },
  };
  return { objects, client: client as never, sent };
}

describe('MediaConvertJobSubmitter', () => {
  it('creates the stored job as written, with its client request token', async () => {
    // Prepare
    const { objects, client, sent } = fakes({ 'processed/3/mediaconvert-job.json': request });
    const submitter = new MediaConvertJobSubmitter(objects, client, { roleArn: ROLE, queueArn: QUEUE });

    // Act
    const jobId = await submitter.submit('processed/3/mediaconvert-job.json');

    // Assess
    expect(jobId).toBe('1536964333549-opn151');
    expect(sent.map((command) => command.input)).toEqual([JSON.parse(JSON.stringify(request))]);
  });

  it('refuses a request naming another role or queue, and keys that are not job requests', async () => {
    // Prepare
    const { objects, client, sent } = fakes({
      'processed/3/mediaconvert-job.json': { ...request, Role: 'arn:aws:iam::111122223333:role/Admin' },
    });
    const submitter = new MediaConvertJobSubmitter(objects, client, { roleArn: ROLE, queueArn: QUEUE });

    // Act + Assess
    await expect(submitter.submit('processed/3/mediaconvert-job.json')).rejects.toThrow(
      new InvalidJobRequestError('processed/3/mediaconvert-job.json names another role or queue'),
    );
    await expect(submitter.submit('processed/3/video.mp4')).rejects.toThrow(InvalidJobRequestError);
    expect(sent).toEqual([]);
    expect([
      taskIdOfJobRequest('processed/3/mediaconvert-job.json'),
      taskIdOfJobRequest('processed/3/x/mediaconvert-job.json'),
    ]).toEqual([3, null]);
  });
});

describe('createMediaConvertClient', () => {
  it('sends to the regional endpoint: no DescribeEndpoints', () => {
    // Act
    const client = createMediaConvertClient({ region: 'eu-west-1' });
    const endpoint = client.config.endpointProvider({
      Region: 'eu-west-1',
      UseFIPS: false,
      UseDualStack: false,
    });

    // Assess
    expect(endpoint.url.href).toBe('https://mediaconvert.eu-west-1.amazonaws.com/');
  });
});
