#!/usr/bin/env bash
# Waiting-room benchmark (docs/adr/0010-waiting-room.md), one machine, one run, public tools (wrk,
# redis-server, the machine's PostgreSQL) and the harness's own load client (Tests/FlashSale
# --queue-load):
#   (c) BENCH_QUEUE_BUYERS (default 50,000) buyers join an event's queue through the gateway, each
#       with a token of its own, and poll their status as each answer says (pollAfterSeconds); once
#       all have joined, their requests are counted for BENCH_POLL_SECONDS (default 60): the load a
#       waiting crowd puts on the machine. The queue admits BENCH_ADMIT_RATE (default 50, the
#       waiting room's default) a second until its 1,000 places (one a buyer, the event's ticket
#       limit) are offered, as nobody holds; polls are due at that rate whatever admission does;
#       an admitted buyer stops polling, as its app moves on;
#   (a) wrk -> gateway: GET /api/waiting-room/events/{id}/status with a valid queue ticket, which
#       the gateway answers itself from the ticket and its snapshot of the queue (a place in the
#       pre-queue of a second event, whose sale opens tomorrow, so the place is never offered);
#   (b) wrk -> the same gateway, the same policies (buyer token, standard rate limit) -> a Kestrel
#       endpoint returning a constant body of the status answer's size (bench/Upstream): what the
#       route costs with no waiting-room work at all, the baseline bench/catalog.sh measures;
# and prints a/b (target >= 0.8) and c's request rate over a's (target < 0.33).
#
# Every process is a Release build started here: PostgreSQL (AppHost/embedded/postgres.sh in a
# temporary folder), Debian's redis-server (the gateway's rate limiter, the catalog's and booking's
# caches), the embedded Kafka broker (the catalog announces the events to booking and the waiting
# room), the upstream (which also signs the organizer's and the buyers' tokens every service
# validates here), the catalog, booking (the waiting room asks it what is left at every tick), the
# waiting room and the gateway, one each. Every rate limit is set far above the offered load. The
# services record 1 % of traces (BENCH_TRACE_SAMPLING=1 records every one). Both wrk paths are
# warmed up before either is measured.
#
# Usage: bench/waitingroom.sh [seconds per wrk run, default 10]
set -euo pipefail

duration=${1:-10}
warmup=${BENCH_WARMUP_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-64}
queue_buyers=${BENCH_QUEUE_BUYERS:-50000}
poll_seconds=${BENCH_POLL_SECONDS:-60}
admit_rate=${BENCH_ADMIT_RATE:-50}
source "$(dirname "$0")/lib.sh"
upstream_port=18131 constant_port=18132 gateway_port=18133 redis_port=18134 postgres_port=18135
kafka_port=18136 kafka_http_port=18137 catalog_port=18138 booking_port=18139 waiting_room_port=18140

require_tools wrk redis-server curl
find_postgres psql
require_free_ports $upstream_port $constant_port $gateway_port $redis_port $postgres_port $kafka_port $kafka_http_port $catalog_port $booking_port $waiting_room_port
raise_open_files_limit

bench_workdir waitingroom

echo "Building the catalog, booking, the waiting room, the gateway, the broker, the upstream and the load client (Release)..."
build_release Services/Catalog Services/Booking Services/WaitingRoom Services/Gateway Services/EmbeddedKafka bench/Upstream Tests/FlashSale

redis_password=$(secret)
postgres_password=$(secret)
# Signs queue tickets and admissions (the waiting room); the gateway and booking check them (at least 32 characters).
waiting_room_key=$(secret)$(secret)
# The gateway asks the waiting room for queue snapshots with this one (WaitingRoom:InternalKey).
waiting_room_internal_key=$(secret)$(secret)

start_redis "$redis_port" "$redis_password"
start_postgres catalogdb bookingdb waitingroomdb

start_kafka "$kafka_port" "$kafka_http_port"
start_upstream "$upstream_port" upstream.log
wait_for "http://127.0.0.1:$kafka_http_port/health"
wait_for "http://127.0.0.1:$upstream_port/constant"

issuer="http://127.0.0.1:$upstream_port"
common=(ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning "$sampling"
  ConnectionStrings__kafka="127.0.0.1:$kafka_port" ConnectionStrings__redis="127.0.0.1:$redis_port,password=$redis_password"
  Authentication__Issuer="$issuer/" Authentication__MetadataBaseAddress="$issuer")
