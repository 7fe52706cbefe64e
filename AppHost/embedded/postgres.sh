#!/usr/bin/env bash
# Runs the machine's PostgreSQL server for the embedded infrastructure mode.
#   postgres.sh BINDIR DATADIR PORT [DATABASE...]
# The superuser password comes from BOXOFFICE_PG_PASSWORD (an AppHost secret parameter), never
# from the command line. First start: initdb. Every start: the password is set to the
# parameter's value and missing databases are created, in single-user mode, before the server
# replaces this shell (exec), so a stop from the orchestrator reaches the server itself.
set -euo pipefail

bindir=$1 data=$2 port=$3
shift 3
password=${BOXOFFICE_PG_PASSWORD:?BOXOFFICE_PG_PASSWORD is not set}

# PostgreSQL refuses to run as root: run it as the unprivileged postgres user.
as_server_user=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "The embedded PostgreSQL runs as user 'postgres', which does not exist: install the postgresql package (apt-get install postgresql) or create the user." >&2
    exit 1
  fi
  as_server_user=(setpriv --reuid=postgres --regid=postgres --init-groups)
  mkdir -p "$data"
  chown postgres:postgres "$data"
  # A data folder under a directory postgres cannot enter (a private home or temp folder)
  # moves to a folder of its own under /var/tmp, keyed by the requested path.
  if ! "${as_server_user[@]}" test -w "$data"; then
    moved="/var/tmp/boxoffice-postgres-$(printf '%s' "$data" | cksum | cut -d' ' -f1)"
    echo "User postgres cannot write $data; using $moved instead." >&2
    data=$moved
    mkdir -p "$data"
    chown postgres:postgres "$data"
  fi
fi
mkdir -p "$data"
chmod 700 "$data"

if [ ! -s "$data/PG_VERSION" ]; then
  pwfile=$(mktemp)
  trap 'rm -f "$pwfile"' EXIT
  printf '%s\n' "$password" > "$pwfile"
  [ ${#as_server_user[@]} -gt 0 ] && chown postgres "$pwfile"
  "${as_server_user[@]}" "$bindir/initdb" --pgdata="$data" --username=postgres --pwfile="$pwfile" \
    --auth-local=peer --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  trap - EXIT
  echo "Initialised a PostgreSQL data folder in $data"
fi

single_user() {
  "${as_server_user[@]}" "$bindir/postgres" --single -D "$data" -c exit_on_error=true postgres >/dev/null
}

# Keep the server's password equal to the parameter, even if the parameter changed.
printf "ALTER ROLE postgres PASSWORD '%s';\n" "${password//\'/\'\'}" | single_user

for database in "$@"; do
  marker="$data/.boxoffice-database-$database"
  if [ ! -e "$marker" ]; then
    printf 'CREATE DATABASE "%s";\n' "$database" | single_user
    : > "$marker"
    [ ${#as_server_user[@]} -gt 0 ] && chown postgres "$marker"
    echo "Created database $database"
  fi
done

# pg_stat_statements counts the statements the services run: tests and benchmarks read it to
# show what a burst of requests cost the database (CREATE EXTENSION pg_stat_statements to query it).
statements=()
if [ -e "$bindir/../lib/pg_stat_statements.so" ]; then
  statements=(-c shared_preload_libraries=pg_stat_statements)
fi

# BOXOFFICE_PG_MAX_CONNECTIONS: the booking benchmark compares with pgbench at 1,000 clients.
exec "${as_server_user[@]}" "$bindir/postgres" -D "$data" -p "$port" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
  -c max_connections="${BOXOFFICE_PG_MAX_CONNECTIONS:-200}" -c shared_buffers=128MB -c log_min_messages=warning "${statements[@]}"
