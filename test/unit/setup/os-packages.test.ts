import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CommandResult, CommandRunner } from '#infra/setup/command-runner';
import {
  ensureOsPackages,
  FFMPEG_SOURCES_ENTRY,
  OsSetupError,
  type OsSystem,
  PRIVILEGED_SCRIPT,
} from '#infra/setup/os-packages';

const ENTRY_TEXT = 'Types: deb-src\n';
const PACKAGES = ['nasm', 'libx264-dev', 'curl'];

interface MachineOptions {
  root?: boolean;
  sudo?: boolean;
  apt?: boolean;
  optOut?: boolean;
  /** Package → its dpkg status abbreviation (`ii` installed, `rc` removed with its configuration left). */
  packages?: Record<string, string>;
  entry?: 'current' | 'stale' | 'missing';
  sourceListed?: boolean;
  /** Exit code of the privileged install; 0 installs everything it was given. */
  installExit?: number;
}

/** A scripted Debian machine: answers the setup's questions and records every command it was asked to run. */
function fakeMachine(options: MachineOptions = {}) {
  const state = {
    packages: { ...options.packages },
    entry: options.entry ?? 'current',
    sourceListed: options.sourceListed ?? true,
  };
  const calls: { argv: string[]; mode: string }[] = [];
  const lines: string[] = [];
  const ok = (stdout = ''): CommandResult => ({ status: 0, stdout });

  const privileged = (argv: string[]): CommandResult => {
    const exit = options.installExit ?? 0;
    if (exit !== 0) return { status: exit, stdout: '' };
    // argv: flock LOCK sh -c SCRIPT NAME KEYRING ENTRY TARGET PACKAGES...
    const [, entryFile = '', , ...packages] = argv.slice(argv.indexOf('sh') + 4);
    if (entryFile !== '') state.entry = 'current';
    for (const name of packages) state.packages[name] = 'ii';
    state.sourceListed = true;
    return ok();
  };

  const run: CommandRunner = (command, args, mode = 'capture') => {
    calls.push({ argv: [command, ...args], mode });
    if (args[0] === '--version') return options.apt === false ? { status: null, stdout: '' } : ok();
    switch (command) {
      case 'dpkg-query': {
        const known = args.slice(2).filter((name) => state.packages[name] !== undefined);
        const stdout = known.map((name) => `${name} ${state.packages[name] ?? ''} \n`).join('');
        return { status: known.length === args.length - 2 ? 0 : 1, stdout };
      }
      case 'apt-cache':
        return ok(state.sourceListed ? 'Package: ffmpeg\nVersion: 7:5.1.9-0+deb12u1\n' : '');
      case 'sudo':
        if (!options.sudo) return { status: 1, stdout: '' };
        return args[1] === 'true' ? ok() : privileged(args.slice(1));
      case 'flock':
        return privileged([command, ...args]);
      default:
        throw new Error(`unexpected command ${command}`);
    }
  };

  const system: OsSystem = {
    run,
    readText: (file) => {
      if (file === FFMPEG_SOURCES_ENTRY.file) return ENTRY_TEXT;
      if (file !== FFMPEG_SOURCES_ENTRY.target) return undefined;
      return { current: ENTRY_TEXT, stale: 'Types: deb-src\n# an older entry\n', missing: undefined }[
        state.entry
      ];
    },
    isRoot: options.root ?? false,
    env: options.optOut ? { IDRL_NO_OS_INSTALL: '1' } : {},
    log: (line) => lines.push(line),
  };
  const installs = () => calls.filter((call) => call.mode === 'stream');
  return { system, calls, lines, installs };
}

const allInstalled = { nasm: 'ii', 'libx264-dev': 'ii', curl: 'ii' };

