# shellcheck shell=bash
# What the benchmark scripts share: their checks, their temporary folder and its cleanup, the
# Release builds, and starting redis-server, PostgreSQL, the embedded Kafka broker and the
# upstream. Sourced (source "$(dirname "$0")/lib.sh") by a script running under set -euo pipefail;
# it only sets root and sampling and defines functions. They share state through globals, so the
# exit trap sees what the script started: work and pids (set by bench_workdir, added to by every
# start_*), postgres_bin (find_postgres), harness (build_harness); they read the script's own
# postgres_port and postgres_password, and wrk_run its duration, connections, rps and p99.

# The repository's root folder.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# As a busy deployment would run: a share of traces recorded (BENCH_TRACE_SAMPLING=1 records all).
sampling="Telemetry__TraceSamplingRatio=${BENCH_TRACE_SAMPLING:-0.01}"

# Exits with the apt-get line unless every tool is on the PATH. Arguments: tool[=package]...
require_tools() {
  local spec packages=()
  for spec in "$@"; do packages+=("${spec#*=}"); done
  for spec in "$@"; do
    if ! command -v "${spec%%=*}" >/dev/null; then
      echo "${spec%%=*} is missing: apt-get install ${packages[*]}" >&2
      exit 1
    fi
  done
}

# Sets postgres_bin to the machine's PostgreSQL server binaries, and exits unless it has each
# program (psql, pgbench) or extension (pg_stat_statements) named; the message names all but psql.
# Arguments: program-or-extension...
find_postgres() {
  local need with=
  postgres_bin=$(dirname "$(readlink -f "$(command -v postgres || ls /usr/lib/postgresql/*/bin/postgres | tail -1)")")
  for need in "$@"; do
    [ "$need" = psql ] || with="${with:+$with and }$need"
  done
  for need in "$@"; do
    if [ ! -x "$postgres_bin/$need" ] && [ ! -e "$postgres_bin/../lib/$need.so" ]; then
      echo "PostgreSQL server binaries${with:+ with $with} are missing: apt-get install postgresql" >&2
      exit 1
    fi
  done
}

# Exits if anything listens on one of the ports. Arguments: port...
require_free_ports() {
  local port
  for port in "$@"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "Port $port is in use; stop what listens there first." >&2
      exit 1
    fi
  done
}

# Raises this shell's open-file limit for thousands of connections (to the hard limit if lower).
raise_open_files_limit() {
  ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
}

# Makes the temporary folder work for the processes' data and logs, starts the list pids of the
# processes started (each start adds its $!), and installs cleanup to stop them on exit.
# Arguments: name (the folder is /tmp/boxoffice-bench-NAME-XXXXXX)
bench_workdir() {
  work=$(mktemp -d "/tmp/boxoffice-bench-$1-XXXXXX")
  chmod 755 "$work"
  pids=()
  trap cleanup EXIT
}

# The exit trap: on failure waits BENCH_PAUSE_ON_FAILURE seconds if set, stops every process in
# pids newest first, and removes work, or keeps it and says where on failure.
cleanup() {
  local status=$?
  if [ "$status" != 0 ] && [ -n "${BENCH_PAUSE_ON_FAILURE:-}" ]; then
    echo "Failed; everything keeps running for ${BENCH_PAUSE_ON_FAILURE} s. Logs: $work" >&2
    sleep "$BENCH_PAUSE_ON_FAILURE"
  fi
  # Newest first: the services let go of PostgreSQL before it is asked to stop.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$status" = 0 ]; then rm -rf "$work"; else echo "Failed; the processes' logs are in $work" >&2; fi
}

# Waits up to 60 s for url to answer with a success, or exits. Arguments: url [header]
wait_for() {
  for _ in $(seq 1 240); do
    curl -fs -o /dev/null ${2:+-H "$2"} "$1" && return 0
    sleep 0.25
  done
  echo "Nothing answered at $1" >&2
  exit 1
}

# Builds each project in Release, quietly. Arguments: project folder (from root)...
build_release() {
  local project
  for project in "$@"; do
    dotnet build "$root/$project" -c Release -nologo -v quiet >/dev/null
  done
}

# Builds the flash-sale harness (Tests/FlashSale) in Release and sets harness to its program, then
# builds the services the sale runs on again (BENCH_CODE=jit, the default) or publishes them with
# ReadyToRun code (BENCH_CODE=ready-to-run, see ready_to_run): the harness's own build does not copy
# a service's output again over code a ReadyToRun run left there.
build_harness() {
  local services=(Services/Gateway Services/Identity Services/Catalog Services/Booking Services/Payments Services/WaitingRoom)
  build_release Tests/FlashSale
  harness=$(dotnet msbuild "$root/Tests/FlashSale" -getProperty:TargetPath -p:Configuration=Release)
  echo "The services run ${BENCH_CODE:-jit} code (BENCH_CODE)." >&2
  case ${BENCH_CODE:-jit} in
    jit) build_release "${services[@]}" ;;
    ready-to-run) ready_to_run "${services[@]}" ;;
    *) echo "Unknown BENCH_CODE '$BENCH_CODE' (jit, ready-to-run)." >&2; exit 2 ;;
  esac
}

# Publishes each project with ReadyToRun code, as a deployment runs it (docs/adr/0016-deployment.md),
# and copies it over the project's Release build, where the AppHost's `dotnet run --no-build`
# starts it. A Release build of the project copies its plain IL assemblies back (their files
# differ); the publish's deps.json and native libraries stay, and serve the IL as well.
# Arguments: project folder (from root)...
ready_to_run() {
  local project out
  for project in "$@"; do
    out="$root/$project/bin/Release/ready-to-run"
    rm -rf "$out"
    dotnet publish "$root/$project" -c Release --use-current-runtime --self-contained false -p:PublishReadyToRun=true \
      -o "$out" -nologo -v quiet >/dev/null
    cp -rf "$out"/. "$root/$project/bin/Release/net10.0/"
  done
}

# Prints the path of a project's Release program. Arguments: project-folder assembly-name
release() { echo "$root/$1/bin/Release/net10.0/$2.dll"; }

# Prints the --contentRoot option for a project's build output, where appsettings.json (the
# gateway's routes) was copied. Arguments: project-folder
content_root() { echo "--contentRoot=$root/$1/bin/Release/net10.0"; }

# Prints a random password of about 24 letters and digits.
secret() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }

# Starts redis-server on 127.0.0.1 with a password and no persistence, logging to work/redis.log.
# Arguments: port password
start_redis() {
  redis-server --port "$1" --bind 127.0.0.1 --requirepass "$2" --save "" --appendonly no \
    --daemonize no --logfile "$work/redis.log" &
  pids+=($!)
}

# Starts PostgreSQL (AppHost/embedded/postgres.sh, data in work/postgres) on postgres_port with
# postgres_password and the databases named, and waits until psql gets into the first (all exist
# by then). BOXOFFICE_PG_MAX_CONNECTIONS=N before the call raises max_connections.
# Arguments: database...
start_postgres() {
  BOXOFFICE_PG_PASSWORD=$postgres_password "$root/AppHost/embedded/postgres.sh" "$postgres_bin" "$work/postgres" "$postgres_port" "$@" \
    >"$work/postgres.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 120); do
    psql_in "$1" "SELECT 1" >/dev/null 2>&1 && break
    sleep 0.25
  done
}

# Runs one SQL statement in a database of that PostgreSQL and prints the rows, unaligned.
# Arguments: database sql
psql_in() {
  PGPASSWORD=$postgres_password "$postgres_bin/psql" -h 127.0.0.1 -p "$postgres_port" -U postgres -d "$1" -qtAX -c "$2"
}

# Prints the connection string of a database of that PostgreSQL, with BENCH_CONNECTION_OPTIONS
# appended (experiments, e.g. "Max Auto Prepare=0" turns statement preparation off, "No Reset On Close=false"
# brings back the reset of a connection returned to the pool). Arguments: database
connection() { echo "Host=127.0.0.1;Port=$postgres_port;Username=postgres;Password=$postgres_password;Database=$1${BENCH_CONNECTION_OPTIONS:+;$BENCH_CONNECTION_OPTIONS}"; }

# Starts the embedded Kafka broker (Services/EmbeddedKafka), logging to work/kafka.log; its
# /health answers on the HTTP port. Arguments: kafka-port http-port [Name=value setting...]
start_kafka() {
  local port=$1 http_port=$2
  shift 2
  env ASPNETCORE_URLS="http://127.0.0.1:$http_port" Broker__KafkaPort="$port" Logging__LogLevel__Default=Warning "$@" \
    dotnet "$(release Services/EmbeddedKafka Boxoffice.EmbeddedKafka)" >"$work/kafka.log" 2>&1 &
  pids+=($!)
}

# Starts the upstream (bench/Upstream: a constant body at /constant, tokens at /token), logging
# to work/LOG. Arguments: port log [option...], e.g. --BodyBytes 512
start_upstream() {
  local port=$1 log=$2
  shift 2
  ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet "$(release bench/Upstream Boxoffice.Bench.Upstream)" "$@" >"$work/$log" 2>&1 &
  pids+=($!)
}

# Prints wrk's latency in ms, from values like 512.00us, 1.23ms or 1.05s. Arguments: latency
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'; }

# Prints a / b with two decimals. Arguments: a b
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Prints the value of key in lines of key=value (a load client's output). Arguments: lines key
value() { awk -F= -v k="$2" '$1 == k { print $2 }' <<<"$1"; }

# Prints the id of the JSON object on standard input, which starts with it: {"id":"...",...}.
json_id() { sed -E 's/^\{"id":"([0-9a-f-]+)".*/\1/'; }

# Runs wrk on url for duration seconds at connections connections, exits if anything answered
# an error, records rps[name] and p99[name] (ms; declare -A rps p99 first) and prints them, the
# name padded to width. Arguments: width name url [wrk-option...]
wrk_run() {
  local width=$1 name=$2 url=$3 out
  shift 3
  out=$(wrk -t2 -c"$connections" -d"${duration}s" --latency "$@" "$url")
  if grep -q 'Non-2xx\|Socket errors' <<<"$out"; then
    echo "$name answered errors:" >&2
    echo "$out" >&2
    exit 1
  fi
  rps[$name]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
  p99[$name]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  printf '  %-*s %10.0f req/s   p99 %8.3f ms\n' "$width" "$name" "${rps[$name]}" "${p99[$name]}"
}

# Prints "name ms" for each name=pattern given: the CPU time (user + system, in ms, with that of
# their ended children) used so far by the processes whose command line matches the pattern (a
# bash regular expression), added up: one service's process, or PostgreSQL's server
# ('^postgres|/postgres -D') with every backend. Run benchmarks alone: the patterns match any
# such process on the machine. Read before and after a measured run and
# divided by its requests (cpu_per_request), it is the profile bench/README.md describes.
# Arguments: name=pattern...
cpu_ms() {
  local pid command spec stat fields hz args
  local -A used=()
  hz=$(getconf CLK_TCK)
  for spec in "$@"; do used[${spec%%=*}]=0; done
  for pid in /proc/[0-9]*; do
    # Builtins only: a fork per process would take seconds on a busy machine.
    mapfile -d '' args 2>/dev/null <"$pid/cmdline" || continue
    command="${args[*]}"
    for spec in "$@"; do
      if [[ $command =~ ${spec#*=} ]]; then
        read -r stat 2>/dev/null <"$pid/stat" || continue
        read -ra fields <<<"${stat##*) }"
        # utime, stime, cutime, cstime: a backend that exits during the window leaves its time
        # in its parent's children's fields (the parent must match too: PostgreSQL's server does).
        used[${spec%%=*}]=$((used[${spec%%=*}] + fields[11] + fields[12] + fields[13] + fields[14]))
      fi
    done
  done
  for spec in "$@"; do echo "${spec%%=*} $((used[${spec%%=*}] * 1000 / hz))"; done
}

# Prints "name us" for each name in two cpu_ms readings: its CPU microseconds per request.
# Arguments: before after requests
cpu_per_request() {
  awk -v n="$3" 'NR == FNR { was[$1] = $2; next } { printf "%s %.0f\n", $1, (n > 0 ? 1000 * ($2 - was[$1]) / n : 0) }' <(echo "$1") <(echo "$2")
}
