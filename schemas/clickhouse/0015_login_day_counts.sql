-- Logins per user, organisation and Europe/Luxembourg day, as a plain count: the input of
-- every B2 variant (any window, threshold, organisation; skillpulse.kpi.rolling). Reading
-- counts instead of `login_days`' exact distinct-count states is what makes a variant
-- cheap; a count is exact because `events` holds each login once (0004_event_ids.sql),
-- and logins cannot be withdrawn (aggregator.voids).
-- Each login is counted twice: under its organisation and under '*' (all organisations,
-- as in daily_activity), so a query with or without an organisation reads one key prefix,
-- in user order (aggregation in order, no hash table of all users).
-- Erasure removes a person's rows here like everywhere (they hold the pseudonym); a day
-- range can be recounted from `events` (skillpulse.store.login_counts).
CREATE TABLE IF NOT EXISTS login_day_counts
(
    platform     LowCardinality(String),
    organisation LowCardinality(String),
    user_key     FixedString(64),
    day          Date,
    logins       UInt32
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (platform, organisation, user_key, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS login_day_counts_mv TO login_day_counts AS
SELECT platform, organisation, user_key, toDate(occurred_at, 'Europe/Luxembourg') AS day,
       toUInt32(count()) AS logins
FROM events ARRAY JOIN [organisation_id, '*'] AS organisation
WHERE type = 'login'
GROUP BY platform, organisation, user_key, day;

-- The logins stored before this migration (migrations run before ingest starts).
INSERT INTO login_day_counts
SELECT platform, organisation, user_key, toDate(occurred_at, 'Europe/Luxembourg') AS day,
       toUInt32(uniqExact(event_id)) AS logins
FROM events ARRAY JOIN [organisation_id, '*'] AS organisation
WHERE type = 'login'
GROUP BY platform, organisation, user_key, day;