describe('first-use OS setup', () => {
  it('does nothing, and asks sudo nothing, when every package, the entry and its lists are there', () => {
    // Prepare
    const machine = fakeMachine({ packages: allInstalled });

    // Act
    ensureOsPackages('npm start', PACKAGES, machine.system);

    // Assess
    expect(machine.installs()).toEqual([]);
    expect(machine.calls.map((call) => call.argv[0])).not.toContain('sudo');
    expect(machine.lines).toEqual([]);
  });

  it('as root, installs exactly the missing packages under the lock, printing what it does', () => {
    // Prepare: curl was removed (its configuration left behind) and libx264-dev never installed.
    const machine = fakeMachine({ root: true, packages: { nasm: 'ii', curl: 'rc' } });

    // Act
    ensureOsPackages('npm test', PACKAGES, machine.system);

    // Assess
    expect(machine.installs()).toHaveLength(1);
    const argv = machine.installs()[0]?.argv ?? [];
    expect(argv.slice(0, 4)).toEqual(['flock', '/run/idrl-os-setup.lock', 'sh', '-c']);
    expect(argv.slice(5)).toEqual([
      'idrl-os-setup',
      '/usr/share/keyrings/debian-archive-keyring.gpg',
      '',
      FFMPEG_SOURCES_ENTRY.target,
      'libx264-dev',
      'curl',
    ]);
    expect(machine.lines).toEqual([
      '[setup] npm test: installing with apt as root, once for this machine (IDRL_NO_OS_INSTALL=1 opts out): libx264-dev, curl',
      '[setup] npm test: OS packages installed.',
    ]);
  });

  it('as a user with passwordless sudo, runs the same install through sudo -n', () => {
    // Prepare
    const machine = fakeMachine({ sudo: true, packages: { nasm: 'ii', curl: 'ii' } });

    // Act
    ensureOsPackages('npm start', PACKAGES, machine.system);

    // Assess
    const argv = machine.installs()[0]?.argv ?? [];
    expect(argv.slice(0, 4)).toEqual(['sudo', '-n', 'flock', '/run/idrl-os-setup.lock']);
    expect(argv.slice(-1)).toEqual(['libx264-dev']);
  });

  it('installs the deb-src entry and fetches its lists when the entry is missing, even with every package there', () => {
    // Prepare
    const machine = fakeMachine({
      root: true,
      packages: allInstalled,
      entry: 'missing',
      sourceListed: false,
    });

    // Act
    ensureOsPackages('npm start', PACKAGES, machine.system);

    // Assess
    const argv = machine.installs()[0]?.argv ?? [];
    expect(argv.slice(7)).toEqual([FFMPEG_SOURCES_ENTRY.file, FFMPEG_SOURCES_ENTRY.target]);
  });

  it('replaces an entry that differs from the project one', () => {
    // Prepare
    const machine = fakeMachine({ root: true, packages: allInstalled, entry: 'stale' });

    // Act
    ensureOsPackages('npm start', PACKAGES, machine.system);

    // Assess
    expect(machine.installs()[0]?.argv.slice(7, 8)).toEqual([FFMPEG_SOURCES_ENTRY.file]);
  });

  it('fetches the lists when the entry is there but apt knows no ffmpeg source yet', () => {
    // Prepare
    const machine = fakeMachine({ root: true, packages: allInstalled, sourceListed: false });

    // Act
    ensureOsPackages('npm start', PACKAGES, machine.system);

    // Assess
    expect(machine.installs()[0]?.argv.slice(7)).toEqual(['', FFMPEG_SOURCES_ENTRY.target]);
    expect(machine.lines[0]).toMatch(/: apt lists with the ffmpeg source$/);
  });

  it('without root or sudo, stops with one line giving the exact command to run as root', () => {
    // Prepare
    const machine = fakeMachine({ sudo: false, packages: { nasm: 'ii' }, entry: 'missing' });

    // Act
    const act = () => {
      ensureOsPackages('npm start', PACKAGES, machine.system);
    };

    // Assess
    expect(act).toThrow(OsSetupError);
    expect(act).toThrow(
      `npm start needs OS packages that are missing, and this user is neither root nor allowed passwordless sudo: run as root \`cp ${FFMPEG_SOURCES_ENTRY.file} ${FFMPEG_SOURCES_ENTRY.target} && apt-get update && apt-get install -y --no-install-recommends libx264-dev curl\`, then try again.`,
    );
    expect(machine.installs()).toEqual([]);
  });

  it('with IDRL_NO_OS_INSTALL=1, never installs nor asks sudo, and stops with the command when something is missing', () => {
    // Prepare
    const machine = fakeMachine({ sudo: true, optOut: true, packages: { nasm: 'ii', curl: 'ii' } });

    // Act
    const act = () => {
      ensureOsPackages('npm test', PACKAGES, machine.system);
    };

    // Assess
    expect(act).toThrow(
      'npm test needs OS packages that are missing, and IDRL_NO_OS_INSTALL=1 forbids installing them: run as root `apt-get update && apt-get install -y --no-install-recommends libx264-dev`, then try again.',
    );
    expect(machine.installs()).toEqual([]);
    expect(machine.calls.map((call) => call.argv[0])).not.toContain('sudo');
  });

  it('with IDRL_NO_OS_INSTALL=1 and nothing missing, goes on', () => {
    // Prepare
    const machine = fakeMachine({ optOut: true, packages: allInstalled });

    // Act / Assess
    expect(() => {
      ensureOsPackages('npm start', PACKAGES, machine.system);
    }).not.toThrow();
  });

  it('on a system without apt, prints where the manual route is and goes on', () => {
    // Prepare
    const machine = fakeMachine({ apt: false, root: true });

    // Act
    ensureOsPackages('npm start', PACKAGES, machine.system);

    // Assess
    expect(machine.lines).toEqual([
      '[setup] npm start: no apt on this system, so its OS packages are not checked: install them as docs/local-stack.md ("Other systems") lists.',
    ]);
    expect(machine.installs()).toEqual([]);
  });

  it('stops with the command to run when apt fails', () => {
    // Prepare
    const machine = fakeMachine({ root: true, packages: { nasm: 'ii', curl: 'ii' }, installExit: 100 });

    // Act / Assess
    expect(() => {
      ensureOsPackages('npm start', PACKAGES, machine.system);
    }).toThrow(
      'npm start: installing the OS packages failed (exit 100, output above): run as root `apt-get update && apt-get install -y --no-install-recommends libx264-dev`, then try again.',
    );
  });
});

