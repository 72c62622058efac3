/**
 * Failure classification, pure. A source that can never become a league video is a
 * PermanentProcessingError (the task fails at once with a human reason); anything that may succeed
 * on another attempt (storage, network, disk) is a VideoToolError, which the worker retries.
 */
import type { LeagueFormat, SourceLimits } from '#core/league-format';
import { PermanentProcessingError, ResourceExhaustedError, VideoToolError } from '#core/processing-errors';
import { VIDEO_DEMUXERS } from './components';
import type { ProbedStream, ProbeResult } from './probe';

export interface SourceDescription {
  /** Where the clip starts in the source, in seconds (the pilot's cut). */
  startSeconds: number;
  /** Seconds of source the edit uses from startSeconds: min(duration - startSeconds, maxSourceSeconds). */
  sourceSeconds: number;
  hasAudio: boolean;
  /** The demuxer ffprobe detected: the edit opens the source with it and no other (`-f`). */
  demuxer: string;
  /** The video stream's average frame rate, when the container states one (MediaConvert's input timecodes count in it). */
  frameRate: number | null;
}

/** Seconds as a pilot reads them in a reason: "95 s", "12.5 s". */
function readableSeconds(seconds: number): string {
  return `${Number(seconds.toFixed(2))} s`;
}

/** The failure reason of a clip that starts at or past the end of its source (docs/spec.md §8). */
export function clipPastEndReason(startSeconds: number, durationSeconds?: number): string {
  return durationSeconds === undefined
    ? `The cut starts at ${readableSeconds(startSeconds)}, at or past the end of the video; choose an earlier start.`
    : `The cut starts at ${readableSeconds(startSeconds)}, but the video is only ${readableSeconds(durationSeconds)} long; choose an earlier start.`;
}

/** image2, image2pipe and the per-codec still-image demuxers (png_pipe, jpeg_pipe, webp_pipe…). */
const IMAGE_DEMUXER = /(^|,)(image2|image2pipe|[a-z0-9]+_pipe)(,|$)/;

const megapixels = (pixels: number): string => `${(pixels / 1_000_000).toFixed(1)} megapixels`;

function pictureTooLarge(width: number, height: number, limits: SourceLimits): PermanentProcessingError {
  return new PermanentProcessingError(
    `The video is ${width}×${height} pixels; at most ${limits.maxSide} pixels on the longer side and ${megapixels(limits.maxPixels)} are accepted.`,
  );
}

/** libavutil's refusal of a picture: above -max_pixels, or beyond what it can address at all. */
const PICTURE_REFUSED = /Picture size (\d+)x(\d+) (?:exceeds specified max pixel count|is invalid)/g;

function isTooLarge(width: number, height: number, limits: SourceLimits): boolean {
  return Math.max(width, height) > limits.maxSide || width * height > limits.maxPixels;
}

/**
 * A decoder refused a picture as too large (-max_pixels). ffprobe then carries on and reports the
 * stream as 0×0, and ffmpeg may finish with no frame of it: only the log names the real size.
 */
export function checkDecodedPictureSize(stderr: string, limits: SourceLimits): void {
  for (const match of stderr.matchAll(PICTURE_REFUSED)) {
    const [width, height] = [Number(match[1]), Number(match[2])];
    if (isTooLarge(width, height, limits)) throw pictureTooLarge(width, height, limits);
  }
}

/**
 * The highest of the rates a stream shows: the average the container states (`avg_frame_rate`, absent from
 * Matroska/WebM: ffprobe's "0/0") and the rate measured from the packets stored in the first `windowSeconds`
 * (the part the edit decodes), over that window or over the whole source when it is shorter. Not
 * `r_frame_rate`: that is ffprobe's guess from the first timestamps, 1000/1 for a variable-rate WebM on a
 * millisecond time base (as browsers record), however few frames it holds.
 */
