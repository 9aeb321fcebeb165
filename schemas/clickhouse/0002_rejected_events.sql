-- Dead letters: records the aggregator could not store (poison bytes, schema drift).
-- The payload is size-capped and has any `user_id` field removed before it lands here.
CREATE TABLE IF NOT EXISTS rejected_events
(
    rejected_at     DateTime64(3, 'UTC') DEFAULT now64(3),
    stage           LowCardinality(String),
    reason          LowCardinality(String),
    field_path      String,
    platform        LowCardinality(String),
    event_id        String,
    received_at     Nullable(DateTime64(3, 'UTC')),
    topic           LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset    UInt64,
    payload         String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(rejected_at)
ORDER BY (stage, reason, rejected_at)
TTL toDateTime(rejected_at) + INTERVAL 1 YEAR;
