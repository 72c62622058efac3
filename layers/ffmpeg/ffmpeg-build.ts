/**
 * The one ffmpeg build the platform runs: the Lambda layer, `npm start` and every test. It takes the
 * newest revision of FFmpeg 5.1 in Debian's bookworm-security source archive (ffmpeg-source.ts says
 * which revisions are accepted), says how to configure it, and builds it once per version into a cache
 * outside the clone (so a fresh clone, CI's included, reuses it). docs/worker.md ("The ffmpeg build")
 * explains the choices; layers/ffmpeg/build.sh does the shell work.
 *
 * Run by hand: `npx tsx layers/ffmpeg/ffmpeg-build.ts` builds if needed and prints the binaries' paths.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  IMAGE_DEMUXERS,
  LOCAL_PROTOCOLS,
  SOURCE_PROTOCOLS,
  VIDEO_DEMUXERS,
} from '#adapters/ffmpeg/components';
import { runCommand } from '#infra/setup/command-runner';
import { ensureOsPackages, FFMPEG_BUILD_PACKAGES } from '#infra/setup/os-packages';
import {
  chooseFfmpegSource,
  dpkgVersionCompare,
  type FfmpegSource,
  newestListedVersion,
} from './ffmpeg-source';

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

/** Debian version + configure flags: changing either makes a new cache entry, never a stale reuse. */
export function ffmpegBuildKey(debianVersion: string): string {
  const flagsHash = createHash('sha256').update(FFMPEG_CONFIGURE_FLAGS.join('\n')).digest('hex');
  return `${debianVersion.replace(/[^0-9A-Za-z.+-]/g, '_')}-${flagsHash.slice(0, 16)}`;
}

/** IDRL_FFMPEG_CACHE overrides the cache root (default: $XDG_CACHE_HOME or ~/.cache, then idrl-ffmpeg). */
function ffmpegCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.IDRL_FFMPEG_CACHE ?? path.join(env.XDG_CACHE_HOME ?? path.join(homedir(), '.cache'), 'idrl-ffmpeg')
  );
}

/** The newest Debian version built (or found built) in this cache: the floor below which no source is taken. */
function newestBuiltRecord(root: string): string {
  return path.join(root, 'newest-built-version');
}

function readRecord(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const versionCompare = dpkgVersionCompare(runCommand);

/** Per cache root, once per process: the first-use setup and the apt lookup cost a few apt/dpkg calls. */
const resolvedSources = new Map<string, FfmpegSource>();

/**
 * The source version this machine builds or reuses: the OS packages and the deb-src entry ensured first
 * (installed on first use, os-packages.ts), then the newest revision apt's lists offer, accepted or
 * refused by chooseFfmpegSource. Throws on any system but Linux x86_64.
 */
export function resolveFfmpegSource(env: NodeJS.ProcessEnv = process.env): FfmpegSource {
  if (`${process.platform}-${process.arch}` !== BUILD_PLATFORM) {
    throw new Error(
      `The pinned ffmpeg builds on Linux x86_64 only (this is ${process.platform}-${process.arch}); see docs/infra.md, "The ffmpeg layer".`,
    );
  }
  const root = ffmpegCacheRoot(env);
  const known = resolvedSources.get(root);
  if (known) return known;
  ensureOsPackages('The ffmpeg build', FFMPEG_BUILD_PACKAGES);
  const showsrc = runCommand('apt-cache', ['showsrc', '--only-source', 'ffmpeg']).stdout;
  const recordFile = newestBuiltRecord(root);
  const source = chooseFfmpegSource(
    {
      offered: newestListedVersion(showsrc, versionCompare),
      newestBuilt: readRecord(recordFile),
      recordFile,
    },
    versionCompare,
  );
  resolvedSources.set(root, source);
  return source;
}

export interface FfmpegBinaries {
  ffmpeg: string;
  ffprobe: string;
}

export interface FfmpegBuild extends FfmpegBinaries {
  source: FfmpegSource;
}

/**
 * The build's binaries, building them first if this machine has none for the version apt offers (about
 * 5 minutes on 2 cores, once per version). Synchronous because CDK's local bundling is. Concurrent
 * callers (test setups, `npm start`, `cdk synth`) wait on one lock and one build; the result appears by
 * an atomic rename. The version is then recorded as the machine's newest built (a cache filled before
 * the record existed is recorded on first use, not rebuilt).
 */
export function ensureFfmpegBuild(env: NodeJS.ProcessEnv = process.env): FfmpegBuild {
  const source = resolveFfmpegSource(env);
  const root = ffmpegCacheRoot(env);
  const outDir = path.join(root, ffmpegBuildKey(source.debianVersion));
  const build = {
    ffmpeg: path.join(outDir, 'bin', 'ffmpeg'),
    ffprobe: path.join(outDir, 'bin', 'ffprobe'),
    source,
  };
  if (!existsSync(build.ffmpeg) || !existsSync(build.ffprobe)) {
    mkdirSync(root, { recursive: true });
    process.stderr.write(
      `[ffmpeg build] no cached build in ${outDir}: building ffmpeg ${source.upstreamVersion} (Debian ${source.debianVersion}) once for this machine (about 5 minutes on 2 cores)\n`,
    );
    const script = fileURLToPath(new URL('build.sh', import.meta.url));
    const result = spawnSync('flock', [`${outDir}.lock`, 'bash', script], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        PATH: env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HOME: env.HOME ?? homedir(),
        FFMPEG_DEBIAN_VERSION: source.debianVersion,
        FFMPEG_CONFIGURE_FLAGS: FFMPEG_CONFIGURE_FLAGS.join('\n'),
        FFMPEG_OUT_DIR: outDir,
        FFMPEG_WORK_DIR: `${outDir}.work`,
      },
    });
    if (result.error) throw result.error;
    if (result.status !== 0)
      throw new Error(`The ffmpeg build failed (exit ${String(result.status)}): see the log above.`);
  }
  const recordFile = newestBuiltRecord(root);
  if (readRecord(recordFile) !== source.debianVersion) {
    // chooseFfmpegSource refused anything older, so this is the newest: written whole, then renamed.
    writeFileSync(`${recordFile}.${process.pid}`, `${source.debianVersion}\n`);
    renameSync(`${recordFile}.${process.pid}`, recordFile);
  }
  return build;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { ffmpeg, ffprobe } = ensureFfmpegBuild();
  process.stdout.write(`${ffmpeg}\n${ffprobe}\n`);
}
