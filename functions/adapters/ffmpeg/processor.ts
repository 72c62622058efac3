/**
 * The VideoProcessor port over the ffmpeg/ffprobe binaries: probe, classify, one edit, verify.
 * Which binaries run is configuration (FFMPEG_PATH / FFPROBE_PATH): the Lambda layer's /opt/bin on
 * AWS, the npm-shipped static builds locally and in tests.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentProcessingError } from '#core/processing-errors';
import type { EditedVideo, VideoProcessor } from '#core/ports';
import { ProcessingTimeoutError } from '#core/processing-errors';
import { classifyToolFailure, describeSource } from './classify';
import { buildEditArgs } from './edit-command';
import type { LeagueFormat } from '#core/league-format';
import { parseProbeOutput, type ProbeResult } from './probe';
import { runTool, type ToolResult } from './run-tool';

export interface FfmpegVideoProcessorOptions {
  ffmpegPath: string;
  ffprobePath: string;
  /** The IDRL logo card image (assets/logo/idrl-logo.png). */
  logoPath: string;
  format: LeagueFormat;
}

type Stage = 'probe' | 'edit';

const PROBE_ARGS = [
  '-hide_banner',
  '-loglevel',
  'error',
  '-print_format',
  'json',
  '-show_format',
  '-show_streams',
];

export class FfmpegVideoProcessor implements VideoProcessor {
  constructor(private readonly options: FfmpegVideoProcessorOptions) {}

  async edit({
    source,
    workDir,
    deadline,
  }: {
    source: string;
    workDir: string;
    deadline: Date;
  }): Promise<EditedVideo> {
    const startedAt = new Date();
    const probed = await this.run(
      'probe',
      this.options.ffprobePath,
      source,
      [...PROBE_ARGS, source],
      deadline,
      startedAt,
    );
    const description = describeSource(this.parseProbe(probed.stdout), this.options.format);
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
        format: this.options.format,
        ...description,
      }),
      deadline,
      startedAt,
    );
    return { videoPath, thumbnailPath, ...(await this.probeOutput(videoPath, deadline, startedAt)) };
  }

  /** Reads the finished output back: the metadata recorded on the task is what was produced. */
  private async probeOutput(
    videoPath: string,
    deadline: Date,
    startedAt: Date,
  ): Promise<Pick<EditedVideo, 'durationSeconds' | 'width' | 'height' | 'sizeBytes'>> {
    const result = await this.run(
      'probe',
      this.options.ffprobePath,
      videoPath,
      [...PROBE_ARGS, videoPath],
      deadline,
      startedAt,
    );
    const probe = this.parseProbe(result.stdout);
    const video = probe.streams.find((stream) => stream.type === 'video');
    const durationSeconds = probe.durationSeconds ?? 0;
    const { logoSeconds, fps } = this.options.format;
    // Two logo cards and not one source frame between them: every source frame failed to decode.
    if (!video?.width || !video.height || durationSeconds < 2 * logoSeconds + 0.5 / fps) {
      throw new PermanentProcessingError('The video could not be decoded: no frame of it could be read.');
    }
    const { size } = await stat(videoPath);
    return { durationSeconds, width: video.width, height: video.height, sizeBytes: size };
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
      const seconds = Math.round((deadline.getTime() - startedAt.getTime()) / 1000);
      throw new ProcessingTimeoutError(
        `Processing was stopped after ${seconds} s (${stage}): the video takes longer than the worker allows.`,
      );
    }
    if (result.exitCode !== 0)
      throw classifyToolFailure({ stage, source, stderr: result.stderr, exitCode: result.exitCode });
    return result;
  }
}
