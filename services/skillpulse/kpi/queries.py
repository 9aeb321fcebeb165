"""SQL of the KPIs that are not rolling windows (those: `active_users`, with `rolling`'s
builders). Each query takes the parameters of `KpiParams.sql_parameters()`; days are
Europe/Luxembourg calendar days. The catalogue runs this text and the Grafana dashboards
render it (`dashboards.sql`)."""

from __future__ import annotations

from skillpulse.kpi.params import TIMEZONE, local_days

# Raw events of the platforms and organisation on the local days [start, end].
IN_RANGE = f"""platform IN {{platforms:Array(String)}}
  AND {local_days("{start:Date}", "{end:Date}")}
  AND ({{organisation:String}} = '' OR organisation_id = {{organisation:String}})"""

# MA4: users with a training completed or passed in the period.
TRAINED_USERS = f"""
SELECT uniqExact(user_key) FROM events
WHERE type = 'training' AND training_status IN ('completed', 'passed') AND {IN_RANGE}"""

TRAINING_STATUSES = ("enrolled", "started", "completed", "passed", "failed")
TRAINING_FUNNEL = f"""
SELECT {", ".join(f"uniqExactIf(user_key, training_status = '{status}')" for status in TRAINING_STATUSES)}
FROM events WHERE type = 'training' AND {IN_RANGE}"""

TOOL_USAGE = f"""
SELECT tool_category, tool_id, uniqExact(event_id) AS uses, uniqExact(user_key) AS users FROM events
WHERE type = 'tool_use' AND {IN_RANGE}
GROUP BY tool_category, tool_id ORDER BY uses DESC, tool_id"""
# Distinct events per category: each event names one tool, so the tools' counts add up.
TOOL_USES_BY_CATEGORY = f"""
SELECT tool_category, sum(uses) AS uses FROM ({TOOL_USAGE})
GROUP BY tool_category ORDER BY uses DESC, tool_category"""

# DAU and logins per day, kept per day by the rollup refresh.
DAILY_ACTIVITY = """
SELECT calendar.day AS day, toUInt64(sum(counted.users)) AS users, toUInt64(sum(counted.logins)) AS logins
FROM (SELECT toDate({start:Date} + number) AS day FROM numbers(toUInt64({end:Date} - {start:Date} + 1))) AS calendar
LEFT JOIN (
    SELECT day, argMax(users, version) AS users, argMax(logins, version) AS logins FROM daily_activity
    WHERE platform IN {platforms:Array(String)} AND day BETWEEN {start:Date} AND {end:Date}
      AND organisation = if({organisation:String} = '', '*', {organisation:String})
    GROUP BY platform, day
) AS counted ON counted.day = calendar.day
GROUP BY day
ORDER BY day"""
# The organisations the `organisation` parameter can name: those the daily rollup counts.
ORGANISATIONS = """
SELECT DISTINCT organisation FROM daily_activity
WHERE platform IN {platforms:Array(String)} AND organisation != '*' ORDER BY organisation"""


def stickiness(mau_series: str) -> str:
    """DAU / MAU per day (0 without MAU), with both, from DAILY_ACTIVITY and `mau_series`:
    a daily series (`day`, `mau`) over the same range (`rolling` builds it)."""
    return f"""
SELECT daily.day AS day, if(monthly.mau = 0, 0, daily.users / monthly.mau) AS stickiness,
       daily.users AS dau, monthly.mau AS mau
FROM ({DAILY_ACTIVITY}) AS daily
INNER JOIN ({mau_series}) AS monthly ON monthly.day = daily.day
ORDER BY day"""

# Users whose first event on the platform falls on the day (per-user runs keep first_day).
NEW_USERS_PER_DAY = """
SELECT calendar.day AS day, toUInt64(ifNull(counted.new_users, 0)) AS new_users
FROM (SELECT toDate({start:Date} + number) AS day FROM numbers(toUInt64({end:Date} - {start:Date} + 1))) AS calendar
LEFT JOIN (
    SELECT first_day AS day, count() AS new_users FROM user_activity FINAL
    WHERE platform IN {platforms:Array(String)} AND first_day BETWEEN {start:Date} AND {end:Date}
    GROUP BY day
) AS counted ON counted.day = calendar.day
ORDER BY day"""


def _first_seen(keys: str, where: str = "", having: str = "") -> str:
    """The `keys` (a tool, or a tool and feature) whose first event on the platforms falls
    in the period."""
    return f"""
SELECT {keys} FROM tool_first_seen
WHERE platform IN {{platforms:Array(String)}} {where}
GROUP BY {keys}
HAVING toDate(min(first_seen), '{TIMEZONE}') BETWEEN {{start:Date}} AND {{end:Date}} {having}"""


