#!/usr/bin/env bash
# The flash sale, full size, one machine, one run: the harness (Tests/FlashSale, Release) starts
# the AppHost in embedded mode itself and runs BENCH_BUYERS (default 10,000) buyers, 5 % of them
# hostile, for BENCH_SEATS (default 1,000) places four times:
#   calm                    through the waiting room (docs/adr/0010-waiting-room.md), no faults;
#   faults                  through the waiting room, with BENCH_FAULTS: by default the seven short
#                           faults (the payment provider failing 30 % of charges with 2 s spikes;
#                           booking, payments and gateway replicas killed; Kafka down 10 s; Redis
#                           restarted; PostgreSQL restarted), one every 4 s from 3 s after the opening;
#   calm_no_waiting_room    the same sale without a waiting room (--no-waiting-room: everyone
#   faults_no_waiting_room  clicks at the opening, the free-for-all), calm and with the same faults.
# With BENCH_REHEARSAL=N (default 0: none) each run first rehearses a calm sale of N buyers for half
# as many places on its own event, on the same AppHost (bench/README.md: what it changed).
# BENCH_REPLICAS (default 2) is how many instances of the gateway, identity, catalog, booking,
# payments and the waiting room each run starts (--replicas); 1 only with calm runs, since the
# faulted runs kill instances whose sibling must go on serving the crowd. Its reports are named
# flashsale-replicas1-<run>.* instead of flashsale-<run>.*.
# With BENCH_CODE=ready-to-run the services run ReadyToRun code, as deployments do (default: jit).
# The waiting room admits BENCH_ADMIT_RATE (default 100) buyers a second. The services record 1 % of
# traces, as a busy deployment would (BENCH_TRACE_SAMPLING=1 records all; no collector runs, so
# nothing is exported). Each run must end with
# every invariant PASS. The script prints one line per figure, the waiting room's beside the
# free-for-all's: settle seconds, the p99 of a hold, the invariants, 5xx answers, the scalper bots'
# share of the places over their share of the identities, and the queue's own figures. Reports
# (text, HTML, JSON summary) are left in bench/results/.
#
# Usage: bench/flashsale.sh          (BENCH_RUNS="calm faults" runs a subset)
set -euo pipefail

source "$(dirname "$0")/lib.sh"
buyers=${BENCH_BUYERS:-10000}
seats=${BENCH_SEATS:-1000}
admit_rate=${BENCH_ADMIT_RATE:-100}
rehearsal=${BENCH_REHEARSAL:-0}
replicas=${BENCH_REPLICAS:-2}
faults=${BENCH_FAULTS:-provider,booking,kafka,payments,redis,gateway,postgres}
runs=${BENCH_RUNS:-calm faults calm_no_waiting_room faults_no_waiting_room}
results="$root/bench/results"
mkdir -p "$results"
# A run with other than two instances keeps its reports apart: flashsale-replicas1-calm.txt, ...
prefix="$results/flashsale"
[ "$replicas" = 2 ] || prefix="$results/flashsale-replicas$replicas"

if [ "$replicas" = 1 ] && grep -q faults <<<"$runs"; then
  # The harness refuses one instance with the faults that kill one the crowd calls (booking, gateway, ...).
  echo "BENCH_REPLICAS=1 is for calm runs: set BENCH_RUNS='calm calm_no_waiting_room' (the faulted runs kill instances whose sibling must go on serving the crowd)." >&2
  exit 2
fi

build_harness

