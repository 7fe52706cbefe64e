#!/usr/bin/env bash
# Catalog read-path benchmark, one machine, one run, public tools (wrk, redis-server, the
# machine's PostgreSQL with pg_stat_statements):
#   (a) wrk -> gateway -> catalog, GET one event's detail, cache warm
#   (b) wrk -> the same gateway, same policies -> a Kestrel endpoint returning a constant body of
#       the same size (bench/Upstream): what the route costs with no catalog work at all
#   (c) wrk -> the same gateway -> a second catalog process with its cache turned off
#       (Catalog:Cache:Enabled=false): every request reads PostgreSQL
#   (d) 1,000 connections opened at once for an event nobody has read yet, through the gateway to
#       two cached catalog replicas: PostgreSQL's own statement counter says how many times the
#       event-detail query ran
# and prints the ratios a/b (target >= 0.8) and c/a (what the cache is worth).
#
# Every process is a Release build started here: PostgreSQL (AppHost/embedded/postgres.sh in a
# temporary folder), Debian's redis-server (the cache's second level and the gateway's rate
# limiter), the embedded Kafka broker (the catalog's outbox and cache invalidation), the
# upstream (which also signs the organizer's token the gateway and catalog validate), three
# catalog processes and the gateway. The anonymous rate limit is set far above the offered load.
# The services record 1 % of traces (Telemetry:TraceSamplingRatio), as a busy deployment would;
# BENCH_TRACE_SAMPLING=1 records every one. Every path is warmed up before any is measured.
#
# Usage: bench/catalog.sh [seconds per run, default 10]
set -euo pipefail

