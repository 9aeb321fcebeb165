"""Clean input (issue #13): identifiers normalised or refused, duplicate keys, bounded
numbers and dates, `[]`, bounded validation cost, no input value echoed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from skillpulse.collector import validation
from skillpulse.collector.validation import MAX_ERRORS, InvalidBody, NoEvents, Rejection, parse_body, validate_body
from skillpulse.config import KeycloakSettings, XapiSettings
from skillpulse.contract import MAX_DURATION_S, event_record_adapter, platform_event_adapter
from skillpulse.simulator.model import Population, backfill_events
from skillpulse.sources.keycloak import Ignored, map_event
from skillpulse.sources.xapi import InvalidStatements, map_statements, parse_statements, validate_statements
from tests.factories import platform_event, record_json
from tests.sources.xapi_statements import statement

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
CENTURY = timedelta(days=200 * 366)  # retention and clock checks out of the way: the contract's own bounds


def _judge(body: object, *, wide: bool = False) -> tuple[list[Any], list[Rejection]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    window = CENTURY if wide else timedelta(days=365)
    return validate_body(raw, max_events=1000, now=NOW, max_future=CENTURY if wide else timedelta(minutes=5),
                         max_age=window)


def _one(event: dict[str, Any], *, wide: bool = False) -> Any:
    valid, rejected = _judge(event, wide=wide)
    return valid[0][1] if valid else rejected[0]


def _reasons(rejection: Rejection) -> list[tuple[str, str]]:
    return [(error.reason, error.path) for error in rejection.errors]


def test_identifiers_are_nfkc_normalised_and_trimmed() -> None:
    event = _one(platform_event("tool_use", tool_id=" canva ", feature="\uff45xport\u00a0", session_id="\ts-1\n",
                                organisation_id="  Lyc\u00e9e\u00a0Michel Rodange "))
    assert (event.tool_id, event.feature, event.session_id) == ("canva", "export", "s-1")
    assert event.organisation_id == "Lycée Michel Rodange"  # NBSP folds to a space; letters of any script stay
    training = _one(platform_event("training", training_id=" \ufb01rst-steps "))  # the ligature ﬁ folds to fi
    assert training.training_id == "first-steps"


@pytest.mark.parametrize(("field", "value", "reason"), [
    ("tool_id", "c\u0430nva\u200b", "invisible_character"),  # Cyrillic а and a zero-width space: the probe
    ("tool_id", "c\u0430nva", "not_ascii"),  # a look-alike letter alone
    ("tool_id", "\u0441\u0430n\u0430", "not_ascii"),  # whole-script look-alike: no mixed-script rule would see it
    ("feature", "t\u0456mer", "not_ascii"),
    ("tool_id", "canva\u00e9", "not_ascii"),
    ("tool_id", "   ", "string_too_short"),
    ("tool_id", "\ue000", "invalid_character"),  # private use
])
def test_catalogue_ids_admit_no_look_alike(field: str, value: str, reason: str) -> None:
    rejection = _one(platform_event("tool_use", **{field: value}))
    assert isinstance(rejection, Rejection)
    assert _reasons(rejection) == [(reason, field)]


@pytest.mark.parametrize(("value", "reason"), [
    ("org\x00x", "control_character"), ("org\x07", "control_character"), ("o\u202erg", "invisible_character"),
    ("o\u2028rg", "control_character"), ("o\ufeffrg", "invisible_character"), ("o\U000e0041rg", "invisible_character"),
    ("o\udc80rg", "invalid_character"), ("o\U000f0000rg", "invalid_character"), ("o\u0378rg", "invalid_character"),
])
def test_control_invisible_and_unassigned_characters_are_refused_in_every_id(value: str, reason: str) -> None:
    for kind, field in [("login", "organisation_id"), ("login", "session_id"), ("training", "training_id"),
                        ("training", "tool_id")]:
        rejection = _one(platform_event(kind, **{field: value}))
        assert isinstance(rejection, Rejection), (field, value)
        assert _reasons(rejection) == [(reason, field)]
        assert "org" not in rejection.errors[0].message  # names the character's code point, not the value


def test_the_user_id_is_kept_as_sent_but_bounded_and_control_free() -> None:
    assert _one(platform_event(user_id=" Ana\u00a0Example ")).user_id == " Ana\u00a0Example "  # its pseudonym stays
    for value, reason in [("ana\x00", "control_character"), ("ana\x1b[2J", "control_character"),
                          ("ana\ud800", "invalid_character"), ("a" * 257, "string_too_long"), ("", "string_too_short")]:
        rejection = _one(platform_event(user_id=value))
        assert isinstance(rejection, Rejection) and _reasons(rejection) == [(reason, "user_id")]


def test_duplicate_keys_reject_their_event_at_any_depth_and_spare_the_others() -> None:
    event = json.dumps(platform_event())[:-1]
    body = (f'[{event}, "user_id": "someone-else"}}, {event}, "x": {{"a": [{{"b": 1, "b": 2}}]}}}}, '
            f'{json.dumps(platform_event())}]').encode()
    valid, rejected = _judge(body)
    assert [index for index, _ in valid] == [2]
    assert [(r.index, _reasons(r)) for r in rejected] == [(0, [("duplicate_key", "user_id")]),
                                                           (1, [("duplicate_key", "x.a.0.b")])]
    assert "someone-else" not in json.dumps([r.as_json() for r in rejected])


def test_nan_and_infinity_are_not_json_and_numbers_are_finite_and_bounded() -> None:
    for literal in (b"NaN", b"Infinity", b"-Infinity"):
        with pytest.raises(InvalidBody, match="not a JSON number"):
            _judge(b'{"duration_s": %s}' % literal)

    def duration(value: str) -> Any:  # the number as the sender wrote it, not as Python's json.dumps would
        return _one((json.dumps(platform_event("tool_use"))[:-1] + f', "duration_s": {value}}}').encode())  # type: ignore[arg-type]

    assert duration(str(MAX_DURATION_S)).duration_s == MAX_DURATION_S
    assert _reasons(duration("1e308")) == [("less_than_equal", "duration_s")]
    assert _reasons(duration("1e400")) == [("finite_number", "duration_s")]  # overflows to inf in Python's json
    assert _reasons(duration(str(MAX_DURATION_S + 1))) == [("less_than_equal", "duration_s")]
    assert _reasons(duration("-1")) == [("greater_than_equal", "duration_s")]


@pytest.mark.parametrize("occurred_at", [
    "1969-12-31T23:59:59.999Z", "1970-01-01T00:30:00+01:00", "1900-01-01T00:00:00Z", "0001-01-01T00:00:00+23:59",
    "2097-01-01T00:00:00Z", "2149-06-06T00:00:00Z", "2106-02-07T06:28:16Z", "9999-12-31T23:59:59-23:59",
])
def test_dates_the_store_cannot_hold_are_refused_never_clamped(occurred_at: str) -> None:
    rejection = _one(platform_event(occurred_at=occurred_at), wide=True)
    assert isinstance(rejection, Rejection) and _reasons(rejection) == [("date_out_of_range", "occurred_at")]
    with pytest.raises(ValueError, match="date_out_of_range"):  # the Kafka record too (received_at alike)
        record_json(occurred_at=occurred_at)


def test_the_edges_of_the_store_range_are_held() -> None:
    for occurred_at in ("1970-01-01T00:00:00Z", "2096-12-31T23:59:59.999Z"):
        assert _one(platform_event(occurred_at=occurred_at), wide=True).occurred_at == datetime.fromisoformat(
            occurred_at)
    record = json.loads(record_json()) | {"received_at": "1969-01-01T00:00:00Z"}
    with pytest.raises(ValueError, match="date_out_of_range"):
        event_record_adapter.validate_python(record)


def test_an_empty_array_is_no_events_422_and_a_scalar_is_not_an_object() -> None:
    with pytest.raises(NoEvents) as empty:
        parse_body(b"[]", max_events=10)
    assert (empty.value.status, empty.value.reason) == (422, "no_events")
    for body in (b"5", b'"login"', b"null", b"true", b"[[]]", b"[1]"):
        valid, rejected = _judge(body)
        assert valid == [] and _reasons(rejected[0]) == [("not_an_object", "")], body


def test_a_body_that_is_not_utf8_is_refused() -> None:
    for body in (json.dumps(platform_event()).encode("utf-16"), json.dumps(platform_event()).encode("utf-32"),
                 b'{"user_id": "\xff"}'):
        with pytest.raises(InvalidBody, match="UTF-8"):
            _judge(body)


def test_an_event_with_too_many_fields_is_refused_without_running_the_model(monkeypatch) -> None:
    probe = platform_event() | {f"k{i:07d}": 1 for i in range(78_000)}  # the probe: 1 MB of unknown keys
    body = json.dumps([probe, platform_event()]).encode()

    class Untouchable:
        calls = 0

        def validate_python(self, item: Any) -> Any:
            Untouchable.calls += 1
            assert len(item) < 64, "the model ran over the probe"
            return platform_event_adapter.validate_python(item)

    monkeypatch.setattr(validation, "platform_event_adapter", Untouchable())
    valid, rejected = _judge(body)
    assert len(valid) == 1 and Untouchable.calls == 1
    assert _reasons(rejected[0]) == [("too_many_fields", "")] and rejected[0].event_id == probe["event_id"]
    assert len(json.dumps(rejected[0].as_json())) < 300  # not megabytes


def test_at_most_a_few_errors_are_reported_per_event() -> None:
    rejection = _one(platform_event() | {f"unknown_{i}": i for i in range(40)})
    assert isinstance(rejection, Rejection) and len(rejection.errors) == MAX_ERRORS
    long_key = _one(platform_event() | {"k" * 10_000: 1})
    assert len(long_key.errors[0].path) < 100  # a key is cut, not echoed whole


MARK = "pii-MARK@example.com"


@pytest.mark.parametrize("overrides", [
    {"type": MARK}, {"type": 5}, {"event_id": MARK}, {"occurred_at": MARK}, {"occurred_at": "0000-01-01T00:00:00Z"},
    {"method": MARK}, {"user_id": MARK + "\x00"}, {"user_id": MARK * 20}, {"organisation_id": MARK + "\u202e"},
    {"session_id": [MARK]}, {"user_id": {"mail": MARK}}, {MARK: MARK},
])
def test_no_input_value_is_echoed_in_any_error(overrides: dict[str, Any]) -> None:
    valid, rejected = _judge([platform_event(user_id=MARK) | overrides])
    answer = json.dumps([r.as_json() for r in rejected], ensure_ascii=False)
    assert valid == [] and rejected
    assert MARK not in answer.replace(f'"path": "{MARK}"', "")  # an unknown key is named (bounded), never a value
    assert "0000-01-01" not in answer


def test_a_lone_surrogate_in_a_key_still_gives_an_encodable_answer() -> None:
    body = json.dumps(platform_event())[:-1].encode() + b', "\\udc00x": 1}'
    _, [rejection] = _judge(body)
    json.dumps(rejection.as_json(), ensure_ascii=False).encode("utf-8")  # what the answer does: no 500


def test_every_simulated_event_is_valid() -> None:
    population = Population(200, seed=3)
    events = [event for _, event in backfill_events(population, 30, date(2026, 2, 28), seed=3)]
    valid, rejected = validation.validate_items(events, now=NOW, max_future=timedelta(minutes=5),
                                                max_age=timedelta(days=365))
    assert rejected == [] and len(valid) == len(events) > 100


def test_xapi_maps_an_iri_to_an_ascii_tool_id_and_refuses_timestamps_out_of_range() -> None:
    settings = XapiSettings(tool_activity_types={"https://w3id.org/xapi/tool": "content_creation"})
    started = statement("launched", activity="https://outils.skilltech.lu/cr\u00e9ation",
                        activity_type="https://w3id.org/xapi/tool")
    [event] = map_statements(validate_statements([started]), settings, NOW).events
    assert event["tool_id"] == "https://outils.skilltech.lu/cr%C3%A9ation"
    assert platform_event_adapter.validate_python(event).tool_id == event["tool_id"]
    for timestamp in ("1960-01-01T00:00:00Z", "2150-01-01T00:00:00+00:00"):
        with pytest.raises(InvalidStatements) as refused:
            validate_statements([statement(timestamp=timestamp), statement(id=str(uuid.uuid4()))])
        assert (refused.value.index, refused.value.errors[0].reason) == (0, "date_out_of_range")


def test_xapi_bodies_are_read_alike_and_its_errors_quote_no_input() -> None:
    body = json.dumps(statement())[:-1].encode() + b', "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"}}'
    with pytest.raises(InvalidStatements) as ambiguous:
        parse_statements(body, max_statements=10)
    assert ambiguous.value.reason == "duplicate_key"
    for bad in (b"[NaN]", json.dumps([statement()]).encode("utf-16")):
        with pytest.raises(InvalidStatements) as unreadable:
            parse_statements(bad, max_statements=10)
        assert unreadable.value.reason == "invalid_json"
    with pytest.raises(InvalidStatements) as invalid:
        validate_statements([statement(activity=f"http://{MARK} x")])  # not an IRI: ralph's message quotes it
    assert invalid.value.errors and MARK not in json.dumps(invalid.value.as_json())


def test_a_keycloak_type_of_hostile_text_is_ignored_under_a_plain_label() -> None:
    settings = KeycloakSettings()
    for kind, label in [("CODE_TO_TOKEN", "CODE_TO_TOKEN"), ("LOG\udc00IN", "unknown_type"),
                        ("A\x1b[2J", "unknown_type"), ("", "not_an_event")]:
        ignored = map_event({"type": kind, "sessionId": "s"}, "realm", settings)
        assert isinstance(ignored, Ignored) and ignored.reason == label


def test_a_keycloak_event_naming_a_key_twice_is_rejected_not_read_last_wins() -> None:
    login = {"type": "LOGIN", "time": 1_772_359_200_000, "userId": "u-1", "sessionId": "s-1"}
    body = json.dumps(login)[:-1].encode() + b', "userId": "u-2"}'
    [item] = parse_body(body, max_events=10)
    mapped = map_event(item, "realm", KeycloakSettings())
    assert not isinstance(mapped, Ignored)
    _, [rejection] = validation.validate_items([mapped.event], now=NOW, max_future=timedelta(minutes=5),
                                               max_age=timedelta(days=365))
    assert _reasons(rejection) == [("duplicate_key", "userId")]
