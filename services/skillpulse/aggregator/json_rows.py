"""Events inserted as the collector wrote them: the validated records' own JSON, with
their Kafka partition and offset added, parsed by ClickHouse (`FORMAT JSONEachRow`) into
`event_records`, whose view renames the fields to the columns of `events`
(schemas/clickhouse/0017_event_records.sql).

Converting each value to a Python object and back into ClickHouse's columns cost more
than the insert itself; the engine parses the same text far faster. Only records the
contract accepted get here (`build_batch`), so the engine parses nothing it could read
differently: every field is of a type the contract already checked. A raw insert runs
the same on the embedded store (from a file) and on a ClickHouse server (the body).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

# RFC 3339 with any offset (the contract's); an absent or null optional field is ''; a
# field of a newer contract that `events` has no column for is left out, as the Python
# conversion did (an error would stop the partition at that batch for ever).
_SETTINGS = {"date_time_input_format": "best_effort", "input_format_null_as_default": 1,
             "input_format_skip_unknown_fields": 1}


def json_row(value: bytes, partition: int, offset: int) -> bytes:
    """The record's JSON object (the contract's: one flat object, no key of ours) with
    its place in Kafka as two more fields."""
    return b'{"kafka_partition":%d,"kafka_offset":%d,%s' % (partition, offset, value.lstrip()[1:])


def insert_json_rows(store: Client, rows: list[bytes]) -> None:
    if rows:
        store.raw_insert("event_records", insert_block=b"\n".join(rows), fmt="JSONEachRow", settings=_SETTINGS)
