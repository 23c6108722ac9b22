#!/usr/bin/env bash
# Regenerates the libmemegen bundled demo pack (data/demo/memes, data/demo/music)
# from FFmpeg lavfi sources only: no downloads, no external media.
#
# Everything is synthesised: pictures from lavfi video sources (mandelbrot,
# gradients, geq, cellauto, life, testsrc2, smptehdbars, color), captions drawn
# with the drawtext filter (DejaVu Sans Bold), sound from aevalsrc expressions.
#
# Output is reproducible as far as practical: bit-exact flags, no metadata
# copied from inputs, fixed seeds, single-threaded encoders. Identical bytes are
# expected for the same FFmpeg/x264/libvpx/libwebp/lame/opus/freetype builds
# (tested with Debian 12's FFmpeg 5.1); other builds give equivalent media.
#
# Usage: data/demo/generate.sh            (from anywhere)
#        FFMPEG=/path/to/ffmpeg FONT=/path/to/DejaVuSans-Bold.ttf data/demo/generate.sh
set -euo pipefail
export LC_ALL=C.UTF-8   # ${#var} must count characters, not bytes (Cyrillic)

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MEMES="$HERE/memes"
MUSIC="$HERE/music"
FFMPEG="${FFMPEG:-ffmpeg}"
FONT="${FONT:-/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf}"

[[ -r "$FONT" ]] || { echo "font not found: $FONT (apt-get install fonts-dejavu-core)" >&2; exit 1; }
filters="$("$FFMPEG" -hide_banner -filters 2>/dev/null)"
[[ "$filters" == *" drawtext "* ]] || { echo "this ffmpeg has no drawtext filter (needs libfreetype)" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$MEMES" "$MUSIC"

# Common flags: quiet, overwrite, deterministic container/codec output.
FF=("$FFMPEG" -hide_banner -nostdin -loglevel error -y)
BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact
          -map_metadata -1 -map_chapters -1 -threads 1)
# H.264 for MP4: small, widely decodable; SEI (x264 version/options banner) stripped.
X264=(-c:v libx264 -preset medium -crf 28 -maxrate 600k -bufsize 1200k -profile:v high -pix_fmt yuv420p
      -bsf:v filter_units=remove_types=6 -movflags +faststart)
AAC=(-c:a aac -b:a 64k -ar 44100 -ac 2)

