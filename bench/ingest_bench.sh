#!/usr/bin/env bash
# Large-file ingest against its two lower bounds, measured in the same run:
#   isnad     bench/ingest_bench: Stage (SHA-256 + temp file + fdatasync),
#             Commit (rename into place), SyncFilesystem
#   openssl   openssl dgst -sha256 FILE          (hashing alone)
#   cp+sync   cp FILE DEST && sync               (a durable copy alone)
# Target: ratio = max(median openssl, median cp+sync) / median isnad >= 0.9.
# Then the memory check: peak RSS (/usr/bin/time -v) while ingesting a
# BIG_MIB file must stay under 100 MB.
#
# All files live in WORK, on one file system. The page cache is warm for all
# three (the source is read once before timing; nothing is dropped, which would
# need root); `sync` runs before every timed command so that no one inherits
# another's dirty pages. Runs alternate, in rotating order, REPS times.
#
# Usage: bench/ingest_bench.sh [BUILD_DIR]        (default: build-store)
#   env: REPS=5 SIZE_MIB=1024 BIG_MIB=4096 (0 skips) WORK=BUILD_DIR/ingest-bench
# Writes BUILD_DIR/ingest_bench.json; removes WORK on exit.
set -euo pipefail

BUILD=${1:-build-store}
BIN=$BUILD/bench/ingest_bench
REPS=${REPS:-5}
SIZE_MIB=${SIZE_MIB:-1024}
BIG_MIB=${BIG_MIB:-4096}
WORK=${WORK:-$BUILD/ingest-bench}
OUT=$BUILD/ingest_bench.json

[[ -x $BIN ]] || { echo "no $BIN; build the ingest_bench target first" >&2; exit 2; }
for tool in openssl /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done
[[ ! -e $WORK ]] || { echo "$WORK exists; remove it or set WORK" >&2; exit 2; }
mkdir -p "$WORK"
trap 'chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"' EXIT

# Source, one copy, one store at a time; BIG alone afterwards (+10% margin).
need_mib=$(( SIZE_MIB * 3 > BIG_MIB * 2 ? SIZE_MIB * 3 : BIG_MIB * 2 ))
need_mib=$(( need_mib + need_mib / 10 + 64 ))
avail_mib=$(df --output=avail -BM "$WORK" | tail -1 | tr -dc 0-9)
if (( avail_mib < need_mib )); then
  echo "$WORK: ${avail_mib} MiB free, ${need_mib} MiB needed; lower SIZE_MIB/BIG_MIB" >&2
  exit 2
fi

# Incompressible bytes, fast: AES-CTR keystream.
make_file() {  # PATH MIB   (openssl dies of SIGPIPE when head is done: expected)
  { openssl enc -aes-128-ctr -nosalt -pass pass:isnad-bench -in /dev/zero 2>/dev/null || true; } |
    head -c $(( $2 << 20 )) > "$1"
  [[ $(stat -c %s "$1") == $(( $2 << 20 )) ]] || { echo "cannot create $1" >&2; exit 1; }
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END {
  if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

SRC=$WORK/source.bin
make_file "$SRC" "$SIZE_MIB"
cat "$SRC" > /dev/null  # warm the page cache for everyone

# timed NAME CMD...: appends the wall seconds to NAME_s and the CPU seconds
# (user + sys, of the command and its children) to NAME_cpu.
timed() {
  local -n wall_list=${1}_s cpu_list=${1}_cpu
  shift
  local t0 t1; t0=$(now)
  /usr/bin/time -f '%U %S' -o "$WORK/cpu.txt" "$@"
  t1=$(now)
  wall_list+=" $(elapsed "$t0" "$t1")"
  cpu_list+=" $(awk '{ printf "%.2f", $1 + $2 }' "$WORK/cpu.txt")"
}
run_isnad() {
  rm -rf "$WORK/store"; sync
  timed isnad "$BIN" --store "$WORK/store" "$SRC" > "$WORK/isnad.json"
  isnad_internal+=" $(grep -o '"seconds":[0-9.]*' "$WORK/isnad.json" | tail -1 | cut -d: -f2)"
  rm -rf "$WORK/store"
}
run_openssl() {
  sync
  timed openssl openssl dgst -sha256 "$SRC" > /dev/null
}
run_cp() {
  rm -f "$WORK/copy.bin"; sync
  timed cp sh -c 'cp "$1" "$2" && sync' sh "$SRC" "$WORK/copy.bin"
  rm -f "$WORK/copy.bin"
}

isnad_s="" isnad_cpu="" isnad_internal="" openssl_s="" openssl_cpu="" cp_s="" cp_cpu=""
runners=(run_isnad run_openssl run_cp)
for (( rep = 0; rep < REPS; rep++ )); do
  for (( k = 0; k < 3; k++ )); do
    ${runners[$(( (rep + k) % 3 ))]}
  done
  echo "rep $(( rep + 1 ))/$REPS (wall s): isnad ${isnad_s##* } openssl ${openssl_s##* }" \
    "cp+sync ${cp_s##* }   (cpu s): ${isnad_cpu##* } ${openssl_cpu##* } ${cp_cpu##* }" >&2
done
rm -f "$SRC"

m_isnad=$(median <<< "$isnad_s")
m_openssl=$(median <<< "$openssl_s")
m_cp=$(median <<< "$cp_s")
c_isnad=$(median <<< "$isnad_cpu")
c_openssl=$(median <<< "$openssl_cpu")
c_cp=$(median <<< "$cp_cpu")
ratio=$(awk -v i="$m_isnad" -v o="$m_openssl" -v c="$m_cp" \
  'BEGIN { m = o > c ? o : c; printf "%.3f", m / i }')

rss_kib=null big_s=null rss_ok=null
if (( BIG_MIB > 0 )); then
  BIG=$WORK/big.bin
  make_file "$BIG" "$BIG_MIB"
  rm -rf "$WORK/store"; sync
  /usr/bin/time -v "$BIN" --store "$WORK/store" "$BIG" > "$WORK/big.json" 2> "$WORK/time.txt"
  rss_kib=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$WORK/time.txt")
  big_s=$(grep -o '"seconds":[0-9.]*' "$WORK/big.json" | cut -d: -f2)
  rss_ok=$(( rss_kib * 1024 < 100000000 ? 1 : 0 ))
  rss_ok=$([[ $rss_ok == 1 ]] && echo true || echo false)
  rm -rf "$WORK/store" "$BIG"
fi

list() { echo "$1" | xargs | tr ' ' ','; }
cat > "$OUT" <<EOF
{"bytes":$(( SIZE_MIB << 20 )),"reps":$REPS,
 "seconds":{"isnad":[$(list "$isnad_s")],"isnad_internal":[$(list "$isnad_internal")],
            "openssl":[$(list "$openssl_s")],"cp_sync":[$(list "$cp_s")]},
 "cpu_seconds":{"isnad":[$(list "$isnad_cpu")],"openssl":[$(list "$openssl_cpu")],
                "cp_sync":[$(list "$cp_cpu")]},
 "median_seconds":{"isnad":$m_isnad,"openssl":$m_openssl,"cp_sync":$m_cp},
 "median_cpu_seconds":{"isnad":$c_isnad,"openssl":$c_openssl,"cp_sync":$c_cp},
 "ratio":$ratio,"ratio_ok":$(awk -v r="$ratio" 'BEGIN { print (r >= 0.9) ? "true" : "false" }'),
 "big_bytes":$(( BIG_MIB << 20 )),"big_seconds":$big_s,"big_max_rss_kib":$rss_kib,
 "big_rss_under_100mb":$rss_ok}
EOF
cat "$OUT"
