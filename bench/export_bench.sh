#!/usr/bin/env bash
# Court-ready export at scale (issue 4 target), through the real `isnad` binary:
#   export      isnad export --items ... --out BAG     (copy + SHA-256 + SHA-512, report, proofs)
#   verify-bag  isnad verify-bag BAG --key VKEY        (every file re-hashed, proofs checked)
# against the two lower bounds for the same bytes, measured in the same run:
#   openssl     openssl dgst -sha512 over the blob files   (hashing alone)
#   cp+sync     cp of the blob files to a new folder, then sync   (a durable copy alone)
# Target: each of export and verify-bag >= 0.8 x the slower of the two, i.e.
#   ratio = max(median openssl, median cp+sync) / median isnad >= 0.8.
# Usage: bench/export_bench.sh [BUILD_DIR] [WORK_DIR]
#   env: GB=10 (total exhibit bytes, as files of FILE_MIB) FILE_MIB=1024 REPS=3
# The page cache is as the run leaves it (no dropping: that needs root and would
# measure the disk, not isnad); every contender reads the same blob files.
set -euo pipefail
build=${1:-build}
work=${2:-$build/bench-export}
isnad=$(realpath "$build/isnad")
gb=${GB:-10}
file_mib=${FILE_MIB:-1024}
reps=${REPS:-3}
mkdir -p "$work"
work=$(realpath "$work")
now() { date +%s.%N; }
calc() { awk "BEGIN { print $* }"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
files=$(( gb * 1024 / file_mib ))
need_mib=$(( gb * 1024 * 3 + 1024 ))
avail_mib=$(df --output=avail -BM "$work" | tail -1 | tr -dc 0-9)
if [ "$avail_mib" -lt "$need_mib" ]; then
  echo "need ${need_mib} MiB free in $work (archive, bag and copy), have ${avail_mib} MiB" >&2
  exit 2
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(df -h "$work" | awk 'NR==2 {print $1}'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "exhibits: $files files of $file_mib MiB ($gb GiB)"

ar="$work/ar"
if [ ! -f "$work/ids" ]; then
  rm -rf "$ar" "$work/src"
  "$isnad" -A "$ar" init --name bench.example/export >/dev/null
  mkdir -p "$work/src"
  : >"$work/ids"
  for i in $(seq 1 "$files"); do
    head -c $((file_mib * 1024 * 1024)) /dev/urandom >"$work/src/exhibit$i.bin"
    "$isnad" -A "$ar" add "$work/src/exhibit$i.bin" --json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["id"])' >>"$work/ids"
    rm -f "$work/src/exhibit$i.bin"
  done
  rmdir "$work/src"
fi
mapfile -t ids <"$work/ids"
vkey=$("$isnad" -A "$ar" key --json | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["vkey"])')
blobs=$(find "$ar/objects" -type f -size +1M)

e=() v=() o=() c=()
for r in $(seq "$reps"); do
  rm -rf "$work/bag" "$work/copy"; sync
  t0=$(now); "$isnad" -A "$ar" export --items "${ids[@]}" --out "$work/bag" >/dev/null; sync; t1=$(now)
  "$isnad" verify-bag "$work/bag" --key "$vkey" >/dev/null; t2=$(now)
  # shellcheck disable=SC2086
  openssl dgst -sha512 $blobs >/dev/null; t3=$(now)
  rm -rf "$work/bag"; sync
  mkdir "$work/copy"; t4=$(now)
  # shellcheck disable=SC2086
  cp $blobs "$work/copy/" && sync; t5=$(now)
  rm -rf "$work/copy"
  e+=("$(calc "$t1 - $t0")"); v+=("$(calc "$t2 - $t1")")
  o+=("$(calc "$t3 - $t2")"); c+=("$(calc "$t5 - $t4")")
  printf 'run %d: export %.2f s, verify-bag %.2f s, openssl dgst -sha512 %.2f s, cp+sync %.2f s\n' \
    "$r" "${e[-1]}" "${v[-1]}" "${o[-1]}" "${c[-1]}"
done
em=$(printf '%s\n' "${e[@]}" | median); vm=$(printf '%s\n' "${v[@]}" | median)
om=$(printf '%s\n' "${o[@]}" | median); cm=$(printf '%s\n' "${c[@]}" | median)
slow=$(awk "BEGIN { print ($om > $cm) ? $om : $cm }")
printf '\nSUMMARY (%d GiB, medians of %d)\n' "$gb" "$reps"
printf 'export %.2f s (%.0f MiB/s), verify-bag %.2f s (%.0f MiB/s)\n' "$em" "$(calc "$gb * 1024 / $em")" "$vm" "$(calc "$gb * 1024 / $vm")"
printf 'openssl dgst -sha512 %.2f s, cp+sync %.2f s; slower of the two %.2f s\n' "$om" "$cm" "$slow"
printf 'ratio export = %.2f, ratio verify-bag = %.2f (target >= 0.8 each)\n' "$(calc "$slow / $em")" "$(calc "$slow / $vm")"
