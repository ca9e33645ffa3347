#!/bin/bash
# compose's Kafka (docker-compose.yml): SASL/SCRAM logins need every principal's
# credential in the KRaft storage before the broker's first start (KRaft has no other
# way in before the first login), and the image formats its storage without any.
# So on a new volume this formats it first, with one SCRAM-SHA-512 credential per
# OPP_SCRAM_USER_<name>=<password> variable of the container (admin, each service,
# subscriber); the image's own start-up then finds it formatted and starts the broker.
# It also writes the admin's client settings for the health check. Passwords: letters,
# digits, '-' and '_' (the --add-scram syntax has no quoting).
set -euo pipefail

admin_client=/tmp/opp-admin.properties
umask 077
cat > "$admin_client" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${OPP_SCRAM_USER_admin}";
PROPERTIES

if [ ! -f "${KAFKA_LOG_DIRS}/meta.properties" ]; then
  # What formatting reads of the broker's configuration (the image renders the rest from KAFKA_*).
  storage_config=$(mktemp)
  cat > "$storage_config" <<PROPERTIES
process.roles=${KAFKA_PROCESS_ROLES}
node.id=${KAFKA_NODE_ID}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS}
controller.listener.names=${KAFKA_CONTROLLER_LISTENER_NAMES}
listeners=${KAFKA_LISTENERS}
listener.security.protocol.map=${KAFKA_LISTENER_SECURITY_PROTOCOL_MAP}
inter.broker.listener.name=${KAFKA_INTER_BROKER_LISTENER_NAME}
log.dirs=${KAFKA_LOG_DIRS}
PROPERTIES
  credentials=()
  while IFS='=' read -r variable password; do
    credentials+=(--add-scram "SCRAM-SHA-512=[name=${variable#OPP_SCRAM_USER_},password=${password}]")
  done < <(env | grep '^OPP_SCRAM_USER_')
  echo "formatting ${KAFKA_LOG_DIRS} with $((${#credentials[@]} / 2)) SCRAM credentials"
  /opt/kafka/bin/kafka-storage.sh format --cluster-id "${CLUSTER_ID}" --config "$storage_config" "${credentials[@]}"
  rm -f "$storage_config"
fi

exec /etc/kafka/docker/run
