/**
 * Which ffmpeg source the build takes: the newest revision apt's lists offer (Debian's security team
 * replaces the previous one in bookworm-security with each fix), provided it is on FFmpeg's 5.1 line —
 * the one bookworm keeps patched and the build's flags are written for — and not older than one this
 * machine has already built (stale or rolled-back lists must not quietly bring an older, unpatched one).
 */
import { IdrlError } from '#core/errors';
import type { CommandRunner } from '#infra/setup/command-runner';

export interface FfmpegSource {
  /** Debian's version, epoch and revision included: `7:5.1.9-0+deb12u1`. */
  debianVersion: string;
  /** What the binaries report (`ffmpeg version 5.1.9`). */
  upstreamVersion: string;
}

export class FfmpegSourceRefusedError extends IdrlError {}

/** Negative, zero or positive as a sorts before, with or after b. */
export type VersionCompare = (a: string, b: string) => number;

/** deb-version(7) syntax, loosely: optional epoch, an upstream part starting with a digit, optional revision. */
const DEBIAN_VERSION = /^(?:\d+:)?\d[A-Za-z0-9.+~-]*$/;

/** FFmpeg 5.1 and its point releases, as Debian numbers the upstream part (no repack suffix). */
const FFMPEG_LINE = /^5\.1(?:\.\d+)?$/;

/** Debian's ordering (epochs, `~`, revisions) by dpkg itself rather than a re-implementation. */
export function dpkgVersionCompare(run: CommandRunner): VersionCompare {
  const holds = (a: string, relation: 'lt' | 'gt', b: string): boolean => {
    const { status } = run('dpkg', ['--compare-versions', a, relation, b]);
    if (status !== 0 && status !== 1)
      throw new Error(`dpkg --compare-versions ${a} ${relation} ${b} failed (exit ${String(status)})`);
    return status === 0;
  };
  return (a, b) => {
    if (holds(a, 'lt', b)) return -1;
    return holds(a, 'gt', b) ? 1 : 0;
  };
}

/** The newest `Version:` among the records `apt-cache showsrc --only-source ffmpeg` printed; undefined when none. */
export function newestListedVersion(showsrc: string, compare: VersionCompare): string | undefined {
  const versions = [...showsrc.matchAll(/^Version: (\S+)$/gm)].map((match) => match[1] ?? '');
  return versions.reduce<string | undefined>(
    (newest, version) => (newest === undefined || compare(version, newest) > 0 ? version : newest),
    undefined,
  );
}

function upstreamPart(debianVersion: string): string {
  const withoutEpoch = debianVersion.replace(/^\d+:/, '');
  const revisionAt = withoutEpoch.lastIndexOf('-');
  return revisionAt === -1 ? withoutEpoch : withoutEpoch.slice(0, revisionAt);
}

export interface SourceCandidates {
  /** The newest version apt's lists offer, if any. */
  offered: string | undefined;
  /** The newest version built on this machine (its record), if any. */
  newestBuilt: string | undefined;
  /** Where that record lives, for the message. */
  recordFile: string;
}

/** The version to build or reuse, or FfmpegSourceRefusedError saying why none may be. */
export function chooseFfmpegSource(candidates: SourceCandidates, compare: VersionCompare): FfmpegSource {
  const { offered, newestBuilt, recordFile } = candidates;
  if (offered === undefined || !DEBIAN_VERSION.test(offered))
    throw new FfmpegSourceRefusedError(
      `apt's lists offer no ffmpeg source package${offered === undefined ? '' : ` (unreadable version "${offered}")`}: the build needs the deb-src entry layers/ffmpeg/idrl-ffmpeg-src.sources in /etc/apt/sources.list.d and an apt-get update, which npm start and npm test make as root or through sudo -n (docs/local-stack.md, "Setup").`,
    );
  const upstreamVersion = upstreamPart(offered);
  if (!FFMPEG_LINE.test(upstreamVersion))
    throw new FfmpegSourceRefusedError(
      `apt offers ffmpeg ${offered}, which is not on FFmpeg's 5.1 line (Debian bookworm-security's, the one the build's flags are written for): check which deb-src entry offers it (apt-cache showsrc --only-source ffmpeg); layers/ffmpeg/README.md says how to move to another line.`,
    );
  if (newestBuilt !== undefined && !DEBIAN_VERSION.test(newestBuilt))
    throw new FfmpegSourceRefusedError(
      `The record of the newest ffmpeg built on this machine (${recordFile}) holds no Debian version ("${newestBuilt}"): delete it to start the record anew.`,
    );
  if (newestBuilt !== undefined && compare(offered, newestBuilt) < 0)
    throw new FfmpegSourceRefusedError(
      `apt offers ffmpeg ${offered}, older than ${newestBuilt} already built on this machine (${recordFile}): the apt lists are stale or from an older archive. Run apt-get update as root; to build the older one anyway, delete that file.`,
    );
  return { debianVersion: offered, upstreamVersion };
}
