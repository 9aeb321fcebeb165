-- Every stored (platform, event_id), sorted by event_id so the aggregator can ask, per
-- batch, which events are already stored: client resends (same event_id, new Kafka
-- offset) and replays after a crash (same offsets) are both dropped before the insert,
-- so `events` holds each event once. Same retention as `events`.
CREATE TABLE IF NOT EXISTS event_ids
(
    event_id UUID,
    platform LowCardinality(String),
    stored_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (event_id, platform)
TTL toDateTime(stored_at) + INTERVAL 9 YEAR;

CREATE MATERIALIZED VIEW IF NOT EXISTS event_ids_mv TO event_ids AS
SELECT event_id, platform FROM events;
