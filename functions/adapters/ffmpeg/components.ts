/**
 * The containers and protocols ffmpeg may open, in one place: the pinned build compiles exactly
 * these in (layers/ffmpeg/ffmpeg-build.ts), and the worker whitelists them at run time, so a
 * component added to one cannot be forgotten in the other.
 */

/** A demuxer by its configure name (`--enable-demuxer=`) and its run-time name (`-f`, `-format_whitelist`). */
interface Demuxer {
  configure: string;
  name: string;
}

/** The containers pilots upload (docs/spec.md §4): the only ones an edit opens. */
export const VIDEO_DEMUXERS: readonly Demuxer[] = [
  { configure: 'mov', name: 'mov' }, // MP4, MOV, 3GP
  { configure: 'matroska', name: 'matroska' }, // MKV, WebM
  { configure: 'avi', name: 'avi' },
  { configure: 'mpegts', name: 'mpegts' },
  { configure: 'mpegps', name: 'mpeg' }, // MPEG-2 program streams (.mpg, .vob)
];

/**
 * Single-picture demuxers: a photo is probed so it can be refused with a clear reason, and the logo
 * card is a PNG. Neither reads a sequence of files (that is image2, which is not built).
 */
export const IMAGE_DEMUXERS: readonly Demuxer[] = [
  { configure: 'image_png_pipe', name: 'png_pipe' },
  { configure: 'image_jpeg_pipe', name: 'jpeg_pipe' },
];

export const LOGO_DEMUXER = 'png_pipe';

/** The source arrives over HTTP from the worker's loopback range proxy (loopback-source.ts). */
export const SOURCE_PROTOCOLS = ['http', 'tcp'] as const;
/** The logo card, the outputs, and the probe of the finished video. */
export const LOCAL_PROTOCOLS = ['file'] as const;
