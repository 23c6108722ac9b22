#!/usr/bin/env bash
# The main job: installs the dependencies, builds (release), then
#   - with TELEGRAM_BOT_TOKEN set: runs the bot (config: $MEMEGEN_CONFIG, default
#     ./memegen-bot.json if present, else environment variables only);
#   - otherwise: renders every bundled demo meme (data/demo) with a bundled track
#     into out/demo/, and prints what it made and the memory it took.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

[ -f build-release/build.ninja ] ||
  meson setup build-release --buildtype=release -Dtests=false -Dbench=false >/dev/null
meson compile -C build-release -j "$(nproc)"

if [ -n "${TELEGRAM_BOT_TOKEN:-}" ]; then
  bot=build-release/apps/memegen-bot/memegen-bot
  if [ ! -x "$bot" ]; then
    echo "memegen-bot is not part of this build yet; see README (Status)." >&2
    exit 1
  fi
  config=${MEMEGEN_CONFIG:-memegen-bot.json}
  if [ -f "$config" ]; then exec "$bot" --config "$config"; else exec "$bot"; fi
fi

render=build-release/examples/memegen-render/memegen-render
state=out/state
mkdir -p out/demo "$state"
echo "== Resource snapshot of a fresh process"
build-release/examples/memegen-monitor/memegen-monitor
if [ ! -x "$render" ]; then
  echo "memegen-render is not part of this build yet; the three base components:"
  build-release/examples/memegen-guard/memegen-guard --state-dir "$state" --status
  build-release/examples/memegen-state/memegen-state --state-dir "$state" --detect
  exit 0
fi

mapfile -t memes < <(find data/demo/memes -maxdepth 1 -type f | sort)
mapfile -t tracks < <(find data/demo/music -maxdepth 1 -type f | sort)
if ((${#memes[@]} == 0)); then
  echo "no demo memes found in data/demo/memes" >&2
  exit 1
fi
echo "== Rendering ${#memes[@]} demo memes into out/demo/"
i=0
for meme in "${memes[@]}"; do
  name=$(basename "${meme%.*}")
  args=("$meme" -o "out/demo/$name.mp4" --seed "$i" --variant $((i % 5)) --json -q)
  if ((${#tracks[@]})); then args+=(--music "${tracks[$((i % ${#tracks[@]}))]}"); fi
  "$render" "${args[@]}" >"out/demo/$name.json"
  python3 - "out/demo/$name.json" "$name.mp4" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("  %-30s %dx%d %5.1f s %6.2f MB  render %5.2f s  peak RSS %4.0f MB" % (
    sys.argv[2], r["width"], r["height"], r["duration_seconds"], r["size_bytes"] / 1e6,
    r["render_seconds"], r["peak_rss_bytes"] / 2**20))
PY
  i=$((i + 1))
done
echo "Done: out/demo/*.mp4 (thumbnails beside them)."
