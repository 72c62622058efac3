/**
 * Test media for the worker: fixtures generated on demand (never committed) with the media build of
 * test/support/media-tools.ts, and readers that check an edit the way a viewer would see it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, open, readFile, truncate, writeFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { DEFAULT_LEAGUE_FORMAT, DEFAULT_SOURCE_LIMITS, type LeagueFormat } from '#core/league-format';
import type { FfmpegVideoProcessorOptions } from '#adapters/ffmpeg/processor';
import { MEDIA_FFMPEG_PATH, workerBinaries } from '#test/support/media-tools';

const run = promisify(execFile);

const WORKER_BINARIES = workerBinaries();
export const LOGO_PATH = resolve('assets/logo/idrl-logo.png');

export const processorOptions: FfmpegVideoProcessorOptions = {
  ffmpegPath: WORKER_BINARIES.ffmpeg,
  ffprobePath: WORKER_BINARIES.ffprobe,
  logoPath: LOGO_PATH,
  format: DEFAULT_LEAGUE_FORMAT,
  limits: DEFAULT_SOURCE_LIMITS,
  threads: 2,
};

export interface ValidFixture {
  name: string;
  file: string;
  sourceSeconds: number;
  hasAudio: boolean;
  /** Where the picture sits in the 1280×720 frame: letterbox bars, pillarbox bars, or neither. */
  bars: 'none' | 'pillarbox' | 'letterbox';
  ffmpegArgs: string[];
}

const tone = (seconds: number): string[] => [
  '-f',
  'lavfi',
  '-i',
  `sine=frequency=660:sample_rate=44100:duration=${seconds}`,
];
const pattern = (size: string, seconds: number, rate = 30): string[] => [
  '-f',
  'lavfi',
  '-i',
  `testsrc2=size=${size}:rate=${rate}:duration=${seconds}`,
];

/** VP9 at the encoder's fastest: the test media's content does not matter, their time does. */
const FAST_VP9 = ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8'] as const;

/** Short on purpose: only the landscape source is longer than 16 s, because that is where the cut matters. */
export const VALID_FIXTURES: ValidFixture[] = [
  {
    name: 'landscape 1080p H.264/AAC MP4 longer than 16 s',
    file: 'landscape.mp4',
    sourceSeconds: 18,
    hasAudio: true,
    bars: 'none',
    ffmpegArgs: [
      ...pattern('1920x1080', 18),
      ...tone(18),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '35',
      '-c:a',
      'aac',
    ],
  },
  {
    name: 'portrait phone video with rotation metadata',
    file: 'portrait.mp4',
    sourceSeconds: 4,
    hasAudio: true,
    bars: 'pillarbox',
    // Encoded 320×180, tagged rotate=90 by the stream-copy pass in generateValidFixture: displays 180×320.
    ffmpegArgs: [
      ...pattern('320x180', 4),
      ...tone(4),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
    ],
  },
  {
    name: 'square VP9 WebM without audio',
    file: 'square.webm',
    sourceSeconds: 3,
    hasAudio: false,
    bars: 'pillarbox',
    ffmpegArgs: [...pattern('240x240', 3), ...FAST_VP9, '-b:v', '200k'],
  },
  {
    name: 'ultrawide HEVC MKV with Opus audio',
    file: 'ultrawide.mkv',
    sourceSeconds: 3,
    hasAudio: true,
    bars: 'letterbox',
    ffmpegArgs: [
      ...pattern('640x240', 3, 25),
      ...tone(3),
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-x265-params',
      'log-level=error',
      '-c:a',
      'libopus',
    ],
  },
  {
    name: '3 s QuickTime MOV',
    file: 'clip.mov',
    sourceSeconds: 3,
    hasAudio: true,
    bars: 'pillarbox',
    ffmpegArgs: [
      ...pattern('320x240', 3),
      ...tone(3),
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-c:a',
      'aac',
    ],
  },
  {
    name: 'AVI with MPEG-4 Part 2 video and MP3 audio',
    file: 'legacy.avi',
    sourceSeconds: 3,
    hasAudio: true,
    bars: 'pillarbox',
    ffmpegArgs: [
      ...pattern('320x240', 3, 25),
      ...tone(3),
      '-c:v',
      'mpeg4',
      '-q:v',
      '5',
      '-c:a',
      'libmp3lame',
    ],
  },
];

