#!/usr/bin/env bash
# Event search and the storefront's pages, one machine, one run, public tools (wrk, redis-server,
# the machine's PostgreSQL):
#   (a) 100,000 published events (1,000 venues in 50 cities) are loaded into catalogdb
#   (b) wrk -> gateway -> catalog: a mix of searches (text, city, dates, pages) with the cache warm
#   (c) the same mix -> gateway -> a second catalog process with its cache off: every search reads
#       PostgreSQL (the word index of migration 0006)
#   (d) wrk -> gateway -> storefront: the bill, a search page and an event page, 16 connections
# and prints p50 and p99 of each, the uncached-over-cached ratio, and the pages' p99. Searches run
# twice: at 16 connections, where the uncached path saturates both cores and its p99 is mostly
# queueing, and at 2 (one request per core), where latency is a search's own cost.
#
# Every process is a Release build started here: PostgreSQL (AppHost/embedded/postgres.sh),
# Debian's redis-server, the embedded Kafka broker, the upstream (it signs the organizer's token,
# and stands in for booking and the waiting room, which the pages ask for counts and queues: it has
# neither, so the event page shows no counts), two catalog processes, the storefront and the
# gateway. The anonymous rate limit is set far above the offered load. Every path is warmed first.
#
# Usage: bench/search.sh [seconds per run, default 10]
set -euo pipefail

duration=${1:-10}
warmup=${BENCH_WARMUP_SECONDS:-10}
connections=${BENCH_CONNECTIONS:-16}
events=${BENCH_EVENTS:-100000}
source "$(dirname "$0")/lib.sh"
upstream_port=18191 gateway_port=18193 redis_port=18194 postgres_port=18195 kafka_port=18196 kafka_http_port=18197
catalog_port=18198 uncached_port=18199 storefront_port=18200

require_tools wrk redis-server curl
find_postgres psql
require_free_ports $upstream_port $gateway_port $redis_port $postgres_port $kafka_port $kafka_http_port $catalog_port $uncached_port $storefront_port
raise_open_files_limit

bench_workdir search

echo "Building the catalog, the storefront, the gateway, the broker and the upstream (Release)..."
build_release Services/Catalog Services/Storefront Services/Gateway Services/EmbeddedKafka bench/Upstream

redis_password=$(secret)
postgres_password=$(secret)
waiting_room_key=$(secret)$(secret)
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
wait_for "http://127.0.0.1:$uncached_port/alive"

echo "Loading $events published events into catalogdb..."
psql_in catalogdb "
  INSERT INTO venues (id, organizer_id, name, city, address, capacity)
  SELECT md5('venue' || v)::uuid, 'bench-organizer',
         (ARRAY['Coliseu','Teatro','Arena','Hall','Casa','Palace','Garden','Club','Dome','Stage'])[1 + v % 10] || ' ' || v,
         (ARRAY['Porto','Lisbon','Braga','Coimbra','Faro','Aveiro','Evora','Leiria','Viseu','Madrid','Sevilla','Valencia','Bilbao','Paris',
                'Lyon','Nantes','Berlin','Hamburg','Munich','Cologne','Vienna','Prague','Warsaw','Krakow','Rome','Milan','Naples','Turin',
                'Athens','Dublin','Cork','London','Leeds','Bristol','Glasgow','Oslo','Bergen','Malmo','Aarhus','Ghent','Antwerp','Utrecht',
                'Zurich','Basel','Geneva','Lille','Nice','Seville','Granada','Malaga'])[1 + v % 50],
         'Street ' || v, 1000
  FROM generate_series(0, 999) AS v;
  INSERT INTO events (id, organizer_id, venue_id, name, description, starts_at, sale_opens_at, sale_closes_at, currency, status, published_at)
  SELECT md5('event' || e)::uuid, 'bench-organizer', md5('venue' || (e % 1000))::uuid,
         (ARRAY['Fado','Jazz','Opera','Rock','Indie','Folk','Techno','Ballet','Comedy','Blues','Soul','Samba','Tango','Choir','Piano',
                'Strings','Brass','Reggae','Punk','Metal'])[1 + e % 20] || ' ' ||
         (ARRAY['night','nights','festival','live','evening','matinee','sessions','weekend','gala','tour','showcase','marathon'])[1 + (e / 20) % 12]
           || ' ' || e,
         'A benchmark event.', now() + make_interval(hours => 24 + e % 17000), now() - interval '1 day',
         now() + make_interval(hours => 23 + e % 17000), 'EUR', CASE WHEN e % 3 = 0 THEN 'on-sale' ELSE 'published' END, now()
  FROM generate_series(0, $events - 1) AS e;
  ANALYZE venues; ANALYZE events;" >/dev/null

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
  ReverseProxy__Clusters__storefront__Destinations__storefront__Address="http://127.0.0.1:$storefront_port" \
  $(route uncached /uncached uncached) ReverseProxy__Clusters__uncached__Destinations__d__Address="http://127.0.0.1:$uncached_port" \
  dotnet "$(release Services/Gateway Boxoffice.Gateway)" "$(content_root Services/Gateway)" >"$work/gateway.log" 2>&1 &
