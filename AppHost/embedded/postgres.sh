#!/usr/bin/env bash
# Runs the machine's PostgreSQL server for the embedded infrastructure mode.
#   postgres.sh BINDIR DATADIR PORT [DATABASE...]
# The superuser password comes from BOXOFFICE_PG_PASSWORD (an AppHost secret parameter), never
# from the command line; each database's login password from BOXOFFICE_PG_LOGIN_<DATABASE>
# (AppHost/postgres/database-logins.sh). First start: initdb. Every start, in single-user mode
# before the server replaces this shell (exec, so a stop from the orchestrator reaches the
# server itself): passwords are set to the parameters' values, missing databases are created,
# and each database with a login belongs to it alone.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../postgres/database-logins.sh"

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

# Runs the SQL on standard input in DATABASE (default postgres) without starting the server.
single_user() {
  "${as_server_user[@]}" "$bindir/postgres" --single -D "$data" -c exit_on_error=true -c log_checkpoints=off \
    -c log_min_error_statement=panic "${1:-postgres}" >/dev/null
}

# pg_stat_statements counts the statements the services run: tests and benchmarks read it to
# show what a burst of requests cost the database. A login sees its own statements.
statements=()
if [ -e "$bindir/../lib/pg_stat_statements.so" ]; then
  statements=(-c shared_preload_libraries=pg_stat_statements)
fi

# One pass in the server's own database: the superuser's password follows the parameter (even
# if it changed), and so does each login's; missing databases are created; each database with a
# login belongs to it alone.
{
  printf "ALTER ROLE postgres PASSWORD '%s';\n" "${password//\'/\'\'}"
  server_databases_sql
  for database in "$@"; do
    [ -z "$(database_login_password "$database")" ] || database_login_sql "$database"
    if [ ! -e "$data/.boxoffice-database-$database" ]; then
      printf 'CREATE DATABASE "%s";\n' "$database"
    fi
    [ -z "$(database_login_password "$database")" ] || database_owner_sql "$database"
  done
} | single_user

for database in "$@"; do
  marker="$data/.boxoffice-database-$database"
  if [ ! -e "$marker" ]; then
    : > "$marker"
    [ ${#as_server_user[@]} -gt 0 ] && chown postgres "$marker"
    echo "Created database $database"
  fi
  # Inside the database: what an older version created as the superuser passes to the login.
  # Once per data folder (and again if pg_stat_statements comes or goes): everything created
  # since is the login's own, and each pass is a single-user start of its own, a second or more
  # on a busy machine, added to every restart's outage.
  owned="$data/.boxoffice-owned-$database"
  done_state="owned statements=${#statements[@]}"
  if [ -n "$(database_login_password "$database")" ] && [ "$(cat "$owned" 2>/dev/null)" != "$done_state" ]; then
    {
      database_objects_owner_sql "$database"
      [ ${#statements[@]} -eq 0 ] || echo "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;"
    } | single_user "$database"
    printf '%s\n' "$done_state" > "$owned"
    [ ${#as_server_user[@]} -gt 0 ] && chown postgres "$owned"
  fi
done

# 300 sessions: two replicas of each service, each pool keeping its warm connections
# (Services/Postgres/PooledConnections.cs), reached 195 at a flash sale's peak before those.
# BOXOFFICE_PG_MAX_CONNECTIONS: the booking benchmark compares with pgbench at 1,000 clients.
exec "${as_server_user[@]}" "$bindir/postgres" -D "$data" -p "$port" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
  -c max_connections="${BOXOFFICE_PG_MAX_CONNECTIONS:-300}" -c shared_buffers=128MB -c log_min_messages=warning "${statements[@]}"
