"""A corpus of records no collector writes, each hiding a raw identifier (the markers) in
another place: nested, in arrays, truncated, under other spellings of `user_id`, as a key
name, inside the values of the contract's own fields, in bad UTF-8, in a huge payload, in
the Kafka key and headers. A dead letter of any of them must hold no marker."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from tests.factories import record_json

EMAIL = "alice.martin@example.com"
LOCAL_ID = "U7731ALICEMARTIN"  # a platform's own user id (no @ to spot it by)
MARKERS = (EMAIL, LOCAL_ID, "alice.martin")


class NastyRecord(NamedTuple):
    name: str
    value: bytes
    key: bytes | None = None
    headers: tuple[tuple[str, bytes], ...] = ()


def _record(**extra: Any) -> dict[str, Any]:
    """A valid record as the collector writes it, with `extra` keys set on top."""
    document: dict[str, Any] = json.loads(record_json("tool_use"))
    return document | extra


def _bytes(document: Any) -> bytes:
    return json.dumps(document).encode()


def _cut(document: dict[str, Any], after: str) -> bytes:
    """The record's JSON truncated just after the first occurrence of `after`."""
    text = json.dumps(document)
    return text[:text.index(after) + len(after)].encode()


def _corpus() -> list[NastyRecord]:
    # `drift=True`: an unknown key, so that a record whose contract fields hold an id (which
    # the record contract alone would accept) fails and becomes a dead letter.
    valid = _record()
    keys_of_ids = {"userId": EMAIL, "user-id": LOCAL_ID, "USER_ID": LOCAL_ID, "email": EMAIL, "mail": EMAIL,
                   "Email": EMAIL, "actor_mbox": f"mailto:{EMAIL}", "username": LOCAL_ID}
    return [
        NastyRecord("flat user_id", _bytes(_record(user_id=LOCAL_ID))),
        NastyRecord("nested user ids", _bytes(_record(actor={"user_id": LOCAL_ID, "account": {"mbox": EMAIL}}))),
        NastyRecord("a list inside", _bytes(_record(members=[{"id": LOCAL_ID}, EMAIL]))),
        NastyRecord("an array of events", _bytes([_record(user_id=LOCAL_ID), _record(email=EMAIL)])),
        NastyRecord("an array of one valid record", _bytes([valid | {"session_id": LOCAL_ID}])),
        NastyRecord("truncated after an id", _cut(_record(user_id=LOCAL_ID, tail="x"), LOCAL_ID + '"')),
        NastyRecord("truncated inside an id", _cut(_record(email=EMAIL), EMAIL[:9])),
        NastyRecord("truncated with the id complete", _cut(_record(organisation_id=EMAIL, tail="x"), '"tail": "')),
        *(NastyRecord(f"key {key}", _bytes(_record(**{key: value}))) for key, value in keys_of_ids.items()),
        NastyRecord("an id as a key name", _bytes(_record(**{EMAIL: 1, LOCAL_ID: {"alice.martin": True}}))),
        NastyRecord("an id as the key of a nested object", _bytes(_record(scores={EMAIL: 3}))),
        NastyRecord("organisation_id holding an e-mail", _bytes(_record(organisation_id=EMAIL, drift=True))),
        NastyRecord("tool_id holding text with an id", _bytes(_record(tool_id=f"quiz of {LOCAL_ID}", drift=True))),
        NastyRecord("feature holding a mailto IRI", _bytes(_record(feature=f"mailto:{EMAIL}", drift=True))),
        NastyRecord("training IRI with the id in its query",
                    _bytes(_record(type="training", training_id=f"https://h5p.example/a?user={LOCAL_ID}",
                                   status="completed"))),
        NastyRecord("a raw session id", _bytes(_record(session_id=f"sess-{LOCAL_ID}", drift=True))),
        NastyRecord("user_key holding the raw id", _bytes(_record(user_key=EMAIL))),
        NastyRecord("platform holding an e-mail", _bytes(_record(platform=EMAIL))),
        NastyRecord("event_id holding an id", _bytes(_record(event_id=LOCAL_ID))),
        NastyRecord("occurred_at holding an id", _bytes(_record(occurred_at=EMAIL))),
        NastyRecord("enums holding ids", _bytes(_record(type=EMAIL, action=LOCAL_ID, tool_category=EMAIL))),
        NastyRecord("duration as text", _bytes(_record(duration_s=LOCAL_ID))),
        NastyRecord("duration as a phone-like number", _bytes(_record(duration_s=352621123456))),
        NastyRecord("an escaped id", json.dumps(_record(organisation_id=EMAIL, drift=True), ensure_ascii=True)
                    .replace("alice", "\\u0061lice").encode()),
        NastyRecord("duplicate keys, the id last", _bytes(valid)[:-1] + f', "user_key": "{EMAIL}"}}'.encode()),
        NastyRecord("bad UTF-8 next to an id", _bytes(_record(user_id=LOCAL_ID))[:-1] + b', "x": "\xff\xfe"}'),
        NastyRecord("bad UTF-8 inside a kept field", _bytes(valid).replace(b'"quiz-maker"',
                                                                          f'"quiz\xff{LOCAL_ID}"'.encode("latin-1"))),
        NastyRecord("UTF-16", json.dumps(_record(user_id=LOCAL_ID)).encode("utf-16")),
        NastyRecord("a JSON string", _bytes(EMAIL)),
        NastyRecord("plain text", f"user={LOCAL_ID};mail={EMAIL}".encode()),
        NastyRecord("deep nesting", b"[" * 100_000 + _bytes(EMAIL)),
        NastyRecord("huge: 78,000 keys named by ids",
                    _bytes(_record(**{f"{LOCAL_ID}{i}": EMAIL for i in range(78_000)}))),
        NastyRecord("huge: one megabyte of text", _bytes(_record(note=(EMAIL + " ") * 40_000))),
        NastyRecord("ids in the Kafka key and headers", b"\x00not json", key=EMAIL.encode(),
                    headers=(("user", LOCAL_ID.encode()), (EMAIL, b"1"))),
        NastyRecord("a valid record's key and headers", _bytes(_record(extra=1)), key=LOCAL_ID.encode(),
                    headers=(("user", EMAIL.encode()),)),
        NastyRecord("empty", b""),
    ]


CORPUS = _corpus()


def markers_in(text: str) -> list[str]:
    """The markers `text` holds, in any case."""
    return [marker for marker in MARKERS if marker.lower() in text.lower()]
