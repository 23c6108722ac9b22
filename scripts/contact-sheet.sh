#!/usr/bin/env bash
# Renders the bundled demo pack as scripts/run.sh does (seed i, variant group i mod 5, a bundled
# track) and writes docs/demo-contact-sheet.jpg: one frame of each video at 40 % of its length,
# labelled with the meme's name and the effects it got (and what its text ruled out). People
# judge videos by looking: open the sheet after any change to the renderer.
#
# usage: scripts/contact-sheet.sh [OUT.jpg]    (MEMEGEN_RENDER=path/to/memegen-render to use
#                                               another build; default: scripts/run.sh's)
set -euo pipefail
cd "$(dirname "$0")/.."
sheet=${1:-docs/demo-contact-sheet.jpg}
if [ -z "${MEMEGEN_RENDER:-}" ]; then
  env -u TELEGRAM_BOT_TOKEN scripts/run.sh >/dev/null
  MEMEGEN_RENDER=build-release/examples/memegen-render/memegen-render
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mapfile -t memes < <(find data/demo/memes -maxdepth 1 -type f | sort)
mapfile -t tracks < <(find data/demo/music -maxdepth 1 -type f | sort)
font=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf
i=0
for meme in "${memes[@]}"; do
  name=$(basename "${meme%.*}")
  "$MEMEGEN_RENDER" "$meme" -o "$work/$name.mp4" --seed "$i" --variant $((i % 5)) -q --json \
    --music "${tracks[$((i % ${#tracks[@]}))]}" >"$work/$name.json"
  python3 - "$work/$name.json" "$name" "$i" >"$work/label.txt" <<'PY'
import json, sys, textwrap
r = json.load(open(sys.argv[1]))
effects = ", ".join(r["effects"]) or "no effects"
lines = textwrap.wrap(f"g{int(sys.argv[3]) % 5}: {effects}", 27)
kept = [n.split(":")[0] for n in r["effect_notes"] if n.startswith("mirror")]
text = f"text lines: {len(r['text_layout']['boxes'])}" + ("; mirror kept off" if kept else "")
print("\n".join([sys.argv[2][:28]] + lines[:2] + [text]))
PY
  at=$(python3 -c "import json; print(json.load(open('$work/$name.json'))['duration_seconds'] * 0.4)")
  ffmpeg -nostdin -hide_banner -loglevel error -y -ss "$at" -i "$work/$name.mp4" -frames:v 1 \
    -vf "scale=270:480,pad=270:560:0:0:black,drawtext=fontfile=$font:textfile=$work/label.txt:x=6:y=486:fontsize=15:fontcolor=white:line_spacing=4" \
    "$work/tile-$(printf %02d "$i").png"
  i=$((i + 1))
done
columns=$(( (i + 1) / 2 ))
mkdir -p "$(dirname "$sheet")"
ffmpeg -nostdin -hide_banner -loglevel error -y -framerate 1 -i "$work/tile-%02d.png" \
  -vf "tile=${columns}x2:padding=4:color=0x202020" -frames:v 1 -q:v 4 "$sheet"
echo "contact sheet: $sheet ($i videos)"
