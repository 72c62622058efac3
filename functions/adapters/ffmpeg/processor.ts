/**
 * The VideoProcessor port over the ffmpeg/ffprobe binaries: probe, classify, one edit, verify.
 * Which binaries run is configuration (FFMPEG_PATH / FFPROBE_PATH): the Lambda layer's /opt/bin on
 * AWS, the same pinned build from the machine's cache locally and in tests (layers/ffmpeg).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { LeagueFormat, SourceLimits } from '#core/league-format';
import type { EditedVideo, EditInput, VideoProcessor } from '#core/ports';
import { DEFAULT_CUT } from '#core/task';
import { PermanentProcessingError, ProcessingTimeoutError } from '#core/processing-errors';
import {
  checkDecodedPictureSize,
  classifyToolFailure,
  clipPastEndReason,
  describeSource,
  type SourceDescription,
} from './classify';
import { LOCAL_PROTOCOLS, SOURCE_PROTOCOLS } from './components';
import { buildEditArgs } from './edit-command';
import { buildProbeArgs, parseProbeOutput, type ProbeResult } from './probe';
import { runTool, type ToolResult } from './run-tool';

export interface FfmpegVideoProcessorOptions {
  ffmpegPath: string;
  ffprobePath: string;
  /** The IDRL logo card image (assets/logo/idrl-logo.png). */
  logoPath: string;
  format: LeagueFormat;
  limits: SourceLimits;
  /** Decoder and encoder threads: the function's vCPUs (os.availableParallelism()). */
  threads: number;
}

type Stage = 'probe' | 'edit';

export class FfmpegVideoProcessor implements VideoProcessor {
  constructor(private readonly options: FfmpegVideoProcessorOptions) {}

  async edit({
    source,
    workDir,
    deadline,
    cut = DEFAULT_CUT,
  }: Pick<EditInput, 'source' | 'workDir' | 'deadline'> &
    Partial<Pick<EditInput, 'cut'>>): Promise<EditedVideo> {
    const startedAt = new Date();
    const { format, limits, threads } = this.options;
    const description = await this.describe(source, deadline, cut.clipStartSeconds, startedAt);
    const videoPath = join(workDir, 'video.mp4');
    const thumbnailPath = join(workDir, 'thumbnail.jpg');
    await this.run(
      'edit',
      this.options.ffmpegPath,
      source,
      buildEditArgs({
        source,
        logoPath: this.options.logoPath,
        videoOutput: videoPath,
        thumbnailOutput: thumbnailPath,
        format,
        maxPixels: limits.maxPixels,
        threads,
        posterSeconds: cut.posterSeconds,
        ...description,
      }),
      deadline,
      startedAt,
    );
    return {
      videoPath,
      thumbnailPath,
      ...(await this.probeOutput(videoPath, deadline, startedAt, cut.clipStartSeconds)),
    };
  }

  /**
   * Probes and classifies a source without editing it: what every backend validates with, so content
   * decides the same way whether ffmpeg or MediaConvert edits it.
   */
  async describe(
    source: string,
    deadline: Date,
    startSeconds = 0,
    startedAt = new Date(),
  ): Promise<SourceDescription> {
    const probed = await this.run(
      'probe',
      this.options.ffprobePath,
      source,
      // The packets of the part the edit decodes are counted: the rate limit holds whatever the headers say.
      this.probeArgs(source, SOURCE_PROTOCOLS, this.options.format.maxSourceSeconds),
      deadline,
      startedAt,
    );
    return describeSource(
      this.parseProbe(probed.stdout),
      this.options.format,
      this.options.limits,
      startSeconds,
    );
  }

  /** Reads the finished output back: the metadata recorded on the task is what was produced. */
  private async probeOutput(
    videoPath: string,
    deadline: Date,
    startedAt: Date,
    startSeconds: number,
  ): Promise<Pick<EditedVideo, 'durationSeconds' | 'width' | 'height' | 'sizeBytes'>> {
    const result = await this.run(
      'probe',
      this.options.ffprobePath,
      videoPath,
      this.probeArgs(videoPath, LOCAL_PROTOCOLS),
      deadline,
      startedAt,
    );
    const probe = this.parseProbe(result.stdout);
    const video = probe.streams.find((stream) => stream.type === 'video');
    const durationSeconds = probe.durationSeconds ?? 0;
    const { logoSeconds, fps } = this.options.format;
    // Two logo cards and not one source frame between them: every source frame failed to decode.
    if (!video?.width || !video.height || durationSeconds < 2 * logoSeconds + 0.5 / fps) {
      // A source that states no duration (browser WebM) passes the probe's check whatever the start: a
      // clip past its end has no frame either.
      throw new PermanentProcessingError(
        startSeconds > 0
          ? clipPastEndReason(startSeconds)
          : 'The video could not be decoded: no frame of it could be read.',
      );
    }
    const { size } = await stat(videoPath);
    return { durationSeconds, width: video.width, height: video.height, sizeBytes: size };
  }

  private probeArgs(input: string, protocols: readonly string[], countSeconds?: number): string[] {
    const { limits, threads } = this.options;
    return buildProbeArgs({ input, protocols, maxPixels: limits.maxPixels, threads, countSeconds });
  }

  private parseProbe(stdout: string): ProbeResult {
    try {
      return parseProbeOutput(stdout);
    } catch (error) {
      throw new PermanentProcessingError(
        'The file is not a video ffmpeg can read (unreadable probe output).',
        { cause: error },
      );
    }
  }

  private async run(
    stage: Stage,
    path: string,
    source: string,
    args: string[],
    deadline: Date,
    startedAt: Date,
  ): Promise<ToolResult> {
    const result = await runTool(path, args, deadline);
    if (result.timedOut) {
      // Never negative: a deadline already past when the edit began is "after 0 s".
      const seconds = Math.max(0, Math.round((deadline.getTime() - startedAt.getTime()) / 1000));
      throw new ProcessingTimeoutError(
        `Processing was stopped after ${seconds} s (${stage}): the video takes longer than the worker allows.`,
      );
    }
    checkDecodedPictureSize(result.stderr, this.options.limits);
    if (result.stdoutOverflow) {
      throw new PermanentProcessingError(
        'The file is not a video ffmpeg can read (its description is larger than any video needs).',
      );
    }
    if (result.exitCode !== 0) throw classifyToolFailure({ stage, source, ...result });
    return result;
  }
}
