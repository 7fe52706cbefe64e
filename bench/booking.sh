#!/usr/bin/env bash
# Booking benchmark, one machine, one run, public tools (pgbench from PostgreSQL, redis-server)
# and the project's own load client (bench/BookingLoad):
#   (a) holds/s: BENCH_BUYERS (default 1,000) buyers race for holds of one place each on an event
#       of 50,000 places, each taking hold after hold for the run; afterwards the database must
#       show exactly as many held units as holds answered (zero oversell), or the script fails;
#       divided by pgbench -N TPS at the same client count on the same PostgreSQL (target >= 1.0),
#       and, for scale, by pgbench -N at booking's own pool size (30 connections); then the same
#       buyers with 64 holds in flight against pgbench -N at 64 clients (target >= 0.5), with the
#       CPU each hold costs booking, PostgreSQL and the load client (from /proc around the race),
#       and that race again with an Idempotency-Key on every hold, as the flash sale's buyers send;
#   (b) OrderPlaced -> TicketsIssued latency, p50 and p99, with the provider answering at once, for
#       orders placed at a steady BENCH_ORDER_RATE (default 50) a second for 15 s, an open loop,
#       after a 3 s warm-up at the same pace whose orders are all confirmed first; read from booking's outbox (both events are written by booking, one clock; target
#       p99 <= 250 ms), with each hop's p50 and p99 (booking's relay, Kafka to payments, the charge
#       and payments' relay, Kafka to booking);
#   (c) outbox relay messages/s (rows committed at once, relayed by booking, after a warm-up of a
#       fifth as many) divided by a raw Confluent.Kafka producer's messages/s, same size, same
#       broker, same topic (target >= 0.5), with the CPU each message costs by process.
#
# Every process is a Release build started here: PostgreSQL (AppHost/embedded/postgres.sh, with
# max_connections raised for pgbench's clients), Debian's redis-server, the embedded Kafka broker,
# the upstream (its token issuer signs the buyers' tokens booking validates), the payment
# provider, payments and booking. Booking is called directly: the gateway is measured by
# bench/gateway.sh. 1 % of traces are recorded (BENCH_TRACE_SAMPLING=1 records all).
#
# Usage: bench/booking.sh [seconds per run, default 10]
# BENCH_BOOKING_SETTINGS="Name=value ..." adds settings to booking's environment (for experiments,
# e.g. Messaging__Outbox__BatchSize=20000). BENCH_PARTS="holds latency relay" (the default) picks
# which of (a), (b) and (c) run, for an experiment on one of them; BENCH_RELAY_MESSAGES (default
# 50,000) makes (c) long enough to profile (bench/README.md, "Profile"). BENCH_STATEMENTS=1 prints
# PostgreSQL's top statements of each 64-in-flight race (pg_stat_statements, statements inside
# functions too; counting them costs some of the race's speed).
set -euo pipefail

duration=${1:-10}
buyers=${BENCH_BUYERS:-1000}
order_rate=${BENCH_ORDER_RATE:-50}
[[ "$order_rate" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_ORDER_RATE must be a whole number of orders a second, at least 1." >&2; exit 2; }
parts=" ${BENCH_PARTS:-holds latency relay} "
part() { [[ "$parts" == *" $1 "* ]]; }
for name in $parts; do
  case "$name" in
    holds | latency | relay) ;;
    *) echo "BENCH_PARTS: unknown part '$name' (holds, latency, relay, separated by spaces)" >&2; exit 2 ;;
  esac
done
source "$(dirname "$0")/lib.sh"
upstream_port=18111 redis_port=18112 postgres_port=18113 kafka_port=18114 kafka_http_port=18115
provider_port=18116 payments_port=18117 booking_port=18118

require_tools redis-server curl
if [ "${BENCH_STATEMENTS:-0}" = 1 ]; then find_postgres pgbench pg_stat_statements; else find_postgres pgbench; fi
require_free_ports $upstream_port $redis_port $postgres_port $kafka_port $kafka_http_port $provider_port $payments_port $booking_port
raise_open_files_limit

