"""SQL of the KPIs that are not rolling windows. Each query takes the parameters of
`KpiParams.sql_parameters()`; days are Europe/Luxembourg calendar days."""

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

# First appearance: the first event naming the tool (or the tool and feature).
_FIRST_SEEN = f"""
SELECT {{keys}} FROM tool_first_seen
WHERE platform IN {{{{platforms:Array(String)}}}} {{where}}
GROUP BY {{keys}}
HAVING toDate(min(first_seen), '{TIMEZONE}') BETWEEN {{{{start:Date}}}} AND {{{{end:Date}}}} {{having}}
ORDER BY {{keys}}"""

# MC4: content-creation tools first seen in the period.
NEW_CONTENT_TOOLS = _FIRST_SEEN.format(keys="tool_id", where="",
                                       having="AND has(groupUniqArray(tool_category), 'content_creation')")
NEW_TOOLS = _FIRST_SEEN.format(keys="tool_id", where="", having="")
NEW_TOOL_FEATURES = _FIRST_SEEN.format(keys="tool_id, feature", where="AND feature != ''", having="")