/** Generates the fixture into `dir` once; later calls (another test of the same file) reuse it. */
export async function generateValidFixture(dir: string, fixture: ValidFixture): Promise<string> {
  const path = join(dir, fixture.file);
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return path;
  if (fixture.file === 'portrait.mp4') {
    const plain = join(dir, 'portrait-unrotated.mp4');
    await ffmpeg([...fixture.ffmpegArgs, plain]);
    await ffmpeg(['-i', plain, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', path]);
  } else {
    await ffmpeg([...fixture.ffmpegArgs, path]);
  }
  return path;
}

export interface InvalidFixture {
  name: string;
  file: string;
  /** The start of the human reason recorded on the failed task. */
  reason: RegExp;
  generate: (path: string, dir: string) => Promise<void>;
}

export const INVALID_FIXTURES: InvalidFixture[] = [
  {
    name: 'truncated MP4 (the index never arrived)',
    file: 'truncated.mp4',
    reason:
      /^The file is incomplete: its index \(moov atom\) is missing, so the upload was probably cut short\.$/,
    generate: async (path) => {
      await ffmpeg([...pattern('320x240', 3), '-c:v', 'libx264', '-preset', 'ultrafast', path]);
      await truncate(path, Math.floor((await stat(path)).size / 2));
    },
  },
  {
    name: 'PNG image named .mp4',
    file: 'image.mp4',
    reason: /^The file is a still image \(png\), not a video\.$/,
    generate: async (path, dir) => {
      const png = join(dir, 'still.png');
      await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=320x240', '-frames:v', '1', png]);
      await writeFile(path, await readFile(png));
    },
  },
  {
    name: 'audio-only MP4',
    file: 'audio.mp4',
    reason: /^The file contains only audio; a video stream is required\.$/,
    generate: (path) => ffmpeg([...tone(3), '-c:a', 'aac', path]),
  },
  {
    name: 'random bytes named .mp4',
    file: 'random.mp4',
    reason: /^The file is not a video ffmpeg can read \(Invalid data found when processing input\)\.$/,
    generate: (path) => writeFile(path, noise(256 * 1024)),
  },
  // 1000 fps in every supported container: Matroska and WebM state no average rate (ffprobe's "0/0"),
  // so only the packets counted in the probe's window show it there.
  ...(
    [
      ['MP4', 'mp4', ['-c:v', 'libx264', '-preset', 'ultrafast']],
      ['MOV', 'mov', ['-c:v', 'libx264', '-preset', 'ultrafast']],
      ['MKV', 'mkv', ['-c:v', 'libx264', '-preset', 'ultrafast']],
      ['WebM', 'webm', FAST_VP9],
      ['AVI', 'avi', ['-c:v', 'mpeg4']],
    ] as const
  ).map(([container, extension, codec]): InvalidFixture => ({
    name: `1000 fps ${container}`,
    file: `fps1000.${extension}`,
    reason: /^The video has 1000 frames per second; at most 240 are accepted\.$/,
    generate: (path) => ffmpeg([...pattern('64x36', 1, 1000), ...codec, '-pix_fmt', 'yuv420p', path]),
  })),
];

/**
 * A variable-rate WebM of about 26 frames per second on a millisecond time base, as a browser records: ffprobe
 * states no average rate and guesses `r_frame_rate` 1000/1, yet it is no high-rate video.
 */
export function variableRateWebm(path: string): Promise<void> {
  return ffmpeg([
    ...pattern('64x36', 3, 1000),
    '-vf',
    "select='lt(random(0),0.03)'",
    '-fps_mode',
    'vfr',
    ...FAST_VP9,
    path,
  ]);
}

/** A playlist whose one segment is `baitUrl`: what a nested open would fetch. */
export function hlsPlaylist(baitUrl: string): string {
  return `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:3,\n${baitUrl}/segment.ts\n#EXT-X-ENDLIST\n`;
}

export interface HostileFixture {
  name: string;
  file: string;
  /** What the worker must do with it: edit the video it really is, or refuse it with this reason. */
  expected: { kind: 'edited'; durationSeconds: number } | { kind: 'failed'; reason: RegExp };
  /** `baitUrl` is an HTTP server on loopback that no edit may ever reach. */
  generate: (path: string, dir: string, baitUrl: string) => Promise<void>;
}

const PICTURE_LIMIT_REASON = (size: string): RegExp =>
  new RegExp(
    `^The video is ${size} pixels; at most 4096 pixels on the longer side and 8\\.9 megapixels are accepted\\.$`,
  );

/** Four identical PNG frames of this size in Matroska, stream-copied (no encode of the giant frame). */
async function pngInMatroska(path: string, dir: string, size: string): Promise<void> {
  const frame = join(dir, `frame-${size}-1.png`);
  await ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `color=c=0x305070:s=${size}:d=1:r=1`,
    '-frames:v',
    '1',
    '-pix_fmt',
    'rgb24',
    frame,
  ]);
  await Promise.all([2, 3, 4].map((n) => copyFile(frame, join(dir, `frame-${size}-${n}.png`))));
  await ffmpeg([
    '-framerate',
    '1',
    '-start_number',
    '1',
    '-i',
    join(dir, `frame-${size}-%d.png`),
    '-c:v',
    'copy',
    path,
  ]);
}