bench_workdir booking

echo "Building booking, payments, the provider, the broker, the upstream and the load client (Release)..."
build_release Services/Booking Services/Payments Services/PaymentProvider Services/EmbeddedKafka bench/Upstream bench/BookingLoad
redis_password=$(secret)
postgres_password=$(secret)
provider_key=$(secret)
# Booking checks waiting-room admissions with it (at least 32 characters); the benchmark's events have no waiting room.
waiting_room_key=$(secret)$(secret)

start_redis "$redis_port" "$redis_password"
BOXOFFICE_PG_MAX_CONNECTIONS=$((buyers + 200)) start_postgres bookingdb paymentsdb providerdb pgbenchdb

start_kafka "$kafka_port" "$kafka_http_port" Broker__ExtraTopics__0=bench.relay
start_upstream "$upstream_port" upstream.log
wait_for "http://127.0.0.1:$kafka_http_port/health"
wait_for "http://127.0.0.1:$upstream_port/constant"

common=(ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning "$sampling" ConnectionStrings__kafka="127.0.0.1:$kafka_port")
env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$provider_port" ConnectionStrings__providerdb="$(connection providerdb)" \
  PaymentProvider__ApiKey="$provider_key" PaymentProvider__AdminKey="$(secret)" \
  dotnet "$(release Services/PaymentProvider Boxoffice.PaymentProvider)" "$(content_root Services/PaymentProvider)" >"$work/provider.log" 2>&1 &
pids+=($!)
env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$payments_port" ConnectionStrings__paymentsdb="$(connection paymentsdb)" \
  Payments__Provider__Url="http://127.0.0.1:$provider_port" Payments__Provider__ApiKey="$provider_key" \
  Authentication__Issuer="http://127.0.0.1:$upstream_port/" Authentication__MetadataBaseAddress="http://127.0.0.1:$upstream_port" \
  dotnet "$(release Services/Payments Boxoffice.Payments)" "$(content_root Services/Payments)" >"$work/payments.log" 2>&1 &
pids+=($!)
# Buyers take hold after hold in the race: the per-buyer cap is lifted for it.
env "${common[@]}" ASPNETCORE_URLS="http://127.0.0.1:$booking_port" ConnectionStrings__bookingdb="$(connection bookingdb)" \
  ConnectionStrings__redis="127.0.0.1:$redis_port,password=$redis_password" \
  Authentication__Issuer="http://127.0.0.1:$upstream_port/" Authentication__MetadataBaseAddress="http://127.0.0.1:$upstream_port" \
  WaitingRoom__SigningKey="$waiting_room_key" Booking__MaxUnitsPerBuyer=100 ${BENCH_BOOKING_SETTINGS:-} \
  dotnet "$(release Services/Booking Boxoffice.Booking)" "$(content_root Services/Booking)" >"$work/booking.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$provider_port/alive"
wait_for "http://127.0.0.1:$payments_port/alive"
wait_for "http://127.0.0.1:$booking_port/health"

load() { dotnet "$(release bench/BookingLoad Boxoffice.Bench.BookingLoad)" "$@" \
  booking="http://127.0.0.1:$booking_port/" upstream="http://127.0.0.1:$upstream_port/" kafka="127.0.0.1:$kafka_port" db="$(connection bookingdb)"; }

