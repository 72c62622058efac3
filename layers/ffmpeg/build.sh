#!/usr/bin/env bash
# Builds the pinned static ffmpeg/ffprobe into $FFMPEG_OUT_DIR. Called by ffmpeg-build.ts (which holds
# the pins and the configure flags, and runs this under flock so concurrent callers build once); not
# meant to be run by hand: `npx tsx layers/ffmpeg/ffmpeg-build.ts` is.
#
# Inputs (environment): FFMPEG_DEBIAN_VERSION, FFMPEG_UPSTREAM_VERSION, FFMPEG_ORIG_SHA256,
# FFMPEG_CONFIGURE_FLAGS (one flag per line), FFMPEG_OUT_DIR, FFMPEG_WORK_DIR.
set -euo pipefail

if [[ -x "$FFMPEG_OUT_DIR/bin/ffmpeg" && -x "$FFMPEG_OUT_DIR/bin/ffprobe" ]]; then
  exit 0 # another caller built it while this one waited for the lock
fi

say() { echo "[ffmpeg build] $*" >&2; }
missing=()
for tool in apt-get dpkg-source gcc make nasm pkg-config xz sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
for lib in /usr/lib/x86_64-linux-gnu/libx264.a /usr/lib/x86_64-linux-gnu/libz.a; do
  [[ -f "$lib" ]] || missing+=("$lib")
done
if ((${#missing[@]} > 0)); then
  say "missing: ${missing[*]}. Install the OS packages listed in the README (Quick start):"
  say "  apt-get install -y build-essential nasm pkg-config libx264-dev zlib1g-dev dpkg-dev xz-utils"
  exit 1
fi

rm -rf "$FFMPEG_WORK_DIR"
mkdir -p "$FFMPEG_WORK_DIR"
# apt's _apt user downloads into this directory (without read access it falls back to root, with a warning).
chmod 755 "$FFMPEG_WORK_DIR"
cd "$FFMPEG_WORK_DIR"

say "fetching Debian source ffmpeg=$FFMPEG_DEBIAN_VERSION (about 10 MB)"
if ! apt-get source --download-only "ffmpeg=$FFMPEG_DEBIAN_VERSION" >apt-source.log 2>&1; then
  cat apt-source.log >&2
  say "apt-get source failed. It needs a deb-src entry for bookworm-security (README, Quick start):"
  say "  /etc/apt/sources.list.d/idrl-ffmpeg-src.sources, then apt-get update."
  say "If the entry exists, Debian has replaced $FFMPEG_DEBIAN_VERSION with a newer security release:"
  say "bump the pins in layers/ffmpeg/ffmpeg-build.ts (docs/worker.md, \"Bumping ffmpeg\")."
  exit 1
fi

orig="ffmpeg_${FFMPEG_UPSTREAM_VERSION}.orig.tar.xz"
# The pinned hash: the same bytes on every machine, whatever the mirror serves.
echo "$FFMPEG_ORIG_SHA256  $orig" | sha256sum --check --strict --quiet
dsc=(ffmpeg_*.dsc)
# dpkg-source checks every file against the checksums in the .dsc (whose own hash apt verified against
# the signed Sources index) and applies Debian's patches.
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
