"""B2 in SQL against the brute-force reference, on data that hits the edges."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillpulse.kpi import KpiParams, active_users_series
from tests.factories import clear_store, login, store_records
from tests.kpi.reference import active_users_reference

L = datetime(2026, 1, 10, 9, tzinfo=UTC)
DUP = str(uuid.uuid4())

Logins = list[tuple[str, str, str, datetime]]  # (event_id, platform, user, occurred_at)
EDGE_LOGINS: Logins = [
    ("a1", "skilltech.tools", "a", L), ("a2", "skilltech.tools", "a", L + timedelta(days=59)),  # 59 days: active
    ("b1", "skilltech.tools", "b", L), ("b2", "skilltech.tools", "b", L + timedelta(days=60)),  # 60: never
    ("c1", "skilltech.tools", "c", L), ("c2", "skilltech.tools", "c", L + timedelta(days=61)),  # 61: never
    ("d1", "skilltech.tools", "d", L), ("d2", "skilltech.tools", "d", L + timedelta(hours=3)),  # same day
    (DUP, "skilltech.tools", "e", L), (DUP, "skilltech.tools", "e", L),                         # resent
    # 23:30 UTC on 31 December is 00:30 on 1 January in Luxembourg.
    ("f1", "skilltech.tools", "f", datetime(2026, 12, 31, 23, 30, tzinfo=UTC)),
    ("f2", "skilltech.tools", "f", datetime(2027, 1, 1, 12, tzinfo=UTC)),
    ("g1", "skilltech.tools", "g", datetime(2026, 12, 31, 22, 30, tzinfo=UTC)),                 # still 31 Dec
    ("g2", "skilltech.tools", "g", datetime(2027, 3, 1, 8, tzinfo=UTC)),
    # DST: 29 March 2026 (CET→CEST) and 25 October 2026 (CEST→CET).
    ("h1", "skilltech.tools", "h", datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),                  # 29 Mar local
    ("h2", "skilltech.tools", "h", datetime(2026, 5, 27, 21, 30, tzinfo=UTC)),                  # 27 May 23:30
    ("h3", "skilltech.tools", "h", datetime(2026, 5, 27, 22, 30, tzinfo=UTC)),                  # 28 May 00:30
    ("k1", "skilltech.tools", "k", datetime(2026, 10, 24, 22, 30, tzinfo=UTC)),                 # 25 Oct 00:30
    ("k2", "skilltech.tools", "k", datetime(2026, 10, 25, 22, 30, tzinfo=UTC)),                 # 25 Oct 23:30
    ("k3", "skilltech.tools", "k", datetime(2026, 12, 23, 23, 30, tzinfo=UTC)),                 # 24 Dec 00:30
    ("m1", "skilltech.tube", "m", L), ("m2", "skilltech.tube", "m", L + timedelta(days=1)),     # other platform
    ("n1", "skilltech.tools", "n", L + timedelta(days=5)),                                      # one login only
]


def _store(store: Client, logins: Logins) -> None:
    store_records(store, [login(user, when, event_id=str(uuid.uuid5(uuid.NAMESPACE_OID, eid)), platform=platform)
                          for eid, platform, user, when in logins])


def _reference(logins: Logins, **params: Any) -> list[dict[str, object]]:
    keyed = [(str(uuid.uuid5(uuid.NAMESPACE_OID, e)), p, u, w) for e, p, u, w in logins]
    return active_users_reference(keyed, **params)


@pytest.mark.parametrize("window_days, min_logins", [(60, 2), (30, 1), (7, 3), (1, 1), (60, 3)])
@pytest.mark.parametrize("platforms",
                         [("skilltech.tools",), ("skilltech.tube",), ("skilltech.tools", "skilltech.tube")])
def test_edges_match_the_reference_every_day(store: Client, window_days: int, min_logins: int,
                                             platforms: tuple[str, ...]) -> None:
    _store(store, EDGE_LOGINS)
    params = {"start": date(2025, 12, 1), "end": date(2027, 4, 30), "window_days": window_days,
              "min_logins": min_logins, "platforms": platforms}
    assert active_users_series(store, KpiParams(**params)) == _reference(EDGE_LOGINS, **params)


def test_edge_values_by_hand(store: Client) -> None:
    _store(store, EDGE_LOGINS)
    series = {row["day"]: row["active_users"]
              for row in active_users_series(store, KpiParams(start=date(2026, 1, 1), end=date(2027, 3, 31)))}
    assert series["2026-01-09"] == 0
    assert series["2026-01-10"] == 1            # d: two logins the same day
    assert series["2026-03-10"] == 2            # d's last day (L+59) and a's only day
    assert series["2026-03-11"] == 0            # b at L+60 and c at L+61 never qualify
    assert series["2026-05-28"] == 1            # h: 29 Mar local + 59 days = 27 May; 28 May login counts
    assert series["2026-05-27"] == 1
    assert series["2026-10-25"] == 1            # k: both logins on 25 Oct local
    assert series["2026-12-23"] == 1            # k: 25 Oct + 59 days
    assert series["2026-12-24"] == 0            # 26 Oct … 24 Dec holds k3 only
    assert series["2026-12-31"] == 0 and series["2027-01-01"] == 1  # f: both on 1 Jan local; g not active


def test_empty_range_and_no_data(store: Client) -> None:
    series = active_users_series(store, KpiParams(start=date(2026, 6, 1), end=date(2026, 6, 3)))
    assert series == [{"day": f"2026-06-0{d}", "active_users": 0} for d in (1, 2, 3)]


def test_late_event_changes_past_days(store: Client) -> None:
    _store(store, [("late-1", "skilltech.tools", "p", L)])
    params = KpiParams(start=L.date(), end=L.date() + timedelta(days=5))
    assert {row["active_users"] for row in active_users_series(store, params)} == {0}
    _store(store, [("late-2", "skilltech.tools", "p", L + timedelta(days=2))])  # arrives later, happened earlier
    assert [row["active_users"] for row in active_users_series(store, params)] == [0, 0, 1, 1, 1, 1]


def test_invalid_parameters_are_refused() -> None:
    with pytest.raises(ValueError):
        KpiParams(start=date(2026, 2, 1), end=date(2026, 1, 1))
    with pytest.raises(ValueError):
        KpiParams(start=date(2026, 1, 1), end=date(2026, 1, 1), window_days=0)


_logins = st.lists(
    st.tuples(st.integers(0, 9), st.integers(0, 6), st.integers(0, 150), st.integers(0, 23 * 60 + 59),
              st.sampled_from(["skilltech.tools", "skilltech.tools", "skilltech.tube"])),
    max_size=60,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=_logins, window_days=st.integers(1, 70), min_logins=st.integers(1, 4))
def test_property_sql_equals_reference(store: Client, rows: list[tuple[int, int, int, int, str]], window_days: int,
                                       min_logins: int) -> None:
    clear_store(store)
    base = datetime(2026, 2, 1, tzinfo=UTC)
    # event ids drawn from a small pool: resends happen by construction
    logins = [(f"e{eid}-{user}-{day}", platform, f"u{user}", base + timedelta(days=day, minutes=minute))
              for eid, user, day, minute, platform in rows]
    if logins:
        _store(store, logins)
    params = {"start": date(2026, 2, 1), "end": date(2026, 7, 15), "window_days": window_days,
              "min_logins": min_logins, "platforms": ("skilltech.tools",)}
    assert active_users_series(store, KpiParams(**params)) == _reference(logins, **params)
