# The database-logins job's steps on Azure Database for PostgreSQL (infra/resources.bicep loads
# this file and AppHost/postgres/database-logins.sh into the job's command, so the job runs the
# same SQL as every other mode; docs/adr/0012-database-logins.md). Sourced after
# database-logins.sh, by bash, in the postgres image, with PGHOST, PGUSER, PGDATABASE, BOXOFFICE_DATABASES
# (the list, from the Bicep), PGSSLMODE=verify-full against azure-postgres-roots.pem and, from the
# job's secrets, PGPASSWORD and BOXOFFICE_PG_LOGIN_<DATABASE>. Run again at every `azd provision`
# (infra/hooks/postprovision.sh): logins are created if missing and their passwords set again.
#
# The server's administrator is no superuser there: it may create roles, and hands a database
# to a login only while it is a member of that login (PostgreSQL 16 gives the creator the
# admin option, not membership), hence the GRANT. The server's own databases are Azure's.
set -euo pipefail

read -ra databases <<< "${BOXOFFICE_DATABASES:?the databases to give logins to}"
# Unlike the other modes, no "SET log_min_error_statement = panic": only a superuser may. A
# statement that fails may reach the server's log, and psql prints a statement it cannot parse
# into the job's log (Log Analytics): both only the operators read.
{
  for database in "${databases[@]}"; do
    database_login_sql "$database"
    printf 'GRANT "%s" TO CURRENT_USER;\n' "$database"
    database_owner_sql "$database"
  done
} | psql --set=ON_ERROR_STOP=1 --quiet

echo "database logins ready: ${databases[*]}"
