/**
 * The one ffmpeg build the platform runs: the Lambda layer, `npm start` and every test. It pins the
 * Debian security source, says how to configure it, and builds it once per machine into a cache
 * outside the clone (so a fresh clone, CI's included, reuses it). docs/worker.md ("The ffmpeg build")
 * explains the choices; layers/ffmpeg/build.sh does the shell work.
 *
 * Run by hand: `npx tsx layers/ffmpeg/ffmpeg-build.ts` builds if needed and prints the binaries' paths.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  IMAGE_DEMUXERS,
  LOCAL_PROTOCOLS,
  SOURCE_PROTOCOLS,
  VIDEO_DEMUXERS,
} from '#adapters/ffmpeg/components';

/**
 * Debian bookworm-security's ffmpeg source: upstream's 5.1 release line, which Debian keeps patched
 * for the life of bookworm. Bumping: docs/worker.md ("Bumping ffmpeg").
 */
export const FFMPEG_SOURCE = {
  debianVersion: '7:5.1.9-0+deb12u1',
  upstreamVersion: '5.1.9',
  /** sha256 of ffmpeg_<upstreamVersion>.orig.tar.xz, as listed in the .dsc. */
  origSha256: 'd9b593bb2ba93d4b50f74177e0cdcd41747e708596367deed0c30348a71dd176',
} as const;

/** What the league's inputs need (docs/spec.md §4) and nothing else: every other component is compiled out. */
const FFMPEG_COMPONENTS = {
  // No hls, concat, image2 or data demuxer: nothing that opens another URL or file.
  demuxers: [...VIDEO_DEMUXERS, ...IMAGE_DEMUXERS].map((demuxer) => demuxer.configure),
  decoders: [
    'h264',
    'hevc',
    'vp8',
    'vp9',
    'mpeg1video',
    'mpeg2video',
    'mpeg4',
    'prores',
    'mjpeg',
    'png',
    'aac',
    'aac_latm',
    'ac3',
    'eac3',
    'mp2',
    'mp3',
    'mp3float',
    'opus',
    'vorbis',
    'flac',
    'alac',
    'pcm_s16le',
    'pcm_s16be',
    'pcm_s24le',
    'pcm_s24be',
    'pcm_s32le',
    'pcm_f32le',
    'pcm_u8',
  ],
  parsers: [
    'h264',
    'hevc',
    'vp8',
    'vp9',
    'mpegvideo',
    'mpeg4video',
    'mjpeg',
    'png',
    'aac',
    'aac_latm',
    'ac3',
    'mpegaudio',
    'opus',
    'vorbis',
    'flac',
  ],
  // The edit's graph (edit-command.ts), the filters ffmpeg inserts itself (null/anull, rotation), and
  // scale/format conversions.
  filters: [
    'scale',
    'pad',
    'setsar',
    'format',
    'split',
    'loop',
    'settb',
    'setpts',
    'trim',
    'fps',
    'concat',
    'null',
    'transpose',
    'hflip',
    'vflip',
    'rotate',
    'aresample',
    'aformat',
    'apad',
    'atrim',
    'asetpts',
    'anullsrc',
    'anull',
  ],
  encoders: ['libx264', 'aac', 'mjpeg'],
  muxers: ['mp4', 'image2'],
  protocols: [...LOCAL_PROTOCOLS, ...SOURCE_PROTOCOLS],
  bsfs: ['null'],
};

const FFMPEG_CONFIGURE_FLAGS: readonly string[] = [
  '--enable-gpl', // libx264 is GPL, so the binaries are (docs/worker.md, "Licence")
  '--enable-libx264',
  '--enable-zlib', // the PNG decoder (the logo card) is silently dropped without it
  '--enable-pthreads', // an autodetected feature, and autodetection is off
  '--disable-autodetect', // nothing from the build machine sneaks in
  '--disable-everything',
  '--disable-doc',
  '--disable-ffplay',
  '--disable-avdevice',
  '--disable-postproc',
  '--disable-debug',
  '--enable-static',
  '--disable-shared',
  '--pkg-config-flags=--static',
  '--extra-ldflags=-static',
  ...Object.entries(FFMPEG_COMPONENTS).map(
    ([kind, names]) => `--enable-${kind.replace(/s$/, '')}=${names.join(',')}`,
  ),
];

/** The build is only ever used on Linux x86_64 (the Lambda architecture); elsewhere, see docs/infra.md. */
const BUILD_PLATFORM = 'linux-x64';

/** Source version + configure flags: changing either makes a new cache entry, never a stale reuse. */
export function ffmpegBuildKey(): string {
  const flagsHash = createHash('sha256').update(FFMPEG_CONFIGURE_FLAGS.join('\n')).digest('hex');
  return `${FFMPEG_SOURCE.debianVersion.replace(/[^0-9A-Za-z.+-]/g, '_')}-${flagsHash.slice(0, 16)}`;
}

/** IDRL_FFMPEG_CACHE overrides the cache root (default: $XDG_CACHE_HOME or ~/.cache, then idrl-ffmpeg). */
function ffmpegCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.IDRL_FFMPEG_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'idrl-ffmpeg')
  );
}

export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
}

/**
 * The pinned build's binaries, building them first if this machine has none yet (about 5 minutes on
 * 2 cores, once). Synchronous because CDK's local bundling is. Concurrent callers (test setups,
 * `npm start`, `cdk synth`) wait on one lock and one build; the result appears by an atomic rename.
 */
export function ensureFfmpegBuild(env: NodeJS.ProcessEnv = process.env): FfmpegBinaries {
  const root = ffmpegCacheRoot(env);
  const outDir = path.join(root, ffmpegBuildKey());
  const binaries = {
    ffmpeg: path.join(outDir, 'bin', 'ffmpeg'),
    ffprobe: path.join(outDir, 'bin', 'ffprobe'),
  };
  if (existsSync(binaries.ffmpeg) && existsSync(binaries.ffprobe)) return binaries;
  if (`${process.platform}-${process.arch}` !== BUILD_PLATFORM) {
    throw new Error(
      `The pinned ffmpeg builds on Linux x86_64 only (this is ${process.platform}-${process.arch}); see docs/infra.md, "The ffmpeg layer".`,
    );
  }
  mkdirSync(root, { recursive: true });
  process.stderr.write(
    `[ffmpeg build] no cached build in ${outDir}: building ffmpeg ${FFMPEG_SOURCE.upstreamVersion} once for this machine (about 5 minutes on 2 cores)\n`,
  );
  const script = fileURLToPath(new URL('build.sh', import.meta.url));
  const result = spawnSync('flock', [`${outDir}.lock`, 'bash', script], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      PATH: env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      HOME: env.HOME ?? homedir(),
      FFMPEG_DEBIAN_VERSION: FFMPEG_SOURCE.debianVersion,
      FFMPEG_UPSTREAM_VERSION: FFMPEG_SOURCE.upstreamVersion,
      FFMPEG_ORIG_SHA256: FFMPEG_SOURCE.origSha256,
      FFMPEG_CONFIGURE_FLAGS: FFMPEG_CONFIGURE_FLAGS.join('\n'),
      FFMPEG_OUT_DIR: outDir,
      FFMPEG_WORK_DIR: `${outDir}.work`,
    },
  });
  if (result.error) throw result.error;
  if (result.status !== 0)
    throw new Error(`The ffmpeg build failed (exit ${String(result.status)}): see the log above.`);
  return binaries;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { ffmpeg, ffprobe } = ensureFfmpegBuild();
  process.stdout.write(`${ffmpeg}\n${ffprobe}\n`);
}
