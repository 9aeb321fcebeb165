"""B2 variants (window 1-365, threshold 1-10, an organisation) against the brute-force
reference, on logins placed at the edges of each window; and `login_day_counts`, their
input, recounted from `events`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.kpi import KpiParams, active_users_series
from skillpulse.store.login_counts import recount_login_days
from skillpulse.store.rollups import refresh_pending
from tests.factories import record_json, store_records
from tests.kpi.reference import active_users_reference

T = datetime(2026, 3, 1, 10, tzinfo=UTC)  # 11:00 in Luxembourg
Login = tuple[str, str, datetime]  # (user, organisation, occurred_at)


def _on(day: int, hour: int = 0) -> datetime:
    return T + timedelta(days=day, hours=hour)


LOGINS: list[Login] = [
    *[("ten", "school-a", _on(0)) for _ in range(10)],                  # ten logins on one day
    *[("nine", "school-a", _on(0, 1)) for _ in range(9)],               # one short of ten
    ("year", "school-a", _on(0)), ("year", "school-a", _on(364)),       # 364 days apart: one 365-day window
    ("year-and-a-day", "school-b", _on(0)), ("year-and-a-day", "school-b", _on(365)),  # never in one
    ("edge", "school-b", _on(10)), ("edge", "school-b", _on(11)),       # consecutive days
    ("mixed", "school-a", _on(20)), ("mixed", "school-b", _on(21)),     # two organisations
    ("mixed", "school-b", _on(21, 2)),
    ("late-evening", "school-a", datetime(2026, 3, 28, 22, 30, tzinfo=UTC)),  # 28 Mar 23:30 local
    ("late-evening", "school-a", datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),  # 29 Mar 00:30 local (DST that night)
    *[("spread", "school-b", _on(day)) for day in range(40, 140, 9)],   # one every nine days
]
VARIANTS = [(1, 1), (1, 2), (1, 10), (2, 2), (9, 2), (10, 2), (60, 2), (60, 3), (365, 1), (365, 2), (365, 10),
            (366, 2)]


def _store(store: Client, logins: list[Login], batches: int = 1) -> list[tuple[str, str, str, datetime]]:
    """Store `logins` in `batches` inserts (a day's rows not yet summed by a merge), and
    return them as the reference takes them."""
    keyed = [(str(uuid.uuid4()), user, organisation, when) for user, organisation, when in logins]
    for batch in range(batches):
        store_records(store, [record_json("login", user_key=uuid.uuid5(uuid.NAMESPACE_OID, user).hex * 2,
                                          occurred_at=when.isoformat(), event_id=event_id,
                                          organisation_id=organisation)
                              for event_id, user, organisation, when in keyed[batch::batches]])
    return [(event_id, "skilltech.tools", f"{user}@{organisation}", when)
            for event_id, user, organisation, when in keyed]


def _reference(logins: list[tuple[str, str, str, datetime]], organisation: str | None, **params: object
               ) -> list[int]:
    """The reference over the organisation's logins only (all of them for None)."""
    kept = [(event_id, platform, user.split("@")[0], when) for event_id, platform, user, when in logins
            if organisation is None or user.endswith(f"@{organisation}")]
    return [int(row["active_users"]) for row in active_users_reference(kept, **params)]  # type: ignore[arg-type]


@pytest.mark.parametrize("organisation", [None, "school-a", "school-b"])
def test_every_variant_matches_the_reference_every_day(store: Client, organisation: str | None) -> None:
    logins = _store(store, LOGINS, batches=3)
    start, end = date(2026, 2, 1), date(2027, 3, 31)
    for window_days, min_logins in VARIANTS:
        params = {"start": start, "end": end, "window_days": window_days, "min_logins": min_logins}
        series = active_users_series(store, KpiParams(**params, organisation=organisation))
        assert [row["active_users"] for row in series] == _reference(logins, organisation, **params), \
            (window_days, min_logins)


def test_variant_values_by_hand(store: Client) -> None:
    _store(store, LOGINS, batches=4)

    def on(day: int, window_days: int, min_logins: int, organisation: str | None = None) -> int:
        moment = (T + timedelta(days=day)).date()
        params = KpiParams(start=moment, end=moment, window_days=window_days, min_logins=min_logins,
                           organisation=organisation)
        return int(active_users_series(store, params)[0]["active_users"])

    assert on(0, 1, 10) == 1                                  # ten, not nine
    assert on(0, 1, 9) == 2
    assert on(1, 1, 1) == 0 and on(1, 2, 10) == 1             # the next day: outside a 1-day window only
    assert on(364, 365, 2, "school-a") == 4                   # ten, nine, year, late-evening
    assert on(365, 365, 2, "school-a") == 1                   # day 0 has left the window: late-evening only
    assert on(365, 365, 2, "school-b") == 3 and on(365, 366, 2, "school-b") == 4  # year-and-a-day needs 366
    assert on(11, 2, 2, "school-b") == 1 and on(12, 2, 2, "school-b") == 0
    assert on(21, 2, 2, "school-b") == 1                      # mixed: two logins in school-b that day
    assert on(21, 2, 3) == 1 and on(21, 2, 3, "school-a") == 0  # all three only without a filter


def test_recount_from_events_gives_the_same_counts(store: Client) -> None:
    _store(store, LOGINS, batches=2)
    counts = "SELECT organisation, user_key, day, sum(logins) FROM login_day_counts GROUP BY ALL ORDER BY ALL"
    before = store.query(counts).result_rows
    assert before and sum(row[3] for row in before) == 2 * len(LOGINS)  # each login under its organisation and '*'
    store.command("TRUNCATE TABLE login_day_counts")
    recount_login_days(store, "skilltech.tools", date(2026, 3, 1), date(2026, 12, 31))
    recount_login_days(store, "skilltech.tools", date(2027, 1, 1), date(2027, 3, 31))
    assert store.query(counts).result_rows == before
    recount_login_days(store, "skilltech.tools", date(2026, 3, 1), date(2026, 3, 31))  # again: nothing doubles
    assert store.query(counts).result_rows == before


def test_a_recount_queues_its_users_so_the_variants_read_the_new_counts(store: Client) -> None:
    _store(store, LOGINS, batches=2)
    variant = KpiParams(start=date(2026, 3, 1), end=date(2027, 3, 31), window_days=9, min_logins=3)
    expected = active_users_series(store, variant)
    store.command("TRUNCATE TABLE login_day_counts")  # as if the view had missed every login
    store.command("TRUNCATE TABLE user_active_days")
    refresh_pending(store, wait_for_visibility=False)
    assert active_users_series(store, variant) != expected
    recount_login_days(store, "skilltech.tools", date(2026, 3, 1), date(2027, 3, 31))
    refresh_pending(store, wait_for_visibility=False)
    assert active_users_series(store, variant) == expected


def test_a_recount_queues_the_users_whose_counted_logins_are_gone(store: Client) -> None:
    _store(store, LOGINS, batches=2)
    variant = KpiParams(start=date(2026, 3, 1), end=date(2027, 3, 31), window_days=9, min_logins=3)
    expected = active_users_series(store, variant)
    assert any(row["active_users"] for row in expected)
    store.command("ALTER TABLE events DELETE WHERE type = 'login'", settings={"mutations_sync": 2})  # behind the views
    recount_login_days(store, "skilltech.tools", date(2026, 3, 1), date(2027, 3, 31))
    refresh_pending(store, wait_for_visibility=False)
    assert not any(row["active_users"] for row in active_users_series(store, variant))
