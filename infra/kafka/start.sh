#!/usr/bin/env bash
# The broker's start: write its JAAS file and the admin's client config from the admin
# password (env, from .env; never in the image), then run the image's own start script.
# PLAIN for the broker's and controller's own listeners (only `admin` exists there);
# SCRAM-SHA-512 for the services, with the credentials topic-init stores in KRaft.
set -euo pipefail
: "${BROKER_ADMIN_PASSWORD:?set KAFKA_ADMIN_PASSWORD in .env}"
umask 077
dir=/tmp/skillpulse-kafka
mkdir -p "$dir"
cat > "$dir/jaas.conf" <<JAAS
KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
    username="admin" password="${BROKER_ADMIN_PASSWORD}" user_admin="${BROKER_ADMIN_PASSWORD}";
  org.apache.kafka.common.security.scram.ScramLoginModule required;
};
JAAS
cat > "$dir/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${BROKER_ADMIN_PASSWORD}";
PROPS
unset BROKER_ADMIN_PASSWORD
export KAFKA_OPTS="${KAFKA_OPTS:-} -Djava.security.auth.login.config=$dir/jaas.conf"
exec /etc/kafka/docker/run
