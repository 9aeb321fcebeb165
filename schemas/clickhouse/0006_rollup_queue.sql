-- What the recomputed rollups (`user_activity`, `daily_activity`) still have to catch up
-- on: every stored event queues its (platform, user, day). A refresher recomputes what
-- was queued after its watermark, so ingest never waits for the rollups and a crash
-- loses no refresh (the queue is written in the same insert as the events).
CREATE TABLE IF NOT EXISTS rollup_queue
(
    platform  LowCardinality(String),
    user_key  FixedString(64),
    day       Date,
    queued_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = MergeTree
ORDER BY queued_at
TTL toDateTime(queued_at) + INTERVAL 7 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS rollup_queue_mv TO rollup_queue AS
SELECT DISTINCT platform, user_key, toDate(occurred_at, 'Europe/Luxembourg') AS day
FROM events;

-- How far the refresher got: everything queued at or before `upto` is reflected.
CREATE TABLE IF NOT EXISTS rollup_watermark
(
    upto DateTime64(6, 'UTC')
)
ENGINE = MergeTree
ORDER BY upto
TTL toDateTime(upto) + INTERVAL 7 DAY;
