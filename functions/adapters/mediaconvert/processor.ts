/**
 * The VideoProcessor port over MediaConvert, worker side. The worker validates the upload exactly as
 * the ffmpeg backend does (ffprobe through the loopback source, the same classification), then hands
 * the job request to the submitter through S3: the worker runs in isolated subnets with no route to
 * MediaConvert's API (docs/worker.md, "MediaConvert"). The task stays `processing` until the job's
 * completion event is recorded.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock, EditInput, ObjectStore, SubmittedEdit, VideoProcessor } from '#core/ports';
import { jobRequestKey, jobSourceKey } from '#core/object-keys';
import type { SourceDescription } from '../ffmpeg/classify';
import type { LeagueFormat } from '#core/league-format';
import { buildCreateJobInput } from './job-settings';

/** Probes and classifies a source (FfmpegVideoProcessor.describe). */
export interface SourceProber {
  describe(source: string, deadline: Date, startSeconds: number): Promise<SourceDescription>;
}

interface MediaConvertVideoProcessorOptions {
  bucket: string;
  roleArn: string;
  queueArn: string;
  /** s3:// URI of the logo card PNG. */
  logoUri: string;
  format: LeagueFormat;
}

export class MediaConvertVideoProcessor implements VideoProcessor {
  constructor(
    private readonly prober: SourceProber,
    private readonly objects: ObjectStore,
    private readonly clock: Clock,
    private readonly options: MediaConvertVideoProcessorOptions,
  ) {}

  async edit(input: EditInput): Promise<SubmittedEdit> {
    const { startSeconds, sourceSeconds, hasAudio, frameRate } = await this.prober.describe(
      input.source,
      input.deadline,
      input.cut.clipStartSeconds,
    );
    // MediaConvert reads by URL, which names no version: the job gets its own copy of the version just validated,
    // so a later post to the grant can never be what it edits. The copy goes with the job's other objects.
    let inputKey = input.sourceKey;
    if (input.sourceVersionId !== undefined) {
      inputKey = jobSourceKey(input.taskId, input.revision);
      await this.objects.copyVersion({
        sourceKey: input.sourceKey,
        versionId: input.sourceVersionId,
        key: inputKey,
      });
    }
    const request = buildCreateJobInput({
      ...this.options,
      startSeconds,
      sourceSeconds,
      frameRate,
      posterSeconds: input.cut.posterSeconds,
      hasAudio,
      taskId: input.taskId,
      revision: input.revision,
      attempt: input.attempt,
      sourceKey: input.sourceKey,
      inputKey,
      submittedAt: this.clock.now(),
    });
    const path = join(input.workDir, 'mediaconvert-job.json');
    await writeFile(path, JSON.stringify(request));
    const key = jobRequestKey(input.taskId, input.revision);
    await this.objects.putFile({ key, path, contentType: 'application/json' });
    return { jobRequestKey: key };
  }
}
