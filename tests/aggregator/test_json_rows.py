"""The engine parsing the records' JSON stores what the contract read, value for value:
compared with the same rows converted by Python (the contract's model) and inserted as
columns, on edge values of every field."""

from __future__ import annotations

import json

from clickhouse_connect.driver.client import Client

from skillpulse.aggregator import EVENT_COLUMNS, build_batch, write_batch
from skillpulse.aggregator.batch import to_columns
from tests.factories import FakeRecord, record_json

_EDGE_VALUES = [
    record_json("login", occurred_at="2026-03-01T10:00:00+01:00"),
    record_json("login", occurred_at="2026-03-29T01:59:59.999999Z", organisation_id="école-Ünïcode.lu"),
    record_json("tool_use", occurred_at="2026-03-01T23:30:00.1-05:30", duration_s=0),
    record_json("tool_use", occurred_at="2018-01-01T00:00:00.001Z", duration_s=604799.999, feature="a/b#c:d"),
    record_json("training", occurred_at="2026-12-31T23:59:59.123456+14:00"),
]


def _raw_variants() -> list[bytes]:
    """The same records written differently: spaces, key order, escapes, null for absent."""
    document = json.loads(record_json("tool_use", occurred_at="2026-06-01T12:00:00.5+02:00", duration_s=12))
    spaced = b"  \n" + json.dumps(dict(reversed(document.items())), indent=1, ensure_ascii=True).encode()
    login = json.loads(record_json("login", organisation_id="lycée"))
    login["session_id"] = None
    return [spaced, json.dumps(login, ensure_ascii=True).encode()]


def test_the_engine_stores_what_the_contract_read(store: Client) -> None:
    values = _EDGE_VALUES + _raw_variants()
    batch = build_batch([FakeRecord(value, offset, partition=offset % 2) for offset, value in enumerate(values)])
    assert not batch.rejected, batch.rejected
    store.command("CREATE TABLE events_by_python AS events")
    store.insert("events_by_python", to_columns(batch.events), column_names=EVENT_COLUMNS, column_oriented=True)
    assert len(write_batch(store, batch)) == len(values)
    listed = ", ".join(EVENT_COLUMNS)
    by_engine = store.query(f"SELECT {listed} FROM events ORDER BY kafka_offset").result_rows
    by_python = store.query(f"SELECT {listed} FROM events_by_python ORDER BY kafka_offset").result_rows
    assert by_engine == by_python
    assert len(by_engine) == len(values)
