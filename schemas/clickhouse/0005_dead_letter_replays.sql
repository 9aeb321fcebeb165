-- Dead letters sent back to the events topic by `skillpulse dlq replay`, so each is
-- replayed once; a record that fails again comes back as a new dead letter.
CREATE TABLE IF NOT EXISTS dead_letter_replays
(
    topic           LowCardinality(String),
    kafka_partition UInt32,
    kafka_offset    UInt64,
    replayed_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (topic, kafka_partition, kafka_offset);
