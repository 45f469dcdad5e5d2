#!/bin/bash
# One node of the compose cluster, broker and controller in one: writes its configuration, formats its log
# directory on first start (with the super user admin's SCRAM credential, so that an operator can log in
# before any other user exists), and runs Kafka.
#   clients          CLIENT   :9092  SASL_SSL, SCRAM-SHA-512: every service logs in as its own principal
#   controllers      CONTROLLER :9093  mutual TLS: only a holder of the brokers' certificate gets in
#   other brokers    INTERNAL :9094  mutual TLS, likewise
#   operators' host  HOST     :$KAFKA_HOST_PORT  SASL_SSL, SCRAM-SHA-512, advertised as localhost:$KAFKA_HOST_PORT:
#                    compose publishes it on the host's loopback only, for the operations guide's commands
# Authorization is Kafka's StandardAuthorizer: a principal may do only what an ACL allows it (kafka-init
# grants them); admin and the brokers themselves (User:kafka-broker) are super users.
set -euo pipefail
: "${KAFKA_NODE_ID:?}" "${CLUSTER_ID:?}" "${KAFKA_HOST_PORT:?}" "${KAFKA_ADMIN_PASSWORD:?Set KAFKA_ADMIN_PASSWORD}"

host=kafka-$KAFKA_NODE_ID
keystore_password=$(cat /etc/kafka-certs/broker.password)
config=/tmp/server.properties
umask 077

cat > "$config" <<PROPERTIES
process.roles=broker,controller
node.id=$KAFKA_NODE_ID
controller.quorum.voters=1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
controller.listener.names=CONTROLLER
listeners=CLIENT://:9092,CONTROLLER://:9093,INTERNAL://:9094,HOST://:$KAFKA_HOST_PORT
advertised.listeners=CLIENT://$host:9092,INTERNAL://$host:9094,HOST://localhost:$KAFKA_HOST_PORT
inter.broker.listener.name=INTERNAL
listener.security.protocol.map=CLIENT:SASL_SSL,CONTROLLER:SSL,INTERNAL:SSL,HOST:SASL_SSL
listener.name.client.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.client.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.host.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.host.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.controller.ssl.client.auth=required
listener.name.internal.ssl.client.auth=required
ssl.keystore.type=PKCS12
ssl.keystore.location=/etc/kafka-certs/broker.p12
ssl.keystore.password=$keystore_password
ssl.key.password=$keystore_password
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka-ca/ca.crt
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:kafka-broker
allow.everyone.if.no.acl.found=false
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
auto.create.topics.enable=false
log.dirs=/var/lib/kafka/data
PROPERTIES

# The login of this node's health check (and of an operator's shell in the container).
cat > /tmp/admin.properties <<PROPERTIES
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$KAFKA_ADMIN_PASSWORD";
ssl.truststore.type=PEM
ssl.truststore.location=/etc/kafka-ca/ca.crt
PROPERTIES

/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "$CLUSTER_ID" --config "$config" \
  --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]"
# The broker's heap (KAFKA_NODE_HEAP_OPTS) for the broker alone: the health check's tools, which inherit the
# container's environment, keep the tools' small default.
KAFKA_HEAP_OPTS=${KAFKA_NODE_HEAP_OPTS:--Xms1g -Xmx1g} exec /opt/kafka/bin/kafka-server-start.sh "$config"
