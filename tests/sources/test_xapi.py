"""xAPI statements → platform events, voids and ignored verbs (no stack: the mapping and
the checks on their own)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from skillpulse.config import XapiSettings
from skillpulse.contract import platform_event_adapter
from skillpulse.credentials import hash_api_key
from skillpulse.sources.xapi import (
    InvalidStatements,
    MappedStatements,
    actor_user_id,
    map_statements,
    parse_statements,
    validate_statements,
    version_supported,
)
from skillpulse.sources.xapi_auth import platform_of
from tests.sources.xapi_statements import ADL, account, statement, voiding

RECEIVED = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)


def _map(*items: dict[str, Any], settings: XapiSettings | None = None) -> MappedStatements:
    return map_statements(validate_statements(list(items)), settings or XapiSettings(), RECEIVED)


def _user_id(actor: dict[str, Any]) -> str | None:
    return actor_user_id(validate_statements([statement(actor=actor)])[0].actor)


@pytest.mark.parametrize(("verb", "status"), [("completed", "completed"), ("passed", "passed"), ("failed", "failed"),
                                              ("launched", "started"), ("initialized", "started"),
                                              ("attempted", "started")])
def test_adl_verbs_become_trainings_of_the_activity(verb: str, status: str) -> None:
    given = statement(verb)
    [event] = _map(given).events
    assert event == {"type": "training", "event_id": given["id"], "training_id": given["object"]["id"],
                     "status": status, "occurred_at": "2026-03-01T10:00:00+01:00", "user_id": event["user_id"]}
    platform_event_adapter.validate_python(event)  # the contract takes it as it is


def test_a_start_on_a_tool_activity_type_is_a_tool_use() -> None:
    settings = XapiSettings(tool_activity_types={"https://w3id.org/xapi/tool": "content_creation"})
    [event] = _map(statement("launched", activity="https://tools.skilltech.lu/canva",
                             activity_type="https://w3id.org/xapi/tool"), settings=settings).events
    assert (event["type"], event["tool_id"], event["tool_category"], event["action"]) == (
        "tool_use", "https://tools.skilltech.lu/canva", "content_creation", "open")
    [completed] = _map(statement("completed", activity_type="https://w3id.org/xapi/tool"), settings=settings).events
    assert completed["type"] == "training"  # only starts are tool uses


def test_other_verbs_are_ignored_per_verb_and_the_mapping_is_configurable() -> None:
    mapped = _map(statement("experienced"), statement("experienced"), statement("answered"))
    assert mapped.events == [] and mapped.ignored == {ADL + "experienced": 2, ADL + "answered": 1}
    custom = XapiSettings(verbs={ADL + "experienced": "started"})
    assert [e["status"] for e in _map(statement("experienced"), statement("completed"), settings=custom).events] == [
        "started"]


def test_every_ifi_gives_a_stable_user_id_and_mbox_equals_its_sha1() -> None:
    mbox = _user_id({"mbox": "mailto:eve@school.lu"})
    assert mbox == _user_id({"mbox_sha1sum": hashlib.sha1(b"mailto:eve@school.lu").hexdigest()})
    ids = {mbox, _user_id({"openid": "https://id.school.lu/eve"}), _user_id(account("eve")),
           _user_id(account("eve", home_page="https://other.lu"))}
    assert len(ids) == 4 and _user_id(account("eve")) == _user_id(account("eve"))
    long_account = _user_id(account("x" * 300))
    assert long_account is not None and len(long_account) <= 256 and "x" * 100 not in long_account
    anonymous_group = {"objectType": "Group", "member": [{"mbox": "mailto:eve@school.lu"}]}
    assert _map(statement(actor=anonymous_group)).ignored == {"anonymous_group": 1}


def test_ids_are_assigned_and_times_default_to_receipt_in_utc() -> None:
    mapped = _map(statement(with_id=False, timestamp=None), statement(timestamp="2026-03-01T10:00:00"))
    assert uuid.UUID(mapped.ids[0]) and mapped.events[0]["event_id"] == mapped.ids[0]
    assert mapped.events[0]["occurred_at"] == RECEIVED.isoformat()
    assert mapped.events[1]["occurred_at"] == "2026-03-01T10:00:00+00:00"


def test_an_assigned_id_is_the_same_for_the_same_statement() -> None:
    """A client resending an id-less statement (after a lost answer or a 503) is counted once."""
    given = statement(with_id=False, timestamp="2026-03-01T10:00:00+01:00")
    first, again = _map(given), _map(dict(given))
    other = _map(statement(with_id=False, timestamp="2026-03-01T10:00:01+01:00"))
    assert first.ids == again.ids and first.ids != other.ids


def test_long_activity_ids_are_hashed_to_fit_the_contract() -> None:
    [event] = _map(statement(activity="https://h5p.skilltech.lu/" + "a" * 300)).events
    assert event["training_id"].startswith("sha256:") and len(event["training_id"]) <= 256


def test_voids_reference_their_statement() -> None:
    target = str(uuid.uuid4())
    mapped = _map(voiding(target))
    assert [(str(v.voided_id), v.occurred_at.isoformat()) for v in mapped.voids] == [
        (target, "2026-03-02T09:00:00+01:00")]
    assert mapped.events == []


@pytest.mark.parametrize(("items", "reason", "index"), [
    ([statement(), {"actor": account()}], "invalid_statement", 1),
    ([statement(verb="not an iri")], "invalid_statement", 0),
    ([statement(actor={"mbox": "eve@school.lu"})], "invalid_statement", 0),
    ([statement(unknown_property=1)], "invalid_statement", 0),
    ([statement("voided")], "invalid_statement", 0),  # a void's object must be a StatementRef
    ([statement(version="2.0.0")], "invalid_statement", 0),
    (["a string"], "invalid_statement", 0),
])
def test_invalid_statements_are_refused_with_a_reason(items: list[Any], reason: str, index: int) -> None:
    with pytest.raises(InvalidStatements) as caught:
        validate_statements(items)
    assert (caught.value.reason, caught.value.index) == (reason, index)
    assert "eve@school.lu" not in str(caught.value.as_json())  # never echoes the input


def test_a_batch_repeating_an_id_is_refused() -> None:
    given = statement()
    with pytest.raises(InvalidStatements, match="repeats an id"):
        validate_statements([given, dict(given)])


def test_bodies_and_versions() -> None:
    assert len(parse_statements(b'{"a": 1}', max_statements=2)) == 1
    for body, reason in [(b"nope", "invalid_json"), (b"[" * 100_000, "invalid_json"), (b"[]", "no_statement"),
                         (b"[1, 2, 3]", "too_many_statements")]:
        with pytest.raises(InvalidStatements) as caught:
            parse_statements(body, max_statements=2)
        assert caught.value.reason == reason
    assert [version_supported(v) for v in ("1.0.3", "1.0", "1.0.0", " 1.0.1 ")] == [True] * 4
    assert [version_supported(v) for v in (None, "", "0.95", "1.1.0", "2.0.0", "1.0.x")] == [False] * 6


def test_basic_credentials_name_their_platform() -> None:
    hashes = {hash_api_key("lrs_tools_1:s3cret"): "skilltech.tools"}
    header = "Basic " + base64.b64encode(b"lrs_tools_1:s3cret").decode()
    assert platform_of(header, hashes) == "skilltech.tools"
    assert platform_of("basic" + header[5:], hashes) == "skilltech.tools"  # the scheme is case-insensitive
    for wrong in (None, "", "Bearer x", "Basic !!!", "Basic é",
                  "Basic " + base64.b64encode(b"lrs_tools_1:other").decode(),
                  "Basic " + base64.b64encode(b"no-colon").decode()):
        assert platform_of(wrong, hashes) is None
