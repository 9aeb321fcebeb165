import json

from skillpulse.aggregator import EVENT_COLUMNS, build_batch
from skillpulse.aggregator.batch import to_columns
from tests.factories import FakeRecord, record_json


def test_valid_records_become_columns_in_table_order() -> None:
    batch = build_batch([FakeRecord(record_json("login"), offset=7, partition=2),
                         FakeRecord(record_json("tool_use", duration_s=12.5), offset=8, partition=2)])
    assert batch.rejected == []
    columns = dict(zip(EVENT_COLUMNS, to_columns(batch.events), strict=True))
    assert columns["type"] == ["login", "tool_use"]
    assert columns["login_method"] == ["sso", ""]
    assert columns["tool_id"] == ["", "quiz-maker"]
    assert columns["duration_s"] == [None, 12.5]
    assert columns["kafka_offset"] == [7, 8] and columns["kafka_partition"] == [2, 2]


def test_poison_and_drifted_records_are_dead_lettered_without_user_id() -> None:
    drifted = json.loads(record_json("login"))
    drifted["user_id"] = "leaked-person"  # schema drift: a producer sending raw ids
    batch = build_batch([FakeRecord(b"\xff\x00garbage", offset=1), FakeRecord(json.dumps(drifted).encode(), offset=2),
                         FakeRecord(None, offset=3), FakeRecord(record_json("training"), offset=4)])
    assert len(batch.events) == 1
    reasons = [(letter.reason, letter.field_path) for letter in batch.rejected]
    assert reasons[0][0] == "invalid_json"
    assert reasons[1] == ("extra_forbidden", "login.user_id")
    assert all("leaked-person" not in str(letter) for letter in batch.rejected)
    assert batch.rejected[1].event_id == drifted["event_id"]  # event_id kept where readable
    assert batch.rejected[1].received_at is not None  # received_at kept where readable
    assert [letter.kafka_offset for letter in batch.rejected] == [1, 2, 3]
    assert {letter.stage for letter in batch.rejected} == {"aggregator"}


def test_a_record_with_a_raw_session_id_is_a_dead_letter_without_it() -> None:
    raw = json.loads(record_json("login")) | {"session_id": "sess-leaked-person"}
    batch = build_batch([FakeRecord(json.dumps(raw).encode(), offset=1)])
    assert batch.events == [] and [(letter.reason, letter.field_path) for letter in batch.rejected] == [
        ("string_pattern_mismatch", "login.session_id")]
    assert "leaked-person" not in str(batch.rejected[0])


def test_records_the_collector_did_not_sign_are_dead_letters_never_replayable() -> None:
    from skillpulse.kafka.signing import SIGNATURE_HEADER, RecordSigner

    signer, other = RecordSigner(b"s" * 32), RecordSigner(b"o" * 32)
    good, unsigned, forged, wrong_value = (record_json("login") for _ in range(4))
    records = [
        FakeRecord(good, offset=0, headers=tuple(signer.kafka_headers(good))),
        FakeRecord(unsigned, offset=1),
        FakeRecord(forged, offset=2, headers=tuple(other.kafka_headers(forged))),
        FakeRecord(wrong_value, offset=3, headers=tuple(signer.kafka_headers(good))),  # another record's signature
        FakeRecord(unsigned, offset=4, headers=((SIGNATURE_HEADER, b"not hex"),)),
    ]
    batch = build_batch(records, signer=signer)
    assert [str(row[0]) for row in batch.events] == [json.loads(good)["event_id"]]
    assert [(letter.kafka_offset, letter.reason, letter.replayable) for letter in batch.rejected] == [
        (1, "unsigned_record", False), (2, "bad_signature", False), (3, "bad_signature", False),
        (4, "bad_signature", False)]
    # Redacted like any letter: the safe fields of what was a whole, valid event.
    assert json.loads(batch.rejected[0].payload)["event_id"] == json.loads(unsigned)["event_id"]
    assert build_batch(records[1:2]).events  # without a signer (tests, tools): no check
