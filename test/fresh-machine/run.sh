#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12: makes a new root with debootstrap, copies in only
# Node, npm and this machine's CA certificates (git comes from Debian itself), clones the project there and
# runs, in a chroot, `npm ci && npm start` until /api/health answers ok and the console answers (then stops
# it), then `npm test`. Prints the time of each step. Run by hand, as root, on a Debian/Ubuntu host (not by
# npm test): about 15-25 minutes and both cores, so
#
#   nice -n 15 test/fresh-machine/run.sh [commit-or-branch]     (default: HEAD of the repo it runs from)
#
# Environment: FRESH_ROOT_PARENT (where the root is made, default /var/tmp), KEEP_ROOT=1 (keep the root for a
# look afterwards; its binds are unmounted all the same), PORT/PG_PORT/S3_PORT/COGNITO_PORT for `npm start`
# (its defaults otherwise: the chroot shares this machine's network, so pick free ones on a shared machine).
set -euo pipefail

repo=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
revision=${1:-HEAD}
commit=$(git -C "$repo" rev-parse --verify "$revision^{commit}")
say() { echo "[fresh-machine] $*" >&2; }
if [[ $(id -u) -ne 0 ]]; then
  say "run as root: debootstrap, chroot and the bind mounts need it."
  exit 1
fi

timings=()
step_started=0
start_step() {
  step_started=$(date +%s)
  say "== $1"
}
end_step() {
  local seconds=$(($(date +%s) - step_started))
  timings+=("$(printf '%-44s %5d s' "$1" "$seconds")")
  say "== $1: ${seconds} s"
}

if ! command -v debootstrap >/dev/null 2>&1; then
  start_step "apt-get install debootstrap (host)"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
  end_step "apt-get install debootstrap (host)"
fi

parent=${FRESH_ROOT_PARENT:-/var/tmp}
root=$(mktemp -d "$parent/idrl-fresh-XXXXXX")
# mktemp makes it 0700: the postgres user the stack creates could not even run /bin/sh in it.
chmod 755 "$root"
logs=$(mktemp -d "$parent/idrl-fresh-logs-XXXXXX")
mounted=()
stack_pid=''

cleanup() {
  local status=$?
  if [[ -n "$stack_pid" ]] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -TERM -- "-$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
  fi
  # Unmount in reverse order, then check: a recursive delete through a live bind of /dev would delete
  # this machine's own device nodes.
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
  done
  if grep -q " $root/" /proc/mounts; then
    say "something is still mounted under $root: not deleting it (see /proc/mounts)."
  elif [[ "${KEEP_ROOT:-}" == 1 ]]; then
    say "kept $root (KEEP_ROOT=1)."
  else
    rm -rf --one-file-system "$root"
  fi
  say "logs: $logs"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The host's own Debian mirror and suites (bookworm, -updates, -security) are the fresh root's too.
mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
mirror=${mirror:-http://deb.debian.org/debian}

start_step "debootstrap bookworm (git, ca-certificates)"
debootstrap --include=git,ca-certificates bookworm "$root" "$mirror" >"$logs/debootstrap.log" 2>&1 ||
  {
    tail -n 30 "$logs/debootstrap.log" >&2
    exit 1
  }
end_step "debootstrap bookworm (git, ca-certificates)"

start_step "copy in Node, npm, CA certificates; clone"
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  rm -f "$root/etc/apt/sources.list"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The registries are reached through this machine's extra CAs: without them npm ci fails with
# SELF_SIGNED_CERT_IN_CHAIN.
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
# Debian 12 ships Node 18: the newcomer is assumed to have this machine's Node (>= 20) and npm.
cp "$(readlink -f "$(command -v node)")" "$root/usr/local/bin/node"
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
git clone -q --no-local "$repo" "$root/root/idrl"
git -C "$root/root/idrl" -c advice.detachedHead=false checkout -q "$commit"
end_step "copy in Node, npm, CA certificates; clone"
say "commit $(git -C "$root/root/idrl" log -1 --format='%h %s')"

for target in proc sys dev dev/pts; do
  mount --bind "/$target" "$root/$target"
  mounted+=("$root/$target")
done

# A clean environment, as a new shell on that machine would have (plus the CA bundle for Node and curl).
in_root() {
  chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    ${PORT:+PORT=$PORT} ${PG_PORT:+PG_PORT=$PG_PORT} ${S3_PORT:+S3_PORT=$S3_PORT} \
    ${COGNITO_PORT:+COGNITO_PORT=$COGNITO_PORT} \
    /bin/bash -c "cd /root/idrl && $1"
}

start_step "npm ci"
in_root 'npm ci' >"$logs/npm-ci.log" 2>&1 || {
  tail -n 30 "$logs/npm-ci.log" >&2
  exit 1
}
end_step "npm ci"

port=${PORT:-3000}
start_step "npm start until healthy (first start: OS packages, ffmpeg build)"
setsid bash -c "$(declare -f in_root); root='$root'; in_root 'npm start'" >"$logs/npm-start.log" 2>&1 &
stack_pid=$!
healthy=false
for _ in $(seq 1 1800); do
  if ! kill -0 "$stack_pid" 2>/dev/null; then break; fi
  if curl -sf "http://127.0.0.1:$port/api/health" 2>/dev/null | grep -q '"status":"ok"' &&
    curl -sf "http://127.0.0.1:$port/" 2>/dev/null | grep -qi '<html'; then
    healthy=true
    break
  fi
  sleep 1
done
if [[ "$healthy" != true ]]; then
  tail -n 40 "$logs/npm-start.log" >&2
  say "npm start did not become healthy."
  exit 1
fi
end_step "npm start until healthy (first start: OS packages, ffmpeg build)"
grep -E '^  (ffmpeg|Console|API) ' "$logs/npm-start.log" >&2 || true

# Ctrl-C's path, once: SIGINT to tsx (found in this run's own session), which hands it to the stack's
# process; a signal to the whole group would reach the stack twice (also through npm), which means "force".
tsx_pid=$(pgrep -o -s "$stack_pid" -f 'node_modules/\.bin/tsx infra/local/main\.ts' || true)
kill -INT "${tsx_pid:-$stack_pid}"
stop_status=0
wait "$stack_pid" || stop_status=$?
stack_pid=''
say "npm start stopped (exit $stop_status)"

start_step "npm test"
test_status=0
in_root 'npm test' >"$logs/npm-test.log" 2>&1 || test_status=$?
end_step "npm test"
grep -E 'Test Files|Tests ' "$logs/npm-test.log" | tail -n 2 >&2 || true
if ((test_status != 0)); then tail -n 60 "$logs/npm-test.log" >&2; fi

say "timings (commit ${commit:0:7}, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)):"
printf '  %s\n' "${timings[@]}" >&2
if ((stop_status != 0 || test_status != 0)); then exit 1; fi
say "passed: npm ci && npm start, then npm test, on a fresh Debian 12."