run() { # name
  local name=$1 status=0 options=()
  case $name in
    calm) options=(--faults none) ;;
    faults) options=(--faults "$faults") ;;
    calm_no_waiting_room) options=(--faults none --no-waiting-room) ;;
    faults_no_waiting_room) options=(--faults "$faults" --no-waiting-room) ;;
    *) echo "Unknown run '$name' (calm, faults, calm_no_waiting_room, faults_no_waiting_room)." >&2; exit 2 ;;
  esac
  echo "== $name: $buyers buyers for $seats places, $replicas replicas, ${options[*]}" >&2
  dotnet "$harness" --buyers "$buyers" --seats "$seats" --admit-rate "$admit_rate" --rehearsal "$rehearsal" --replicas "$replicas" "${options[@]}" \
    --trace-sampling "${BENCH_TRACE_SAMPLING:-0.01}" \
    --html "$prefix-$name.html" --summary-json "$prefix-$name.json" \
    >"$prefix-$name.txt" 2>"$prefix-$name.log" || status=$?
  sed -n '/^Flash sale:/,$p' "$prefix-$name.txt" >&2
  if [ ! -s "$prefix-$name.txt" ] || ! grep -q '^VERDICT:' "$prefix-$name.txt"; then
    echo "$name: no verdict (exit $status): $(tail -n 1 "$prefix-$name.log" 2>/dev/null || true)" >&2
  fi
  return $status
}

verdict=0
for name in $runs; do
  run "$name" || verdict=1
done

# Only this invocation's runs are summed up: a report left in bench/results by an earlier one (of
# other code, on another day) would otherwise be printed as if it were measured beside these.
ran() { [[ " $runs " == *" $1 "* ]] && [ -f "$prefix-$1.txt" ]; }

figure() { # run figure: the harness's line "figure: measured (target: X)", prefixed with the run's name
  local file="$prefix-$1.txt"
  ran "$1" || return 0
  sed -n "s/^$2: \(.*\)$/$1_$2: \1/p" "$file"
}
invariants() { # run: PASS when the harness's verdict was PASS
  local file="$prefix-$1.txt" measured=none
  ran "$1" || return 0
  measured=$(sed -n 's/^VERDICT: \(.*\)$/\1/p' "$file")
  echo "$1_invariants: ${measured:-none} (target: PASS)"
}

echo
for pair in "calm calm_no_waiting_room" "faults faults_no_waiting_room"; do
  read -r with without <<<"$pair"
  for name in settle_seconds hold_p99_ms client_queue_p99_ms; do
    figure "$with" "$name"
    figure "$without" "$name"
  done
  invariants "$with"
  invariants "$without"
  for name in server_errors_to_well_formed scalper_share_ratio; do
    figure "$with" "$name"
    figure "$without" "$name"
  done
  for name in queue_wait_p50_seconds queue_wait_p99_seconds admitted_per_second sold_out_seconds requests_per_second hostile_not_refused faults_not_injected \
    order_hop_relay_booking_p99_ms order_hop_to_payments_p99_ms order_hop_charge_and_relay_payments_p99_ms order_hop_to_booking_p99_ms; do
    figure "$with" "$name"
  done
done

# The whole crowd's throughput: the free-for-all's calm run is the sale the first wave measured at
# about 1,100 requests/s (every buyer clicking at once; through the waiting room the crowd polls
# on the room's schedule instead, so its rate is no capacity figure).
rate=$(ran calm_no_waiting_room && sed -n 's/^requests_per_second: \([0-9.]*\) .*/\1/p' "$prefix-calm_no_waiting_room.txt" || true)
if [ -n "$rate" ]; then
  echo "calm_no_waiting_room_requests_per_second: $rate (target: >= 2200, twice the first wave's 1,100)"
fi

settle() { if ran "$1"; then sed -n 's/^settle_seconds: \([0-9.]*\) .*/\1/p' "$prefix-$1.txt"; fi; }
calm=$(settle calm) faulted=$(settle faults) free=$(settle calm_no_waiting_room)
if [ -n "$calm" ] && [ -n "$faulted" ]; then
  echo "faults_over_calm_settle: $(awk "BEGIN { printf \"%.2f\", $faulted / $calm }") (target: none, the cost of the fault schedule)"
fi
if [ -n "$calm" ] && [ -n "$free" ]; then
  echo "no_waiting_room_over_waiting_room_settle: $(awk "BEGIN { printf \"%.2f\", $free / $calm }") (target: none, calm, what the waiting room is worth)"
fi
exit $verdict
