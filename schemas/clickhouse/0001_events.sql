-- Raw events, once each: the aggregator drops resends and replays before inserting
-- (see 0004_event_ids.sql). A plain MergeTree on purpose: a duplicate that got in would
-- stay visible to the fault tests instead of being merged away. KPI queries still count
-- distinct event_id. No raw user id: `user_key` is the collector's HMAC pseudonym.
CREATE TABLE IF NOT EXISTS events
(
    event_id        UUID,
    type            LowCardinality(String),
    platform        LowCardinality(String),
    occurred_at     DateTime64(3, 'UTC'),
    received_at     DateTime64(3, 'UTC'),
    stored_at       DateTime64(3, 'UTC') DEFAULT now64(3),
    user_key        FixedString(64),
    organisation_id LowCardinality(String),
    session_key     String,
    login_method    LowCardinality(String),
    tool_id         LowCardinality(String),
    tool_category   LowCardinality(String),
    action          LowCardinality(String),
    feature         LowCardinality(String),
    duration_s      Nullable(Float64),
    training_id     LowCardinality(String),
    training_status LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset    UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(occurred_at)
-- Low to high cardinality; the day prefix serves range filters.
ORDER BY (platform, type, toDate(occurred_at), user_key, event_id)
-- Agreement Art. 12: figures stay auditable five years after 2029, so raw events of
-- 2026 must outlive 2034. Nine years covers every event of the agreement's period.
TTL toDateTime(occurred_at) + INTERVAL 9 YEAR
SETTINGS non_replicated_deduplication_window = 10000;
