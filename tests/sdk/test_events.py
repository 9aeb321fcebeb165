"""The SDK's typed builders give the contract's own models, and their wire form is what
the collector parses back to the same event."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from skillpulse.contract import LoginEvent, ToolUseEvent, TrainingEvent, platform_event_adapter
from skillpulse.sdk import encode, login, tool_use, training

WHEN = datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=1)))


def test_login_is_the_contracts_model_with_a_fresh_uuid4() -> None:
    first, second = login("teacher-42", occurred_at=WHEN, method="sso"), login("teacher-42", occurred_at=WHEN)
    assert isinstance(first, LoginEvent) and (first.type, first.user_id, first.method) == ("login", "teacher-42", "sso")
    assert first.event_id.version == 4 and first.event_id != second.event_id
    assert first.occurred_at == WHEN


def test_a_given_event_id_is_kept_so_a_resend_is_the_same_event() -> None:
    event_id = uuid.uuid4()
    assert login("u", occurred_at=WHEN, event_id=event_id).event_id == event_id
    assert login("u", occurred_at=WHEN, event_id=str(event_id)).event_id == event_id


def test_occurred_at_defaults_to_now_with_an_offset() -> None:
    before = datetime.now(UTC)
    event = login("u")
    assert event.occurred_at.tzinfo is not None and before <= event.occurred_at <= datetime.now(UTC)


def test_tool_use_and_training_carry_their_fields() -> None:
    use = tool_use("u", tool_id="quiz-maker", tool_category="assessment", action="create", feature="timer",
                   duration_s=12.5, occurred_at=WHEN, organisation_id="school-001")
    step = training("u", training_id="intro-ai", status="completed", occurred_at=WHEN, tool_id="quiz-maker")
    assert isinstance(use, ToolUseEvent) and (use.tool_id, use.feature, use.duration_s) == ("quiz-maker", "timer", 12.5)
    assert use.organisation_id == "school-001"
    assert isinstance(step, TrainingEvent) and (step.training_id, step.status) == ("intro-ai", "completed")


@pytest.mark.parametrize("build", [
    lambda: login("u", occurred_at=datetime(2026, 3, 1, 10, 0)),  # no offset
    lambda: login("", occurred_at=WHEN),  # empty user id
    lambda: login("u", occurred_at=WHEN, method="telepathy"),  # type: ignore[arg-type]
    lambda: tool_use("u", tool_id="x", tool_category="games", action="open", occurred_at=WHEN),  # type: ignore[arg-type]
    lambda: tool_use("u", tool_id="x", tool_category="video", action="open", duration_s=-1, occurred_at=WHEN),
    lambda: training("u", training_id="t", status="halfway", occurred_at=WHEN),  # type: ignore[arg-type]
    lambda: login("u", occurred_at=WHEN, event_id="not-a-uuid"),
])
def test_what_the_collector_would_refuse_fails_at_the_call(build: object) -> None:
    with pytest.raises(ValidationError):
        build()  # type: ignore[operator]


def test_the_wire_form_parses_back_to_the_same_event_and_leaves_out_unset_fields() -> None:
    for event in (login("u", occurred_at=WHEN), tool_use("u", tool_id="player", tool_category="video", action="open",
                                                          occurred_at=WHEN),
                  training("u", training_id="t", status="passed", occurred_at=WHEN)):
        wire = encode(event)
        assert platform_event_adapter.validate_json(wire) == event
        assert "null" not in wire.decode()
    assert "method" not in json.loads(encode(login("u", occurred_at=WHEN)))


def test_a_json_object_goes_as_it_is_for_the_collector_to_judge() -> None:
    raw = {"type": "login", "user_id": "élève", "occurred_at": "2026-03-01T10:00:00+01:00"}
    assert json.loads(encode(raw)) == raw
    assert "élève" in encode(raw).decode()  # UTF-8, not \\u escapes
    with pytest.raises(ValueError):
        encode({"duration_s": float("nan")})  # not JSON