env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$catalog_port" ConnectionStrings__catalogdb="$(connection catalogdb)" \
  dotnet "$(release Services/Catalog Boxoffice.Catalog)" "$(content_root Services/Catalog)" >"$work/catalog.log" 2>&1 &
pids+=($!)
env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$booking_port" ConnectionStrings__bookingdb="$(connection bookingdb)" \
  WaitingRoom__SigningKey="$waiting_room_key" \
  dotnet "$(release Services/Booking Boxoffice.Booking)" "$(content_root Services/Booking)" >"$work/booking.log" 2>&1 &
pids+=($!)
env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$waiting_room_port" ConnectionStrings__waitingroomdb="$(connection waitingroomdb)" \
  WaitingRoom__SigningKey="$waiting_room_key" WaitingRoom__InternalKey="$waiting_room_internal_key" WaitingRoom__BookingUrl="http://127.0.0.1:$booking_port" \
  dotnet "$(release Services/WaitingRoom Boxoffice.WaitingRoom)" "$(content_root Services/WaitingRoom)" >"$work/waiting-room.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$catalog_port/alive"
wait_for "http://127.0.0.1:$booking_port/health"
wait_for "http://127.0.0.1:$waiting_room_port/health"

# The gateway with its own routes (appsettings.json), its clusters pointed at the processes above,
# and one more route: /bench/... to the constant upstream, with the status endpoint's policies.
cluster() { # name address: the cluster's one destination (named like the cluster in appsettings.json)
  echo "ReverseProxy__Clusters__$1__Destinations__$1__Address=$2"
}
unlimited=1000000000
# shellcheck disable=SC2046 # the cluster settings are words on purpose
env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$gateway_port" \
  WaitingRoom__SigningKey="$waiting_room_key" WaitingRoom__InternalKey="$waiting_room_internal_key" WaitingRoom__Service="http://127.0.0.1:$waiting_room_port" \
  RateLimiting__Authenticated__TokenLimit=$unlimited RateLimiting__Authenticated__TokensPerSecond=$unlimited \
  RateLimiting__Anonymous__TokenLimit=$unlimited RateLimiting__Anonymous__TokensPerSecond=$unlimited \
  RateLimiting__QueueJoin__TokenLimit=$unlimited RateLimiting__QueueJoin__TokensPerSecond=$unlimited \
  $(cluster catalog "http://127.0.0.1:$catalog_port") $(cluster booking "http://127.0.0.1:$booking_port") \
  $(cluster waiting-room "http://127.0.0.1:$waiting_room_port") \
  ReverseProxy__Routes__bench__ClusterId=constant ReverseProxy__Routes__bench__Match__Path='/bench/{**rest}' \
  ReverseProxy__Routes__bench__AuthorizationPolicy=buyer ReverseProxy__Routes__bench__RateLimiterPolicy=standard \
  ReverseProxy__Routes__bench__Transforms__0__PathRemovePrefix=/bench \
  ReverseProxy__Clusters__constant__Destinations__d__Address="http://127.0.0.1:$constant_port" \
  dotnet "$(release Services/Gateway Boxoffice.Gateway)" "$(content_root Services/Gateway)" >"$work/gateway.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$gateway_port/health"
gateway="http://127.0.0.1:$gateway_port"

# The organizer (a token signed by the upstream's key, which every service trusts here) creates a
# venue and two events behind waiting rooms, publishes them and opens their sales: the queue event
# is open now; the status event's sale opens tomorrow, so its queue stays a pre-queue.
organizer=$(curl -fs "$issuer/token?sub=bench-organizer&scope=catalog.write&role=organizer")
api() { # method path [json]
  curl -fsS -X "$1" -H "Authorization: Bearer $organizer" -H 'Content-Type: application/json' ${3:+--data "$3"} "$gateway/api/catalog$2"
}
json_string() { sed -E "s/.*\"$1\":\"([^\"]+)\".*/\\1/"; }
venue=$(api POST /organizer/venues '{"name":"Bench Arena","city":"Porto","sections":[{"name":"Floor","kind":"general-admission","capacity":1000}]}' | json_id)
event_body() { # name sale-opens prequeue-opens
  printf '{"venueId":"%s","name":"%s","startsAt":"%s","saleOpensAt":"%s","saleClosesAt":"%s","currency":"EUR","tiers":[{"name":"Standing","price":30,"sections":["Floor"]}],"ticketLimit":1,"waitingRoom":{"prequeueOpensAt":"%s","admitPerSecond":%d}}' \
    "$venue" "$1" "$(date -u -d '+60 days' +%FT%TZ)" "$2" "$(date -u -d '+59 days' +%FT%TZ)" "$3" "$admit_rate"
}
queue_event=$(api POST /organizer/events "$(event_body 'Queue event' "$(date -u -d '-1 minute' +%FT%TZ)" "$(date -u -d '-2 minutes' +%FT%TZ)")" | json_id)
status_event=$(api POST /organizer/events "$(event_body 'Status event' "$(date -u -d '+1 day' +%FT%TZ)" "$(date -u -d '-1 minute' +%FT%TZ)")" | json_id)
for event in "$queue_event" "$status_event"; do
  api POST "/organizer/events/$event/publish" >/dev/null
  api POST "/organizer/events/$event/open-sale" >/dev/null
