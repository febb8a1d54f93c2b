#!/bin/sh
# vPDQ hashing speed on a 720p H.264 clip, one core: bench/vpdq_bench.sh BUILD_DIR [SECONDS]
# Makes a SECONDS-long (default 30) 1280x720 30 fps H.264 clip with ffmpeg (testsrc2, x264
# medium, crf 23), then on CPU 0 times isnad's HashVideo (vpdq_bench, median of 3) and,
# for comparison in the same run, the ffmpeg CLI decoding the clip alone and decoding plus
# converting every frame to RGB24 with SWS_AREA (what vPDQ's RGB path does before PDQ).
# BEFORE=OLD_VPDQ_BENCH also times an older build's dense mode against this one's.
set -eu
build=${1:?usage: bench/vpdq_bench.sh BUILD_DIR [SECONDS]}
secs=${2:-30}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
clip=$dir/clip720p.mp4
ffmpeg -nostdin -loglevel error -f lavfi -i "testsrc2=s=1280x720:r=30:d=$secs" \
  -c:v libx264 -preset medium -crf 23 -pix_fmt yuv420p "$clip"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
taskset -c 0 "$build/bench/vpdq_bench" "$clip" 3
# BEFORE=path/to/an/older/vpdq_bench: its dense mode and ours, alternately, 3 rounds of 3.
if [ -n "${BEFORE:-}" ]; then
  for i in 1 2 3; do
    echo "before: $(taskset -c 0 "$BEFORE" "$clip" 3 2>&1 | sed -n 2p)"
    echo "after:  $(taskset -c 0 "$build/bench/vpdq_bench" "$clip" 3 dense 2>&1 | sed -n 2p)"
  done
fi
median3() { sort -n | sed -n 2p; }
run() {  # CPU seconds (user + system) of the ffmpeg command line "$@", median of 3
  for i in 1 2 3; do
    /usr/bin/time -f "%U %S" taskset -c 0 ffmpeg -nostdin -loglevel error -threads 1 "$@" \
      2>&1 >/dev/null | awk '{print $1 + $2}'
  done | median3
}
d=$(run -i "$clip" -f null -)
echo "ffmpeg decode only:           median CPU $d s = $(echo "$secs / $d" | bc -l | cut -c1-5)x real time per CPU-second"
r=$(run -i "$clip" -vf scale=flags=area,format=rgb24 -f null -)
echo "ffmpeg decode + RGB24 (area): median CPU $r s = $(echo "$secs / $r" | bc -l | cut -c1-5)x real time per CPU-second"
