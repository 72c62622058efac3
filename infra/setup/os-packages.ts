/**
 * First-use setup of the OS packages the project needs, so that a fresh Debian or Ubuntu machine with
 * Node, npm and git needs nothing but `npm ci && npm start` and `npm test` (docs/local-stack.md, "Setup").
 * `npm start` and the ffmpeg build (`npm start`, `cdk synth`, the tests' setups) ensure what the build
 * needs; `npm test` and `npm run bench` run this file first, for the build's packages and the tests' own.
 *
 * Decided here, executed by one privileged command: as root, or through `sudo -n` (never a password
 * prompt), apt installs what is missing after at most one `apt-get update`, non-interactively, under
 * `flock` so two starts never run apt at once. Otherwise the command stops with one line saying what to
 * run as root; `IDRL_NO_OS_INSTALL=1` never installs (it stops the same way when something is missing).
 * A system without apt gets a notice and goes on: its manual route is in docs/local-stack.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdrlError } from '#core/errors';
import { fromRoot } from '#infra/paths';
import { type CommandRunner, runCommand } from './command-runner';

/** What the one-time ffmpeg build needs (layers/ffmpeg/build.sh). */
export const FFMPEG_BUILD_PACKAGES: readonly string[] = [
  'build-essential',
  'nasm',
  'pkg-config',
  'libx264-dev', // libx264.a, linked in statically
  'zlib1g-dev', // libz.a, for the PNG decoder (the logo card)
  'dpkg-dev', // dpkg-source: unpacks the source package, checking it against its .dsc
  'xz-utils',
  // The deb-src entry's Signed-By keyring: part of every Debian, a package of its own on Ubuntu.
  'debian-archive-keyring',
];

/** What only the tests (and the bench) need on top of the build's packages. */
export const TEST_PACKAGES: readonly string[] = [
  'chromium', // the browser tests (test/helpers/browser.ts)
  'python3-botocore', // its MediaConvert service model checks the MediaConvert job (test/helpers/service-model.ts)
  'ffmpeg', // Debian's full build makes the test media (test/support/media-tools.ts)
  'curl', // the walkthrough `npm start` prints is run as printed (test/e2e/walkthrough.test.ts)
];

/** The deb-src entry `apt-get source ffmpeg` needs (layers/ffmpeg/README.md). */
export const FFMPEG_SOURCES_ENTRY = {
  file: fromRoot('layers/ffmpeg/idrl-ffmpeg-src.sources'),
  target: '/etc/apt/sources.list.d/idrl-ffmpeg-src.sources',
} as const;

export const OPT_OUT_VARIABLE = 'IDRL_NO_OS_INSTALL';

/** In /run (root's, mode 755): no other user can plant a file or a link at the lock's path. */
const LOCK_FILE = '/run/idrl-os-setup.lock';

/** apt waits for another apt or unattended-upgrades (its own dpkg lock) instead of failing at once. */
const APT_WAIT = '-o DPkg::Lock::Timeout=600';

/** The entry's Signed-By (layers/ffmpeg/idrl-ffmpeg-src.sources). */
const DEBIAN_KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/**
 * The privileged half, run as root under the lock. Arguments: the entry's keyring, the entry file to
 * install ('' when the installed one is current), its target, then the packages to install. One update,
 * always: the entry's lists and a fresh machine's install both need it. Only where the entry's keyring is
 * not yet there (Ubuntu) does the keyring come first, with an update of its own: an entry whose key is
 * missing fails the update.
 */
export const PRIVILEGED_SCRIPT = `set -eu
export DEBIAN_FRONTEND=noninteractive
keyring=$1 entry=$2 target=$3
shift 3
if [ -n "$entry" ] && [ ! -e "$keyring" ]; then
  apt-get -q ${APT_WAIT} update
  apt-get -q -y ${APT_WAIT} install --no-install-recommends debian-archive-keyring
fi
if [ -n "$entry" ]; then install -m 644 "$entry" "$target"; fi
apt-get -q ${APT_WAIT} update
if [ "$#" -gt 0 ]; then apt-get -q -y ${APT_WAIT} install --no-install-recommends "$@"; fi`;

