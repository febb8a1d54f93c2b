#!/usr/bin/env bash
# Catalogue import through the real `isnad` binary: a CSV of N rows, each a small
# file to store (`path`) with a title, language, date, two tags and coordinates.
#   first   a fresh archive imports the file: N files stored, 2N graph entries
#   again   the same file imported again: N sources recorded, nothing else new
#   add     `isnad add` of the same N files into a fresh archive (the storing
#           part of `first`, as the reference measured in the same run)
# Runs REPS rounds; with a second binary (BASELINE) the two alternate in every
# round, on the same files. Prints one line per run and the medians.
#
# Usage: bench/import_bench.sh [BUILD_DIR] [WORK_DIR]
#   env: ROWS=20000 REPS=3 BASELINE=/path/to/an/older/isnad
set -euo pipefail
build=${1:-build}
work=${2:-$build/bench-import}
rows=${ROWS:-20000}
reps=${REPS:-3}
((reps > 0)) || { echo "REPS must be at least 1" >&2; exit 2; }
isnad=$(realpath "$build/isnad")
rm -rf "$work/files" && mkdir -p "$work/files"
work=$(realpath "$work")
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(df -h "$work" | awk 'NR==2 {print $1}')"
python3 - "$work" "$rows" <<'EOF'
import os, sys
work, rows = sys.argv[1], int(sys.argv[2])
lines = ["path,title,language,event_date,tags,lat,lon"]
for i in range(rows):
    name = f"files/f{i:06d}.txt"
    with open(os.path.join(work, name), "w") as f:
        f.write(f"statement {i} of a witness, Zamalka, 21 August 2013\n")
    lines.append(f"{name},Statement {i} from Zamalka,en,2013-08-{1 + i % 28:02d},"
                 f"witness;t{i % 50},33.5{i % 10},36.3{i % 7}")
with open(os.path.join(work, "rows.csv"), "w") as f:
    f.write("\n".join(lines) + "\n")
EOF

declare -A times
run() {  # run NAME BINARY
  local name=$1 bin=$2 ar="$work/ar-$1" t0 t1 t2
  rm -rf "$ar" "$work/add-$1"
  "$bin" --archive "$ar" init --name bench.example/import >/dev/null
  t0=$(now)
  "$bin" --archive "$ar" import "$work/rows.csv" >/dev/null
  t1=$(now)
  "$bin" --archive "$ar" import "$work/rows.csv" >/dev/null
  t2=$(now)
  local entries
  entries=$("$bin" --archive "$ar" log --json | wc -l)
  "$bin" --archive "$work/add-$1" init --name bench.example/add >/dev/null
  local a0 a1
  a0=$(now)
  "$bin" --archive "$work/add-$1" add "$work/files" >/dev/null
  a1=$(now)
  local first again add
  first=$(awk "BEGIN { print $t1 - $t0 }")
  again=$(awk "BEGIN { print $t2 - $t1 }")
  add=$(awk "BEGIN { print $a1 - $a0 }")
  echo "$name: first ${first} s, again ${again} s, add ${add} s, log ${entries} entries"
  times[$name-first]+="$first "
  times[$name-again]+="$again "
  times[$name-add]+="$add "
  rm -rf "$ar" "$work/add-$1"
}
for ((r = 0; r < reps; r++)); do
  if [[ -n ${BASELINE:-} ]]; then
    if ((r % 2 == 0)); then run this "$isnad"; run baseline "$BASELINE"
    else run baseline "$BASELINE"; run this "$isnad"; fi
  else
    run this "$isnad"
  fi
done
for name in this ${BASELINE:+baseline}; do
  for what in first again add; do
    echo "median $name $what: $(tr ' ' '\n' <<<"${times[$name-$what]}" | grep . | median) s"
  done
done
