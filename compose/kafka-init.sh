#!/bin/bash
# Once the cluster is up, as the super user admin: the topics, a user (SCRAM credential) per service and the
# services' ACLs. Run again, it creates what is missing and sets the users' passwords to the ones given:
# that is how a password is changed (docs/security.md). The ACLs are those of launcher's KafkaAcls, the one
# definition; ComposeFileTest fails if they differ.
set -euo pipefail
: "${KAFKA_ADMIN_PASSWORD:?}" "${KAFKA_INGRESS_PASSWORD:?}" "${KAFKA_VOUCHER_STREAMS_PASSWORD:?}" "${KAFKA_LEDGER_ADAPTER_PASSWORD:?}"
: "${KAFKA_WEBHOOK_DELIVERY_PASSWORD:?}"

bin=/opt/kafka/bin
bootstrap=kafka-1:9092,kafka-2:9092,kafka-3:9092
admin=/tmp/admin.properties
(umask 077; cat > $admin <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka-ca/ca.crt
PROPERTIES
)

# Replication factor 3, min.insync.replicas 2, compaction where state is kept.
# voucher-requests and ledger-results must share a partition count.
create() {
  $bin/kafka-topics.sh --bootstrap-server $bootstrap --command-config $admin --create --if-not-exists \
    --replication-factor 3 --config min.insync.replicas=2 --partitions 6 --topic "$@"
}
create voucher-requests
create ledger-results
create ledger-commands
create voucher-events
create customer-vouchers --config cleanup.policy=compact
create account-snapshots --config cleanup.policy=compact
create customer-settings --config cleanup.policy=compact
create settings-changes
create ingress-idempotency --config cleanup.policy=delete --config retention.ms=86400000
create customer-attempts --config cleanup.policy=delete --config retention.ms=3600000
create voucher-dead-letters
create ledger-dead-letters

# user NAME PASSWORD: creates the user, or changes its password.
user() {
  $bin/kafka-configs.sh --bootstrap-server $bootstrap --command-config $admin --alter \
    --entity-type users --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$2]"
}
user ingress-api "$KAFKA_INGRESS_PASSWORD"
user voucher-streams "$KAFKA_VOUCHER_STREAMS_PASSWORD"
user ledger-adapter "$KAFKA_LEDGER_ADAPTER_PASSWORD"
user webhook-delivery "$KAFKA_WEBHOOK_DELIVERY_PASSWORD"

# allow USER OPERATION TYPE NAME...: lets the user do this on these resources (topic, group, transactional-id).
allow() {
  local user=$1 operation=$2 type=$3 resources=()
  shift 3
  for name in "$@"; do resources+=("--$type" "$name"); done
  $bin/kafka-acls.sh --bootstrap-server $bootstrap --command-config $admin --add \
    --allow-principal "User:$user" --operation "$operation" "${resources[@]}"
}
# allow_prefixed USER OPERATION TYPE PREFIX: the same, on every resource whose name starts with the prefix.
allow_prefixed() {
  $bin/kafka-acls.sh --bootstrap-server $bootstrap --command-config $admin --add \
    --allow-principal "User:$1" --operation "$2" "--$3" "$4" --resource-pattern-type prefixed
}
allow ingress-api Write topic voucher-requests settings-changes ingress-idempotency customer-attempts
allow ingress-api Describe topic customer-vouchers
allow voucher-streams Read topic voucher-requests ledger-results settings-changes customer-settings ingress-idempotency customer-attempts customer-vouchers
allow voucher-streams Write topic ledger-commands voucher-events customer-vouchers voucher-dead-letters
allow_prefixed voucher-streams All topic voucher-streams-
allow voucher-streams Read group voucher-streams
allow_prefixed voucher-streams Write transactional-id voucher-streams-
allow ledger-adapter Read topic ledger-commands voucher-events
allow ledger-adapter Write topic ledger-results account-snapshots ledger-dead-letters
allow ledger-adapter Read group ledger-adapter ledger-reconciliation
allow webhook-delivery Read topic voucher-events
allow webhook-delivery Read group webhook-delivery
