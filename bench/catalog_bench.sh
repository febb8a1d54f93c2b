#!/usr/bin/env bash
# Catalogue reindex and search (issue 3), with the machine it ran on.
# bench/catalog_bench.cc says what is measured; docs/benchmarks.md has results.
#
# Usage: bench/catalog_bench.sh [BUILD_DIR]          (default: build-bench)
#   env: ITEMS=1000000 REPS=3 SEED=20130821 RUNS=1
#        WORK=BUILD_DIR/catalog-bench-ITEMS  (kept: the log is reused by later
#        runs with the same ITEMS and SEED; the catalogue is rebuilt every run)
# Writes BUILD_DIR/catalog_bench-ITEMS-N.json (the bench's JSON summary) and
# .err (its progress, human summary and /usr/bin/time -v) for run N.
set -euo pipefail

BUILD=${1:-build-bench}
BIN=$BUILD/bench/catalog_bench
ITEMS=${ITEMS:-1000000}
REPS=${REPS:-3}
SEED=${SEED:-20130821}
RUNS=${RUNS:-1}
WORK=${WORK:-$BUILD/catalog-bench-$ITEMS}

[[ -x $BIN ]] || { echo "no $BIN; build the catalog_bench target first" >&2; exit 2; }

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(free -g | awk '/^Mem:/ {print $2}') GiB RAM; $WORK on" \
  "$(df -T "$(dirname "$WORK")" | awk 'NR==2 {print $2, $1}'); load: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

for ((run = 1; run <= RUNS; run++)); do
  out=$BUILD/catalog_bench-$ITEMS-$run
  sync
  /usr/bin/time -v "$BIN" --items "$ITEMS" --reps "$REPS" --seed "$SEED" --dir "$WORK" \
    >"$out.json" 2>"$out.err" || { tail -20 "$out.err" >&2; exit 1; }
  grep -E '^(setup|reindex|raw|memory)|^category|^[a-z_0-9]+ +[0-9]|^ALL|Maximum resident' \
    "$out.err" >&2
  echo "run $run: $out.json (load after: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done
