"""Dead letters of the nasty corpus, written to the real embedded store: no marker in any
column of `rejected_events`, nor in what the DLQ topic gets; what is kept is still of use
(event id, platform, a hash to match identical letters, replay of complete events)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.aggregator import build_batch, write_batch
from skillpulse.aggregator.redaction import Redactor, kept_fields, payload_key, safe_field_path
from skillpulse.dead_letters import letter_json, list_dead_letters
from tests.aggregator.nasty_records import CORPUS, EMAIL, LOCAL_ID, NastyRecord, markers_in
from tests.factories import USER_KEY_A, record_json

SECRET = b"s" * 32
REDACTOR = Redactor(payload_key(SECRET))


class ConsumedRecord:
    """What aiokafka hands the aggregator: the value, and a key and headers it must ignore."""

    topic: str
    partition: int
    offset: int
    value: bytes | None

    def __init__(self, nasty: NastyRecord, offset: int) -> None:
        self.value, self.key, self.headers = nasty.value, nasty.key, nasty.headers
        self.topic, self.partition, self.offset = "events", 0, offset


def _stored_rows(store: Client) -> list[dict[str, Any]]:
    text = store.raw_query("SELECT * FROM rejected_events ORDER BY kafka_offset FORMAT JSONEachRow").decode()
    return [json.loads(line) for line in text.splitlines()]


def test_no_marker_reaches_rejected_events_the_dlq_topic_or_the_logs(
        store: Client, caplog: pytest.LogCaptureFixture) -> None:
    records = [ConsumedRecord(nasty, offset) for offset, nasty in enumerate(CORPUS)]
    with caplog.at_level(logging.DEBUG):
        batch = build_batch(records, REDACTOR, platforms=("skilltech.tools",))
        write_batch(store, batch)
    assert batch.events == [] and len(batch.rejected) == len(CORPUS)  # every one a dead letter
    raw = store.raw_query("SELECT * FROM rejected_events FORMAT JSONEachRow").decode()
    rows = _stored_rows(store)
    assert len(rows) == len(CORPUS)
    leaks = {CORPUS[row["kafka_offset"]].name: markers_in(json.dumps(row, ensure_ascii=False))
             for row in rows if markers_in(json.dumps(row, ensure_ascii=False))}
    assert leaks == {}
    assert markers_in(raw) == []  # the store's own JSON (its escapes) too
    on_dlq_topic = [json.dumps(letter_json(letter), ensure_ascii=False) for letter in batch.rejected]
    assert [name for name, text in zip((n.name for n in CORPUS), on_dlq_topic, strict=True) if markers_in(text)] == []
    assert markers_in(caplog.text) == []


def test_a_letter_keeps_the_safe_fields_and_counts_the_rest() -> None:
    document = json.loads(record_json("tool_use", organisation_id="lycee-michel-rodange", feature="timer"))
    event_id = document["event_id"]
    document |= {"userId": LOCAL_ID, EMAIL: 1, "tool_id": f"quiz of {LOCAL_ID}"}
    [letter] = build_batch([ConsumedRecord(NastyRecord("", json.dumps(document).encode()), 3)], REDACTOR).rejected
    kept = json.loads(letter.payload)
    assert kept["organisation_id"] == "lycee-michel-rodange" and kept["feature"] == "timer"
    assert (kept["event_id"], kept["user_key"], kept["platform"]) == (event_id, USER_KEY_A, "skilltech.tools")
    assert (letter.event_id, letter.platform) == (event_id, "skilltech.tools")
    assert "tool_id" not in kept and "userId" not in kept
    assert letter.dropped_keys == 3  # userId, the e-mail key, the tool_id of the wrong shape
    assert not letter.replayable  # a contract field was dropped: replay would store another event
    assert letter.field_path == "tool_use.?"  # the unknown key's name is not kept
    assert letter.payload_bytes == len(json.dumps(document).encode())


def test_identical_records_share_a_keyed_hash() -> None:
    value = json.dumps({"user_id": LOCAL_ID, "type": "login"}).encode()
    other = json.dumps({"user_id": LOCAL_ID + "2", "type": "login"}).encode()
    letters = build_batch([ConsumedRecord(NastyRecord("", v), i) for i, v in enumerate((value, value, other))],
                          REDACTOR).rejected
    assert letters[0].payload_hmac == letters[1].payload_hmac != letters[2].payload_hmac
    # Keyed: not the plain hash of the record, and another secret gives another hash.
    assert letters[0].payload_hmac == hmac.new(payload_key(SECRET), value, hashlib.sha256).hexdigest()
    assert letters[0].payload_hmac != hashlib.sha256(value).hexdigest()
    assert Redactor(payload_key(b"t" * 32)).payload_hmac(value) != letters[0].payload_hmac
    assert payload_key(SECRET) != SECRET and len(payload_key(SECRET)) == 32


@pytest.mark.parametrize(("value", "replayable"), [
    (record_json("login"), True),  # complete (it would only fail for another reason: unknown platform)
    (record_json("login")[:-1] + b', "unexpected": true}', True),  # an unknown key dropped: the rest is whole
    (record_json("login")[:-1] + b', "user_id": "x"}', True),  # the raw id dropped: the rest is pseudonymous
    (record_json("login")[:-20], False),  # truncated: what was cut is not known
    (record_json("login").replace(b'"sso"', b'"kerberos"'), False),  # a field of the wrong value dropped
    (json.dumps([json.loads(record_json("login"))]).encode(), False),  # not one object
    (b"\x00not json", False),
])
def test_only_a_whole_record_of_safe_fields_is_replayable(value: bytes, replayable: bool) -> None:
    assert kept_fields(value).replayable is replayable


def test_unknown_platforms_are_dead_letters_kept_for_a_replay_once_added() -> None:
    value = record_json("login", platform="skilltech.school")
    batch = build_batch([ConsumedRecord(NastyRecord("", value), 0)], REDACTOR,
                        platforms=("skilltech.tools", "skilltech.tube"))
    [letter] = batch.rejected
    assert batch.events == []
    assert (letter.reason, letter.field_path, letter.platform, letter.replayable) == (
        "unknown_platform", "platform", "skilltech.school", True)
    assert json.loads(letter.payload) == json.loads(value)
    assert len(build_batch([ConsumedRecord(NastyRecord("", value), 0)], REDACTOR).events) == 1  # no list: any


def test_field_paths_keep_the_contracts_names_only() -> None:
    assert safe_field_path(("login", "user_id")) == "login.user_id"
    assert safe_field_path(("tool_use", "duration_s")) == "tool_use.duration_s"
    assert safe_field_path(("login", EMAIL)) == "login.?"
    assert safe_field_path((0, "x")) == "0.?"


def test_legacy_letters_lose_their_raw_payload_in_migration_0010(store: Client) -> None:
    from skillpulse.store.migrations import migration_files, statements

    [migration] = [m for m in migration_files() if m.name == "dead_letters_without_payloads"]
    legacy = ["aggregator", "extra_forbidden", f"login.{EMAIL}", EMAIL, LOCAL_ID, "events", 0, 1,
              json.dumps({"userId": LOCAL_ID, "type": "login"})]
    columns = ["stage", "reason", "field_path", "platform", "event_id", "topic", "kafka_partition", "kafka_offset",
               "payload"]
    store.insert("rejected_events", [legacy, [*legacy[:3], "skilltech.tools", "00000000-0000-4000-8000-000000000001",
                                              *legacy[5:7], 2, "{}"]], column_names=columns)
    scrub = statements(migration.path.read_text())[-1]
    store.command(scrub)
    assert markers_in(json.dumps(_stored_rows(store))) == []
    kept = [(letter["platform"], letter["event_id"], letter["payload"], letter["replayable"])
            for letter in sorted(list_dead_letters(store), key=lambda letter: letter["offset"])]
    assert kept == [("", "", "", False), ("skilltech.tools", "00000000-0000-4000-8000-000000000001", "", False)]


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        payload_key(b"")
