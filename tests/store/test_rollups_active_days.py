"""`user_active_days` (migration 0018), the one row per user and organisation that every
B2 variant and organisation-filtered WAU/MAU read: its migration's backfill equals the
refresher's recompute, and the general path is exactly as current as the fast path."""

from __future__ import annotations

from datetime import date, timedelta

from clickhouse_connect.driver.client import Client

from skillpulse.aggregator import build_batch, write_batch
from skillpulse.kpi import KpiParams, active_users_series
from skillpulse.kpi.rolling import MAX_LOGINS_A_DAY_KEPT
from skillpulse.store.migrations import migration_files, statements
from skillpulse.store.rollups import refresh_pending
from tests.factories import FakeRecord, login
from tests.kpi.test_active_users import EDGE_LOGINS, L, _store
from tests.kpi.test_active_users_variants import LOGINS
from tests.kpi.test_active_users_variants import _store as store_logins

ROWS = "SELECT platform, organisation, user_key, days, login_days FROM user_active_days FINAL ORDER BY ALL"


def test_the_migrations_backfill_equals_the_refresh(store: Client) -> None:
    _store(store, EDGE_LOGINS)
    refreshed = store.query(ROWS).result_rows
    assert refreshed and any(len(row[4]) > len(row[3]) for row in refreshed)  # a day with two logins: twice
    store.command("TRUNCATE TABLE user_active_days")
    (migration,) = [m for m in migration_files() if m.name == "user_active_days"]
    create, backfill = statements(migration.path.read_text())
    store.command(backfill)  # as on a store that held these events when the migration ran
    assert store.query(ROWS).result_rows == refreshed
    # The cap a day's logins are kept up to is written out in the migration: the same as the refresh's.
    assert f"least(entry.2, {MAX_LOGINS_A_DAY_KEPT})" in backfill


def _write_unrefreshed(store: Client, user: str, *days: int) -> None:
    batch = build_batch([FakeRecord(login(user, L + timedelta(days=day)), offset) for offset, day in enumerate(days)])
    write_batch(store, batch)


def test_a_queued_user_counts_once_refreshed_on_both_paths(store: Client) -> None:
    _store(store, EDGE_LOGINS)
    on = L.date() + timedelta(days=5)

    def b2(window_days: int) -> int:  # 60: the fast path (user_activity), 61: the general path
        params = KpiParams(start=on, end=on, window_days=window_days)
        return int(active_users_series(store, params)[0]["active_users"])

    before = b2(60), b2(61)
    _write_unrefreshed(store, "late-user", 1, 2)
    assert (b2(60), b2(61)) == before  # both paths wait for the refresher's round, neither half-counts
    refresh_pending(store, wait_for_visibility=False)
    assert (b2(60), b2(61)) == (before[0] + 1, before[1] + 1)


def test_a_user_in_two_organisations_has_a_row_in_each_and_in_all(store: Client) -> None:
    store_logins(store, [entry for entry in LOGINS if entry[0] == "mixed"], batches=2)
    rows = store.query("SELECT organisation, days, login_days FROM user_active_days FINAL ORDER BY organisation"
                       ).result_rows
    first, second = date(2026, 3, 21), date(2026, 3, 22)
    assert rows == [("*", [first, second], [first, second, second]), ("school-a", [first], [first]),
                    ("school-b", [second], [second, second])]
