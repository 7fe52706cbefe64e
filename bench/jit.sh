#!/usr/bin/env bash
# What the runtimes compile while a flash sale runs: the harness (Tests/FlashSale, Release) runs
# one calm sale of BENCH_BUYERS (10,000) buyers for BENCH_SEATS (1,000) places through the waiting
# room, after a rehearsal of BENCH_REHEARSAL (500) buyers on the same services, with every .NET
# process writing a perf map (DOTNET_PerfMapEnabled=3, the map alone; with
# DOTNET_PerfMapShowOptimizationTiers=1 each method compiled is a line, in order, ending with its
# tier). The maps' lengths are read every second, so the script counts the methods each program
# compiled from the last reading a second before the sale's opening to BENCH_JIT_WINDOW (30)
# seconds after it, by tier: QuickJitted (a first call), instrumented (dynamic PGO's code that
# counts what it runs), OptimizedTier1 (hot code, optimized; on-stack replacement included) and
# other (Optimized: methods never tiered). Every .NET process counts, the harness included. A sale
# that opens on code still being tiered pays for the compiler on the cores the crowd needs;
# bench/README.md ("Profile") has what it found.
#
# Each program's methods compiled in that window, by name and tier, are left in
# bench/results/jit-<program>-<pid>.txt; BENCH_JIT_KEEP_MAPS=1 also keeps every whole map (about
# 100 MB) in bench/results/jit-maps/, to see, say, which tier a method had reached before the sale.
# BENCH_JIT_SETTINGS="NAME=value ..." sets runtime knobs for every process of the sale (the
# harness, the AppHost and the services it starts), e.g. DOTNET_TieredPGO=0. Not a benchmark of
# its own: it prints the sale's settle time and hold p99 beside the counts, one run.
#
# Usage: bench/jit.sh
set -euo pipefail
shopt -s nullglob

source "$(dirname "$0")/lib.sh"
buyers=${BENCH_BUYERS:-10000}
seats=${BENCH_SEATS:-1000}
rehearsal=${BENCH_REHEARSAL:-500}
window=${BENCH_JIT_WINDOW:-30}
results="$root/bench/results"
mkdir -p "$results"
rm -f "$results"/jit-*.txt

build_harness
bench_workdir jit
maps="$work/maps"
mkdir -p "$maps"

# Every second: each map's length, and the command of each process the first time it is seen.
(
  while true; do
    now=$(date +%s)
    for map in "$maps"/perf-*.map; do
      [ -e "$map" ] || continue
      pid=${map##*/perf-}
      pid=${pid%.map}
      if [ ! -e "$work/name-$pid" ]; then
        { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | awk '{ n = $1; if (n ~ /dotnet$/) n = ($2 == "run") ? "dotnet-run" : $2; sub(/.*\//, "", n); sub(/\.dll$/, "", n); print n }' >"$work/name-$pid" || true
      fi
      echo "$now $pid $(wc -l <"$map")"
    done >>"$work/lengths"
    sleep 1
  done
) &
pids+=($!)

echo "== a calm sale of $buyers buyers for $seats places after a rehearsal of $rehearsal, settings: ${BENCH_JIT_SETTINGS:-none}" >&2
status=0
# shellcheck disable=SC2086 # the settings are NAME=value words
env DOTNET_PerfMapEnabled=3 DOTNET_PerfMapShowOptimizationTiers=1 DOTNET_PerfMapJitDumpPath="$maps" ${BENCH_JIT_SETTINGS:-} \
  dotnet "$harness" --buyers "$buyers" --seats "$seats" --rehearsal "$rehearsal" --faults none \
  --trace-sampling "${BENCH_TRACE_SAMPLING:-0.01}" \
  >"$results/jit-sale.txt" 2>"$results/jit-sale.log" || status=$?
sed -n '/^Flash sale:/,/^  sold out at/p' "$results/jit-sale.txt" >&2
[ "$status" = 0 ] || { echo "The sale failed (exit $status): $results/jit-sale.log" >&2; exit 1; }

# The measured sale opens at the time its setup line names, in UTC (the rehearsal's comes first).
opening=$(sed -n 's/.*opens it at \([0-9:]*\)$/\1/p' "$results/jit-sale.log" | tail -n 1)
[ -n "$opening" ] || { echo "No opening time in $results/jit-sale.log" >&2; exit 1; }
opened=$(date -u -d "$(date -u +%F) $opening" +%s)
if [ "$opened" -gt "$(date -u +%s)" ]; then opened=$((opened - 86400)); fi  # it opened before midnight
if [ "${BENCH_JIT_KEEP_MAPS:-0}" = 1 ]; then
  rm -rf "$results/jit-maps"
  cp -r "$maps" "$results/jit-maps"
fi

echo >&2
printf '%-28s %8s %8s %11s %12s %14s %6s\n' program replicas compiled QuickJitted instrumented OptimizedTier1 other >&2
total=0 tier1=0
for pid_name in "$work"/name-*; do
  pid=${pid_name##*/name-}
  name=$(cat "$pid_name")
  [ -n "$name" ] && [ "$name" != dotnet-run ] || continue  # dotnet run waits on its service
  read -r from to < <(awk -v p="$pid" -v a=$((opened - 1)) -v b=$((opened + window)) \
    '$2 == p && $1 <= a { from = $3 } $2 == p && $1 <= b { to = $3 } END { print from + 0, to + 0 }' "$work/lengths")
  if [ "$to" -gt "$from" ]; then
    sed -n "$((from + 1)),${to}p" "$maps/perf-$pid.map" | cut -d' ' -f3- >"$results/jit-$name-$pid.txt"
  else
    : >"$results/jit-$name-$pid.txt"
  fi
  # A method's line ends with its tier in brackets; the runtime's stubs, also in the map, have none.
  awk -v n="$name" '
    /\[QuickJitted\]$/ { q++; next }
    /\[InstrumentedTier(Optimized)?\]$/ { i++; next }
    /\[OptimizedTier1(OSR)?\]$/ { t++; next }
    /\[[A-Za-z0-9]+\]$/ { o++ }
    END { print n, q + i + t + o, q + 0, i + 0, t + 0, o + 0 }' "$results/jit-$name-$pid.txt"
done | awk '{ r[$1]++; for (k = 2; k <= 6; k++) v[$1, k] += $k }
  END { for (n in r) print n, r[n], v[n, 2], v[n, 3], v[n, 4], v[n, 5], v[n, 6] }' | sort -k3 -nr >"$work/table"
while read -r name replicas compiled quick instrumented optimized other; do
  printf '%-28s %8s %8s %11s %12s %14s %6s\n' "$name" "$replicas" "$compiled" "$quick" "$instrumented" "$optimized" "$other" >&2
  total=$((total + compiled))
  tier1=$((tier1 + optimized))
done <"$work/table"

echo
echo "jit_methods_compiled_in_sale: $total (target: none, every .NET process, the harness included, the first $window s after the opening)"
echo "jit_tier1_compilations_in_sale: $tier1 (target: none, of those)"
sed -n 's/^\(settle_seconds\|hold_p99_ms\): /sale_\1: /p' "$results/jit-sale.txt"
