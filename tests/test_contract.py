from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from skillpulse.contract import (
    LoginEvent,
    ToolUseEvent,
    TrainingEvent,
    event_record_adapter,
    platform_event_adapter,
    to_record,
)
from skillpulse.pseudonym import Pseudonymiser
from tests.factories import platform_event


@pytest.mark.parametrize("kind, model", [("login", LoginEvent), ("tool_use", ToolUseEvent),
                                         ("training", TrainingEvent)])
def test_each_type_validates_to_its_model(kind: str, model: type) -> None:
    assert isinstance(platform_event_adapter.validate_python(platform_event(kind)), model)


@pytest.mark.parametrize("change, path", [
    ({"colour": "red"}, "colour"),                               # extra field
    ({"event_id": "not-a-uuid"}, "event_id"),
    ({"event_id": 12}, "event_id"),
    ({"occurred_at": "2026-03-01T10:00:00"}, "occurred_at"),     # no offset
    ({"occurred_at": 1772355600}, "occurred_at"),                # epoch number
    ({"occurred_at": "yesterday"}, "occurred_at"),
    ({"user_id": ""}, "user_id"),
    ({"user_id": "x" * 257}, "user_id"),
    ({"user_id": 42}, "user_id"),                                # strict: no int → str
    ({"method": "telepathy"}, "method"),
])
def test_login_rejects(change: dict, path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        platform_event_adapter.validate_python(platform_event("login") | change)
    assert path in {str(error["loc"][-1]) for error in caught.value.errors()}


@pytest.mark.parametrize("change", [{"duration_s": -1}, {"duration_s": "3"}, {"tool_category": "games"},
                                    {"action": "delete"}, {"duration_s": float("inf")}])
def test_tool_use_rejects(change: dict) -> None:
    with pytest.raises(ValidationError):
        platform_event_adapter.validate_python(platform_event("tool_use") | change)


def test_missing_or_unknown_type_is_rejected() -> None:
    event = platform_event("login")
    with pytest.raises(ValidationError):
        platform_event_adapter.validate_python({k: v for k, v in event.items() if k != "type"})
    with pytest.raises(ValidationError):
        platform_event_adapter.validate_python(event | {"type": "logout"})


def test_offset_is_kept_and_z_accepted() -> None:
    event = platform_event_adapter.validate_python(platform_event(occurred_at="2026-12-31T23:30:00Z"))
    assert event.occurred_at == datetime(2026, 12, 31, 23, 30, tzinfo=UTC)


def test_record_drops_user_id_and_carries_platform() -> None:
    event = platform_event_adapter.validate_python(platform_event("training", session_id="abc"))
    record = to_record(event, platform="skilltech.tube", user_key="f" * 64, received_at=datetime.now(UTC),
                       session_key="e" * 64)
    dumped = record.model_dump_json()
    assert "teacher-42" not in dumped and "user_id" not in dumped
    assert record.platform == "skilltech.tube" and record.session_id == "e" * 64
    assert record.status == "completed"


def test_a_record_s_session_id_is_the_collector_s_pseudonym_only() -> None:
    """The collector always hashes the session id (Pseudonymiser.session_key): a raw one on
    the topic was written by something else and is refused (the aggregator dead-letters it)."""
    event = platform_event_adapter.validate_python(platform_event("login", session_id="sess-ana"))
    hashed = Pseudonymiser(b"k" * 32).session_key("skilltech.tools", event.session_id)
    record = to_record(event, platform="skilltech.tools", user_key="f" * 64, received_at=datetime.now(UTC),
                       session_key=hashed)
    assert event_record_adapter.validate_json(record.model_dump_json()) == record
    document = record.model_dump(mode="json")
    for raw in ("sess-ana", "E" * 64, "e" * 63, "e" * 65, ""):
        with pytest.raises(ValidationError) as refused:
            event_record_adapter.validate_python(document | {"session_id": raw})
        assert [error["loc"][-1] for error in refused.value.errors()] == ["session_id"]
    assert event.session_id == "sess-ana"  # the platform's event still takes its own session ids


def test_the_all_organisations_row_name_is_not_an_organisation() -> None:
    """'*' is the rollups' row for every organisation together (login_day_counts,
    daily_activity): a login sent with it would be counted twice there."""
    with pytest.raises(ValidationError) as refused:
        platform_event_adapter.validate_python(platform_event("login", organisation_id="*"))
    assert refused.value.errors()[0]["type"] == "reserved_organisation"
    assert platform_event_adapter.validate_python(platform_event("login", organisation_id="*school")) is not None
