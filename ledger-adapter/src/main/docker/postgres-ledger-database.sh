#!/bin/sh
# Run once by the postgres image when it creates its data (docker-entrypoint-initdb.d): the ledger's database,
# owned by ledger_owner (which runs its migrations, and is no superuser), and the ledger adapter's own role
# ledger_app, which may read and write rows but owns nothing. The migrations grant it what it needs.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v owner_password="$LEDGER_DB_OWNER_PASSWORD" -v app_password="$LEDGER_DB_PASSWORD" <<'SQL'
CREATE ROLE ledger_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE ledger_app LOGIN PASSWORD :'app_password';
CREATE DATABASE ledger OWNER ledger_owner;
\connect ledger
ALTER SCHEMA public OWNER TO ledger_owner;
SQL