# ---------------------------------------------------------------------------
# Captions: classic meme style, white DejaVu Sans Bold with a black outline.
# caption W H TOP BOTTOM  -> prints a drawtext filter chain (comma separated).
# '|' inside TOP/BOTTOM forces a line break; every line is centred separately.
# The font size is derived from the longest line so that it fits the width.
n_txt=0
caption() {
  local W=$1 H=$2 top=$3 bottom=$4
  local -a tl bl
  local line maxlen=1 fs bw lh margin i y chain="" f
  IFS='|' read -r -a tl <<<"$top"
  IFS='|' read -r -a bl <<<"$bottom"
  [[ -z "$top" ]] && tl=()
  [[ -z "$bottom" ]] && bl=()
  for line in "${tl[@]}" "${bl[@]}"; do (( ${#line} > maxlen )) && maxlen=${#line}; done
  # DejaVu Sans Bold capitals average ~0.74 em (Cyrillic ~0.80); keep ~4% side margins.
  fs=$(( W * 92 / (maxlen * 80) ))
  (( fs > W / 9 )) && fs=$(( W / 9 ))
  (( fs > H / 9 )) && fs=$(( H / 9 ))
  bw=$(( fs / 12 > 2 ? fs / 12 : 2 ))
  lh=$(( fs * 118 / 100 ))
  margin=$(( H / 28 ))
  add() { # $1 text, $2 y
    n_txt=$((n_txt + 1)); f="$TMP/caption_$n_txt.txt"
    printf '%s' "$1" >"$f"
    chain+="${chain:+,}drawtext=fontfile=$FONT:textfile=$f:expansion=none"
    chain+=":fontsize=$fs:fontcolor=white:borderw=$bw:bordercolor=black"
    chain+=":x=(w-text_w)/2:y=$2"
  }
  i=0
  for line in "${tl[@]}"; do add "$line" $(( margin + i * lh )); i=$((i + 1)); done
  i=${#bl[@]}
  for line in "${bl[@]}"; do add "$line" $(( H - margin - fs - (i - 1) * lh )); i=$((i - 1)); done
  printf '%s' "$chain"
}

say() { printf '  %-34s' "$1"; }
done_() { printf '%8d bytes\n' "$(stat -c %s "$1")"; }

echo "memes -> $MEMES"

# --- 1. Still, PNG, English: Mandelbrot spiral -------------------------------
out="$MEMES/build_passes_first_try.png"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "mandelbrot=s=640x640:start_scale=0.004:maxiter=600:outer=iteration_count:rate=1" \
  -vf "eq=saturation=1.3,$(caption 640 640 'WHEN THE BUILD PASSES' 'ON THE FIRST TRY')" \
  -frames:v 1 "${BITEXACT[@]}" -c:v png -pix_fmt rgb24 -compression_level 9 "$out"
done_ "$out"

# --- 2. Still, JPEG, Russian: green gradient ---------------------------------
out="$MEMES/tests_green.jpg"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "gradients=s=720x540:n=3:c0=0x06250f:c1=0x1f9d55:c2=0x9be564:x0=0:y0=0:x1=720:y1=540:seed=1" \
  -vf "vignette=PI/5,$(caption 720 540 'КОГДА ТЕСТЫ ЗЕЛЁНЫЕ' 'С ПЕРВОГО РАЗА')" \
  -frames:v 1 "${BITEXACT[@]}" -c:v mjpeg -q:v 3 -pix_fmt yuvj420p "$out"
done_ "$out"

# --- 3. Still, WebP, bilingual, portrait: hypnotic rings (geq) ---------------
out="$MEMES/works_on_my_machine.webp"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "color=c=black:s=540x720:r=1" \
  -vf "format=rgb24,geq=r='128+110*sin(hypot(X-W/2,Y-H/2)/9)':g='90+60*sin(hypot(X-W/2,Y-H/2)/9+2)':b='170+80*sin(hypot(X-W/2,Y-H/2)/9+4)',$(caption 540 720 'IT WORKS|ON MY MACHINE' 'А У МЕНЯ|ВСЁ РАБОТАЕТ')" \
  -frames:v 1 "${BITEXACT[@]}" -c:v libwebp -quality 80 -compression_level 6 "$out"
done_ "$out"

# --- 4. Still, JPEG, English: SMPTE bars = "no signal" ----------------------
out="$MEMES/reading_my_own_code.jpg"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "smptehdbars=s=720x404:r=1" \
  -vf "noise=alls=18:all_seed=7,$(caption 720 404 'ME READING MY OWN CODE' 'FROM LAST WEEK')" \
  -frames:v 1 "${BITEXACT[@]}" -c:v mjpeg -q:v 3 -pix_fmt yuvj420p "$out"
done_ "$out"

# --- 5. Still, PNG, Russian: Sierpinski / bit pattern (geq bitand) ----------
out="$MEMES/one_small_fix.png"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "color=c=black:s=640x480:r=1" \
  -vf "format=rgb24,geq=r='if(bitand(X,Y),35,230)':g='if(bitand(X,Y),20,90+X/5)':b='if(bitand(X,Y),60,60+Y/3)',$(caption 640 480 'ОДНА МАЛЕНЬКАЯ ПРАВКА' 'И ВСЁ СЛОМАЛОСЬ')" \
  -frames:v 1 "${BITEXACT[@]}" -c:v png -pix_fmt rgb24 -compression_level 9 "$out"
done_ "$out"

# --- 6. GIF, English: Game of Life, the bugs multiply ------------------------
out="$MEMES/fixed_one_bug.gif"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "life=s=120x120:r=10:seed=42:ratio=0.12:mold=8:life_color=0x7CFC00:death_color=0x101830:mold_color=0xB03060,trim=duration=3" \
  -filter_complex "[0:v]scale=360:360:flags=neighbor,$(caption 360 360 'FIXED ONE BUG' 'GOT TWELVE MORE'),split[a][b];[a]palettegen=max_colors=32:stats_mode=full[p];[b][p]paletteuse=dither=none" \
  "${BITEXACT[@]}" -loop 0 "$out"
done_ "$out"

# --- 7. GIF, Russian: cellular automaton rule 110 scrolling ------------------
out="$MEMES/friday_deploy.gif"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "cellauto=s=160x90:r=10:rule=110:seed=7:ratio=0.5:full=1,trim=duration=2.5" \
  -filter_complex "[0:v]scale=480:270:flags=neighbor,format=rgb24,colorchannelmixer=rr=1:rg=0:rb=0:gr=0.55:gg=0:gb=0:br=0.1:bg=0:bb=0,lutrgb=r='val*0.9+20':g='val+15':b='val+40',$(caption 480 270 'ДЕПЛОЙ В ПЯТНИЦУ' 'ЧТО МОЖЕТ ПОЙТИ НЕ ТАК?'),split[a][b];[a]palettegen=max_colors=16:stats_mode=full[p];[b][p]paletteuse=dither=none" \
  "${BITEXACT[@]}" -loop 0 "$out"
done_ "$out"

# --- 8. Video, MP4, portrait 360x640, 6 s, with audio: Mandelbrot zoom + Shepard tone
# Shepard tone: six octave-spaced sines rising forever under a bell-shaped
# loudness curve - an endlessly rising pitch for an endless recursion.
out="$MEMES/recursion_zoom.mp4"; say "${out##*/}"
shep=""
for k in 0 1 2 3 4 5; do
  p="(t/12+$k/6-floor(t/12+$k/6))"
  shep+="${shep:++}exp(-pow($p-0.5,2)/0.03)*sin(2*PI*40*pow(2,6*$p)*12/(6*log(2)))"
done
"${FF[@]}" -f lavfi -i "mandelbrot=s=360x640:r=25:start_scale=3:end_scale=0.0005:end_pts=150:maxiter=1500:outer=iteration_count,trim=duration=6" \
  -f lavfi -i "aevalsrc=exprs='0.12*($shep)':s=44100:c=mono:d=6" \
  -filter_complex "[0:v]$(caption 360 640 'ME EXPLAINING|RECURSION' 'TO MY|RUBBER DUCK')[v];[1:a]afade=t=in:d=0.3,afade=t=out:st=5.5:d=0.5,aformat=channel_layouts=stereo[a]" \
  -map "[v]" -map "[a]" "${BITEXACT[@]}" "${X264[@]}" "${AAC[@]}" -shortest "$out"
done_ "$out"

# --- 9. Video, MP4, landscape 640x360, 5 s, NO audio: testsrc2 --------------
out="$MEMES/daily_standup.mp4"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "testsrc2=s=640x360:r=25:d=5" \
  -vf "$(caption 640 360 'DAILY STANDUP' 'DAY 47: STILL BLOCKED')" \
  -an "${BITEXACT[@]}" "${X264[@]}" "$out"
done_ "$out"

# --- 10. Video, MP4, square 480x480, 4 s, with audio: glitchy bars + siren ---
out="$MEMES/prod_down_3am.mp4"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "smptehdbars=s=480x480:r=25:d=4" \
  -f lavfi -i "aevalsrc=exprs='0.25*sin(2*PI*(750*t-200/(2*PI*1.25)*cos(2*PI*1.25*t)))':s=44100:c=mono:d=4" \
  -filter_complex "[0:v]hue=H=t*PI/2:s=1.2,noise=alls=12:all_seed=3,$(caption 480 480 'WHEN PROD|GOES DOWN' 'AT 3 AM')[v];[1:a]afade=t=in:d=0.05,afade=t=out:st=3.7:d=0.3,aformat=channel_layouts=stereo[a]" \
  -map "[v]" -map "[a]" "${BITEXACT[@]}" "${X264[@]}" "${AAC[@]}" -shortest "$out"
done_ "$out"

# --- 11. Video, WebM (VP9 + Opus), landscape 480x270, 4 s, with audio: plasma
out="$MEMES/waiting_for_build.webm"; say "${out##*/}"
"${FF[@]}" -f lavfi -i "color=c=black:s=480x270:r=25:d=4" \
  -f lavfi -i "aevalsrc=exprs='0.07*(sin(2*PI*220*t)+sin(2*PI*277.18*t)+sin(2*PI*329.63*t)+0.5*sin(2*PI*440*t))*(0.75+0.25*sin(2*PI*0.5*t))':s=48000:c=mono:d=4" \
  -filter_complex "[0:v]format=rgb24,geq=r='128+120*sin(X/23+T*2.1)':g='128+100*sin((X+Y)/31+T*1.3)':b='150+100*sin(hypot(X-240,Y-135)/17-T*3)',$(caption 480 270 'ЖДУ, ПОКА СОБЕРЁТСЯ' 'WAITING FOR THE BUILD...'),format=yuv420p[v];[1:a]afade=t=in:d=0.5,afade=t=out:st=3.5:d=0.5,aformat=channel_layouts=stereo[a]" \
  -map "[v]" -map "[a]" "${BITEXACT[@]}" -c:v libvpx-vp9 -b:v 0 -crf 40 -row-mt 0 -deadline good -cpu-used 2 \
  -c:a libopus -b:a 48k "$out"
done_ "$out"

# ---------------------------------------------------------------------------
# Music: tiny synth written as one aevalsrc expression per channel.
# song BPM "R0 R1 R2 R3" "Q0 Q1 Q2 Q3" ARPDIV KICK SNARE HAT PAD ARP CHANNEL
#   R*: chord roots (MIDI notes, one chord per bar of 4 beats)
#   Q*: third above the root (4 = major, 3 = minor)
#   ARPDIV: arpeggio notes per beat (1, 2 or 4); others: mix levels (0 = off)
#   CHANNEL: 0 = left, 1 = right (small panning differences)
# Registers: 0 beat, 1 chord, 2 root, 3 third, 4 arp step/frequency,
#            5 arp interval, 6 time in arp note, 7 time in beat, 8 noise seed.
song() {
  local B=$1 R=($2) Q=($3) D=$4 KICK=$5 SNARE=$6 HAT=$7 PAD=$8 ARP=$9 CH=${10}
  local arpl hatl e
  if (( CH == 0 )); then arpl="$ARP*0.8"; hatl="$HAT*1.0"; else arpl="$ARP*1.0"; hatl="$HAT*0.7"; fi
  e="st(0,t*$B/60);"
  e+="st(1,mod(floor(ld(0)/4),4));"
  e+="st(2,if(eq(ld(1),0),${R[0]},if(eq(ld(1),1),${R[1]},if(eq(ld(1),2),${R[2]},${R[3]}))));"
  e+="st(3,if(eq(ld(1),0),${Q[0]},if(eq(ld(1),1),${Q[1]},if(eq(ld(1),2),${Q[2]},${Q[3]}))));"
  e+="st(4,mod(floor(ld(0)*$D),8));"
  # up-and-down arpeggio over two octaves: 0 5th 8ve 10th 12th 10th 8ve 5th
  e+="st(5,if(eq(ld(4),0),0,if(eq(ld(4),1),7,if(eq(ld(4),2),12,if(eq(ld(4),3),12+ld(3),if(eq(ld(4),4),19,if(eq(ld(4),5),12+ld(3),if(eq(ld(4),6),12,7))))))));"
  e+="st(6,(ld(0)*$D-floor(ld(0)*$D))*60/($B*$D));"
  e+="st(7,(ld(0)-floor(ld(0)))*60/$B);"
  e+="st(4,440*pow(2,(ld(2)+12+ld(5)-69)/12));"
  # arpeggio: plucked tone with a few harmonics
  e+="$arpl*(1-exp(-ld(6)*300))*exp(-ld(6)*6)*(sin(2*PI*ld(4)*t)+0.3*sin(4*PI*ld(4)*t)+0.1*sin(6*PI*ld(4)*t))"
  # pad: root, third, fifth swelling over each bar (silent at chord changes)
  e+="+$PAD*sin(PI*(ld(0)/4-floor(ld(0)/4)))*(sin(2*PI*440*pow(2,(ld(2)-57)/12)*t)+sin(2*PI*440*pow(2,(ld(2)+ld(3)-57)/12)*t)+sin(2*PI*440*pow(2,(ld(2)-50)/12)*t))"
  # bass: root two octaves down on every beat
  e+="+0.35*(1-exp(-ld(7)*200))*exp(-ld(7)*3)*(sin(2*PI*440*pow(2,(ld(2)-81)/12)*t)+0.35*sin(4*PI*440*pow(2,(ld(2)-81)/12)*t))"
  # drums enter after the first bar
  e+="+gte(ld(0),4)*("
  e+="$KICK*exp(-ld(7)*12)*sin(2*PI*(48*ld(7)+5*(1-exp(-ld(7)*30))))"
  e+="+$SNARE*eq(mod(floor(ld(0)),2),1)*exp(-ld(7)*18)*(0.6*(2*random(8)-1)+0.4*sin(2*PI*185*ld(7)))"
  e+="+$hatl*eq(mod(floor(ld(0)*2),2),1)*exp(-(ld(0)*2-floor(ld(0)*2))*30*70/$B)*(2*random(8)-1)"
  e+=")"
  printf '%s' "$e"
}

# render FILE DURATION BPM "ROOTS" "THIRDS" DIV KICK SNARE HAT PAD ARP encoder-args...
render() {
  local out=$1 dur=$2; shift 2
  local -a sargs=("${@:1:9}"); shift 9
  local L R
  L=$(song "${sargs[@]}" 0); R=$(song "${sargs[@]}" 1)
  say "${out##*/}"
  "${FF[@]}" -f lavfi -i "aevalsrc=exprs='0.5*($L)|0.5*($R)':s=44100:c=stereo:d=$dur" \
    -af "afade=t=in:d=0.2,afade=t=out:st=$(( dur - 2 )):d=2,alimiter=limit=0.9:level=0:attack=5:release=50" \
    "${BITEXACT[@]}" "$@" "$out"
  done_ "$out"
}

echo "music -> $MUSIC"
#            BPM  roots            thirds    div kick snare hat  pad   arp
render "$MUSIC/green_build_groove.m4a" 20 \
  110 "48 43 45 41" "4 4 3 4" 2 0.9 0.45 0.12 0.05 0.22 \
  -c:a aac -b:a 96k -ar 44100 \
  -metadata title="Green Build Groove" -metadata artist="The Semicolons" \
  -metadata album="libmemegen demo pack" -metadata copyright="CC0-1.0"
render "$MUSIC/merge_conflict_lullaby.m4a" 24 \
  76 "45 41 48 43" "3 4 4 4" 2 0 0 0 0.09 0.25 \
  -c:a aac -b:a 80k -ar 44100 \
  -metadata title="Merge Conflict Lullaby" -metadata artist="Null Pointer Orchestra" \
  -metadata album="libmemegen demo pack" -metadata copyright="CC0-1.0"
render "$MUSIC/friday_deploy.mp3" 20 \
  128 "50 46 53 48" "3 4 4 4" 4 1.0 0.5 0.15 0.04 0.16 \
  -c:a libmp3lame -b:a 96k -ar 44100 -write_xing 1 -id3v2_version 3 \
  -metadata title="Friday Deploy" -metadata artist="Segfault & Friends" \
  -metadata album="libmemegen demo pack" -metadata copyright="CC0-1.0"
render "$MUSIC/refactoring_at_dawn.opus" 22 \
  96 "53 45 50 48" "4 3 3 4" 2 0.7 0 0.08 0.07 0.2 \
  -c:a libopus -b:a 64k -ar 48000 \
  -metadata title="Рефакторинг на рассвете (Refactoring at Dawn)" -metadata artist="Бит чётности (Parity Bit)" \
  -metadata album="libmemegen demo pack" -metadata copyright="CC0-1.0"

echo "total: $(du -cb "$MEMES"/* "$MUSIC"/* | tail -1 | cut -f1) bytes"