/**
 * Uploads built to make ffmpeg open something else or exhaust the worker (issue 9). Each passes
 * through the worker's integration test and through the running local stack (e2e).
 */
export const HOSTILE_FIXTURES: HostileFixture[] = [
  {
    // The 2018 build opened this as HLS and fetched the URL; ffprobe saw a 3 s MPEG-TS video.
    name: 'HLS playlist glued in front of MPEG-TS packets',
    file: 'polyglot.ts',
    expected: { kind: 'edited', durationSeconds: 7 },
    generate: async (path, dir, baitUrl) => {
      const ts = join(dir, 'polyglot-video.ts');
      await ffmpeg([...pattern('320x240', 3), '-c:v', 'libx264', '-preset', 'ultrafast', '-f', 'mpegts', ts]);
      await writeFile(path, Buffer.concat([Buffer.from(hlsPlaylist(baitUrl)), await readFile(ts)]));
    },
  },
  {
    name: 'bare HLS playlist named .mp4',
    file: 'playlist.mp4',
    expected: {
      kind: 'failed',
      reason: /^The file is not a video ffmpeg can read \(Invalid data found when processing input\)\.$/,
    },
    generate: (path, _dir, baitUrl) => writeFile(path, hlsPlaylist(baitUrl)),
  },
  {
    // 3 MB on disk, 768 MB per decoded frame: 3.1 GB RSS and 103 CPU-seconds with the 2018 build.
    name: 'MKV of four 16000×16000 PNG frames',
    file: 'giant-frames.mkv',
    expected: { kind: 'failed', reason: PICTURE_LIMIT_REASON('16000×16000') },
    generate: (path, dir) => pngInMatroska(path, dir, '16000x16000'),
  },
  {
    // A 256×256 PNG-in-MKV whose Matroska track and PNG headers are rewritten to 40000×40000.
    name: 'MKV whose headers claim 40000×40000 over a tiny payload',
    file: 'huge-header.mkv',
    expected: { kind: 'failed', reason: PICTURE_LIMIT_REASON('40000×40000') },
    generate: async (path, dir) => {
      const small = join(dir, 'huge-header-small.mkv');
      await pngInMatroska(small, dir, '256x256');
      await writeFile(path, claimPictureSize(await readFile(small), 256, 40_000));
    },
  },
];

/**
 * Rewrites every PNG IHDR (and its CRC) and the Matroska PixelWidth/PixelHeight elements from
 * `from`×`from` to `to`×`to`; both sizes fit the same two-byte Matroska field.
 */
function claimPictureSize(file: Buffer, from: number, to: number): Buffer {
  const out = Buffer.from(file);
  for (let at = out.indexOf('IHDR'); at !== -1; at = out.indexOf('IHDR', at + 4)) {
    out.writeUInt32BE(to, at + 4);
    out.writeUInt32BE(to, at + 8);
    out.writeUInt32BE(crc32(out.subarray(at, at + 17)), at + 17);
  }
  for (const id of [0xb0, 0xba]) {
    const element = Buffer.from([id, 0x82, from >> 8, from & 0xff]);
    const at = out.indexOf(element);
    if (at === -1) throw new Error(`Matroska element 0x${id.toString(16)} not found`);
    out.writeUInt16BE(to, at + 2);
  }
  return out;
}

/**
 * Fixed pseudo-random bytes (a SHA-256 counter stream): fresh random bytes now and then pass some
 * demuxer's probe, which would make the expected reason flaky.
 */
function noise(size: number): Buffer {
  const blocks = Array.from({ length: Math.ceil(size / 32) }, (_, index) =>
    createHash('sha256').update(`idrl-noise-${index}`).digest(),
  );
  return Buffer.concat(blocks).subarray(0, size);
}

