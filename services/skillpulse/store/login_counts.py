"""Recounting `login_day_counts` (migration 0015) from `events`, for one platform's days.

The view on `events` keeps the counts current as logins are stored, late ones included;
an erasure removes a person's rows here as everywhere (they hold the pseudonym), and
logins cannot be withdrawn. A recount is for anything else that changed `events` behind
the view's back (a repair, a restore of `events` alone): the days' rows are deleted,
synchronously, then counted again from the events that remain, each login once.

A login of those days stored while a recount runs may be counted twice (by the view and
by the recount), so recount with the aggregator stopped, as migrations run. The users of
those days, counted before and after the recount, are queued for the refresher
(`rollup_queue`), which rebuilds their `user_active_days` (what B2's variants read) and
`user_activity` from the new counts on its next round.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from skillpulse.kpi.params import TIMEZONE, local_days
from skillpulse.store.topology import run_statement

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

_DAYS = "platform = {platform:String} AND day BETWEEN {first:Date} AND {last:Date}"
_DELETE = f"ALTER TABLE login_day_counts DELETE WHERE {_DAYS}"
_COUNT = f"""
INSERT INTO login_day_counts (platform, organisation, user_key, day, logins)
SELECT platform, organisation, user_key, toDate(occurred_at, '{TIMEZONE}') AS day, toUInt32(uniqExact(event_id))
FROM events ARRAY JOIN [organisation_id, '*'] AS organisation
WHERE type = 'login' AND platform = {{platform:String}} AND {local_days("{first:Date}", "{last:Date}")}
GROUP BY platform, organisation, user_key, day"""
_QUEUE = f"""
INSERT INTO rollup_queue (platform, user_key, day)
SELECT DISTINCT platform, user_key, day FROM login_day_counts WHERE organisation = '*' AND {_DAYS}"""


def recount_login_days(store: Client, platform: str, first: date, last: date) -> None:
    """Count again, from `events`, the logins of `platform` on the Luxembourg days [first, last]."""
    parameters = {"platform": platform, "first": first, "last": last}
    store.command(_QUEUE, parameters=parameters)  # before too: a user whose counted logins are gone
    run_statement(store, _DELETE, parameters, {"mutations_sync": 2})  # on a cluster: every shard's local table
    store.command(_COUNT, parameters=parameters)
    store.command(_QUEUE, parameters=parameters)
