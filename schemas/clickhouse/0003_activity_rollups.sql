-- Rollups of `events`, no nightly job. `login_days`, `user_days` and `tool_first_seen`
-- are fed by materialized views at insert time: current as soon as an event is stored,
-- and exact under resends and replays because they keep exact distinct-count states
-- (uniqExact), distinct rows or minimums, never counters. `user_activity` and
-- `daily_activity` are recomputed a few seconds behind ingest (see each below).

-- Distinct login events per user and Europe/Luxembourg day: the input of B2.
CREATE TABLE IF NOT EXISTS login_days
(
    platform        LowCardinality(String),
    user_key        FixedString(64),
    day             Date,
    organisation_id LowCardinality(String),
    logins          AggregateFunction(uniqExact, UUID)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYear(day)
ORDER BY (platform, user_key, day, organisation_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS login_days_mv TO login_days AS
SELECT platform, user_key, toDate(occurred_at, 'Europe/Luxembourg') AS day, organisation_id,
       uniqExactState(event_id) AS logins
FROM events
WHERE type = 'login'
GROUP BY platform, user_key, day, organisation_id;

-- Days on which a user did anything: the input of WAU/MAU and, through user_activity,
-- of new users.
CREATE TABLE IF NOT EXISTS user_days
(
    platform        LowCardinality(String),
    user_key        FixedString(64),
    day             Date,
    organisation_id LowCardinality(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYear(day)
ORDER BY (platform, user_key, day, organisation_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS user_days_mv TO user_days AS
SELECT DISTINCT platform, user_key, toDate(occurred_at, 'Europe/Luxembourg') AS day, organisation_id
FROM events;

-- Per user, the days on which they count as active, as merged [first, last] runs, for the
-- default definitions: B2 (>= 2 logins in 60 days), and any event in 7 and 30 days.
-- Recomputed by the aggregator's background refresher (skillpulse.store.rollups) for the
-- users queued in rollup_queue (0006_rollup_queue.sql), so a late event reshapes its
-- user's runs; the newest version wins.
CREATE TABLE IF NOT EXISTS user_activity
(
    platform  LowCardinality(String),
    user_key  FixedString(64),
    b2        Array(Tuple(Date, Date)),
    wau       Array(Tuple(Date, Date)),
    mau       Array(Tuple(Date, Date)),
    first_day Date,
    version   DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (platform, user_key);

-- Distinct users and distinct logins per platform, Luxembourg day and organisation
-- ('*' = all organisations), recomputed from `events` by the same refresher for the days
-- queued in rollup_queue; the newest version wins.
CREATE TABLE IF NOT EXISTS daily_activity
(
    platform     LowCardinality(String),
    day          Date,
    organisation LowCardinality(String),
    users        UInt64,
    logins       UInt64,
    version      DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYear(day)
ORDER BY (platform, organisation, day);

-- First appearance of each tool and each (tool, feature), for MC4 and MP2.
CREATE TABLE IF NOT EXISTS tool_first_seen
(
    platform      LowCardinality(String),
    tool_id       LowCardinality(String),
    feature       LowCardinality(String),
    tool_category LowCardinality(String),
    first_seen    SimpleAggregateFunction(min, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (platform, tool_id, feature, tool_category);

CREATE MATERIALIZED VIEW IF NOT EXISTS tool_first_seen_mv TO tool_first_seen AS
SELECT platform, tool_id, feature, tool_category, min(occurred_at) AS first_seen
FROM events
WHERE tool_id != ''
GROUP BY platform, tool_id, feature, tool_category;
