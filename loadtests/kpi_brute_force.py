"""The brute-force B2 the KPI benchmark checks every variant against: the logins read
from raw `events` (resends removed by event id), then, per day, the users with at least
`min_logins` of them in the `window_days` days ending that day, counted over a dense
user × day matrix. Shares nothing with the production SQL (no rollup, no runs)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
from clickhouse_connect.driver.client import Client

# Matrix rows per step: users × days of uint16, a few tens of MB at a time.
USERS_PER_CHUNK = 10_000

LOGINS_SQL = """
SELECT toUInt32(dense_rank() OVER (ORDER BY user_key) - 1) AS user, toInt32(day - {first:Date}) AS day_index
FROM (SELECT any(user_key) AS user_key, any(toDate(occurred_at, 'Europe/Luxembourg')) AS day
      FROM events
      WHERE type = 'login' AND platform = 'skilltech.tools'
        AND ({organisation:String} = '' OR organisation_id = {organisation:String})
      GROUP BY event_id)
WHERE day BETWEEN {first:Date} AND {last:Date}
ORDER BY user
"""


class Logins(NamedTuple):
    """One entry per login, by user: its user (0 … users-1) and its day, as days since `first`."""

    first: date
    users: int
    user: np.ndarray  # uint32
    day_index: np.ndarray  # int32


def read_logins(store: Client, first: date, last: date, organisation: str = "",
                settings: dict[str, object] | None = None) -> Logins:
    """The logins on the Luxembourg days [first, last], of one organisation or all ('')."""
    found = store.query_np(LOGINS_SQL, parameters={"first": first, "last": last, "organisation": organisation},
                           settings=settings)
    user = np.asarray(found["user"], np.uint32)  # a structured array, one field per column
    day_index = np.asarray(found["day_index"], np.int32)
    return Logins(first, int(user.max()) + 1 if len(user) else 0, user, day_index)


def active_users(logins: Logins, start: date, end: date, window_days: int, min_logins: int) -> list[int]:
    """Per day of [start, end], the users with >= min_logins logins in the window ending that day.
    `logins` must cover [start - (window_days - 1), end]."""
    days = (end - logins.first).days + 1
    offset = (start - logins.first).days
    if offset < window_days - 1:
        raise ValueError("the logins start too late for the first window")
    totals = np.zeros(end.toordinal() - start.toordinal() + 1, np.int64)
    for low in range(0, logins.users, USERS_PER_CHUNK):
        chunk = slice(*np.searchsorted(logins.user, [low, low + USERS_PER_CHUNK]))
        cells = (logins.user[chunk] - low).astype(np.int64) * days + logins.day_index[chunk]
        per_day = np.bincount(cells, minlength=USERS_PER_CHUNK * days).reshape(USERS_PER_CHUNK, days)
        through = np.cumsum(per_day, axis=1)  # logins from `first` through each day
        before = np.zeros_like(through)
        before[:, window_days:] = through[:, :-window_days]  # ... through the day before the window
        in_window = through[:, offset:] - before[:, offset:]
        totals += (in_window >= min_logins).sum(axis=0)
    return [int(n) for n in totals]


def days_of(start: date, end: date) -> list[str]:
    return [(start + timedelta(days=i)).isoformat() for i in range((end - start).days + 1)]
