import { describe, expect, it } from 'vitest';
import { contextFromEnvironment } from '#infra/local/template/synth';

describe('contextFromEnvironment', () => {
  it('reads LOCAL_CDK_CONTEXT as cdk synth -c pairs, a list value keeping its commas', () => {
    expect(
      contextFromEnvironment({
        LOCAL_CDK_CONTEXT: 'seasons=2026-03-01,2026-09-01, processor=ffmpeg,dashboard=false',
        WORKER_TIMEOUT_SECONDS: '60',
      }),
    ).toEqual({
      seasons: '2026-03-01,2026-09-01',
      processor: 'ffmpeg',
      dashboard: 'false',
      workerTimeoutSeconds: '60',
    });
  });
});
