"""The recomputed rollups, refreshed a few users per query, against the brute-force reference."""

from __future__ import annotations

from datetime import date

import pytest

from skillpulse.kpi import KpiParams, active_users_series
from skillpulse.store import rollups
from tests.kpi.test_active_users import EDGE_LOGINS, _reference, _store


@pytest.mark.parametrize("users_per_query", [1, 3, 5_000])
def test_a_backlog_refreshed_in_chunks_equals_the_reference(store, monkeypatch, users_per_query: int) -> None:
    monkeypatch.setattr(rollups, "USERS_PER_REFRESH", users_per_query)
    _store(store, EDGE_LOGINS)  # 11 users queued at once: read in 11, 4 or 1 slices
    users = {(platform, user) for _, platform, user, _ in EDGE_LOGINS}
    assert store.query("SELECT count() FROM user_activity FINAL").result_rows == [(len(users),)]
    params = {"start": date(2025, 12, 1), "end": date(2027, 4, 30)}
    assert active_users_series(store, KpiParams(**params)) == _reference(EDGE_LOGINS, **params)