/** What the setup found out about this machine. */
export interface OsFacts {
  optedOut: boolean;
  /** apt-get and dpkg-query are there: a Debian-family system. */
  hasApt: boolean;
  isRoot: boolean;
  /** `sudo -n` works (asked only when something must be installed by a user who is not root). */
  canSudo: boolean;
  missingPackages: string[];
  /** /etc/apt/sources.list.d holds the project's deb-src entry, as the project has it. */
  sourcesEntryCurrent: boolean;
  /** apt's lists know the ffmpeg source package (the entry's lists were fetched). */
  ffmpegSourceListed: boolean;
}

export type OsSetupPlan =
  | { action: 'none' }
  /** Carry on, after the message (a system without apt: nothing can be checked). */
  | { action: 'notice'; message: string }
  /** Stop with this one line. */
  | { action: 'stop'; message: string }
  | { action: 'install'; as: 'root' | 'sudo'; argv: string[]; summary: string; manual: string };

export class OsSetupError extends IdrlError {}

/** The line a root user can paste: what the privileged script would do, for exactly what is missing. */
function manualCommand(facts: OsFacts): string {
  return [
    ...(facts.sourcesEntryCurrent ? [] : [`cp ${FFMPEG_SOURCES_ENTRY.file} ${FFMPEG_SOURCES_ENTRY.target}`]),
    'apt-get update',
    ...(facts.missingPackages.length > 0
      ? [`apt-get install -y --no-install-recommends ${facts.missingPackages.join(' ')}`]
      : []),
  ].join(' && ');
}

/** The decision alone: `purpose` names the command in what is printed (`npm start`, `npm test`, …). */
export function planOsSetup(purpose: string, facts: OsFacts): OsSetupPlan {
  if (!facts.hasApt) {
    return facts.optedOut
      ? { action: 'none' }
      : {
          action: 'notice',
          message: `[setup] ${purpose}: no apt on this system, so its OS packages are not checked: install them as docs/local-stack.md ("Other systems") lists.`,
        };
  }
  const work = facts.missingPackages.length > 0 || !facts.sourcesEntryCurrent || !facts.ffmpegSourceListed;
  if (!work) return { action: 'none' };
  const manual = manualCommand(facts);
  if (facts.optedOut)
    return {
      action: 'stop',
      message: `${purpose} needs OS packages that are missing, and ${OPT_OUT_VARIABLE}=1 forbids installing them: run as root \`${manual}\`, then try again.`,
    };
  if (!facts.isRoot && !facts.canSudo)
    return {
      action: 'stop',
      message: `${purpose} needs OS packages that are missing, and this user is neither root nor allowed passwordless sudo: run as root \`${manual}\`, then try again.`,
    };
  const as = facts.isRoot ? 'root' : 'sudo';
  const what = [
    ...(facts.sourcesEntryCurrent ? [] : [`the deb-src entry ${FFMPEG_SOURCES_ENTRY.target}`]),
    ...(facts.missingPackages.length > 0 ? facts.missingPackages : ['apt lists with the ffmpeg source']),
  ];
  return {
    action: 'install',
    as,
    argv: [
      ...(as === 'sudo' ? ['sudo', '-n'] : []),
      'flock',
      LOCK_FILE,
      'sh',
      '-c',
      PRIVILEGED_SCRIPT,
      'idrl-os-setup',
      DEBIAN_KEYRING,
      facts.sourcesEntryCurrent ? '' : FFMPEG_SOURCES_ENTRY.file,
      FFMPEG_SOURCES_ENTRY.target,
      ...facts.missingPackages,
    ],
    summary: `[setup] ${purpose}: installing with apt ${as === 'root' ? 'as root' : 'through sudo -n'}, once for this machine (${OPT_OUT_VARIABLE}=1 opts out): ${what.join(', ')}`,
    manual,
  };
}

