#!/bin/sh
# Run once by the postgres image when it creates the database (docker-entrypoint-initdb.d): the
# ledger adapter's own role, which may read and write rows but owns nothing. The migrations run as
# the database's owner (POSTGRES_USER) and grant it what it needs.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v app_password="$LEDGER_DB_PASSWORD" <<'SQL'
CREATE ROLE ledger_app LOGIN PASSWORD :'app_password';
SQL