done
# Booking and the waiting room hear of them through Kafka.
for _ in $(seq 1 240); do
  curl -fs "$gateway/api/booking/events/$queue_event/availability" | grep -q '"on-sale"' && break
  sleep 0.25
done
wait_for "$gateway/api/waiting-room/events/$queue_event"
wait_for "$gateway/api/waiting-room/events/$status_event"

echo "(c) $queue_buyers buyers join the queue event through the gateway and poll as told; their requests counted for $poll_seconds s..."
load=$(dotnet "$(release Tests/FlashSale Boxoffice.FlashSale)" --queue-load --gateway "$gateway" --event "$queue_event" \
  --token-url "$issuer/token" --buyers "$queue_buyers" --poll-seconds "$poll_seconds" 2> >(sed 's/^/  /' >&2))
echo "$load" | sed 's/^/  /'

# (a) and (b): one buyer's place in the status event's pre-queue.
buyer=$(curl -fs "$issuer/token?sub=bench-status-buyer&scope=booking&role=buyer")
auth="Authorization: Bearer $buyer"
ticket=$(curl -fsS -X POST -H "$auth" "$gateway/api/waiting-room/events/$status_event/join" | json_string ticket)
ticket_header="Boxoffice-Queue-Ticket: $ticket"
status_url="$gateway/api/waiting-room/events/$status_event/status"
status_answer=$(curl -fsS -H "$auth" -H "$ticket_header" "$status_url")
if ! grep -q '"state":"pre-queue"' <<<"$status_answer"; then
  echo "The status of a place in the status event's pre-queue answered: $status_answer" >&2
  exit 1
fi
status_bytes=$(printf '%s' "$status_answer" | wc -c)
start_upstream "$constant_port" constant.log --BodyBytes "$status_bytes"
constant_url="$gateway/bench/constant"
wait_for "$constant_url" "$auth"
constant_bytes=$(curl -fs -H "$auth" "$constant_url" | wc -c)

declare -A rps p99
run() { wrk_run 10 "$@"; } # name url [headers...]

echo "Warming up both paths (${warmup} s each)..."
wrk -t2 -c"$connections" -d"$warmup"s -H "$auth" -H "$ticket_header" "$status_url" >/dev/null
wrk -t2 -c"$connections" -d"$warmup"s -H "$auth" "$constant_url" >/dev/null
echo "wrk, ${duration} s per run, 2 threads, $connections connections, one buyer's token, ${status_bytes}-byte status and ${constant_bytes}-byte constant bodies; everything shares this machine's $(nproc) cores:"
run status "$status_url" -H "$auth" -H "$ticket_header"
run constant "$constant_url" -H "$auth"

poll_rate=$(value "$load" request_rate)
echo
echo "queue_status_vs_constant: $(ratio "${rps[status]}" "${rps[constant]}") (target: >= 0.8)"
echo "queue_poll_load_share: $(ratio "$poll_rate" "${rps[status]}") (target: < 0.33)"
echo "queue_status_requests_per_second: ${rps[status]} (target: none, a)"
echo "queue_poll_requests_per_second: $poll_rate (target: none, c: $(value "$load" joined) buyers waiting, p99 $(value "$load" p99_ms) ms)"
echo "queue_poll_errors: $(value "$load" errors) (target: 0)"
echo "queue_joined: $(value "$load" joined) of $queue_buyers (target: all, in $(value "$load" join_seconds) s)"