pids+=($!)

env ASPNETCORE_URLS="http://127.0.0.1:$storefront_port" ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning $sampling \
  ConnectionStrings__redis="127.0.0.1:$redis_port,password=$redis_password" \
  Storefront__PublicUrl="http://127.0.0.1:$gateway_port" Storefront__ClientSecret="$(secret)" \
  services__catalog__http__0="http://127.0.0.1:$catalog_port" services__identity__http__0="http://127.0.0.1:$upstream_port" \
  services__booking__http__0="http://127.0.0.1:$upstream_port" services__waiting-room__http__0="http://127.0.0.1:$upstream_port" \
  services__gateway__http__0="http://127.0.0.1:$gateway_port" \
  dotnet "$(release Services/Storefront Boxoffice.Storefront)" "$(content_root Services/Storefront)" >"$work/storefront.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$gateway_port/health"
wait_for "http://127.0.0.1:$storefront_port/health"

# One event made through the API, complete with a seat map, for the event page.
# Another organizer than the loaded events' (whose thousand venues are past the quota of new venues a day).
token=$(curl -fs "http://127.0.0.1:$upstream_port/token?sub=bench-pages&scope=catalog.write&role=organizer")
api() { # method path [json]
  curl -fsS -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' ${3:+--data "$3"} \
    "http://127.0.0.1:$gateway_port/api/catalog$2"
}
rows=$(for r in $(seq 1 10); do printf '{"label":"R%d","seats":20},' "$r"; done)
venue=$(api POST /organizer/venues "{\"name\":\"Bench Arena\",\"city\":\"Porto\",\"sections\":[{\"name\":\"Stalls\",\"kind\":\"seated\",\"rows\":[${rows%,}]},{\"name\":\"Floor\",\"kind\":\"general-admission\",\"capacity\":500}]}" | json_id)
event=$(api POST /organizer/events "$(printf '{"venueId":"%s","name":"Fado gala","description":"The page the benchmark opens.","startsAt":"%s","saleOpensAt":"%s","saleClosesAt":"%s","currency":"EUR","tiers":[{"name":"Seated","price":45.5,"sections":["Stalls"]},{"name":"Standing","price":30,"sections":["Floor"]}]}' \
  "$venue" "$(date -u -d '+60 days' +%FT%TZ)" "$(date -u +%FT%TZ)" "$(date -u -d '+59 days' +%FT%TZ)")" | json_id)
api POST "/organizer/events/$event/publish" >/dev/null
api POST "/organizer/events/$event/open-sale" >/dev/null
sleep 2