export async function ffmpeg(args: string[]): Promise<void> {
  await run(MEDIA_FFMPEG_PATH, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

export interface OutputStreams {
  format: { duration: number; formatName: string };
  video: {
    codec: string;
    width: number;
    height: number;
    pixFmt: string;
    frameRate: string;
    sar: string;
  } | null;
  audio: { codec: string; channels: number; sampleRate: number } | null;
}

interface FfprobeJson {
  format: { duration?: string; format_name: string };
  streams: {
    codec_type: string;
    codec_name: string;
    width?: number;
    height?: number;
    pix_fmt?: string;
    r_frame_rate?: string;
    sample_aspect_ratio?: string;
    channels?: number;
    sample_rate?: string;
  }[];
}

export async function probeStreams(path: string): Promise<OutputStreams> {
  const { stdout } = await run(WORKER_BINARIES.ffprobe, [
    '-v',
    'error',
    '-print_format',
    'json',
    '-show_format',
    '-show_streams',
    path,
  ]);
  const probe = JSON.parse(stdout) as FfprobeJson;
  const video = probe.streams.find((stream) => stream.codec_type === 'video');
  const audio = probe.streams.find((stream) => stream.codec_type === 'audio');
  return {
    format: { duration: Number(probe.format.duration), formatName: probe.format.format_name },
    video: video
      ? {
          codec: video.codec_name,
          width: video.width ?? 0,
          height: video.height ?? 0,
          pixFmt: video.pix_fmt ?? '',
          frameRate: video.r_frame_rate ?? '',
          sar: video.sample_aspect_ratio ?? '',
        }
      : null,
    audio: audio
      ? { codec: audio.codec_name, channels: audio.channels ?? 0, sampleRate: Number(audio.sample_rate) }
      : null,
  };
}

/** Top-level MP4 box types in file order; +faststart puts `moov` before `mdat`. */
export async function topLevelBoxes(path: string): Promise<string[]> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const header = Buffer.alloc(16);
    const boxes: string[] = [];
    for (let offset = 0; offset + 8 <= size;) {
      await file.read(header, 0, 16, offset);
      const shortSize = header.readUInt32BE(0);
      const boxSize = shortSize === 1 ? Number(header.readBigUInt64BE(8)) : shortSize;
      boxes.push(header.toString('latin1', 4, 8));
      if (boxSize < 8) break;
      offset += boxSize;
    }
    return boxes;
  } finally {
    await file.close();
  }
}

/**
 * The frame at `seconds` as raw RGB, scaled to the league size (logo and frames compare 1:1); `null` reads a still
 * picture (a JPEG poster), in which a seek finds no frame.
 */
export async function frameAt(
  path: string,
  seconds: number | null,
  format: LeagueFormat = DEFAULT_LEAGUE_FORMAT,
): Promise<Buffer> {
  const { stdout } = await run(
    MEDIA_FFMPEG_PATH,
    [
      '-v',
      'error',
      ...(seconds === null ? [] : ['-ss', seconds.toFixed(3)]),
      '-i',
      path,
      '-frames:v',
      '1',
      '-vf',
      `scale=${format.width}:${format.height}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

/** Mean absolute RGB difference over a 16×9 grid of sample points (0 = identical, 255 = opposite). */
export function meanDifference(a: Buffer, b: Buffer, format: LeagueFormat = DEFAULT_LEAGUE_FORMAT): number {
  let total = 0;
  let samples = 0;
  for (let row = 0; row < 9; row++) {
    for (let column = 0; column < 16; column++) {
      const x = Math.floor(((column + 0.5) * format.width) / 16);
      const y = Math.floor(((row + 0.5) * format.height) / 9);
      const offset = (y * format.width + x) * 3;
      for (let channel = 0; channel < 3; channel++) {
        total += Math.abs((a[offset + channel] ?? 0) - (b[offset + channel] ?? 0));
        samples++;
      }
    }
  }
  return total / samples;
}

/** Brightness of the pixel at (x, y) of a raw RGB frame. */
export function brightnessAt(
  frame: Buffer,
  x: number,
  y: number,
  format: LeagueFormat = DEFAULT_LEAGUE_FORMAT,
): number {
  const offset = (y * format.width + x) * 3;
  return ((frame[offset] ?? 0) + (frame[offset + 1] ?? 0) + (frame[offset + 2] ?? 0)) / 3;
}
