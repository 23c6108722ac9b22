#!/usr/bin/env bash
# Installs what libmemegen needs to build, test and run, from Debian 12's packages.
# Idempotent: apt is asked only for what is missing. Run as root (or with sudo).
set -euo pipefail

packages=(
  meson ninja-build pkg-config g++ cmake
  libavcodec-dev libavformat-dev libavfilter-dev libavutil-dev libswscale-dev libswresample-dev
  libcpp-httplib-dev libssl-dev nlohmann-json3-dev libfmt-dev doctest-dev
  libfreetype-dev libharfbuzz-dev fonts-dejavu-core
  # Captions that mix right-to-left and left-to-right text: the Unicode bidi algorithm.
  libfribidi-dev
  # Captions in any script: colour emoji (CBDT bitmaps) and CJK (WenQuanYi Micro Hei, 5 MB;
  # fonts-noto-cjk would be 91 MB).
  fonts-noto-color-emoji fonts-wqy-microhei
  # Where text is in a meme (Tesseract's layout analysis) and the tests' eye (tesseract CLI).
  libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-eng tesseract-ocr-rus
  # Huge or 16-bit PNGs decoded row by row and reduced on the way (bounded memory).
  libpng-dev
  # Command-line options for every CLI (conventional --help, numbers range-checked): CLI11.
  libcli11-dev
  # Time zones without setting TZ for the whole process: Howard Hinnant's date/tz (libdate-tz).
  libhowardhinnant-date-dev
  # CI checks that every source file is formatted as .clang-format says.
  clang-format
  ffmpeg ca-certificates tzdata openssl python3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
