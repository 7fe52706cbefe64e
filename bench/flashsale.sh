#!/usr/bin/env bash
# The flash sale, full size, one machine, one run: the harness (Tests/FlashSale, Release) starts
# the AppHost in embedded mode itself and runs BENCH_BUYERS (default 10,000) buyers, 5 % of them
# hostile, for BENCH_SEATS (default 1,000) places twice:
#   (a) calm: no faults;
#   (b) the whole fault schedule (--faults all: provider failures, spikes, timeouts, declines and a
#       provider killed mid-charge; booking, payments, gateway, catalog and identity replicas killed,
#       a relay killed mid-round; Kafka down 10 s and 45 s; Redis restarted; PostgreSQL restarted
#       and down 60 s), one fault every 4 s from 3 s after the sale opens (Tests/FlashSale/README.md).
# Each run must end with every invariant PASS; the script prints each run's figures prefixed with
# calm_ and faults_, and the ratio of the two settle times. Reports are left in bench/results/.
#
# Usage: bench/flashsale.sh
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
buyers=${BENCH_BUYERS:-10000}
seats=${BENCH_SEATS:-1000}
results="$root/bench/results"
mkdir -p "$results"

dotnet build "$root/Tests/FlashSale" -c Release -v quiet -nologo >/dev/null

run() {
  local name=$1 faults=$2 status=0
  echo "== $name: $buyers buyers for $seats places, faults: $faults" >&2
  dotnet run --project "$root/Tests/FlashSale" -c Release --no-build -- \
    --buyers "$buyers" --seats "$seats" --faults "$faults" --html "$results/flashsale-$name.html" \
    >"$results/flashsale-$name.txt" || status=$?
  sed -n '/^Flash sale:/,$p' "$results/flashsale-$name.txt" >&2
  return $status
}

verdict=0
run calm none || verdict=1
run faults all || verdict=1

figures() {
  sed -n "s/^\([a-z_0-9]*\): \(.*\)$/$1_\1: \2/p" "$results/flashsale-$1.txt"
}
settle() {
  sed -n 's/^settle_seconds: \([0-9.]*\) .*/\1/p' "$results/flashsale-$1.txt"
}

echo
figures calm
figures faults
calm=$(settle calm) faulted=$(settle faults)
if [ -n "$calm" ] && [ -n "$faulted" ]; then
  echo "faults_over_calm_settle: $(awk "BEGIN { printf \"%.2f\", $faulted / $calm }") (target: none, the cost of the fault schedule)"
fi
exit $verdict
