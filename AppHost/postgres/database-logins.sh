# Sourced by AppHost/embedded/postgres.sh and, inlined by the AppHost, by the PostgreSQL
# container's first start (ContainerInfrastructure): each service's database gets a login of
# its own, named as the database, which owns it and nothing else, so a service that is broken
# into reads no other service's data (booking's login cannot open paymentsdb; nobody but
# booking reads its ticket signing key). docs/adr/0012-database-logins.md.
#
# A login's password comes from BOXOFFICE_PG_LOGIN_<DATABASE> (an AppHost secret parameter),
# never from a command line; SQL goes to the server on standard input. A database without that
# variable has no login and stays the superuser's (the benchmarks' own servers).
# Every statement is one line: PostgreSQL's single-user mode ends a statement at a newline.
# Whoever runs the SQL keeps a failed statement out of the server's log (it may hold a password):
# log_min_error_statement=panic.

# The password of DATABASE's login, or nothing.
database_login_password() {
  local variable="BOXOFFICE_PG_LOGIN_${1^^}"
  printf '%s' "${!variable:-}"
}

# The login of DATABASE: created if missing; its password and attributes set every time (no
# superuser, no role or database creation, no replication, no bypassing row security). Run by a
# superuser, or by an administrator that is none (Azure Database for PostgreSQL's): such a one may
# not name the superuser-only attributes, and its roles cannot have them.
database_login_sql() {
  local database=$1 password
  password=$(database_login_password "$database")
  printf "DO \$\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN CREATE ROLE \"%s\"; END IF; END\$\$;\n" "$database" "$database"
  printf "ALTER ROLE \"%s\" LOGIN NOCREATEDB NOCREATEROLE PASSWORD '%s';\n" "$database" "${password//\'/\'\'}"
  printf "DO \$\$BEGIN IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN ALTER ROLE \"%s\" NOSUPERUSER NOREPLICATION NOBYPASSRLS; END IF; END\$\$;\n" "$database"
}

# The server's own databases take no login but the superuser's.
server_databases_sql() {
  printf 'REVOKE CONNECT ON DATABASE postgres FROM PUBLIC;\n'
  printf 'REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;\n'
}

# DATABASE belongs to its login, and only its login (and the superuser) may connect to it.
database_owner_sql() {
  printf 'ALTER DATABASE "%s" OWNER TO "%s";\n' "$1" "$1"
  printf 'REVOKE ALL ON DATABASE "%s" FROM PUBLIC;\n' "$1"
}

# Run inside DATABASE: what an earlier version created there as the superuser (tables, views,
# sequences, routines and types of the public schema, extensions' members aside) passes to the
# login, so a data folder from before logins keeps working. Nothing to do in a new database.
database_objects_owner_sql() {
  local login=$1 members="NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = o.oid AND d.deptype = 'e')"
  printf "DO \$\$DECLARE s text; BEGIN FOR s IN SELECT format('ALTER TABLE %%s OWNER TO %%I', o.oid::regclass, '%s') FROM pg_class o WHERE o.relnamespace = 'public'::regnamespace AND o.relkind IN ('r', 'p', 'v', 'm', 'f') AND o.relowner <> '%s'::regrole AND %s LOOP EXECUTE s; END LOOP; END\$\$;\n" "$login" "$login" "$members"
  printf "DO \$\$DECLARE s text; BEGIN FOR s IN SELECT format('ALTER SEQUENCE %%s OWNER TO %%I', o.oid::regclass, '%s') FROM pg_class o WHERE o.relnamespace = 'public'::regnamespace AND o.relkind = 'S' AND o.relowner <> '%s'::regrole AND %s AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = o.oid AND d.deptype IN ('a', 'i')) LOOP EXECUTE s; END LOOP; END\$\$;\n" "$login" "$login" "$members"
  printf "DO \$\$DECLARE s text; BEGIN FOR s IN SELECT format('ALTER ROUTINE %%s OWNER TO %%I', o.oid::regprocedure, '%s') FROM pg_proc o WHERE o.pronamespace = 'public'::regnamespace AND o.proowner <> '%s'::regrole AND %s LOOP EXECUTE s; END LOOP; END\$\$;\n" "$login" "$login" "$members"
  printf "DO \$\$DECLARE s text; BEGIN FOR s IN SELECT format('ALTER TYPE %%s OWNER TO %%I', o.oid::regtype, '%s') FROM pg_type o WHERE o.typnamespace = 'public'::regnamespace AND o.typtype IN ('e', 'd', 'r') AND o.typowner <> '%s'::regrole AND %s LOOP EXECUTE s; END LOOP; END\$\$;\n" "$login" "$login" "$members"
}