# The searches: words of the names, cities, dates and deeper pages, alone and together; each
# request of a run takes the next one, round the list.
from=$(date -u -d '+30 days' +%F) to=$(date -u -d '+120 days' +%F)
searches=(
  "q=fado" "q=jazz%20night" "q=opera" "q=festival" "q=gala" "q=tango%20live" "q=coliseu" "q=arena" "q=piano" "q=brass%20tour"
  "city=porto" "city=lisbon" "city=berlin" "city=malaga" "city=oslo" "city=prague" "city=dublin" "city=zurich"
  "q=rock&city=madrid" "q=folk&city=paris" "q=soul&city=vienna" "q=comedy&city=leeds"
  "from=${from}T00:00:00Z&to=${to}T00:00:00Z" "city=porto&from=${from}T00:00:00Z" "q=blues&from=${from}T00:00:00Z"
  "page=2" "page=10" "q=night&page=3" "city=lyon&page=2" "q=123"
)
script="$work/searches.lua"
{
  echo "paths = {"
  for search in "${searches[@]}"; do echo "  \"$search&pageSize=20\","; done
  echo "}"
  echo 'prefix = os.getenv("SEARCH_PREFIX")'
  echo 'counter = 0'
  echo 'request = function() counter = counter + 1; return wrk.format("GET", prefix .. paths[(counter % #paths) + 1]) end'
} >"$script"

declare -A rps p99 p50
run() { # name url [wrk option...]; BENCH_RUN_CONNECTIONS overrides the connections
  local name=$1 url=$2 out
  shift 2
  out=$(wrk -t2 -c"${BENCH_RUN_CONNECTIONS:-$connections}" -d"${duration}s" --latency "$@" "$url")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
    echo "$name answered errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  rps[$name]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p50[$name]=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  p99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  printf '  %-14s %8.0f req/s   p50 %8.3f ms   p99 %8.3f ms\n' "$name" "${rps[$name]}" "${p50[$name]}" "${p99[$name]}"
}
gateway="http://127.0.0.1:$gateway_port"
search() { SEARCH_PREFIX="$2" BENCH_RUN_CONNECTIONS="${3:-$connections}" run "$1" "$gateway/" -s "$script"; } # name path-prefix [connections]

echo "Warming up every path (${warmup} s each)..."
SEARCH_PREFIX=/api/catalog/events? wrk -t2 -c"$connections" -d"$warmup"s -s "$script" "$gateway/" >/dev/null
SEARCH_PREFIX=/uncached/events? wrk -t2 -c"$connections" -d"$warmup"s -s "$script" "$gateway/" >/dev/null
for path in "/" "/?q=fado&city=porto" "/events/$event"; do
  wrk -t2 -c"$connections" -d"$warmup"s "$gateway$path" >/dev/null
done

echo "wrk, ${duration} s per run, 2 threads, $connections connections, through the gateway, ${#searches[@]} different searches over $events events; everything shares this machine's $(nproc) cores:"
search search-cached /api/catalog/events?
search search-uncached /uncached/events?
search search-cached-c2 /api/catalog/events? 2
search search-uncached-c2 /uncached/events? 2
run page-bill "$gateway/"
run page-search "$gateway/?q=fado&city=porto"
run page-event "$gateway/events/$event"

echo
for c in "" -c2; do
  n=${c#-c}
  n=${n:-$connections}
  echo "search_cached_p50_ms_c$n: ${p50[search-cached$c]} (target: none)"
  echo "search_cached_p99_ms_c$n: ${p99[search-cached$c]} (target: <= 20)"
  echo "search_uncached_p50_ms_c$n: ${p50[search-uncached$c]} (target: none)"
  echo "search_uncached_p99_ms_c$n: ${p99[search-uncached$c]} (target: <= 100)"
  echo "search_uncached_over_cached_p99_c$n: $(ratio "${p99[search-uncached$c]}" "${p99[search-cached$c]}") (target: none, the cache's worth)"
done
echo "storefront_bill_p99_ms: ${p99[page-bill]} (target: <= 100)"
echo "storefront_search_page_p99_ms: ${p99[page-search]} (target: <= 100)"
echo "storefront_event_page_p99_ms: ${p99[page-event]} (target: <= 100)"