function frameRateOf(stream: ProbedStream, probe: ProbeResult, windowSeconds: number): number | null {
  const duration = stream.durationSeconds ?? probe.durationSeconds;
  const whole = duration !== null && duration > 0 && duration <= windowSeconds;
  // A window that cuts the source may hold one packet of its edge.
  const measured =
    stream.packetsRead === null
      ? null
      : whole
        ? stream.packetsRead / duration
        : Math.max(0, stream.packetsRead - 1) / windowSeconds;
  const rates = [stream.frameRate, measured].filter((rate): rate is number => rate !== null);
  return rates.length === 0 ? null : Math.max(...rates);
}

/** Refuses, before any frame is decoded, what would outgrow the worker (docs/worker.md, "Input limits"). */
function checkLimits(probe: ProbeResult, limits: SourceLimits, windowSeconds: number): void {
  if (probe.streams.length > limits.maxStreams) {
    throw new PermanentProcessingError(
      `The file has ${probe.streams.length} streams; at most ${limits.maxStreams} are accepted.`,
    );
  }
  const pictures = probe.streams.filter(
    (stream): stream is ProbedStream & { width: number; height: number } =>
      stream.type === 'video' && stream.width !== null && stream.height !== null,
  );
  for (const stream of pictures) {
    const { width, height } = stream;
    if (isTooLarge(width, height, limits)) throw pictureTooLarge(width, height, limits);
    const frameRate = frameRateOf(stream, probe, windowSeconds);
    if (frameRate !== null && frameRate > limits.maxFps) {
      throw new PermanentProcessingError(
        `The video has ${Math.round(frameRate)} frames per second; at most ${limits.maxFps} are accepted.`,
      );
    }
  }
}

/** Decides from ffprobe's view whether a source can be edited, and how. Content decides, not the name. */
export function describeSource(
  probe: ProbeResult,
  format: LeagueFormat,
  limits: SourceLimits,
  startSeconds = 0,
): SourceDescription {
  checkLimits(probe, limits, format.maxSourceSeconds);
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
  // "mov,mp4,m4a,3gp,3g2,mj2" → "mov": the demuxer's own name, which is what -f takes.
  const demuxer = probe.formatName.split(',')[0] ?? '';
  if (!VIDEO_DEMUXERS.some((known) => known.name === demuxer)) {
    throw new PermanentProcessingError(`The file's container (${probe.formatName}) is not supported.`);
  }
  // Checked before any frame is decoded: the probe's duration says whether the clip starts inside the video.
  if (duration !== null && startSeconds >= duration)
    throw new PermanentProcessingError(clipPastEndReason(startSeconds, duration));
  // Browser-recorded WebM often declares no duration: use the maximum and let -t / trim stop the read.
  return {
    startSeconds,
    sourceSeconds: Math.min(
      duration === null ? format.maxSourceSeconds : duration - startSeconds,
      format.maxSourceSeconds,
    ),
    hasAudio,
    demuxer,
    frameRate: video.frameRate,
  };
}

/** What the machine said, as opposed to what the file's content said. */
const TRANSIENT_STDERR = /Input\/output error|No space left on device|Resource temporarily unavailable/i;
const OUT_OF_MEMORY_STDERR = /Cannot allocate memory|Out of memory/i;

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
  signal: NodeJS.Signals | null;
}): PermanentProcessingError | ResourceExhaustedError | VideoToolError {
  const { stage, stderr, exitCode, signal } = input;
  const detail = lastErrorLine(stderr, input.source);
  // Killed by someone other than the worker (its deadline is reported before this): on Lambda that is
  // the kernel's out-of-memory killer.
  if (signal !== null || OUT_OF_MEMORY_STDERR.test(stderr)) {
    return new ResourceExhaustedError(
      `The video needs more memory than the worker has: ffmpeg ${stage} was stopped (${signal ?? 'out of memory'}).`,
    );
  }
  if (TRANSIENT_STDERR.test(stderr)) {
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