# CPU per hold by process, read from /proc around the measured race (bench/README.md, "Profile").
cpu_groups='cpu=booking:Boxoffice\.Booking\.dll,postgres:^postgres|/postgres -D,redis:^redis-server,client:Boxoffice\.Bench\.BookingLoad\.dll'
race() { # buyers requests-in-flight [keyed]
  local out
  echo "Race: $1 buyers, $2 holds in flight${3:+, each with an Idempotency-Key}, for ${duration} s (after a warm-up race)..." >&2
  out=$(load race buyers="$1" lanes="$2" seconds="$duration" places=50000 ${3:+keyed=true} "$cpu_groups")
  echo "$out" | sed 's/^/  /' >&2
  if [ "$(value "$out" oversold)" != 0 ] || [ "$(value "$out" errors)" != 0 ]; then
    echo "The race oversold or failed requests: see above." >&2
    exit 1
  fi
  echo "$out"
}
# What one run leaves behind (its events in the outbox, its rows for autovacuum, dirty pages)
# must not be paid by the next measured run: the outbox drains first (at most a minute), then
# booking's tables are vacuumed and a checkpoint taken.
settle() {
  echo "Letting booking's relay and PostgreSQL's upkeep finish before $1..." >&2
  for _ in $(seq 1 120); do
    [ "$(psql_in bookingdb "SELECT count(*) FROM outbox WHERE published_at IS NULL AND failed_at IS NULL")" = 0 ] && break
    sleep 0.5
  done
  psql_in bookingdb "VACUUM (ANALYZE)" >/dev/null
  psql_in bookingdb "CHECKPOINT" >/dev/null
}
# BENCH_STATEMENTS=1: PostgreSQL's top statements of one race (its warm-up included).
statements_reset() {
  if [ "${BENCH_STATEMENTS:-0}" = 1 ]; then
    psql_in bookingdb "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
    psql_in bookingdb "ALTER SYSTEM SET pg_stat_statements.track = 'all'" >/dev/null
    psql_in bookingdb "SELECT pg_reload_conf()" >/dev/null
    psql_in bookingdb "SELECT pg_stat_statements_reset()" >/dev/null
  fi
}
statements_print() {
  if [ "${BENCH_STATEMENTS:-0}" = 1 ]; then
    echo "PostgreSQL's top statements of the warm-up and race $1 (calls, µs a call, ms in all):"
    psql_in bookingdb "SELECT calls || '  ' || round((total_exec_time / calls * 1000)::numeric, 1) || '  ' || round(total_exec_time::numeric) || '  ' || left(regexp_replace(query, '\s+', ' ', 'g'), 120)
                       FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" | sed 's/^/  /'
  fi
}
if part holds; then
  race=$(race "$buyers" "$buyers")
  # 64 in flight, taking turns among the same buyers: 64 buyers alone would reach the per-buyer cap
  # (100 units) within seconds and be refused from then on. Without a key and with one, each
  # after the last one's leftovers are settled.
  settle "the race at 64 in flight"
  statements_reset
  race64=$(race "$buyers" 64)
  statements_print "at 64 in flight"
  settle "the keyed race"
  statements_reset
  race64keyed=$(race "$buyers" 64 keyed)
  statements_print "at 64 in flight, each hold with an Idempotency-Key"

  # pgbench's TPS leaves out its clients' connecting, which it counts against the run's time: at
  # 1,000 clients (SCRAM over TCP, a backend forked for each) that took more than 10 s on the
  # two-core machine, and a 10 s run measured nothing. Each 50 clients get a second more.
  pgbench() { # clients
    local tps
    tps=$(PGPASSWORD=$postgres_password "$postgres_bin/pgbench" -h 127.0.0.1 -p "$postgres_port" -U postgres -n -N -c "$1" -j 2 -T "$((duration + $1 / 50))" pgbenchdb 2>"$work/pgbench-c$1.log" \
      | awk '/^tps = / { print $3 }')
    if [ -z "$tps" ]; then
      echo "pgbench -c $1 failed: $(tail -3 "$work/pgbench-c$1.log")" >&2
      exit 1
    fi
    echo "$tps"
  }
  # pgbench measures PostgreSQL alone: booking's relay sending the races' events and PostgreSQL's
  # upkeep of their rows (autovacuum, the checkpoint) ran into it before, and its TPS at 64
  # clients spread from 3,115 to 4,813 over four invocations.
  settle "pgbench"
  echo "pgbench -N on the same PostgreSQL..."
  PGPASSWORD=$postgres_password "$postgres_bin/pgbench" -h 127.0.0.1 -p "$postgres_port" -U postgres -i -q -s 10 pgbenchdb >/dev/null 2>&1
  tps_crowd=$(pgbench "$buyers")
  tps_pool=$(pgbench 30)
  tps_64=$(pgbench 64)
  echo "  -c $buyers: $tps_crowd TPS; -c 64: $tps_64 TPS; -c 30: $tps_pool TPS"