/** The machine, as the setup sees it: every OS command goes through `run`. */
export interface OsSystem {
  run: CommandRunner;
  readText(file: string): string | undefined;
  isRoot: boolean;
  env: NodeJS.ProcessEnv;
  log(line: string): void;
}

function installedPackages(system: OsSystem, packages: readonly string[]): Set<string> {
  // Unknown names make dpkg-query exit 1 but it still prints the known ones; `ii` = installed and configured.
  const { stdout } = system.run('dpkg-query', [
    '-W',
    '--showformat=${Package} ${db:Status-Abbrev}\n',
    ...packages,
  ]);
  return new Set(
    stdout
      .split('\n')
      .map((line) => /^(\S+) ii/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined),
  );
}

export function gatherOsFacts(packages: readonly string[], system: OsSystem): OsFacts {
  const optedOut = system.env[OPT_OUT_VARIABLE] === '1';
  const hasApt =
    system.run('apt-get', ['--version']).status === 0 && system.run('dpkg-query', ['--version']).status === 0;
  const facts: OsFacts = {
    optedOut,
    hasApt,
    isRoot: system.isRoot,
    canSudo: false,
    missingPackages: [],
    sourcesEntryCurrent: false,
    ffmpegSourceListed: false,
  };
  if (!hasApt) return facts;
  const installed = installedPackages(system, packages);
  facts.missingPackages = [...new Set(packages)].filter((name) => !installed.has(name));
  const entry = system.readText(FFMPEG_SOURCES_ENTRY.target);
  facts.sourcesEntryCurrent = entry !== undefined && entry === system.readText(FFMPEG_SOURCES_ENTRY.file);
  // apt-cache exits 0 for an unknown source package too: only a record says it is listed.
  facts.ffmpegSourceListed = /^Version: /m.test(
    system.run('apt-cache', ['showsrc', '--only-source', 'ffmpeg']).stdout,
  );
  const work = facts.missingPackages.length > 0 || !facts.sourcesEntryCurrent || !facts.ffmpegSourceListed;
  // Asked only when it matters: a refused `sudo -n` is logged by sudo on every call.
  if (work && !optedOut && !system.isRoot) facts.canSudo = system.run('sudo', ['-n', 'true']).status === 0;
  return facts;
}

export function hostSystem(): OsSystem {
  return {
    run: runCommand,
    readText: (file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    },
    isRoot: process.getuid?.() === 0,
    env: process.env,
    log: (line) => process.stderr.write(`${line}\n`),
  };
}

/** Installs what `packages` (and the ffmpeg deb-src entry) lack, or throws OsSetupError with the one line to print. */
export function ensureOsPackages(
  purpose: string,
  packages: readonly string[],
  system: OsSystem = hostSystem(),
): void {
  const plan = planOsSetup(purpose, gatherOsFacts(packages, system));
  switch (plan.action) {
    case 'none':
      return;
    case 'notice':
      system.log(plan.message);
      return;
    case 'stop':
      throw new OsSetupError(plan.message);
    case 'install': {
      system.log(plan.summary);
      const [command = '', ...args] = plan.argv;
      const { status } = system.run(command, args, 'stream');
      if (status !== 0)
        throw new OsSetupError(
          `${purpose}: installing the OS packages failed (exit ${String(status)}, output above): run as root \`${plan.manual}\`, then try again.`,
        );
      const after = planOsSetup(purpose, gatherOsFacts(packages, system));
      if (after.action !== 'none')
        throw new OsSetupError(
          `${purpose}: apt finished but the setup is still incomplete: run as root \`${plan.manual}\` and read apt's messages.`,
        );
      system.log(`[setup] ${purpose}: OS packages installed.`);
    }
  }
}

// `tsx infra/setup/os-packages.ts '<purpose>'`: the build's and the tests' packages (npm test, npm run bench).
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const purpose = process.argv[2] ?? 'npm test';
  try {
    ensureOsPackages(purpose, [...FFMPEG_BUILD_PACKAGES, ...TEST_PACKAGES]);
  } catch (error) {
    if (!(error instanceof OsSetupError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
