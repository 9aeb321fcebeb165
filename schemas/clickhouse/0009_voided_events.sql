-- Events a platform withdrew (xAPI `voided` statements), kept for as long as `events`:
-- the aggregator deletes a voided event from `events` and recomputes the rollups it fed,
-- and checks every later batch against this table, so a voided event that is resent,
-- or arrives after its void (another partition), never counts. No user identifier here.
CREATE TABLE IF NOT EXISTS voided_events
(
    platform        LowCardinality(String),
    voided_event_id UUID,
    void_event_id   UUID,
    voided_at       DateTime64(3, 'UTC'),
    stored_at       DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (voided_event_id, platform)
TTL toDateTime(stored_at) + INTERVAL 9 YEAR;

-- What a withdrawal still has to recompute (pseudonymous keys only): written before the
-- withdrawn events leave `events`, cleared once the rollups they fed are recomputed, so a
-- crash or a failed statement in between is finished by the next batch.
CREATE TABLE IF NOT EXISTS void_recompute
(
    platform  LowCardinality(String),
    user_key  String,
    day       Date,
    tool_id   String,
    queued_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (platform, user_key, day);
