-- Per user and organisation ('*' = all organisations, as in login_day_counts), one row:
-- the sorted days with any event, and the sorted days of their logins, a day repeated per
-- login up to 3660 times (the highest threshold a query may ask, MAX_WINDOW_DAYS ×
-- MAX_LOGINS_PER_DAY: more copies never change whether it is met). The
-- input of every B2 variant (any window, threshold, organisation) and of WAU/MAU for one
-- organisation (skillpulse.kpi.rolling): a variant reads one short row per user instead
-- of grouping a row per user and day at query time.
-- Recomputed over the user's whole history from `user_days` and `login_day_counts` by the
-- same refresher, for the same queued users, as `user_activity` (skillpulse.store.rollups),
-- so both are equally current; the newest version wins. Erasure removes a person's rows
-- like everywhere (they hold the pseudonym).
CREATE TABLE IF NOT EXISTS user_active_days
(
    platform     LowCardinality(String),
    organisation LowCardinality(String),
    user_key     FixedString(64),
    days         Array(Date),
    login_days   Array(Date),
    version      DateTime64(6, 'UTC')
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (platform, organisation, user_key);

-- The users stored before this migration (migrations run before ingest starts); the same
-- recompute as skillpulse.store.rollups.ACTIVE_DAYS_SQL over every user.
INSERT INTO user_active_days (platform, organisation, user_key, days, login_days, version)
SELECT platform, organisation, user_key, arrayMap(entry -> entry.1, entries) AS days,
       arrayFlatten(arrayMap(entry -> arrayWithConstant(least(entry.2, 3660), entry.1), entries)) AS login_days,
       now64(6) AS version
FROM (
    SELECT platform, organisation, user_key, arraySort(groupArray((day, logins))) AS entries
    FROM (
        SELECT platform, organisation, user_key, day, toUInt32(sum(logins)) AS logins
        FROM (
            SELECT platform, organisation, user_key, day, logins FROM login_day_counts
            UNION ALL
            SELECT platform, organisation, user_key, day, toUInt32(0) AS logins
            FROM user_days ARRAY JOIN [organisation_id, '*'] AS organisation
        )
        GROUP BY platform, organisation, user_key, day
    )
    GROUP BY platform, organisation, user_key
);
