"""Voids against the real embedded store: a withdrawn training or tool use leaves `events`
and every figure (MA4, the funnel, DAU, WAU/MAU, new users, MC4), in either order of arrival."""

import hashlib
import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.aggregator import build_batch, voids, write_batch
from skillpulse.kpi import KpiParams
from skillpulse.kpi.catalogue import rows, scalar
from skillpulse.store.rollups import refresh_pending
from tests.factories import FakeRecord, login, record_json

PLATFORM = "skilltech.tools"
DAY = date(2026, 3, 1)


def _key(user: str) -> str:
    return hashlib.sha256(user.encode()).hexdigest()


def training(user: str, event_id: str, status: str = "completed", **overrides: Any) -> bytes:
    return record_json("training", user_key=_key(user), event_id=event_id, status=status,
                       occurred_at="2026-03-01T10:00:00+01:00", **overrides)


def void(voided_event_id: str, *, platform: str = PLATFORM, voider: str = "admin") -> bytes:
    return json.dumps({"type": "void", "event_id": str(uuid.uuid4()), "voided_event_id": voided_event_id,
                       "platform": platform, "user_key": _key(voider), "occurred_at": "2026-03-02T09:00:00+01:00",
                       "received_at": datetime.now(UTC).isoformat(), "schema_version": "v1"}).encode()


def _write(store: Client, *values: bytes) -> None:
    batch = build_batch([FakeRecord(value, offset) for offset, value in enumerate(values)])
    assert not batch.rejected, batch.rejected
    write_batch(store, batch)
    refresh_pending(store, wait_for_visibility=False)


def _trained(store: Client) -> int:
    return int(scalar("trained-users", store, KpiParams(start=DAY, end=DAY))["trained_users"])


def _funnel(store: Client) -> list[dict[str, Any]]:
    return rows("training-funnel", store, KpiParams(start=DAY, end=DAY))


def _ids(store: Client) -> set[str]:
    return {str(row[0]) for row in store.query("SELECT event_id FROM events").result_rows}


def test_a_void_after_the_completion_removes_it_from_every_figure(store: Client) -> None:
    completed, other = str(uuid.uuid4()), str(uuid.uuid4())
    _write(store, training("ana", completed), training("ben", other), login("ben", "2026-03-01T09:00:00+01:00"))
    before = store.query("SELECT count() FROM user_days").result_rows[0][0], _ids(store)
    assert completed in before[1] and _trained(store) == 2
    funnel_before = _funnel(store)
    _write(store, void(completed))
    assert _trained(store) == 1
    assert _funnel(store) != funnel_before
    assert completed not in _ids(store) and other in _ids(store)
    assert store.query("SELECT DISTINCT toString(user_key) FROM user_days").result_rows == [(_key("ben"),)]
    assert store.query("SELECT toString(user_key) FROM user_activity FINAL").result_rows == [(_key("ben"),)]
    dau = store.query("SELECT argMax(users, version) FROM daily_activity WHERE organisation = '*' "
                      "GROUP BY platform, day").result_rows
    assert dau == [(1,)]  # ana's only event is gone: ben alone
    assert store.query("SELECT toString(user_key) FROM events WHERE type = 'training'").result_rows == [(_key("ben"),)]


@pytest.mark.parametrize("read_whole", [20_000, 0])  # voids read whole, or the batch's ids looked up
def test_a_void_before_the_completion_keeps_it_out(store: Client, read_whole: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voids, "VOIDS_READ_WHOLE", read_whole)
    completed = str(uuid.uuid4())
    _write(store, void(completed))
    _write(store, training("ana", completed))
    assert completed not in _ids(store) and _trained(store) == 0
    assert store.query("SELECT count() FROM user_days").result_rows == [(0,)]
    _write(store, training("ana", completed))  # a resend of the withdrawn statement
    assert completed not in _ids(store)


def test_a_void_and_its_event_in_one_batch_and_a_resent_void(store: Client) -> None:
    completed, kept = str(uuid.uuid4()), str(uuid.uuid4())
    same_void = void(completed)
    _write(store, same_void, training("ana", completed), training("ana", kept, status="started"))
    _write(store, same_void)
    assert _ids(store) == {kept}
    assert store.query("SELECT count() FROM voided_events FINAL").result_rows == [(1,)]


def test_a_void_withdraws_only_its_own_platforms_event_and_never_a_login(store: Client) -> None:
    shared = str(uuid.uuid4())
    login_id = str(uuid.uuid4())
    _write(store, training("ana", shared, platform="skilltech.tube"), login("ana", DAY.isoformat() + "T10:00:00+01:00",
                                                                          event_id=login_id))
    _write(store, void(shared), void(login_id))  # both from skilltech.tools
    assert _ids(store) == {shared, login_id}


def test_a_withdrawn_tool_use_leaves_the_new_tools(store: Client) -> None:
    first, later = str(uuid.uuid4()), str(uuid.uuid4())
    _write(store, record_json("tool_use", user_key=_key("ana"), event_id=first, tool_id="canva",
                              tool_category="content_creation", occurred_at="2026-02-20T10:00:00+01:00"),
           record_json("tool_use", user_key=_key("ben"), event_id=later, tool_id="canva",
                       tool_category="content_creation", occurred_at="2026-03-01T10:00:00+01:00"))
    first_seen = "SELECT toString(min(first_seen)) FROM tool_first_seen WHERE tool_id = 'canva'"
    assert store.query(first_seen).result_rows == [("2026-02-20 09:00:00.000",)]
    _write(store, void(first))
    assert store.query(first_seen).result_rows == [("2026-03-01 09:00:00.000",)]


def test_a_withdrawal_interrupted_after_the_delete_is_finished_by_the_next_batch(
        store: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Crash-consistent: the events are gone but the rollups were not recomputed yet (the
    process died, or a statement failed); the replayed batch, or any later one, finishes it."""
    completed = str(uuid.uuid4())
    _write(store, training("ana", completed), training("ben", str(uuid.uuid4())))
    assert _trained(store) == 2

    def dies(*_: object) -> None:
        raise RuntimeError("the aggregator died here")

    monkeypatch.setattr(voids, "recompute_rollups", dies)
    with pytest.raises(RuntimeError):
        _write(store, void(completed))
    assert completed not in _ids(store)  # deleted, but user_days still has ana
    assert (_key("ana"),) in store.query("SELECT DISTINCT toString(user_key) FROM user_days").result_rows
    monkeypatch.undo()
    _write(store, login("cai", "2026-03-01T09:00:00+01:00"))  # a later batch, no void in it
    assert (_key("ana"),) not in store.query("SELECT DISTINCT toString(user_key) FROM user_days").result_rows
    assert _trained(store) == 1
    assert store.query("SELECT count() FROM void_recompute").result_rows == [(0,)]


def test_a_replayed_batch_withdraws_what_its_failed_attempt_stored(store: Client,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The void came first; the batch holding the completion failed after its insert. Its
    replay drops the completion as already stored, and must still withdraw it."""
    completed = str(uuid.uuid4())
    _write(store, void(completed))
    batch = build_batch([FakeRecord(training("ana", completed), 0)])
    monkeypatch.setattr(voids, "remove_events", lambda *_: (_ for _ in ()).throw(RuntimeError("died")))
    with pytest.raises(RuntimeError):
        write_batch(store, batch)
    assert completed in _ids(store)  # stored by the failed attempt
    monkeypatch.undo()
    write_batch(store, batch)  # the replay (offsets not committed)
    refresh_pending(store, wait_for_visibility=False)
    assert completed not in _ids(store) and _trained(store) == 0