# The first-seen figures (not MC4/MP2, which count the tool catalogue below): content-creation
# tools first seen in the period, how many and which (sorted)...
NEW_CONTENT_TOOLS_FIRST_SEEN = f"""
SELECT count() AS new_tools, arraySort(groupArray(tool_id)) AS tools
FROM ({_first_seen("tool_id", having="AND has(groupUniqArray(tool_category), 'content_creation')")})"""
# ... and tools first seen in the period plus (tool, feature) pairs first seen in it; both sorted.
NEW_FEATURES_FIRST_SEEN = f"""
SELECT length(new_tools) + length(new_tool_features) AS new_features,
       (SELECT arraySort(groupArray(tool_id)) FROM ({_first_seen("tool_id")})) AS new_tools,
       (SELECT arraySort(groupArray((tool_id, feature)))
        FROM ({_first_seen("tool_id, feature", where="AND feature != ''")})) AS new_tool_features"""

# The tool catalogue's current state (migration 0012): each entry's highest revision. Not
# argMax: it skips NULLs, so a correction that clears `retired_on` would not be seen.
CATALOGUE_CURRENT = """
SELECT tool_id, feature, revision, action, category, available_from, retired_on, aliases, declared_at,
       declared_by, note
FROM tool_catalogue ORDER BY tool_id, feature, revision DESC LIMIT 1 BY tool_id, feature"""
# Made available in the period: released on one of its days, and not withdrawn that same day.
_MADE_AVAILABLE = """available_from BETWEEN {start:Date} AND {end:Date}
  AND (retired_on IS NULL OR retired_on > available_from)"""
# MC4: content-creation tools of the catalogue made available in the period, how many and which.
NEW_CONTENT_TOOLS = f"""
SELECT count() AS new_tools, arraySort(groupArray(tool_id)) AS tools FROM ({CATALOGUE_CURRENT})
WHERE feature = '' AND category = 'content_creation' AND {_MADE_AVAILABLE}"""
# MP2: tools plus features of the catalogue made available in the period; both sorted.
NEW_FEATURES = f"""
SELECT length(new_tools) + length(new_tool_features) AS new_features,
       (SELECT arraySort(groupArray(tool_id)) FROM ({CATALOGUE_CURRENT})
        WHERE feature = '' AND {_MADE_AVAILABLE}) AS new_tools,
       (SELECT arraySort(groupArray((tool_id, feature))) FROM ({CATALOGUE_CURRENT})
        WHERE feature != '' AND {_MADE_AVAILABLE}) AS new_tool_features"""
# The cross-check's telemetry side: each (tool_id, feature) used in the period, with its uses
# and first and last Luxembourg day (the catalogue's aliases are resolved by `tool_catalogue`).
TOOLS_USED = f"""
SELECT tool_id, feature, uniqExact(event_id) AS uses, toDate(min(occurred_at), '{TIMEZONE}') AS first_day,
       toDate(max(occurred_at), '{TIMEZONE}') AS last_day
FROM events WHERE type = 'tool_use' AND {IN_RANGE}
GROUP BY tool_id, feature ORDER BY tool_id, feature"""

# MV2: articles published on the blog per Luxembourg calendar month of the period (each
# article once, dated by its newest row: `sources.blog_store`), months without any as 0.
BLOG_ARTICLES = """
SELECT published_at FROM (
    SELECT guid, argMax(published_at, seen_at) AS published_at FROM blog_articles
    WHERE site = {site:String} GROUP BY guid)"""
ARTICLES_PER_MONTH = f"""
SELECT calendar.month AS month, toUInt64(counted.articles) AS articles
FROM (SELECT DISTINCT toStartOfMonth({{start:Date}} + number) AS month
      FROM numbers(toUInt64({{end:Date}} - {{start:Date}} + 1))) AS calendar
LEFT JOIN (
    SELECT toStartOfMonth(toDate(published_at, '{TIMEZONE}')) AS month, count() AS articles FROM ({BLOG_ARTICLES})
    WHERE toDate(published_at, '{TIMEZONE}') BETWEEN {{start:Date}} AND {{end:Date}}
    GROUP BY month
) AS counted ON counted.month = calendar.month
ORDER BY month"""
# Every article stored for the site, and the oldest one's Luxembourg day: a feed lists only
# its latest items, so months before the oldest stored article may be incomplete.
ARTICLES_STORED = f"""
SELECT count(), toDate(min(published_at), '{TIMEZONE}') FROM ({BLOG_ARTICLES})"""
