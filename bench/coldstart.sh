#!/usr/bin/env bash
# Cold-start benchmark: for every service, from process start to its first /health 200 (ready:
# its database, Redis and broker checks pass) and its resident memory then, as a JIT-only
# publish, a ReadyToRun publish (what the services ship, Services/Directory.Build.props) and a
# Native AOT publish where one builds, side by side in one run on one machine.
#
# Each service runs with the configuration a real run gives it: the AppHost is started in
# embedded mode (Release), and each measured process gets the environment the AppHost gave that
# service's own replica (read from /proc), on ports of its own, as Production. The running app is
# its database, cache, broker and neighbours; the measured process is one more replica, started
# COLDSTART_RUNS times (default 3) per variant; the median is printed. Beside readiness, the time
# to the first /alive 200 (the process serves, before any dependency is checked) shows how much of
# a start is the runtime's and how much the service's own work (migrations, first connections).
# COLDSTART_VARIANTS="r2r aot" measures only those; COLDSTART_AOT_OPTIONS adds publish options to
# the AOT build (a lever to compare, e.g. -p:ServerGarbageCollection=false); COLDSTART_ENV adds
# NAME=value settings to every measured process (runtime levers, e.g. DOTNET_TieredPGO=0).
#
# Usage: bench/coldstart.sh [service...]   (default: every service; public tools only: bash, curl)
set -euo pipefail

runs=${COLDSTART_RUNS:-3}
source "$(dirname "$0")/lib.sh"
require_tools curl
gateway=http://localhost:5080   # the gateway's port in the AppHost's launch profile
port=18300

# resource name, project folder, assembly, targets (ms ready with ReadyToRun).
services=(
  "gateway Services/Gateway Boxoffice.Gateway"
  "identity Services/Identity Boxoffice.Identity"
  "catalog Services/Catalog Boxoffice.Catalog"
  "booking Services/Booking Boxoffice.Booking"
  "waiting-room Services/WaitingRoom Boxoffice.WaitingRoom"
  "payments Services/Payments Boxoffice.Payments"
  "payment-provider Services/PaymentProvider Boxoffice.PaymentProvider"
  "storefront Services/Storefront Boxoffice.Storefront"
)
if [ $# -gt 0 ]; then
  wanted=" $* "
  selected=()
  for entry in "${services[@]}"; do
    [[ $wanted == *" ${entry%% *} "* ]] && selected+=("$entry")
  done
  services=("${selected[@]}")
fi
read -ra variants <<<"${COLDSTART_VARIANTS:-jit r2r aot}"

if curl -s -o /dev/null "$gateway/"; then
  echo "Something already answers on $gateway: stop the running AppHost first." >&2
  exit 1
fi
bench_workdir coldstart

# 1. The three publishes of each service (an AOT publish that fails is reported, with its first errors).
declare -A built
for entry in "${services[@]}"; do
  read -r name folder assembly <<<"$entry"
  for variant in "${variants[@]}"; do
    case $variant in
      jit) options=(-p:PublishReadyToRun=false) ;;
      r2r) options=(-p:PublishReadyToRun=true) ;;
      aot) options=(-p:PublishAot=true ${COLDSTART_AOT_OPTIONS:-}) ;;
    esac
    # Native AOT only for the services that declare themselves fit for it (IsAotCompatible; the
    # others' blockers are in docs/adr/0016-deployment.md).
    if [ "$variant" = aot ] && [ "$(dotnet msbuild "$root/$folder" -getProperty:IsAotCompatible -nologo)" != true ]; then
      echo "  $name: no AOT build (not IsAotCompatible)"
      continue
    fi
    echo "Publishing $name ($variant)..."
    if dotnet publish "$root/$folder" -c Release -r linux-x64 --self-contained "$([ $variant = aot ] && echo true || echo false)" \
      "${options[@]}" -o "$work/$variant/$name" -nologo >"$work/publish-$name-$variant.log" 2>&1; then
      built[$name.$variant]=1
    else
      echo "  $name does not publish as $variant; the first errors:"
      grep -E ' error ' "$work/publish-$name-$variant.log" | sed -E 's/^.*: error /    /; s/ \[[^]]*\]$//' | sort -u | head -5
    fi
  done
done

# 2. The app, in Release, embedded mode.
echo "Building and starting the AppHost (Release, embedded mode)..."
dotnet build "$root/AppHost" -c Release -nologo -v quiet >/dev/null
ASPIRE_ALLOW_UNSECURED_TRANSPORT=true DOTNET_ENVIRONMENT=Development \
  dotnet run --project "$root/AppHost" -c Release --no-build --launch-profile http -- \
  --infra embedded "--Infra:DataPath=$work/data" "--Prometheus:Enabled=false" "--Demo:Sales=false" >"$work/apphost.log" 2>&1 &
pids+=($!)
# Ready when identity answers through the gateway: both are up, and identity starts after
# everything the gateway waits for (the gateway's own /health is on its management port).
for _ in $(seq 1 480); do
  curl -fs -o /dev/null "$gateway/.well-known/openid-configuration" && break
  sleep 0.5
