"""The writer against the real embedded store: each event stored once, whatever arrives."""

import uuid
from datetime import date, timedelta

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.aggregator import Batch, build_batch, write_batch
from skillpulse.aggregator.batch import EVENT_ID
from skillpulse.store import rollups
from skillpulse.store.rollups import _day_ranges, refresh_pending
from tests.factories import FakeRecord, login


def _batch(values: list[bytes]) -> Batch:
    return build_batch([FakeRecord(value, offset) for offset, value in enumerate(values)])


def _copies(store: Client) -> dict[str, int]:
    rows = store.query("SELECT toString(event_id), count() FROM events GROUP BY event_id").result_rows
    return dict(rows)


def test_resends_and_replays_are_stored_once(store: Client) -> None:
    first = [login("ana", "2026-03-01T10:00:00+01:00") for _ in range(3)]
    assert len(write_batch(store, _batch(first))) == 3
    assert len(write_batch(store, _batch(first))) == 0                       # a replay of the same batch
    resend = login("ana", "2026-03-01T10:00:00+01:00",
                   event_id=str(_batch(first[:1]).events[0][EVENT_ID]))   # a client resend, new offset
    again = login("ben", "2026-03-02T10:00:00+01:00")
    assert len(write_batch(store, _batch([resend, again, again]))) == 1      # plus a duplicate inside one batch
    assert set(_copies(store).values()) == {1} and len(_copies(store)) == 4


def test_the_same_event_id_on_two_platforms_is_two_events(store: Client) -> None:
    shared = str(uuid.uuid4())
    values = [login("ana", "2026-03-01T10:00:00+01:00", event_id=shared),
              login("ana", "2026-03-01T10:00:00+01:00", event_id=shared, platform="skilltech.tube")]
    assert len(write_batch(store, _batch(values))) == 2


def test_without_deduplication_the_duplicates_show(store: Client) -> None:
    values = [login("ana", "2026-03-01T10:00:00+01:00")]
    write_batch(store, _batch(values), deduplicate=False)
    # (an identical block would be dropped by the table's block deduplication window)
    write_batch(store, _batch([*values, login("ben", "2026-03-01T10:00:00+01:00")]), deduplicate=False)
    assert sorted(_copies(store).values()) == [1, 2]


def test_stored_events_queue_their_rollup_refresh(store: Client) -> None:
    values = [login("ana", "2026-03-01T10:00:00+01:00"), login("ana", "2026-03-02T10:00:00+01:00")]
    write_batch(store, _batch(values))
    assert store.query("SELECT count() FROM user_activity").result_rows == [(0,)]  # not yet: ingest never waits
    assert refresh_pending(store, wait_for_visibility=False) == 1
    assert store.query("SELECT count() FROM user_activity").result_rows == [(1,)]
    assert store.query("SELECT count() FROM daily_activity WHERE organisation = '*'").result_rows == [(2,)]
    assert refresh_pending(store, paced=False) == 0  # caught up: the watermark moved


def test_day_ranges_group_contiguous_days() -> None:
    days = [date(2026, 3, 3), date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 2)]
    assert _day_ranges(days) == [(date(2026, 3, 1), date(2026, 3, 3)), (date(2026, 3, 9), date(2026, 3, 9))]
    ten = [date(2026, 3, 1) + timedelta(days=n) for n in range(10)]
    assert _day_ranges(ten, longest=7) == [(date(2026, 3, 1), date(2026, 3, 7)), (date(2026, 3, 8), date(2026, 3, 10))]


def test_a_replayed_batch_larger_than_one_lookup_is_dropped_whole(store: Client) -> None:
    # 25,000 ids: two lookup queries, each far over ClickHouse's default 256 KiB query size.
    values = [login(f"user-{i % 500}", "2026-03-01T10:00:00+01:00") for i in range(25_000)]
    assert len(write_batch(store, _batch(values))) == 25_000
    assert len(write_batch(store, _batch(values))) == 0
    assert store.query("SELECT count() FROM events").result_rows == [(25_000,)]


def test_the_periodic_refresh_keeps_to_its_share_of_the_store(store: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rollups, "VISIBILITY_LAG", timedelta(0))  # every queued row is visible at once
    write_batch(store, _batch([login("ana", "2026-03-01T10:00:00+01:00")]))
    assert refresh_pending(store) == 1  # a periodic round: the next one waits
    write_batch(store, _batch([login("ben", "2026-03-01T10:00:00+01:00")]))
    assert refresh_pending(store) == 0  # too soon after the last round: nothing done ...
    assert store.query("SELECT count() FROM user_activity").result_rows == [(1,)]
    assert refresh_pending(store, paced=False) >= 1  # ... and nothing skipped: ben was left in the queue
    assert store.query("SELECT uniqExact(user_key) FROM user_activity").result_rows == [(2,)]
