#!/bin/sh
# The dead-letter replay (launcher's DeadLetterReplay) of the tools image, logged in as an operator: it writes
# the client properties Kafka's tools take from the environment, then runs the replay with the arguments given
# (--dead-letters=… --source=… [--apply]; docs/operations.md, "Dead letters").
#   KAFKA_BOOTSTRAP_SERVERS   the cluster
#   KAFKA_CA_FILE             the CA certificate the brokers' certificates are checked against (PEM)
#   KAFKA_USERNAME and KAFKA_PASSWORD, or KAFKA_SASL_JAAS_CONFIG_FILE (a file holding a whole sasl.jaas.config,
#                             as Strimzi's user secrets have it): the operator's SCRAM-SHA-512 login
set -eu
: "${KAFKA_BOOTSTRAP_SERVERS:?Set KAFKA_BOOTSTRAP_SERVERS}"
ca=${KAFKA_CA_FILE:-/etc/kafka-ca/ca.crt}
if [ -n "${KAFKA_SASL_JAAS_CONFIG_FILE:-}" ]; then
  jaas=$(cat "$KAFKA_SASL_JAAS_CONFIG_FILE")
else
  jaas="org.apache.kafka.common.security.scram.ScramLoginModule required username=\"${KAFKA_USERNAME:-admin}\" password=\"${KAFKA_PASSWORD:?Set KAFKA_PASSWORD or KAFKA_SASL_JAAS_CONFIG_FILE}\";"
fi
config=$(mktemp)
trap 'rm -f "$config"' EXIT
chmod 600 "$config"
cat > "$config" <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$jaas
ssl.truststore.type=PEM
ssl.truststore.location=$ca
PROPERTIES
java -cp /app/launcher.jar -Dloader.main=io.qrvoucher.launcher.DeadLetterReplay \
  org.springframework.boot.loader.launch.PropertiesLauncher \
  --bootstrap-servers="$KAFKA_BOOTSTRAP_SERVERS" --command-config="$config" "$@"
