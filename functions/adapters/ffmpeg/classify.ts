/**
 * Failure classification, pure. A source that can never become a league video is a
 * PermanentProcessingError (the task fails at once with a human reason); anything that may succeed
 * on another attempt (storage, network, disk) is a VideoToolError, which the worker retries.
 */
import { PermanentProcessingError, VideoToolError } from '#core/processing-errors';
import type { LeagueFormat } from '#core/league-format';
import type { ProbeResult } from './probe';

export interface SourceDescription {
  /** Seconds of source the edit uses: min(duration, maxSourceSeconds). */
  sourceSeconds: number;
  hasAudio: boolean;
}

/** image2, image2pipe and the per-codec still-image demuxers (png_pipe, jpeg_pipe, webp_pipe…). */
const IMAGE_DEMUXER = /(^|,)(image2|image2pipe|[a-z0-9]+_pipe)(,|$)/;

/** Decides from ffprobe's view whether a source can be edited, and how. Content decides, not the name. */
export function describeSource(probe: ProbeResult, format: LeagueFormat): SourceDescription {
  const video = probe.streams.find((stream) => stream.type === 'video' && !stream.attachedPicture);
  const hasAudio = probe.streams.some((stream) => stream.type === 'audio');
  if (!video) {
    throw new PermanentProcessingError(
      hasAudio
        ? 'The file contains only audio; a video stream is required.'
        : 'The file contains no video stream.',
    );
  }
  if (IMAGE_DEMUXER.test(probe.formatName)) {
    throw new PermanentProcessingError(`The file is a still image (${video.codec}), not a video.`);
  }
  const duration = video.durationSeconds ?? probe.durationSeconds;
  if ((duration !== null && duration <= 0) || (video.frameCount !== null && video.frameCount <= 1)) {
    throw new PermanentProcessingError('The video has no duration: it holds at most one frame.');
  }
  // Browser-recorded WebM often declares no duration: use the maximum and let -t / trim stop the read.
  return { sourceSeconds: Math.min(duration ?? format.maxSourceSeconds, format.maxSourceSeconds), hasAudio };
}

/** What the machine said, as opposed to what the file's content said. */
const TRANSIENT_STDERR =
  /Input\/output error|No space left on device|Cannot allocate memory|Resource temporarily unavailable/i;

/**
 * The most telling line of an error-level ffmpeg log: the last one. ffmpeg prefixes its verdict with
 * the input's path, which means nothing to a pilot.
 */
export function lastErrorLine(stderr: string, source: string): string {
  const line =
    stderr
      .split(/\r?\n/)
      .map((candidate) => candidate.trim())
      .filter((candidate) => candidate !== '')
      .at(-1) ?? 'no diagnostic output';
  // "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d…] moov atom not found" → "moov atom not found"
  return line
    .replaceAll(`${source}: `, '')
    .replaceAll(source, 'the upload')
    .replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '')
    .slice(0, 200);
}

/**
 * Classifies a non-zero exit of ffprobe/ffmpeg reading `source`. `stage` names the step for the
 * human reason.
 */
export function classifyToolFailure(input: {
  stage: 'probe' | 'edit';
  source: string;
  stderr: string;
  exitCode: number | null;
}): PermanentProcessingError | VideoToolError {
  const { stage, stderr, exitCode } = input;
  const detail = lastErrorLine(stderr, input.source);
  if (exitCode === null || TRANSIENT_STDERR.test(stderr)) {
    return new VideoToolError(`ffmpeg ${stage} failed transiently: ${detail}`, exitCode, stderr.slice(-4000));
  }
  // An MP4/MOV writes its index last: without it the upload was cut short.
  if (stderr.includes('moov atom not found')) {
    return new PermanentProcessingError(
      'The file is incomplete: its index (moov atom) is missing, so the upload was probably cut short.',
    );
  }
  return new PermanentProcessingError(
    stage === 'probe'
      ? `The file is not a video ffmpeg can read (${detail}).`
      : `The video could not be decoded (${detail}).`,
  );
}
