#!/bin/sh
# Writes the demo mode's environment file (default: .env beside docker-compose.yml, which docker compose reads by
# itself): a fresh random value for every secret, the demo token key, and COMPOSE_FILE naming docker-compose.yml
# and docker-compose.demo.yml, so that a plain  docker compose up --build  starts the demo. It never overwrites
# a file: remove it first (and the volumes, docker compose down -v, since Kafka and PostgreSQL keep the first
# passwords they were given).
#   compose/demo-env.sh [FILE]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
file=${1:-$root/.env}
if [ -e "$file" ]; then
  echo "$file exists; remove it first to make new secrets" >&2
  exit 1
fi
# Passwords: letters and digits only (they go into JAAS and SCRAM settings). Keys: base64 of 256 random bits.
password() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
key() { head -c 32 /dev/urandom | base64 | tr -d '\n'; }
umask 077
cat > "$file" <<ENV
# The demo mode (docker-compose.demo.yml), made by compose/demo-env.sh: random secrets of this demo alone.
COMPOSE_FILE=docker-compose.yml:docker-compose.demo.yml
KAFKA_ADMIN_PASSWORD=$(password)
KAFKA_INGRESS_PASSWORD=$(password)
KAFKA_VOUCHER_STREAMS_PASSWORD=$(password)
KAFKA_LEDGER_ADAPTER_PASSWORD=$(password)
KAFKA_WEBHOOK_DELIVERY_PASSWORD=$(password)
POSTGRES_SUPERUSER_PASSWORD=$(password)
LEDGER_DB_OWNER_PASSWORD=$(password)
LEDGER_DB_PASSWORD=$(password)
LEDGER_ADMIN_PASSWORD=$(password)
WEBHOOK_DB_OWNER_PASSWORD=$(password)
WEBHOOK_DB_PASSWORD=$(password)
REQUEST_SIGNING_KEY=$(key)
INTERNAL_API_KEY_VOUCHER_STREAMS=$(key)
INTERNAL_API_KEY_LEDGER_ADAPTER=$(key)
INTERNAL_API_KEY_WEBHOOK_DELIVERY=$(key)
INGRESS_CODE_SECRET=$(key)
WEBHOOK_SECRET_KEY=$(key)
DEMO_TOKEN_SECRET=$(key)
# The demo's POST /dev/token signs anyone in as any customer: the API is published on this host's loopback only.
# Another address here lets every machine that reaches it do the same.
INGRESS_PUBLISHED_ADDRESS=127.0.0.1
# The demo signs its own tokens with DEMO_TOKEN_SECRET; docker-compose.demo.yml clears the bank's key set.
INGRESS_JWK_SET_URI=cleared-by-docker-compose.demo.yml
INGRESS_TOKEN_ISSUER=https://auth.qrvoucher.local
ENV
echo "Wrote $file; now: docker compose up --build"
