/**
 * ffprobe's JSON, reduced to what the worker decides on. Parsing is pure (unit-tested with captured
 * shapes); running ffprobe lives in processor.ts.
 */
import * as z from '#core/zod';
import { IMAGE_DEMUXERS, VIDEO_DEMUXERS } from './components';

const numeric = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((value) => Number(value)),
);

const probeStreamSchema = z.object({
  index: z.number(),
  codec_type: z.optional(z.string()),
  codec_name: z.optional(z.string()),
  width: z.optional(z.number()),
  height: z.optional(z.number()),
  duration: z.optional(numeric),
  nb_frames: z.optional(numeric),
  avg_frame_rate: z.optional(z.string()),
  nb_read_packets: z.optional(numeric),
  disposition: z.optional(z.object({ attached_pic: z.optional(z.number()) })),
});

const probeSchema = z.object({
  streams: z._default(z.array(probeStreamSchema), []),
  format: z.optional(
    z.object({
      format_name: z.optional(z.string()),
      duration: z.optional(numeric),
    }),
  ),
});

export interface ProbedStream {
  index: number;
  type: 'video' | 'audio' | 'other';
  codec: string;
  width: number | null;
  height: number | null;
  /** null when the container does not say (e.g. WebM from a browser's MediaRecorder). */
  durationSeconds: number | null;
  frameCount: number | null;
  /** Average frames per second; null when the container does not say (ffprobe's "0/0"). */
  frameRate: number | null;
  /**
   * Packets the probe read of this stream within its read interval (`-count_packets -read_intervals`): the
   * frames actually stored there, whatever the headers claim; null when the probe did not count.
   */
  packetsRead: number | null;
  /** Cover art in audio files: a picture, not a video. */
  attachedPicture: boolean;
}

export interface ProbeResult {
  formatName: string;
  durationSeconds: number | null;
  streams: ProbedStream[];
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

function streamType(codecType: string | undefined): ProbedStream['type'] {
  return codecType === 'video' || codecType === 'audio' ? codecType : 'other';
}

/** ffprobe's rationals ("30000/1001"); "0/0" and anything malformed are unknown. */
function rational(value: string | undefined): number | null {
  const match = /^(\d+)\/(\d+)$/.exec(value ?? '');
  if (!match || Number(match[2]) === 0) return null;
  return finiteOrNull(Number(match[1]) / Number(match[2]));
}

/**
 * Only what parseProbeOutput reads: the output stays small whatever the file holds (tags and
 * side data can be megabytes; runTool caps stdout anyway).
 */
export const PROBE_ENTRIES =
  'format=format_name,duration:stream=index,codec_type,codec_name,width,height,duration,nb_frames,avg_frame_rate,nb_read_packets:stream_disposition=attached_pic';

/** Every container ffprobe may recognise: the videos, and the pictures it must recognise to refuse them. */
const PROBE_FORMATS = [...VIDEO_DEMUXERS, ...IMAGE_DEMUXERS].map((demuxer) => demuxer.name).join(',');

export interface ProbePlan {
  input: string;
  /** What the input may be opened with: the loopback source's http,tcp, or file for the edit's output. */
  protocols: readonly string[];
  maxPixels: number;
  threads: number;
  /**
   * Counts the packets of the first `countSeconds` (`-count_packets -read_intervals %+N`, ProbedStream.packetsRead):
   * the source probe's frame-rate check; the output probe needs no count.
   */
  countSeconds?: number;
}

/**
 * ffprobe's arguments, bounded in what it opens (the whitelists), decodes (ffprobe decodes a few frames to find
 * stream parameters: -max_pixels) and prints (-show_entries). Pure; the bench runs the same arguments.
 */
export function buildProbeArgs({ input, protocols, maxPixels, threads, countSeconds }: ProbePlan): string[] {
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-format_whitelist',
    PROBE_FORMATS,
    '-protocol_whitelist',
    protocols.join(','),
    '-max_pixels',
    String(maxPixels),
    '-threads',
    String(threads),
    '-print_format',
    'json',
    ...(countSeconds === undefined ? [] : ['-count_packets', '-read_intervals', `%+${countSeconds}`]),
    '-show_entries',
    PROBE_ENTRIES,
    input,
  ];
}

/** Parses `ffprobe -print_format json -show_entries PROBE_ENTRIES` output. */
export function parseProbeOutput(json: string): ProbeResult {
  const parsed = probeSchema.parse(JSON.parse(json));
  return {
    formatName: parsed.format?.format_name ?? '',
    durationSeconds: finiteOrNull(parsed.format?.duration),
    streams: parsed.streams.map((stream) => ({
      index: stream.index,
      type: streamType(stream.codec_type),
      codec: stream.codec_name ?? 'unknown',
      width: stream.width ?? null,
      height: stream.height ?? null,
      durationSeconds: finiteOrNull(stream.duration),
      frameCount: finiteOrNull(stream.nb_frames),
      frameRate: rational(stream.avg_frame_rate),
      packetsRead: finiteOrNull(stream.nb_read_packets),
      attachedPicture: stream.disposition?.attached_pic === 1,
    })),
  };
}

/**
 * The "Statistics: N bytes read" values ffmpeg/ffprobe print at verbose level as each read context
 * closes, in order (ffmpeg closes its inputs last, in input order). The benchmark uses it to show how
 * much of a source the -t input cut leaves unread.
 */
export function bytesReadLines(stderr: string): number[] {
  return [...stderr.matchAll(/Statistics: (\d+) bytes read/g)].map((match) => Number(match[1]));
}