describe('the privileged command (run by sh, with apt-get replaced by a recorder)', () => {
  let dir = '';
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the script as the plan would; the recorder logs each apt-get call and whether the entry was in place. */
  function runScript(options: {
    keyring: boolean;
    entry: boolean;
    packages: string[];
    failUpdate?: boolean;
  }) {
    dir = mkdtempSync(join(tmpdir(), 'idrl-setup-'));
    const log = join(dir, 'apt.log');
    const target = join(dir, 'installed.sources');
    writeFileSync(
      join(dir, 'apt-get'),
      [
        '#!/bin/sh',
        `echo "$([ -e '${target}' ] && echo '(entry in place) ')$DEBIAN_FRONTEND $*" >> '${log}'`,
        options.failUpdate ? 'case "$*" in *update*) exit 100 ;; esac' : '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const keyring = join(dir, 'keyring.gpg');
    if (options.keyring) writeFileSync(keyring, '');
    const entry = join(dir, 'entry.sources');
    writeFileSync(entry, ENTRY_TEXT);
    const result = spawnSync(
      'sh',
      [
        '-c',
        PRIVILEGED_SCRIPT,
        'idrl-os-setup',
        keyring,
        options.entry ? entry : '',
        target,
        ...options.packages,
      ],
      { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' },
    );
    return {
      status: result.status,
      apt: readFileSync(log, 'utf8').trimEnd().split('\n'),
      entry: existsSync(target) ? readFileSync(target, 'utf8') : undefined,
    };
  }

  const update = 'noninteractive -q -o DPkg::Lock::Timeout=600 update';
  const install = (names: string) =>
    `noninteractive -q -y -o DPkg::Lock::Timeout=600 install --no-install-recommends ${names}`;

  it('makes one update, then installs exactly the packages given, non-interactively', () => {
    // Act
    const run = runScript({ keyring: true, entry: false, packages: ['nasm', 'curl'] });

    // Assess
    expect(run).toEqual({ status: 0, apt: [update, install('nasm curl')], entry: undefined });
  });

  it('puts the entry in place before its one update', () => {
    // Act
    const run = runScript({ keyring: true, entry: true, packages: [] });

    // Assess
    expect(run).toEqual({ status: 0, apt: [`(entry in place) ${update}`], entry: ENTRY_TEXT });
  });

  it("where the entry's keyring is missing (Ubuntu), installs it first, then the entry with its own update", () => {
    // Act
    const run = runScript({ keyring: false, entry: true, packages: ['nasm'] });

    // Assess
    expect(run.apt).toEqual([
      update,
      install('debian-archive-keyring'),
      `(entry in place) ${update}`,
      `(entry in place) ${install('nasm')}`,
    ]);
  });

  it('stops at the first failing apt call', () => {
    // Act
    const run = runScript({ keyring: true, entry: false, packages: ['nasm'], failUpdate: true });

    // Assess
    expect({ status: run.status, apt: run.apt }).toEqual({ status: 100, apt: [update] });
  });
});
