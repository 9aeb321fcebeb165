import json
from datetime import UTC, datetime, timedelta

import pytest

from skillpulse.collector.validation import BatchTooLarge, InvalidBody, validate_body
from tests.factories import platform_event

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _validate(body: object, max_events: int = 1000):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return validate_body(raw, max_events=max_events, now=NOW, max_future=timedelta(minutes=5),
                         max_age=timedelta(days=365))


def test_one_event_or_an_array() -> None:
    assert len(_validate(platform_event())[0]) == 1
    valid, rejected = _validate([platform_event(), platform_event("tool_use"), platform_event("training")])
    assert [index for index, _ in valid] == [0, 1, 2] and rejected == []


def test_each_bad_event_is_judged_alone_with_reason_and_path() -> None:
    bad = platform_event(occurred_at="2026-03-01T10:00:00")  # no offset
    valid, rejected = _validate([platform_event(), bad, {"type": "login"}, "nonsense"])
    assert [index for index, _ in valid] == [0]
    assert [r.index for r in rejected] == [1, 2, 3]
    assert rejected[0].event_id == bad["event_id"]
    assert rejected[0].errors[0].path == "occurred_at"
    assert {e.path for e in rejected[1].errors} >= {"event_id", "occurred_at", "user_id"}


def test_rejections_never_echo_the_user_id() -> None:
    _, rejected = _validate([platform_event(user_id="secret-person", colour="red")])
    assert "secret-person" not in json.dumps(rejected[0].as_json())


def test_future_timestamps_beyond_five_minutes_are_refused() -> None:
    soon = (NOW + timedelta(minutes=4)).isoformat()
    later = (NOW + timedelta(minutes=6)).isoformat()
    valid, rejected = _validate([platform_event(occurred_at=soon), platform_event(occurred_at=later)])
    assert len(valid) == 1 and rejected[0].reason == "future_timestamp"


def test_events_older_than_the_retention_are_refused() -> None:
    old = (NOW - timedelta(days=366)).isoformat()
    recent = (NOW - timedelta(days=364)).isoformat()
    valid, rejected = _validate([platform_event(occurred_at=old), platform_event(occurred_at=recent)])
    assert [index for index, _ in valid] == [1] and rejected[0].reason == "too_old"


def test_limits_and_bad_json() -> None:
    with pytest.raises(BatchTooLarge):
        _validate([platform_event()] * 3, max_events=2)
    with pytest.raises(InvalidBody):
        _validate(b"{not json")
    with pytest.raises(InvalidBody, match="nested too deeply"):  # not a RecursionError, so never a 500
        _validate(b"[" * 100_000)
