#!/usr/bin/env bash
# The soak: the flash-sale harness (Tests/FlashSale, Release, built once) runs several sales in a
# row, each on a fresh AppHost in embedded mode, with its own seed, size and fault mix:
#   1. 10,000 buyers for 1,000 places, every fault (--faults all);
#   2. 2,000 for 200, calm;
#   3. 3,000 for 300: catalog replica, provider killed with charges in flight, a relay cut
#      mid-round, provider timeouts and declines;
#   4. 3,000 for 500: identity replica killed in the lobby, booking, payments and gateway replicas
#      killed, Redis and PostgreSQL restarted;
#   5. 5,000 for 500: provider failures, a relay cut mid-round, Kafka down 45 s, PostgreSQL down 60 s;
#   6. 1,000 for 100: provider killed, Kafka down 10 s, a relay cut mid-round, provider declines.
# It prints one line per sale (seed, buyers, seats, faults, invariants passed, settle seconds,
# wall seconds), the audit's FAIL lines of a sale that failed, and ends with the figures. Each
# sale's report, progress log and JSON summary are left in bench/results/soak/.
#
# About 25 minutes on two cores (an estimate: six AppHost starts, about 7 minutes for the first
# sale). SOAK_QUICK=1 runs three small sales instead, without the long outages: about 8 minutes.
# A sale that runs past its time limit (10 minutes plus one per 1,000 buyers) is interrupted
# (SIGINT: the harness stops its AppHost) and counts as a sale without a verdict.
# BENCH_CODE=ready-to-run runs the sales on ReadyToRun code, as flashsale.sh does (default: jit).
#
# Usage: bench/soak.sh          (public tools only: bash, coreutils' timeout, jq)
set -euo pipefail

source "$(dirname "$0")/lib.sh"
results="$root/bench/results/soak"

require_tools jq

if [ "${SOAK_QUICK:-0}" = 1 ]; then
  # seed buyers seats faults
  sales=(
    "7101 1000 100 none"
    "7102 1000 100 catalog,provider-kill,relay-crash,provider-timeouts,provider-declines"
    "7103 2000 200 identity,provider,booking,kafka,payments,redis,gateway,postgres"
  )
else
  sales=(
    "5501 10000 1000 all"
    "5502 2000 200 none"
    "5503 3000 300 catalog,provider-kill,relay-crash,provider-timeouts,provider-declines"
    "5504 3000 500 identity,booking,payments,gateway,redis,postgres"
    "5505 5000 500 provider,relay-crash,kafka-long,postgres-long"
    "5506 1000 100 provider-kill,kafka,relay-crash,provider-declines"
  )
fi

mkdir -p "$results"
echo "Building the harness (Release)..." >&2
build_harness

started=$(date +%s)
failed=0 unaudited=0 faults_run=0 faults_missed=0 number=0
for sale in "${sales[@]}"; do
  read -r seed buyers seats faults <<<"$sale"
  number=$((number + 1))
  name="soak-$number"
  rm -f "$results/$name.json"
  echo "== sale $number of ${#sales[@]}: seed $seed, $buyers buyers for $seats places, faults: $faults" >&2

  sale_started=$(date +%s) status=0
  timeout --signal=INT --kill-after=60 "$((10 + buyers / 1000))m" \
    dotnet "$harness" --seed "$seed" --buyers "$buyers" --seats "$seats" --faults "$faults" \
    --summary-json "$results/$name.json" >"$results/$name.txt" 2>"$results/$name.log" || status=$?
  wall=$(($(date +%s) - sale_started))

  if [ -s "$results/$name.json" ]; then
    summary=$(jq -r '"\(.invariantsPassed)/\(.invariantsTotal) \(.settleSeconds // "never") \(.faults | length) \(.faultsNotInjected | length)"' "$results/$name.json")
    read -r invariants settle ran missed <<<"$summary"
    faults_run=$((faults_run + ran)) faults_missed=$((faults_missed + missed))
    echo "sale $number: seed=$seed buyers=$buyers seats=$seats faults=$faults invariants_passed=$invariants settle_seconds=$settle wall_seconds=$wall"
    if [ "${invariants%/*}" != "${invariants#*/}" ]; then
      failed=$((failed + 1))
      grep '^    FAIL' "$results/$name.txt" | sed 's/^    /  /' || true
      echo "  (the offending ids: bench/results/soak/$name.txt)"
    fi
  else
    unaudited=$((unaudited + 1))
    reason=$(tail -n 1 "$results/$name.log" 2>/dev/null || true)
    echo "sale $number: seed=$seed buyers=$buyers seats=$seats faults=$faults invariants_passed=none settle_seconds=none wall_seconds=$wall (no verdict, exit $status: $reason)"
  fi
done

minutes=$(awk "BEGIN { printf \"%.1f\", ($(date +%s) - $started) / 60 }")
echo
echo "soak_minutes: $minutes (target: <= 45)"
echo "faults_not_injected: $faults_missed of $faults_run (target: 0)"
echo "sales_without_verdict: $unaudited of ${#sales[@]} (target: 0)"
echo "sales_with_invariant_failures: $failed of ${#sales[@]} (target: 0)"
[ "$failed" -eq 0 ] && [ "$unaudited" -eq 0 ]
