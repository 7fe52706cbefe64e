#!/usr/bin/env bash
# Gateway benchmark: the same upstream, the same connection counts (16 and 64), one machine, one run:
#   (a) wrk -> upstream directly
#   (b) wrk -> Boxoffice gateway (Release build) with token validation, the Redis-backed rate
#       limiter (Debian's redis-server), secure headers and request ids on -> upstream
#   (c) wrk -> nginx as a keep-alive HTTP/1.1 reverse proxy -> upstream
#   (e) wrk -> bare YARP (bench/Upstream with --ProxyTo: YARP's defaults, nothing else) -> upstream
# and prints throughput, p50/p99, and the ratios b/a, b/c, e/c and b/e: the gateway's target is
# bare YARP's ratio to nginx as its maintainers measure it (0.67), and (e) is that ratio here. Then (d) the gateway again at 64
# connections while Prometheus (Debian's, with deploy/prometheus's configuration and rules, as the
# AppHost runs it) scrapes its /metrics every 5 s, between two runs without: the cost of the scrape
# beside the run-to-run noise.
#
# Each run also reads, from /proc, the CPU each process spent per request (microseconds): the
# gateway's, the upstream's, nginx's and Redis's (wrk's own is not counted), the profile bench/README.md describes.
#
# The gateway runs with its own appsettings.json (content root = its build output) and records
# 1 % of traces, as a busy deployment would (BENCH_TRACE_SAMPLING=1 records all).
#
# The upstream (bench/Upstream) returns a constant 512-byte body and also publishes the JWKS the
# gateway validates tokens against, so nothing but the gateway differs between (a) and (b). The
# rate limit is set far above the offered load: every request pays for the Redis round trip,
# none is rejected. Public tools only: wrk, nginx and redis-server from Debian.
#
# Usage: bench/gateway.sh [seconds per run, default 10]
# BENCH_GATEWAY_SETTINGS="Name=value ..." adds settings to the gateway's environment (experiments,
# e.g. DOTNET_gcServer=0).
set -euo pipefail

duration=${1:-10}
warmup=${BENCH_WARMUP_SECONDS:-8}
source "$(dirname "$0")/lib.sh"
upstream_port=18081 gateway_port=18082 nginx_port=18083 redis_port=18084 prometheus_port=18085 yarp_port=18086

require_tools wrk nginx=nginx-light redis-server curl prometheus
require_free_ports $upstream_port $gateway_port $nginx_port $redis_port $prometheus_port $yarp_port

bench_workdir gateway

echo "Building the gateway and the upstream (Release)..."
build_release Services/Gateway bench/Upstream

password=$(secret)
# The gateway checks waiting-room tickets and admissions with it (at least 32 characters); no
# waiting room runs here: its queue snapshot fetch is pointed at the upstream, which has none.
waiting_room_key=$(secret)$(secret)
# ...and asks for queue snapshots with this one (the upstream answers them 404: no queues).
waiting_room_internal_key=$(secret)$(secret)
start_redis "$redis_port" "$password"

start_upstream "$upstream_port" upstream.log --BodyBytes 512
wait_for "http://127.0.0.1:$upstream_port/constant"
start_upstream "$yarp_port" yarp.log --ProxyTo "http://127.0.0.1:$upstream_port"
wait_for "http://127.0.0.1:$yarp_port/constant"

issuer="http://127.0.0.1:$upstream_port/"
env ASPNETCORE_URLS="http://127.0.0.1:$gateway_port" ASPNETCORE_ENVIRONMENT=Production \
  ConnectionStrings__redis="127.0.0.1:$redis_port,password=$password" \
  Authentication__Issuer="$issuer" Authentication__MetadataBaseAddress="http://127.0.0.1:$upstream_port" \
  ReverseProxy__Routes__bench__ClusterId=bench \
  ReverseProxy__Routes__bench__Match__Path='/bench/{**rest}' \
  ReverseProxy__Routes__bench__AuthorizationPolicy="${BENCH_AUTHORIZATION_POLICY-authenticated}" \
  ReverseProxy__Routes__bench__RateLimiterPolicy="${BENCH_RATE_LIMITER_POLICY-standard}" \
  ReverseProxy__Routes__bench__Transforms__0__PathRemovePrefix=/bench \
  ReverseProxy__Clusters__bench__Destinations__upstream__Address="http://127.0.0.1:$upstream_port" \
  RateLimiting__Authenticated__TokenLimit=1000000000 RateLimiting__Authenticated__TokensPerSecond=1000000000 \
  WaitingRoom__SigningKey="$waiting_room_key" WaitingRoom__InternalKey="$waiting_room_internal_key" WaitingRoom__Service="http://127.0.0.1:$upstream_port" \
  Logging__LogLevel__Default=Warning "$sampling" ${BENCH_GATEWAY_SETTINGS:-} \
  dotnet "$(release Services/Gateway Boxoffice.Gateway)" "$(content_root Services/Gateway)" >"$work/gateway.log" 2>&1 &
