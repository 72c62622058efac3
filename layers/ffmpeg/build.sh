#!/usr/bin/env bash
# Builds the static ffmpeg/ffprobe into $FFMPEG_OUT_DIR. Called by ffmpeg-build.ts (which chooses the
# Debian source version, holds the configure flags, and runs this under flock so concurrent callers build
# once); not meant to be run by hand: `npx tsx layers/ffmpeg/ffmpeg-build.ts` is.
#
# Inputs (environment): FFMPEG_DEBIAN_VERSION (the newest revision apt's lists offer, the one expected),
# FFMPEG_CONFIGURE_FLAGS (one flag per line), FFMPEG_OUT_DIR, FFMPEG_WORK_DIR.
set -euo pipefail

if [[ -x "$FFMPEG_OUT_DIR/bin/ffmpeg" && -x "$FFMPEG_OUT_DIR/bin/ffprobe" ]]; then
  exit 0 # another caller built it while this one waited for the lock
fi

say() { echo "[ffmpeg build] $*" >&2; }
missing=()
for tool in apt-get dpkg-source gcc make nasm pkg-config xz; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
for lib in /usr/lib/x86_64-linux-gnu/libx264.a /usr/lib/x86_64-linux-gnu/libz.a; do
  [[ -f "$lib" ]] || missing+=("$lib")
done
if ((${#missing[@]} > 0)); then
  # npm start and npm test install these on apt systems (infra/setup/os-packages.ts); elsewhere, by hand.
  say "missing: ${missing[*]}. See docs/local-stack.md (\"Setup\", \"Other systems\")."
  exit 1
fi

rm -rf "$FFMPEG_WORK_DIR"
mkdir -p "$FFMPEG_WORK_DIR"
# apt's _apt user downloads into this directory (without read access it falls back to root, with a warning).
chmod 755 "$FFMPEG_WORK_DIR"
cd "$FFMPEG_WORK_DIR"

say "fetching Debian source ffmpeg (expected: $FFMPEG_DEBIAN_VERSION, about 10 MB)"
# No version: apt takes the newest revision its lists offer. It checks each file against the hashes in
# the Sources index, whose own hash is in the Release file that apt verified against Debian's archive key
# (Signed-By of the deb-src entry) at apt-get update: apt-secure(8).
if ! apt-get source --download-only ffmpeg >apt-source.log 2>&1; then
  cat apt-source.log >&2
  say "apt-get source failed: it needs the deb-src entry /etc/apt/sources.list.d/idrl-ffmpeg-src.sources"
  say "(npm start and npm test install it) and reachable Debian mirrors."
  exit 1
fi
dsc=(ffmpeg_*.dsc)
# The lists may have changed since ffmpeg-build.ts read them (an apt-get update in between): the version
# fetched must be the one the cache key, the layer and the banner name.
fetched=$(sed -n 's/^Version: //p' "${dsc[0]}")
if [[ "$fetched" != "$FFMPEG_DEBIAN_VERSION" ]]; then
  say "apt fetched ffmpeg $fetched, not $FFMPEG_DEBIAN_VERSION: the apt lists changed during the build; run it again."
  exit 1
fi
# dpkg-source checks every file against the checksums in the .dsc and applies Debian's patches.
if ! dpkg-source -x "${dsc[0]}" source >dpkg-source.log 2>&1; then
  cat dpkg-source.log >&2
  exit 1
fi

cd source
mapfile -t flags <<<"$FFMPEG_CONFIGURE_FLAGS"
say "configure (about 30 s)"
if ! nice -n 10 ./configure --prefix="$FFMPEG_WORK_DIR/install" "${flags[@]}" >../configure.log 2>&1; then
  tail -n 30 ../configure.log >&2
  tail -n 30 ffbuild/config.log >&2
  exit 1
fi
objects=$(make -n 2>/dev/null | grep -c -E -- '-o [^ ]+\.o( |$)' || true)
jobs=$(nproc)
say "make -j$jobs at low priority: $objects files, about 4 minutes on 2 cores (log: $FFMPEG_WORK_DIR/make.log)"
nice -n 10 make -j"$jobs" V=1 2>&1 | tee ../make.log | awk -v total="$objects" '
  /-o [^ ]+\.o( |$)/ { done++; if (done % 100 == 0) printf("[ffmpeg build] compiled %d of ~%d files\n", done, total) > "/dev/stderr" }'
make install >../install.log 2>&1

staged="$FFMPEG_OUT_DIR.partial-$$"
rm -rf "$staged"
mkdir -p "$staged/bin"
for binary in ffmpeg ffprobe; do
  strip -o "$staged/bin/$binary" "$FFMPEG_WORK_DIR/install/bin/$binary"
  chmod 755 "$staged/bin/$binary"
done
"$staged/bin/ffmpeg" -hide_banner -version | head -n 1 >&2
# A rename is atomic: a reader sees no directory or a complete one, never a half-copied binary.
mv -T "$staged" "$FFMPEG_OUT_DIR"
cd /
rm -rf "$FFMPEG_WORK_DIR"
say "done: $FFMPEG_OUT_DIR/bin"
