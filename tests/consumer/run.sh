#!/usr/bin/env bash
# Builds tests/consumer/consumer.cpp the three ways another program takes libmemegen and
# runs each result:
#   1. pkg-config after `meson install` (shared library);
#   2. the static libmemegen.a after install (the binary must not need libmemegen.so);
#   3. as a Meson subproject (dependency('libmemegen') through override_dependency).
# Usage: tests/consumer/run.sh BUILD_DIR   (a configured, compiled build of this checkout)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$1" && pwd)
work=$build/consumers
rm -rf "$work"
mkdir -p "$work"
flags=(-std=c++20 -Wall -Wextra -Wpedantic -Werror)

echo "-- install into a staging root"
dest=$work/install-root
meson install -C "$build" --destdir "$dest" --quiet
pcdir=$(dirname "$(find "$dest" -name libmemegen.pc | head -n 1)")
libdir=$(dirname "$(find "$dest" -name 'libmemegen.so.0' | head -n 1)")
[ -f "$libdir/libmemegen.a" ] || { echo "libmemegen.a was not installed" >&2; exit 1; }

export PKG_CONFIG_SYSROOT_DIR="$dest" PKG_CONFIG_PATH="$pcdir"
echo "-- 1. pkg-config, shared"
# shellcheck disable=SC2046  # pkg-config's flags are meant to be split
c++ "${flags[@]}" "$repo/tests/consumer/consumer.cpp" -o "$work/consumer-shared" \
  $(pkg-config --cflags --libs libmemegen)
LD_LIBRARY_PATH="$libdir" "$work/consumer-shared"

echo "-- 2. static libmemegen.a, system FFmpeg shared"
# Debian ships FFmpeg's libraries shared only (a fully static FFmpeg needs every codec's
# archive), so the usual static use is libmemegen.a plus the shared libraries that
# libmemegen.pc lists as Requires.private. -l:libmemegen.a picks the archive over the .so.
private=$(pkg-config --print-requires-private libmemegen | cut -d' ' -f1 | tr '\n' ' ')
# The same line as README's "Installing and linking".
# shellcheck disable=SC2046,SC2086
c++ "${flags[@]}" "$repo/tests/consumer/consumer.cpp" -o "$work/consumer-static" \
  $(pkg-config --cflags --libs-only-L libmemegen) -l:libmemegen.a -pthread \
  $(pkg-config --libs fmt $private)
if readelf -d "$work/consumer-static" | grep -q 'libmemegen'; then
  echo "consumer-static still needs libmemegen.so" >&2
  exit 1
fi
"$work/consumer-static"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH

echo "-- 3. Meson subproject"
project=$work/subproject
mkdir -p "$project/subprojects"
cp "$repo/tests/consumer/subproject/meson.build" "$repo/tests/consumer/consumer.cpp" "$project/"
ln -s "$repo" "$project/subprojects/libmemegen"
# -O0: this step proves the build wiring, not speed; it halves its compile time.
meson setup "$project/build" "$project" -Ddebug=false -Doptimization=0 >/dev/null
meson compile -C "$project/build" >/dev/null
meson test -C "$project/build" --print-errorlogs