pids+=($!)

mkdir -p "$work/nginx"
cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream upstream { server 127.0.0.1:$upstream_port; keepalive 128; }
  server {
    listen 127.0.0.1:$nginx_port;
    location / {
      proxy_pass http://upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
nginx -c "$work/nginx.conf" -p "$work/nginx" -g 'daemon off;' 2>>"$work/nginx/error.log" &
pids+=($!)

token=$(curl -fs "http://127.0.0.1:$upstream_port/token?sub=bench-client&scope=catalog.read&role=organizer")
auth="Authorization: Bearer $token"
wait_for "http://127.0.0.1:$gateway_port/bench/constant" "$auth"
wait_for "http://127.0.0.1:$nginx_port/constant"

# The gateway path really is the authenticated, rate-limited one.
anonymous=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gateway_port/bench/constant")
authorized=$(curl -s -o /dev/null -w '%{http_code}' -H "$auth" "http://127.0.0.1:$gateway_port/bench/constant")
if { [ "${BENCH_AUTHORIZATION_POLICY-authenticated}" = authenticated ] && [ "$anonymous" != 401 ]; } || [ "$authorized" != 200 ]; then
  echo "The gateway answered $anonymous without a token and $authorized with one; expected 401 and 200." >&2
  exit 1
fi

declare -A rps p50 p99 cpu
processes=(gateway='Boxoffice\.Gateway\.dll' upstream='Boxoffice\.Bench\.Upstream\.dll --BodyBytes' yarp='Boxoffice\.Bench\.Upstream\.dll --ProxyTo' nginx='^nginx' redis='^redis-server')
run() { # name connections url
  local out before requests
  wrk -t2 -c"$2" -d"$warmup"s -H "$auth" "$3" >/dev/null   # warm-up: JIT tiering and connection pools
  before=$(cpu_ms "${processes[@]}")
  out=$(wrk -t2 -c"$2" -d"${duration}s" --latency -H "$auth" "$3")
  requests=$(awk '$2 == "requests" && $3 == "in" { print $1 }' <<<"$out")
  cpu[$1$2]=$(cpu_per_request "$before" "$(cpu_ms "${processes[@]}")" "$requests" | awk '$2 > 0 { printf "%s %s  ", $1, $2 }')
  if grep -q 'Non-2xx' <<<"$out"; then
    echo "$1 at $2 connections answered errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  rps[$1$2]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50[$1$2]=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99[$1$2]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  printf '  %-8s c=%-3s %10.0f req/s   p50 %7.3f ms   p99 %7.3f ms   CPU us/request: %s\n' "$1" "$2" "${rps[$1$2]}" "${p50[$1$2]}" "${p99[$1$2]}" "${cpu[$1$2]}"
}

echo "wrk, ${duration} s per run, 2 threads, 512-byte body; all processes share this machine's $(nproc) cores:"
for connections in 16 64; do
  run direct "$connections" "http://127.0.0.1:$upstream_port/constant"
  run gateway "$connections" "http://127.0.0.1:$gateway_port/bench/constant"
  run nginx "$connections" "http://127.0.0.1:$nginx_port/constant"
  run yarp "$connections" "http://127.0.0.1:$yarp_port/constant"
done

# (d) The scrape's cost: without, with Prometheus scraping every 5 s, without again.
mkdir -p "$work/prometheus/targets"
cp -r "$root/deploy/prometheus/prometheus.yml" "$root/deploy/prometheus/rules" "$work/prometheus/"
echo "[{\"targets\":[\"127.0.0.1:$gateway_port\"],\"labels\":{\"job\":\"gateway\",\"replica\":\"bench\"}}]" >"$work/prometheus/targets/gateway.json"
echo
echo "The gateway at 64 connections without, with and again without Prometheus scraping it every 5 s:"
run unscraped 64 "http://127.0.0.1:$gateway_port/bench/constant"
prometheus --config.file="$work/prometheus/prometheus.yml" --storage.tsdb.path="$work/prometheus/data" \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$work/prometheus.log" 2>&1 &
prometheus_pid=$!
pids+=($prometheus_pid)
scraped=0
for _ in $(seq 1 60); do
  if curl -fs "http://127.0.0.1:$prometheus_port/api/v1/query?query=up%7Bjob%3D%22gateway%22%7D" | grep -q '"value":\[[0-9.]*,"1"\]'; then scraped=1; break; fi
  sleep 0.5
done
[ "$scraped" = 1 ] || { echo "Prometheus did not scrape the gateway within 30 s; its log: $work/prometheus.log" >&2; exit 1; }
run scraped 64 "http://127.0.0.1:$gateway_port/bench/constant"
scrapes=$(curl -fs "http://127.0.0.1:$prometheus_port/api/v1/query?query=count_over_time(up%7Bjob%3D%22gateway%22%7D%5B10m%5D)" | sed -E 's/.*"value":\[[0-9.]+,"([0-9]+)"\].*/\1/')
kill "$prometheus_pid"
wait "$prometheus_pid" 2>/dev/null || true
run again 64 "http://127.0.0.1:$gateway_port/bench/constant"
echo "  (Prometheus scraped the gateway $scrapes times, every 5 s)"

minus() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
# Noise: how far the two unscraped runs are apart, as a share of their mean.
spread() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; printf "%.3f", d / ((a + b) / 2) }'; }
unscraped_mean=$(awk -v a="${rps[unscraped64]}" -v b="${rps[again64]}" 'BEGIN { printf "%.1f", (a + b) / 2 }')
echo
for connections in 16 64; do
  echo "gateway_over_direct_throughput_c$connections: $(ratio "${rps[gateway$connections]}" "${rps[direct$connections]}") (target: none, b/a)"
  echo "gateway_over_nginx_throughput_c$connections: $(ratio "${rps[gateway$connections]}" "${rps[nginx$connections]}") (target: >= 0.67, b/c, bare YARP's own ratio)"
done
for connections in 16 64; do
  echo "bare_yarp_over_nginx_throughput_c$connections: $(ratio "${rps[yarp$connections]}" "${rps[nginx$connections]}") (target: none, e/c, the 0.67 YARP's maintainers measure, on this machine)"
  echo "gateway_over_bare_yarp_throughput_c$connections: $(ratio "${rps[gateway$connections]}" "${rps[yarp$connections]}") (target: none, b/e, what the gateway's own work leaves of bare YARP's)"
done
echo "gateway_added_p99_ms_c64: $(minus "${p99[gateway64]}" "${p99[direct64]}") (target: <= 2.0)"
echo "bare_yarp_added_p99_ms_c64: $(minus "${p99[yarp64]}" "${p99[direct64]}") (target: none, for comparison)"
cpu_of() { awk -v name="$1" '{ for (i = 1; i < NF; i++) if ($i == name) print $(i + 1) }' <<<"$2"; }
echo "gateway_cpu_us_per_request_c64: $(cpu_of gateway "${cpu[gateway64]}") (target: none, nginx's $(cpu_of nginx "${cpu[nginx64]}"), bare YARP's $(cpu_of yarp "${cpu[yarp64]}"))"
echo "nginx_added_p99_ms_c64: $(minus "${p99[nginx64]}" "${p99[direct64]}") (target: none, for comparison)"
echo "scraped_over_unscraped_throughput_c64: $(ratio "${rps[scraped64]}" "$unscraped_mean") (target: within noise, 1 +/- $(spread "${rps[unscraped64]}" "${rps[again64]}"))"
echo "scraped_added_p99_ms_c64: $(minus "${p99[scraped64]}" "$(awk -v a="${p99[unscraped64]}" -v b="${p99[again64]}" 'BEGIN { printf "%.3f", (a + b) / 2 }')") (target: within noise, unscraped runs $(minus "${p99[unscraped64]}" "${p99[again64]}") ms apart)"
