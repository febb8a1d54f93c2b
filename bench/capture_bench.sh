#!/usr/bin/env bash
# Web capture (issue 5), measured against its reference in the same run:
#   pages   bench/capture_bench pages N 16: N small pages (~1 KiB) from a local
#           server, 16 at once, each a WARC + payload item + capture.recorded
#           entry, committed in batches. Target: >= 1,000 pages/s.
#   huge    bench/capture_bench huge BYTES: one response of BYTES (default 1 GB)
#           written as a WARC with both digests and stored with its payload.
#   warc    bench/capture_bench warc BYTES: the same response through capture::Capture
#           only (fetch, WARC written with block and payload digests), not stored.
#   openssl openssl dgst -sha256 over the same bytes (from a file in the page cache).
# Target: huge MB/s >= 0.5 x openssl MB/s, with peak RSS (/usr/bin/time -v) flat.
# Runs REPS times, alternating; prints medians and the ratio.
#
# Usage: bench/capture_bench.sh [BUILD_DIR]     (default: build-capture)
#   env: REPS=3 PAGES=10000 BYTES=1000000000 WORK=BUILD_DIR/capture-bench
set -euo pipefail

BUILD=${1:-build-capture}
BIN=$BUILD/bench/capture_bench
REPS=${REPS:-3}
PAGES=${PAGES:-10000}
BYTES=${BYTES:-1000000000}
WORK=${WORK:-$BUILD/capture-bench}

[[ -x $BIN ]] || { echo "no $BIN; build the capture_bench target first" >&2; exit 2; }
[[ ! -e $WORK ]] || { echo "$WORK exists; remove it or set WORK" >&2; exit 2; }
mkdir -p "$WORK"
trap 'chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

"$BIN" pattern "$BYTES" "$WORK/pattern"
cat "$WORK/pattern" > /dev/null

pages=() huge=() warc=() ssl=() rss=()
for ((i = 1; i <= REPS; i++)); do
  sync
  out=$("$BIN" pages "$PAGES" 16 "$WORK/a-pages")
  pages+=("$(field pages_per_s <<<"$out")")
  chmod -R u+w "$WORK/a-pages"; rm -rf "$WORK/a-pages"
  sync
  t0=$(date +%s.%N); openssl dgst -sha256 "$WORK/pattern" > /dev/null; t1=$(date +%s.%N)
  ssl+=("$(awk -v b="$BYTES" -v a="$t0" -v z="$t1" 'BEGIN {printf "%.1f", b / 1e6 / (z - a)}')")
  sync
  out=$(/usr/bin/time -v "$BIN" huge "$BYTES" "$WORK/a-huge" 2> "$WORK/time.txt")
  huge+=("$(field mb_per_s <<<"$out")")
  rss+=("$(awk '/Maximum resident set size/ {print $NF}' "$WORK/time.txt")")
  chmod -R u+w "$WORK/a-huge"; rm -rf "$WORK/a-huge"
  sync
  out=$("$BIN" warc "$BYTES" "$WORK/a-warc")
  warc+=("$(field mb_per_s <<<"$out")")
  rm -rf "$WORK/a-warc"
  echo "run $i: pages/s ${pages[-1]}  huge MB/s ${huge[-1]}  warc MB/s ${warc[-1]}  openssl MB/s ${ssl[-1]}  huge peak RSS ${rss[-1]} KB" >&2
done

mp=$(printf '%s\n' "${pages[@]}" | median)
mh=$(printf '%s\n' "${huge[@]}" | median)
mw=$(printf '%s\n' "${warc[@]}" | median)
ms=$(printf '%s\n' "${ssl[@]}" | median)
mr=$(printf '%s\n' "${rss[@]}" | median)
echo "pages: median $mp pages/s ($PAGES pages, 16 at once; target >= 1000)"
echo "huge:  median $mh MB/s, openssl dgst -sha256 median $ms MB/s, ratio $(awk -v h="$mh" -v s="$ms" 'BEGIN {printf "%.2f", h / s}') (target >= 0.5); peak RSS median $mr KB"
echo "warc:  median $mw MB/s (WARC written, both digests, not stored), ratio $(awk -v h="$mw" -v s="$ms" 'BEGIN {printf "%.2f", h / s}') to openssl"
