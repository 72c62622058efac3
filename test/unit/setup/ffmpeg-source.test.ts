import { describe, expect, it } from 'vitest';
import { runCommand } from '#infra/setup/command-runner';
import {
  chooseFfmpegSource,
  dpkgVersionCompare,
  FfmpegSourceRefusedError,
  newestListedVersion,
} from '#layers/ffmpeg/ffmpeg-source';

// Debian's ordering by dpkg itself: a pure computation, no apt and no root.
const compare = dpkgVersionCompare(runCommand);
const recordFile = '/cache/idrl-ffmpeg/newest-built-version';

function choose(offered: string | undefined, newestBuilt?: string) {
  return () => chooseFfmpegSource({ offered, newestBuilt, recordFile }, compare);
}

describe('the ffmpeg source the build takes', () => {
  it.each([
    ['a new security revision', '7:5.1.9-0+deb12u2', '7:5.1.9-0+deb12u1', '5.1.9'],
    ['a new point release (numerically, not as text)', '7:5.1.10-0+deb12u1', '7:5.1.9-0+deb12u1', '5.1.10'],
    ['the version already built', '7:5.1.9-0+deb12u1', '7:5.1.9-0+deb12u1', '5.1.9'],
    ['any 5.1 revision on a machine that built none', '7:5.1.9-0+deb12u1', undefined, '5.1.9'],
  ])('accepts %s', (_case, offered, newestBuilt, upstreamVersion) => {
    // Act
    const source = choose(offered, newestBuilt)();

    // Assess
    expect(source).toEqual({ debianVersion: offered, upstreamVersion });
  });

  it.each([
    ['an older revision', '7:5.1.9-0+deb12u1', '7:5.1.9-0+deb12u2'],
    ['an older point release', '7:5.1.8-0+deb12u1', '7:5.1.9-0+deb12u1'],
    [
      'a revision with a tilde, which sorts before the one without',
      '7:5.1.9-0+deb12u1~1',
      '7:5.1.9-0+deb12u1',
    ],
    ['a version without the epoch, which sorts before any with one', '5.1.10-1', '7:5.1.9-0+deb12u1'],
  ])('refuses %s than one already built, naming both and the record', (_case, offered, newestBuilt) => {
    // Act / Assess
    expect(choose(offered, newestBuilt)).toThrow(FfmpegSourceRefusedError);
    expect(choose(offered, newestBuilt)).toThrow(
      `apt offers ffmpeg ${offered}, older than ${newestBuilt} already built on this machine (${recordFile})`,
    );
  });

  it('refuses when apt offers no ffmpeg source, saying which entry and update are missing', () => {
    // Act / Assess
    expect(choose(undefined)).toThrow(FfmpegSourceRefusedError);
    expect(choose(undefined)).toThrow(
      /^apt's lists offer no ffmpeg source package: the build needs the deb-src entry layers\/ffmpeg\/idrl-ffmpeg-src\.sources in \/etc\/apt\/sources\.list\.d and an apt-get update/,
    );
  });

  it.each([
    ['6.1 (Ubuntu 24.04)', '7:6.1.1-3ubuntu5'],
    ['7.1 (Debian 13)', '7:7.1.3-0+deb13u1'],
    ['5.0', '7:5.0.3-1'],
    ['4.4 (Debian 11)', '7:4.4.6-0+deb11u1'],
    ['5.10, which only starts like 5.1', '7:5.10.1-1'],
  ])('refuses FFmpeg %s, off the 5.1 line', (_case, offered) => {
    // Act / Assess
    expect(choose(offered)).toThrow(FfmpegSourceRefusedError);
    expect(choose(offered)).toThrow(`apt offers ffmpeg ${offered}, which is not on FFmpeg's 5.1 line`);
  });

  it('refuses a record that holds no Debian version rather than ignoring it', () => {
    // Act / Assess
    expect(choose('7:5.1.9-0+deb12u1', 'garbage')).toThrow(
      `The record of the newest ffmpeg built on this machine (${recordFile}) holds no Debian version ("garbage")`,
    );
  });
});

describe("the newest version in apt-cache showsrc's records", () => {
  it('is the highest by Debian rules across every deb-src entry that lists ffmpeg', () => {
    // Prepare: bookworm's own record, then bookworm-security's (the order apt prints them in varies).
    const showsrc = [
      'Package: ffmpeg',
      'Binary: ffmpeg, libavcodec59',
      'Version: 7:5.1.10-0+deb12u1',
      'Format: 3.0 (quilt)',
      '',
      'Package: ffmpeg',
      'Version: 7:5.1.9-0+deb12u1',
      '',
    ].join('\n');

    // Act / Assess
    expect(newestListedVersion(showsrc, compare)).toBe('7:5.1.10-0+deb12u1');
  });

  it('is undefined when no record is listed', () => {
    // Act / Assess
    expect(newestListedVersion('', compare)).toBeUndefined();
  });
});
