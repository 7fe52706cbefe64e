#!/usr/bin/env bash
# Startup benchmark: starts the AppHost in embedded mode the way a developer does (dashboard
# included) on a fresh data folder, and prints
#   - seconds from launch until every resource is healthy, and
#   - the summed proportional memory (PSS) of every process it started,
# then stops it with SIGTERM and checks nothing is left running.
#
# "Every resource healthy" is read through the gateway: the AppHost starts it only after what it
# waits on (catalog, booking, payments, waiting-room, redis, and their databases and Kafka)
# reported healthy, and its /health then answers Healthy; identity does not wait for the gateway's
# start but needs it to answer (its issuer is the gateway's URL), and answers the discovery
# document through it once it has its keys; the catalog answers its public list. All three must
# answer. Not waited for: the storefront, and the payment provider's stand-in (a third party in a
# deployment, which Payments does not wait for either).
#
# Usage: bench/startup.sh [--configuration Release|Debug]   (public tools only: bash, curl, ps)
set -euo pipefail

configuration=Release
[ "${1:-}" = "--configuration" ] && configuration=${2:?}
root=$(cd "$(dirname "$0")/.." && pwd)
gateway=http://localhost:5080   # the gateway's port in its launch profile
gateway_health=$gateway/health
timeout_seconds=120

if curl -s -o /dev/null "$gateway_health"; then
  echo "Something already answers on $gateway_health: stop the running AppHost first." >&2
  exit 1
fi

echo "Building AppHost ($configuration)..."
dotnet build "$root/AppHost" -c "$configuration" -nologo -v quiet >/dev/null

data=$(mktemp -d /tmp/boxoffice-bench-XXXXXX)
chmod 755 "$data"
log="$data/apphost.log"

# Every process the AppHost started: its own tree, plus the orchestrator (DCP), which detaches
# from it but names the AppHost's pid in --monitor, and the orchestrator's tree.
descendants() {
  local pid
  for pid in "$@"; do
    echo "$pid"
    descendants $(ps -o pid= --ppid "$pid" 2>/dev/null || true)
  done
}
started_processes() {
  local tree dcp
  tree=$(descendants "$apphost")
  for dcp in $(pgrep -f 'dcp.* --monitor' || true); do
    if grep -qw -- "$(tr '\0' ' ' < "/proc/$dcp/cmdline" 2>/dev/null | grep -o -- '--monitor [0-9]*' | cut -d' ' -f2)" <<<"$tree"; then
      tree="$tree"$'\n'"$(descendants "$dcp")"
    fi
  done
  sort -un <<<"$tree"
}
pss_kib() {
  local pid total=0 kib
  for pid in "$@"; do
    kib=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || true)
    total=$((total + ${kib:-0}))
  done
  echo "$total"
}

echo "Starting the AppHost in embedded mode (data folder $data)..."
start=$(date +%s.%N)
ASPIRE_ALLOW_UNSECURED_TRANSPORT=true DOTNET_ENVIRONMENT=Development \
  dotnet run --project "$root/AppHost" -c "$configuration" --no-build --launch-profile http -- \
  --infra embedded "--Infra:DataPath=$data" >"$log" 2>&1 &
apphost=$!

stop() {
  kill -TERM "$apphost" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$apphost" 2>/dev/null || break
    sleep 0.5
  done
}
trap 'stop; rm -rf "$data"' EXIT

healthy=
while true; do
  now=$(date +%s.%N)
  elapsed=$(awk -v a="$start" -v b="$now" 'BEGIN { printf "%.1f", b - a }')
  if [ "$(curl -s --max-time 2 "$gateway_health" || true)" = "Healthy" ] \
    && curl -fs -o /dev/null --max-time 2 "$gateway/.well-known/openid-configuration" \
    && curl -fs -o /dev/null --max-time 2 "$gateway/api/catalog/events"; then
    healthy=$elapsed
    break
  fi
  if ! kill -0 "$apphost" 2>/dev/null; then
    echo "The AppHost exited before every resource was healthy:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  if awk -v e="$elapsed" -v t="$timeout_seconds" 'BEGIN { exit !(e > t) }'; then
    echo "Not healthy after ${timeout_seconds} s; last lines of the AppHost log:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  printf '\r  waiting for every resource to be healthy... %5.1f s' "$elapsed"
  sleep 0.25
done
printf '\r%60s\r' ''

# Let start-up work settle (JIT, first health probes) before reading memory.
sleep 5
mapfile -t pids < <(started_processes)
total_kib=$(pss_kib "${pids[@]}")
echo "Processes started by the AppHost (PSS):"
for pid in "${pids[@]}"; do
  kib=$(pss_kib "$pid")
  [ "$kib" -gt 0 ] && printf '  %7.1f MiB  %s\n' "$(awk -v k="$kib" 'BEGIN { print k / 1024 }')" \
    "$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-110)"
done

# The orchestrator stops the resources after the AppHost exits; give it up to a minute.
stop
running() {
  local pid count=0
  for pid in "${pids[@]}"; do
    [ -e "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] && count=$((count + 1))
  done
  echo "$count"
}
stop_start=$(date +%s)
left=$(running)
while [ "$left" -gt 0 ] && [ $(( $(date +%s) - stop_start )) -lt 60 ]; do
  sleep 1
  left=$(running)
done
echo "Stopped with SIGTERM in $(( $(date +%s) - stop_start )) s; processes still running: $left"

memory_mib=$(awk -v k="$total_kib" 'BEGIN { printf "%.0f", k / 1024 }')
echo
echo "startup_seconds: $healthy (target: <= 30)"
echo "memory_pss_mib: $memory_mib (target: <= 1536)"
echo "startup_ratio_to_target: $(awk -v s="$healthy" 'BEGIN { printf "%.2f", s / 30 }') (target: <= 1.00)"
echo "memory_ratio_to_target: $(awk -v m="$memory_mib" 'BEGIN { printf "%.2f", m / 1536 }') (target: <= 1.00)"
[ "$left" -eq 0 ]
