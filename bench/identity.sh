#!/usr/bin/env bash
# Identity benchmark, one machine, one run: the token endpoint's rate for each grant, and the CPU
# each token costs by process.
#   (a) client credentials: the flash-sale crowd's machine client signs in synthetic buyers
#       (scope booking), BENCH_LANES (64) requests in flight, for the run's seconds (target
#       >= 1,000 tokens/s);
#   (b) authorization code: BENCH_LANES signed-in browser sessions each authorize and exchange
#       their code with its PKCE verifier, over and over (target: none, printed for scale);
#   (c) refresh: each session redeems the refresh token it got last, over and over (target >= 1,000).
# Each grant is warmed up first for BENCH_WARMUP_SECONDS (20), so JIT tiering and dynamic PGO
# settle. For each, the CPU ms per token of identity, PostgreSQL (every backend), Redis and the
# load client itself is read from /proc around the measured window (bench/README.md, "Profile").
#
# Every process is a Release build started here, with Debian's redis-server and the machine's
# PostgreSQL; the load client is bench/BookingLoad's `tokens`. 1 % of traces are recorded.
#
# Usage: bench/identity.sh [seconds per grant, default 20]
# BENCH_IDENTITY_SETTINGS="Name=value ..." adds settings to identity's environment (experiments).
set -euo pipefail

duration=${1:-20}
lanes=${BENCH_LANES:-64}
source "$(dirname "$0")/lib.sh"
identity_port=18121 redis_port=18122 postgres_port=18123

require_tools redis-server curl
find_postgres psql
require_free_ports $identity_port $redis_port $postgres_port
raise_open_files_limit

bench_workdir identity

echo "Building identity and the load client (Release)..."
build_release Services/Identity bench/BookingLoad
redis_password=$(secret)
postgres_password=$(secret)
crowd_secret=$(secret)
organizer_email=organizer@bench.example
organizer_password=$(secret)

start_redis "$redis_port" "$redis_password"
start_postgres identitydb

# As the AppHost configures identity in run mode: the crowd's client (acts for buyers) and the
# public web client of the code flow, whose callback need not exist.
env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning "$sampling" \
  ASPNETCORE_URLS="http://127.0.0.1:$identity_port" \
  ConnectionStrings__identitydb="$(connection identitydb)" \
  ConnectionStrings__redis="127.0.0.1:$redis_port,password=$redis_password" \
  Identity__Issuer="http://127.0.0.1:$identity_port/" Identity__RequireHttps=false \
  Identity__Seed__organizer__Email="$organizer_email" Identity__Seed__organizer__Password="$organizer_password" \
  Identity__Seed__staff__Email=staff@bench.example Identity__Seed__staff__Password="$(secret)" \
  Identity__Clients__organizer-backoffice__ClientSecret="$(secret)" \
  Identity__Clients__boxoffice-operator__ClientSecret="$(secret)" \
  Identity__Clients__boxoffice-storefront__ClientSecret="$(secret)" \
  Identity__Clients__boxoffice-storefront__RedirectUris__0=http://127.0.0.1:1/signin-oidc \
  Identity__Clients__flash-sale-crowd__ClientSecret="$crowd_secret" \
  Identity__Clients__flash-sale-crowd__ActsForBuyers=true \
  Identity__Clients__flash-sale-crowd__GrantTypes__0=client_credentials \
  Identity__Clients__flash-sale-crowd__Scopes__0=booking \
  Identity__Clients__boxoffice-web__GrantTypes__0=authorization_code \
  Identity__Clients__boxoffice-web__GrantTypes__1=refresh_token \
  Identity__Clients__boxoffice-web__Scopes__0=openid \
  Identity__Clients__boxoffice-web__Scopes__1=offline_access \
  Identity__Clients__boxoffice-web__Scopes__2=booking \
  Identity__Clients__boxoffice-web__RedirectUris__0=http://localhost:5173/callback \
  ${BENCH_IDENTITY_SETTINGS:-} \
  dotnet "$(release Services/Identity Boxoffice.Identity)" "$(content_root Services/Identity)" >"$work/identity.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$identity_port/health"

out=$(dotnet "$(release bench/BookingLoad Boxoffice.Bench.BookingLoad)" tokens identity="http://127.0.0.1:$identity_port/" \
  crowd-client=flash-sale-crowd crowd-secret="$crowd_secret" web-client=boxoffice-web \
  email="$organizer_email" password="$organizer_password" lanes="$lanes" seconds="$duration" warmup="${BENCH_WARMUP_SECONDS:-20}" \
  grants=client_credentials,authorization_code,refresh_token \
  cpu='identity:Boxoffice\.Identity\.dll,postgres:^postgres|/postgres -D,redis:^redis-server,client:Boxoffice\.Bench\.BookingLoad\.dll')
if [ "$(value "$out" errors)" != 0 ]; then
  echo "$(value "$out" errors) requests got no token (the first are above)" >&2
  exit 1
fi

for grant in client_credentials authorization_code refresh_token; do
  printf '  %-20s %8s tokens/s   CPU ms per token: identity %s, PostgreSQL %s, Redis %s, load client %s\n' "$grant" \
    "$(value "$out" "${grant}_per_second")" "$(value "$out" "${grant}_cpu_ms_identity")" "$(value "$out" "${grant}_cpu_ms_postgres")" \
    "$(value "$out" "${grant}_cpu_ms_redis")" "$(value "$out" "${grant}_cpu_ms_client")"
done

echo "tokens_client_credentials_per_second: $(value "$out" client_credentials_per_second) (target: >= 1000)"
echo "tokens_refresh_per_second: $(value "$out" refresh_token_per_second) (target: >= 1000)"
echo "tokens_authorization_code_per_second: $(value "$out" authorization_code_per_second) (target: none, authorize and exchange)"
