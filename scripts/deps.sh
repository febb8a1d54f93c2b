# Sourced by scripts/demo and scripts/test: makes sure the Debian 12 packages
# isnad needs are installed. As root it installs what is missing with apt-get;
# otherwise it prints the exact command to run and fails.
ISNAD_PACKAGES=(
  cmake ninja-build g++ pkg-config clang-format
  libssl-dev openssl libsqlite3-dev libmagic-dev libstemmer-dev libicu-dev libxml2-dev
  libarchive-dev zlib1g-dev
  libjpeg-dev libpng-dev
  libexiv2-dev exiv2 libavformat-dev libavcodec-dev libavutil-dev libswscale-dev ffmpeg
  libpoppler-cpp-dev libtesseract-dev libleptonica-dev tesseract-ocr tesseract-ocr-ara
  tesseract-ocr-eng libfaiss-dev yt-dlp
  libcurl4-openssl-dev libjemalloc-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
  libpango1.0-dev libcairo2-dev fonts-dejavu-core poppler-utils
  python3 wget nghttp2-server microsocks tinyproxy-bin strace
  libgtest-dev libgmock-dev libbenchmark-dev
)

isnad_ensure_deps() {
  local missing=()
  local p
  for p in "${ISNAD_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing missing Debian packages: ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || { echo "apt-get update failed" >&2; return 1; }
    apt-get install -y -qq --no-install-recommends "${missing[@]}" || return 1
  else
    echo "These Debian packages are missing: ${missing[*]}" >&2
    echo "Install them as root, then run this again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    return 1
  fi
}

# isnad_ensure_warcio: webrecorder's warcio.js, an independent WARC reader that
# warc_interop_test and capture_test run over the WARCs isnad writes. Installed
# with npm (pinned version) into build-tools/node (ignored by git); where npm is
# absent the tests say by name that they skip that check.
isnad_ensure_warcio() {
  local dir="$ISNAD_ROOT/build-tools/node"
  [ -f "$dir/node_modules/warcio/dist/index.cjs" ] && return 0
  command -v npm >/dev/null 2>&1 || {
    echo "npm absent: warc_interop_test will skip its warcio.js check" >&2
    return 0
  }
  mkdir -p "$dir" && (cd "$dir" && npm install --no-audit --no-fund warcio@2.4.11 >/dev/null 2>&1) ||
    echo "could not install warcio.js with npm; warc_interop_test will skip its check" >&2
  return 0
}

# isnad_build DIR [cmake args...]: configure (once) and build.
isnad_build() {
  local dir=$1
  shift
  cmake -S "$ISNAD_ROOT" -B "$dir" -G Ninja "$@" >/dev/null || return 1
  cmake --build "$dir" -j "$(nproc)" || return 1
}
