-- The aggregator's way into `events`: records as the collector wrote them (its JSON,
-- `FORMAT JSONEachRow`, with the Kafka partition and offset added), parsed by the engine
-- and renamed to the columns of `events` by a view. Nothing is kept here (Null engine):
-- the view writes `events`, whose own views then feed event_ids and the rollups, in the
-- same insert. Only records the contract accepted are written here (aggregator/batch.py).
CREATE TABLE IF NOT EXISTS event_records
(
    schema_version  String,
    event_id        UUID,
    type            String,
    platform        String,
    occurred_at     DateTime64(6, 'UTC'),
    received_at     DateTime64(6, 'UTC'),
    user_key        String,
    organisation_id String,
    session_id      String,
    method          String,
    tool_id         String,
    tool_category   String,
    action          String,
    feature         String,
    duration_s      Nullable(Float64),
    training_id     String,
    status          String,
    kafka_partition UInt32,
    kafka_offset    UInt64
)
ENGINE = Null;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_records_mv TO events AS
SELECT event_id, type, platform, occurred_at, received_at, user_key, organisation_id,
       session_id AS session_key, method AS login_method, tool_id, tool_category, action, feature,
       duration_s, training_id, status AS training_status, kafka_partition, kafka_offset
FROM event_records;
