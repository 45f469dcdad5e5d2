#!/bin/bash
# The cluster's TLS, made once, before the brokers start: a CA of its own, whose certificate (public) every
# client and broker trusts, and one key and certificate for the brokers (CN=kafka-broker, valid for kafka-1,
# kafka-2, kafka-3 and localhost), signed by it. The brokers present it to clients and to each other: between
# brokers and to the controllers it is also their login (mutual TLS, principal User:kafka-broker).
# The CA's key is not kept: no further certificate can be signed with it. To renew, remove the volumes
# kafka-ca and kafka-certs and start the cluster again (docs/security.md).
set -euo pipefail

ca_dir=/etc/kafka-ca          # the CA's certificate, mounted read-only by every client
broker_dir=/etc/kafka-certs   # the brokers' key, mounted by the brokers only

if [[ -s $ca_dir/ca.crt && -s $broker_dir/broker.p12 ]]; then
  echo "The cluster's certificates exist; nothing to do."
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
days=825

keytool -genkeypair -alias ca -dname "CN=qrvoucher Kafka CA" -keyalg RSA -keysize 3072 -validity $days \
  -ext bc:c=ca:true -storetype PKCS12 -keystore "$work/ca.p12" -storepass "$password"
keytool -exportcert -rfc -alias ca -keystore "$work/ca.p12" -storepass "$password" -file "$work/ca.crt"

keytool -genkeypair -alias broker -dname "CN=kafka-broker" -keyalg RSA -keysize 2048 -validity $days \
  -storetype PKCS12 -keystore "$work/broker.p12" -storepass "$password"
keytool -certreq -alias broker -keystore "$work/broker.p12" -storepass "$password" -file "$work/broker.csr"
keytool -gencert -alias ca -keystore "$work/ca.p12" -storepass "$password" -infile "$work/broker.csr" \
  -outfile "$work/broker.crt" -rfc -validity $days -ext SAN=dns:kafka-1,dns:kafka-2,dns:kafka-3,dns:localhost \
  -ext KU=digitalSignature,keyEncipherment -ext EKU=serverAuth,clientAuth
keytool -importcert -noprompt -alias ca -file "$work/ca.crt" -keystore "$work/broker.p12" -storepass "$password"
keytool -importcert -alias broker -file "$work/broker.crt" -keystore "$work/broker.p12" -storepass "$password"

cp "$work/ca.crt" "$ca_dir/ca.crt"
chmod 644 "$ca_dir/ca.crt"
cp "$work/broker.p12" "$broker_dir/broker.p12"
printf '%s' "$password" > "$broker_dir/broker.password"
# The brokers run as the image's user appuser; nobody else reads their key.
chown appuser "$broker_dir/broker.p12" "$broker_dir/broker.password"
chmod 600 "$broker_dir/broker.p12" "$broker_dir/broker.password"
echo "Made the cluster's CA and the brokers' certificate."