duration=${1:-10}
warmup=${BENCH_WARMUP_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
burst=1000
source "$(dirname "$0")/lib.sh"
upstream_port=18091 constant_port=18092 gateway_port=18093 redis_port=18094 postgres_port=18095
kafka_port=18096 kafka_http_port=18097 catalog_port=18098 uncached_port=18099 replica_port=18100

require_tools wrk redis-server curl
find_postgres psql pg_stat_statements
require_free_ports $upstream_port $constant_port $gateway_port $redis_port $postgres_port $kafka_port $kafka_http_port $catalog_port $uncached_port $replica_port
raise_open_files_limit

bench_workdir catalog

echo "Building the catalog, the gateway, the broker and the upstream (Release)..."
build_release Services/Catalog Services/Gateway Services/EmbeddedKafka bench/Upstream

redis_password=$(secret)
postgres_password=$(secret)
# The gateway checks waiting-room tickets and admissions with it (at least 32 characters); the
# benchmark's events have no waiting room, and no waiting room runs: the gateway's queue snapshot
# fetch is pointed at the upstream, which has none (it logs that once and answers as before).
waiting_room_key=$(secret)$(secret)
# The gateway asks the waiting room for queue snapshots with this one (WaitingRoom:InternalKey).
waiting_room_internal_key=$(secret)$(secret)

start_redis "$redis_port" "$redis_password"
start_postgres catalogdb
start_kafka "$kafka_port" "$kafka_http_port"
start_upstream "$upstream_port" upstream.log
wait_for "http://127.0.0.1:$kafka_http_port/health"
wait_for "http://127.0.0.1:$upstream_port/constant"

catalog() { # port log [extra environment...]
  local port=$1 log=$2
  shift 2
  env ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning $sampling \
    ConnectionStrings__catalogdb="$(connection catalogdb)" \
    ConnectionStrings__redis="127.0.0.1:$redis_port,password=$redis_password" \
    ConnectionStrings__kafka="127.0.0.1:$kafka_port" \
    Authentication__Issuer="http://127.0.0.1:$upstream_port/" Authentication__MetadataBaseAddress="http://127.0.0.1:$upstream_port" \
    "$@" dotnet "$(release Services/Catalog Boxoffice.Catalog)" "$(content_root Services/Catalog)" >"$work/$log" 2>&1 &
  pids+=($!)
}
catalog $catalog_port catalog.log
wait_for "http://127.0.0.1:$catalog_port/alive"   # the first one applies the migrations
catalog $uncached_port catalog-uncached.log Catalog__Cache__Enabled=false
catalog $replica_port catalog-replica.log
wait_for "http://127.0.0.1:$uncached_port/alive"
wait_for "http://127.0.0.1:$replica_port/alive"

route() { # name path-prefix cluster
  echo "ReverseProxy__Routes__$1__ClusterId=$3 ReverseProxy__Routes__$1__Match__Path=$2/{**rest}"
  echo "ReverseProxy__Routes__$1__AuthorizationPolicy=anonymous ReverseProxy__Routes__$1__RateLimiterPolicy=standard"
  echo "ReverseProxy__Routes__$1__Transforms__0__PathRemovePrefix=$2"
}
# shellcheck disable=SC2046 # the route settings are words on purpose
env ASPNETCORE_URLS="http://127.0.0.1:$gateway_port" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning $sampling \
  ConnectionStrings__redis="127.0.0.1:$redis_port,password=$redis_password" \
  Authentication__Issuer="http://127.0.0.1:$upstream_port/" Authentication__MetadataBaseAddress="http://127.0.0.1:$upstream_port" \
  RateLimiting__Anonymous__TokenLimit=1000000000 RateLimiting__Anonymous__TokensPerSecond=1000000000 \
  WaitingRoom__SigningKey="$waiting_room_key" WaitingRoom__InternalKey="$waiting_room_internal_key" WaitingRoom__Service="http://127.0.0.1:$upstream_port" \
  ReverseProxy__Clusters__catalog__Destinations__catalog__Address="http://127.0.0.1:$catalog_port" \
  $(route constant /bench constant) ReverseProxy__Clusters__constant__Destinations__d__Address="http://127.0.0.1:$constant_port" \
  $(route uncached /uncached uncached) ReverseProxy__Clusters__uncached__Destinations__d__Address="http://127.0.0.1:$uncached_port" \
  $(route replicas /replicas replicas) \
  ReverseProxy__Clusters__replicas__Destinations__a__Address="http://127.0.0.1:$catalog_port" \
  ReverseProxy__Clusters__replicas__Destinations__b__Address="http://127.0.0.1:$replica_port" \
  dotnet "$(release Services/Gateway Boxoffice.Gateway)" "$(content_root Services/Gateway)" >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$gateway_port/health"

# An organizer (token signed by the upstream's key, which gateway and catalog trust here)
# creates a venue of 1,000 seats and 500 standing places and two events, and publishes them.
token=$(curl -fs "http://127.0.0.1:$upstream_port/token?sub=bench-organizer&scope=catalog.write&role=organizer")
api() { # method path [json]
  curl -fsS -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${3:+--data "$3"} \
    "http://127.0.0.1:$gateway_port/api/catalog$2"
}
rows=$(for r in $(seq 1 20); do printf '{"label":"R%d","seats":50},' "$r"; done)
venue=$(api POST /organizer/venues "{\"name\":\"Bench Arena\",\"city\":\"Porto\",\"sections\":[{\"name\":\"Stalls\",\"kind\":\"seated\",\"rows\":[${rows%,}]},{\"name\":\"Floor\",\"kind\":\"general-admission\",\"capacity\":500}]}" | json_id)
event_body() {
  printf '{"venueId":"%s","name":"%s","description":"A benchmark evening.","startsAt":"%s","saleOpensAt":"%s","saleClosesAt":"%s","currency":"EUR","tiers":[{"name":"Seated","price":45.5,"sections":["Stalls"]},{"name":"Standing","price":30,"sections":["Floor"]}]}' \
    "$venue" "$1" "$(date -u -d '+60 days' +%FT%TZ)" "$(date -u +%FT%TZ)" "$(date -u -d '+59 days' +%FT%TZ)"
}
warm=$(api POST /organizer/events "$(event_body 'Warm event')" | json_id)
cold=$(api POST /organizer/events "$(event_body 'Cold event')" | json_id)
api POST "/organizer/events/$warm/publish" >/dev/null
api POST "/organizer/events/$cold/publish" >/dev/null

# The constant body has exactly the size of the event's JSON.
detail_bytes=$(curl -fs "http://127.0.0.1:$gateway_port/api/catalog/events/$warm" | wc -c)
start_upstream "$constant_port" constant.log --BodyBytes "$detail_bytes"
wait_for "http://127.0.0.1:$gateway_port/bench/constant"
constant_bytes=$(curl -fs "http://127.0.0.1:$gateway_port/bench/constant" | wc -c)
uncached_bytes=$(curl -fs "http://127.0.0.1:$gateway_port/uncached/events/$warm" | wc -c)
if [ "$constant_bytes" != "$detail_bytes" ] || [ "$uncached_bytes" != "$detail_bytes" ]; then
  echo "Bodies differ in size: detail $detail_bytes, constant $constant_bytes, uncached $uncached_bytes bytes." >&2
  exit 1
fi

# Let the publications' cache invalidations (through Kafka) pass before anything is measured.
sleep 2

declare -A rps p99
run() { wrk_run 15 "$@"; } # name url

# Steady state for every path before any is measured: the JIT's tiering and the caches settle
# under load, and a path measured first would otherwise pay for warming the shared gateway.
echo "Warming up every path (${warmup} s each)..."
for url in "http://127.0.0.1:$gateway_port/api/catalog/events/$warm" "http://127.0.0.1:$gateway_port/bench/constant" \
  "http://127.0.0.1:$gateway_port/uncached/events/$warm" "http://127.0.0.1:$catalog_port/events/$warm" "http://127.0.0.1:$constant_port/constant" \
  "http://127.0.0.1:$gateway_port/api/catalog/events/$warm"; do
  wrk -t2 -c"$connections" -d"$warmup"s "$url" >/dev/null
done

echo "wrk, ${duration} s per run, 2 threads, $connections connections, ${detail_bytes}-byte body, through the gateway; everything shares this machine's $(nproc) cores:"
run cached "http://127.0.0.1:$gateway_port/api/catalog/events/$warm"
run constant "http://127.0.0.1:$gateway_port/bench/constant"
run uncached "http://127.0.0.1:$gateway_port/uncached/events/$warm"
echo "the same without the gateway, for reference:"
run direct-cached "http://127.0.0.1:$catalog_port/events/$warm"
run direct-constant "http://127.0.0.1:$constant_port/constant"

# The cold burst: 1,000 connections open at once and each asks for the cold event; wrk keeps
# asking for a second, so the later requests are cache hits.
psql_in catalogdb "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
detail_queries() {
  psql_in catalogdb "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                WHERE d.datname = 'catalogdb' AND s.query LIKE '%FROM events e JOIN venues v ON v.id = e.venue_id%WHERE e.id = \$1%'"
}
before=$(detail_queries)
burst_out=$(wrk -t2 -c"$burst" -d1s "http://127.0.0.1:$gateway_port/replicas/events/$cold")
after=$(detail_queries)
burst_requests=$(awk '/requests in/ { print $1 }' <<<"$burst_out")
if grep -q 'Non-2xx\|Socket errors' <<<"$burst_out"; then
  echo "The cold burst answered errors:" >&2
  echo "$burst_out" >&2
  exit 1
fi
echo "  cold burst: $burst connections at once, $burst_requests requests in 1 s to two catalog replicas, $((after - before)) event-detail queries in PostgreSQL"

echo
echo "cached_over_constant_throughput: $(ratio "${rps[cached]}" "${rps[constant]}") (target: >= 0.8)"
echo "direct_cached_over_direct_constant_throughput: $(ratio "${rps[direct-cached]}" "${rps[direct-constant]}") (target: none, the catalog's own share)"
echo "uncached_over_cached_throughput: $(ratio "${rps[uncached]}" "${rps[cached]}") (target: none, the cache's worth)"
echo "cold_burst_database_queries: $((after - before)) (target: 1)"