fi

if part latency; then
  echo "OrderPlaced -> TicketsIssued, $order_rate orders/s for 15 s (an open loop), provider latency 0..."
  latency=$(load latency orders=$((order_rate * 15)) rate="$order_rate")
  echo "$latency" | sed 's/^/  /'
fi

if part relay; then
  echo "Outbox relay against a raw producer, ${BENCH_RELAY_MESSAGES:-50000} messages of 300 bytes..."
  relay=$(dotnet "$(release bench/BookingLoad Boxoffice.Bench.BookingLoad)" relay kafka="127.0.0.1:$kafka_port" db="$(connection bookingdb)" messages="${BENCH_RELAY_MESSAGES:-50000}" topic=bench.relay \
    'cpu=booking:Boxoffice\.Booking\.dll,postgres:^postgres|/postgres -D,broker:Boxoffice\.EmbeddedKafka\.dll,client:Boxoffice\.Bench\.BookingLoad\.dll')
  echo "$relay" | sed 's/^/  /'
fi

echo
if part holds; then
  holds=$(value "$race" holds_per_second)
  echo "holds_per_second: $holds (target: none)"
  echo "holds_over_pgbench_tps_c$buyers: $(ratio "$holds" "$tps_crowd") (target: >= 1.0)"
  echo "holds_over_pgbench_tps_c30: $(ratio "$holds" "$tps_pool") (target: none, booking's pool size)"
  echo "holds_over_pgbench_tps_c64: $(ratio "$(value "$race64" holds_per_second)" "$tps_64") (target: >= 0.5)"
  echo "hold_cpu_us_c64: booking $(value "$race64" cpu_us_booking), PostgreSQL $(value "$race64" cpu_us_postgres), load client $(value "$race64" cpu_us_client) (target: none, per hold request)"
  echo "keyed_holds_over_pgbench_tps_c64: $(ratio "$(value "$race64keyed" holds_per_second)" "$tps_64") (target: >= 0.5, as without a key)"
  echo "keyed_hold_cpu_us_c64: booking $(value "$race64keyed" cpu_us_booking), PostgreSQL $(value "$race64keyed" cpu_us_postgres), load client $(value "$race64keyed" cpu_us_client) (target: none, per hold request)"
fi
if part latency; then
  echo "order_to_tickets_p50_ms: $(value "$latency" p50_ms) (target: none)"
  echo "order_to_tickets_p99_ms: $(value "$latency" p99_ms) (target: <= 250 at 50 orders/s; this run $order_rate/s)"
  echo "order_to_tickets_orders_per_second: $(value "$latency" orders_per_second) (target: $order_rate, the pace asked)"
  for hop in relay_booking to_payments charge_and_relay_payments to_booking; do
    echo "order_hop_${hop}_p99_ms: $(value "$latency" "hop_${hop}_p99_ms") (target: none, p50 $(value "$latency" "hop_${hop}_p50_ms"))"
  done
fi
if part relay; then
  echo "relay_over_raw_producer: $(ratio "$(value "$relay" relay_per_second)" "$(value "$relay" raw_per_second)") (target: >= 0.5)"
  echo "relay_cpu_us_per_message: booking $(value "$relay" cpu_us_relay_booking), PostgreSQL $(value "$relay" cpu_us_relay_postgres), broker $(value "$relay" cpu_us_relay_broker); raw producer: client $(value "$relay" cpu_us_raw_client), broker $(value "$relay" cpu_us_raw_broker) (target: none)"
fi
