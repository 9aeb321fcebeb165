#!/usr/bin/env bash
# One-shot, as `admin` on the broker listener: the topics (the broker does not auto-create),
# one SCRAM-SHA-512 user per role, and what each may do (StandardAuthorizer; anything not
# allowed here is denied). Re-running it is safe: it re-sets passwords (rotation) and ACLs.
set -euo pipefail
: "${BROKER_ADMIN_PASSWORD:?}" "${COLLECTOR_PASSWORD:?}" "${AGGREGATOR_PASSWORD:?}"
# KAFKA_SERVER / REPLICATION_FACTOR / MIN_INSYNC_REPLICAS: set by the `cluster` profile (3 brokers).
bin=/opt/kafka/bin server=${KAFKA_SERVER:-kafka:9094} replicas=${REPLICATION_FACTOR:-1} min_isr=${MIN_INSYNC_REPLICAS:-1}
events=skillpulse.events.v1 dlq=skillpulse.events.dlq
stats=skillpulse.pipeline.stats group=skillpulse-aggregator
umask 077
admin=$(mktemp)
cat > "$admin" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${BROKER_ADMIN_PASSWORD}";
PROPS
as_admin=(--bootstrap-server "$server" --command-config "$admin")

create() { "$bin/kafka-topics.sh" "${as_admin[@]}" --create --if-not-exists --replication-factor "$replicas" \
             --config min.insync.replicas="$min_isr" --topic "$1" --partitions "$2"; }
create "$events" 6
create "$dlq" 1
create "$stats" 1
"$bin/kafka-topics.sh" "${as_admin[@]}" --describe --topic "$events" | grep -q "PartitionCount: 6"

user() {  # name password: the SCRAM parser splits on , and ]: keep passwords to [A-Za-z0-9_-]
  [[ "$2" =~ ^[A-Za-z0-9_-]{24,}$ ]] || { echo "the $1 password must be 24+ chars of [A-Za-z0-9_-]" >&2; exit 1; }
  "$bin/kafka-configs.sh" "${as_admin[@]}" --alter --entity-type users --entity-name "$1" \
    --add-config "SCRAM-SHA-512=[iterations=8192,password=$2]"
}
user collector "$COLLECTOR_PASSWORD"
user aggregator "$AGGREGATOR_PASSWORD"

allow() { "$bin/kafka-acls.sh" "${as_admin[@]}" --add --allow-principal "User:$1" "${@:2}"; }
# The collector writes events and its counts; Describe on the dead-letter topic only lets
# the stack's ensure_topics see that it exists (metadata), it cannot read or write it.
allow collector --operation Write --operation Describe --topic "$events"
allow collector --operation Write --operation Describe --topic "$stats"
allow collector --operation Describe --topic "$dlq"
# The aggregator reads events and counts as its groups (skillpulse-aggregator and
# skillpulse-aggregator.stats), writes dead letters, and writes events back on a replay.
allow aggregator --operation Read --operation Describe --topic "$events"
allow aggregator --operation Write --topic "$events"
allow aggregator --operation Read --operation Describe --topic "$stats"
allow aggregator --operation Write --operation Describe --topic "$dlq"
allow aggregator --operation Read --group "$group" --resource-pattern-type prefixed
"$bin/kafka-acls.sh" "${as_admin[@]}" --list
rm -f "$admin"
