-- Erasures of one person's data (GDPR Art. 17, `skillpulse erase`, POST /v1/erasures): what
-- was removed, never whom. No identifier, raw or pseudonymous: the platform, when, how many
-- rows left each table, and the days and tools whose aggregate figures were recomputed (so
-- `report verify` can explain why a figure of a past period changed). A receipt is written
-- before anything is removed (finished = false) and again when the erasure is complete: an
-- erasure a crash interrupted is finished, from its days and tools, by the next erasure or
-- `skillpulse erase --finish`. Kept as long as the reports it explains (Art. 12).
CREATE TABLE IF NOT EXISTS erasure_receipts
(
    erasure_id   UUID,
    requested_at DateTime64(3, 'UTC'),
    platform     LowCardinality(String),
    requested_by LowCardinality(String),
    days         Array(Date),
    tools        Array(String),
    rows_removed Map(LowCardinality(String), UInt64),
    finished     UInt8,
    recorded_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(finished)
PARTITION BY toYear(requested_at)
ORDER BY (platform, requested_at, erasure_id)
TTL toDateTime(requested_at) + INTERVAL 9 YEAR;
