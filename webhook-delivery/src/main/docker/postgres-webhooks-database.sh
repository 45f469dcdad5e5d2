#!/bin/sh
# Run once by the postgres image when it creates its data (docker-entrypoint-initdb.d), beside the ledger's:
# the webhook delivery's own database, owned by webhook_owner (which runs its migrations), and the service's
# role webhook_app, which may read and write rows but owns nothing. The migrations grant it what it needs.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v owner_password="$WEBHOOK_DB_OWNER_PASSWORD" -v app_password="$WEBHOOK_DB_PASSWORD" <<'SQL'
CREATE ROLE webhook_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE webhook_app LOGIN PASSWORD :'app_password';
CREATE DATABASE webhooks OWNER webhook_owner;
\connect webhooks
ALTER SCHEMA public OWNER TO webhook_owner;
SQL