done
curl -fs -o /dev/null "$gateway/.well-known/openid-configuration" || { echo "The app did not become healthy; see $work/apphost.log" >&2; exit 1; }
# Let the app's own start-up work (its replicas' JIT, first queries, consumer joins) end before
# measuring: on two cores it competes with the measured process.
sleep "${COLDSTART_SETTLE_SECONDS:-20}"

# The environment the AppHost gave a service's replica, without its ports, one NAME=value per line.
replica_environment() {
  local assembly=$1 pid
  for pid in $(pgrep -f "$assembly" || true); do
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q '^HTTP_PORTS=\|^ASPNETCORE_URLS='; then
      tr '\0' '\n' <"/proc/$pid/environ" | grep -v -E '^(HTTP_PORTS|HTTPS_PORTS|ASPNETCORE_URLS|ASPNETCORE_HTTP_PORTS|Management__Port|ASPNETCORE_ENVIRONMENT|DOTNET_ENVIRONMENT)='
      return 0
    fi
  done
  echo "No running replica of $assembly found" >&2
  return 1
}

# Milliseconds from start to the first /health 200, VmRSS (MiB) then, and milliseconds to the first
# /alive 200. Arguments: name variant assembly
measure() {
  local name=$1 variant=$2 assembly=$3 program health alive start pid elapsed rss url
  local -a environment
  mapfile -t environment < <(replica_environment "$assembly")
  if [ "$variant" = aot ]; then program=("$work/$variant/$name/$assembly"); else program=(dotnet "$work/$variant/$name/$assembly.dll"); fi
  # The same two ports every run (runs are one after another; each process is stopped first).
  health="http://127.0.0.1:$port/health"
  # The gateway serves its probes on Management:Port, apart from its public port.
  [ "$name" = gateway ] && health="http://127.0.0.1:$((port + 1))/health"
  alive=${health%/health}/alive
  start=$(date +%s%N)
  env -i PATH="$PATH" HOME="$HOME" "${environment[@]}" ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
    HTTP_PORTS="$port" Management__Port="$((port + 1))" ${COLDSTART_ENV:-} \
    "${program[@]}" >"$work/run-$name-$variant.log" 2>&1 &
  pid=$!
  local -a reached=()
  for url in "$alive" "$health"; do
    until curl -fs -o /dev/null --max-time 1 "$url"; do
      if ! kill -0 "$pid" 2>/dev/null || [ $(( ($(date +%s%N) - start) / 1000000 )) -gt 60000 ]; then
        echo "  $name ($variant) never answered $url; see $work/run-$name-$variant.log" >&2
        kill "$pid" 2>/dev/null || true
        echo "- - -"
        return
      fi
      sleep 0.005
    done
    reached+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  elapsed=${reached[1]}
  rss=$(awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo "$elapsed $rss ${reached[0]}"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# 3. Each variant of each service, one after another.
declare -A ready memory live
printf '\n%-18s %8s %8s %8s %9s %9s %9s %8s %8s %8s\n' service jit_ms r2r_ms aot_ms jit_alive r2r_alive aot_alive jit_MiB r2r_MiB aot_MiB
for entry in "${services[@]}"; do
  read -r name folder assembly <<<"$entry"
  for variant in "${variants[@]}"; do
    ready[$name.$variant]=-
    memory[$name.$variant]=-
    live[$name.$variant]=-
    [ -n "${built[$name.$variant]:-}" ] || continue
    times=() sizes=() alives=()
    for _ in $(seq 1 "$runs"); do
      read -r elapsed rss alive_ms < <(measure "$name" "$variant" "$assembly")
      [ "$elapsed" = - ] && break
      times+=("$elapsed") sizes+=("$rss") alives+=("$alive_ms")
    done
    if [ ${#times[@]} -eq "$runs" ]; then
      ready[$name.$variant]=$(median "${times[@]}")
      memory[$name.$variant]=$(median "${sizes[@]}")
      live[$name.$variant]=$(median "${alives[@]}")
    fi
  done
  printf '%-18s %8s %8s %8s %9s %9s %9s %8s %8s %8s\n' "$name" "${ready[$name.jit]:--}" "${ready[$name.r2r]:--}" "${ready[$name.aot]:--}" \
    "${live[$name.jit]:--}" "${live[$name.r2r]:--}" "${live[$name.aot]:--}" "${memory[$name.jit]:--}" "${memory[$name.r2r]:--}" "${memory[$name.aot]:--}"
done

echo
for entry in "${services[@]}"; do
  read -r name _ <<<"$entry"
  key=${name//-/_}
  echo "coldstart_${key}_jit_ms: ${ready[$name.jit]:--} (target: none, the baseline)"
  echo "coldstart_${key}_r2r_ms: ${ready[$name.r2r]:--} (target: <= 1000)"
  if [ "${ready[$name.jit]:--}" != - ] && [ "${ready[$name.r2r]:--}" != - ]; then
    echo "coldstart_${key}_r2r_over_jit: $(ratio "${ready[$name.r2r]}" "${ready[$name.jit]}") (target: < 1)"
  fi
  echo "coldstart_${key}_aot_ms: ${ready[$name.aot]:--} (target: <= 300; - = no AOT build)"
  echo "rss_${key}_r2r_mib: ${memory[$name.r2r]:--} (target: none)"
  echo "rss_${key}_aot_mib: ${memory[$name.aot]:--} (target: <= 60; - = no AOT build)"
done
