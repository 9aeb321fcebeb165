"""The client against a stand-in of the collector (its real validation and limits):
batching, backoff on "not now" with the same event ids, rejections dropped and reported,
the spool kept until answered and across a restart, the blocking client."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import stat
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from skillpulse.sdk import (
    MAX_BODY_BYTES,
    AsyncSkillpulseClient,
    CollectorUnavailable,
    DeliveryRefused,
    RetryPolicy,
    SkillpulseClient,
    login,
    tool_use,
)
from tests.sdk.stand_in import API_KEY, StandInCollector

FAST = RetryPolicy(base_s=0.01, max_s=0.05)
NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def _client(collector: StandInCollector, **options: object) -> AsyncSkillpulseClient:
    return AsyncSkillpulseClient("http://collector.test", str(options.pop("api_key", API_KEY)),
                                 transport=collector.transport(), **options)  # type: ignore[arg-type]


def _spooled(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT count(*) FROM pending").fetchone()[0])


async def test_batches_stay_within_the_collectors_event_limit() -> None:
    collector = StandInCollector()
    events = [login(f"user-{i}", occurred_at=NOW) for i in range(2500)]
    async with _client(collector, batch_size=1000) as client:
        await client.send_many(events)
    assert collector.sizes == [1000, 1000, 500]
    assert collector.taken == {str(event.event_id): 1 for event in events}
    assert (client.report.sent, client.report.accepted, client.report.requests) == (2500, 2500, 3)
    with pytest.raises(ValueError, match="1000"):
        AsyncSkillpulseClient("http://collector.test", API_KEY, batch_size=1001)


async def test_batches_stay_within_the_collectors_body_limit() -> None:
    collector = StandInCollector()
    # Raw objects bigger than any valid event: the byte limit cuts before the event limit.
    bulky = [{"event_id": f"e{i}", "pad": "x" * 100_000} for i in range(30)]
    async with _client(collector, batch_size=1000) as client:
        await client.send_many(bulky)
    assert all(len(body) <= MAX_BODY_BYTES for body in collector.bodies)
    assert sum(collector.sizes) == 30 and len(collector.bodies) >= 3
    assert client.report.rejected == 30 and client.unsent == 0  # judged (422), not resent


async def test_a_small_byte_limit_is_respected_for_valid_events_too() -> None:
    collector = StandInCollector()
    events = [tool_use(f"user-{i}", tool_id="quiz-maker", tool_category="assessment", action="create",
                       occurred_at=NOW) for i in range(100)]
    async with _client(collector, max_batch_bytes=5_000) as client:
        await client.send_many(events)
    assert all(len(body) <= 5_000 for body in collector.bodies) and len(collector.bodies) > 1
    assert len(collector.taken) == 100


async def test_503_waits_for_retry_after_and_resends_the_same_event_ids() -> None:
    collector = StandInCollector(script=[httpx.Response(503, headers={"Retry-After": "1"},
                                                        json={"error": "overloaded"})])
    events = [login(f"user-{i}", occurred_at=NOW) for i in range(10)]
    async with _client(collector, retry=FAST) as client:
        await client.send_many(events)
    assert len(collector.bodies) == 2 and collector.bodies[0] == collector.bodies[1]
    assert collector.times[1] - collector.times[0] >= 0.95  # Retry-After, not the 0.01 s backoff
    assert client.report.retries == 1 and collector.taken == {str(event.event_id): 1 for event in events}


async def test_429_gateway_errors_and_broken_connections_are_retried_with_the_same_event_ids() -> None:
    collector = StandInCollector(script=[httpx.ConnectError("refused"), httpx.Response(429),
                                         httpx.Response(502), httpx.ReadTimeout("slow")])
    events = [login(f"user-{i}", occurred_at=NOW) for i in range(5)]
    async with _client(collector, retry=FAST) as client:
        await client.send_many(events)
    assert len(collector.bodies) == 5 and len(set(collector.bodies)) == 1
    assert client.report.retries == 4 and client.report.accepted == 5 and client.unsent == 0


async def test_rejected_events_are_reported_and_not_resent(caplog: pytest.LogCaptureFixture) -> None:
    collector = StandInCollector()
    good = [login(f"user-{i}", occurred_at=NOW) for i in range(3)]
    bad = {"event_id": "6f1c1b8e-57a1-4c57-9a3e-3a7f3f8c1d2e", "type": "tool_use", "user_id": "secret-user",
           "occurred_at": "2026-03-01T10:00:00+01:00", "tool_category": "video", "action": "open"}
    with caplog.at_level(logging.WARNING, logger="skillpulse.sdk"):
        async with _client(collector) as client:
            await client.send_many([*good, bad])
            await client.flush()
            await client.flush()
    assert len(collector.bodies) == 1
    assert (client.report.accepted, client.report.rejected, dict(client.report.reasons)) == (3, 1, {"missing": 1})
    assert client.unsent == 0
    assert "6f1c1b8e-57a1-4c57-9a3e-3a7f3f8c1d2e: missing" in caplog.text
    assert "secret-user" not in caplog.text  # ids and reasons only, never the payload


async def test_without_a_spool_the_client_gives_up_and_says_how_many_were_lost() -> None:
    collector = StandInCollector(down=True)
    client = await _client(collector, retry=RetryPolicy(attempts=3, base_s=0.01, max_s=0.02)).start()
    await client.send_many([login(f"user-{i}", occurred_at=NOW) for i in range(7)])
    with pytest.raises(CollectorUnavailable):
        await client.flush()
    assert len(collector.bodies) == 3  # the policy's attempts, then it stops
    with pytest.raises(CollectorUnavailable, match="7 events not delivered"):
        await client.aclose()


async def test_the_callers_own_error_is_not_hidden_by_unsent_events(caplog: pytest.LogCaptureFixture) -> None:
    collector = StandInCollector(down=True)

    async def platform() -> None:
        async with _client(collector, retry=FAST) as client:
            await client.send_many([login(f"user-{i}", occurred_at=NOW) for i in range(5)])
            raise KeyError("the platform's own bug")

    with caplog.at_level(logging.WARNING, logger="skillpulse.sdk"), pytest.raises(KeyError):
        await platform()
    assert "5 events unsent, lost" in caplog.text


async def test_a_wrong_api_key_stops_sending_and_the_spool_keeps_the_events(tmp_path: Path) -> None:
    collector, spool = StandInCollector(), tmp_path / "spool.db"
    events = [login(f"user-{i}", occurred_at=NOW) for i in range(4)]
    client = await _client(collector, api_key="sp_wrong", spool_path=spool).start()
    await client.send_many(events)
    with pytest.raises(DeliveryRefused, match="401"):
        await client.flush()
    await client.send(login("user-late", occurred_at=NOW))  # still spooled: the platform is not interrupted
    with pytest.raises(DeliveryRefused):
        await client.aclose()
    assert _spooled(spool) == 5 and collector.taken == {}
    async with _client(collector, spool_path=spool) as fixed:
        await fixed.flush()
    assert len(collector.taken) == 5 and _spooled(spool) == 0


async def test_the_spool_keeps_unsent_events_across_a_restart_and_is_private(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    collector, spool = StandInCollector(down=True), tmp_path / "platform" / "spool.db"
    events = [login(f"user-{i}", occurred_at=NOW) for i in range(40)]
    client = await _client(collector, spool_path=spool, retry=FAST, close_timeout_s=0.3).start()
    started = time.monotonic()
    await client.send_many(events)
    assert time.monotonic() - started < 2  # the platform does not wait for the collector
    files = {path.name: stat.S_IMODE(path.stat().st_mode) for path in spool.parent.iterdir()}
    assert files == {"spool.db": 0o600, "spool.db-wal": 0o600, "spool.db-shm": 0o600}  # raw user ids inside
    with caplog.at_level(logging.WARNING, logger="skillpulse.sdk"):
        await client.aclose()  # no error: nothing is lost, it waits on disk
    assert "40 events unsent, kept in the spool" in caplog.text and _spooled(spool) == 40
    assert len(collector.bodies) > 1 and collector.taken == {}

    collector.down = False
    async with _client(collector, spool_path=spool) as restarted:
        await restarted.flush()
    assert collector.taken == {str(event.event_id): 1 for event in events}
    assert _spooled(spool) == 0


async def test_events_are_on_disk_before_they_are_sent_and_removed_only_once_answered(tmp_path: Path) -> None:
    spool, seen_in_spool = tmp_path / "spool.db", []
    collector = StandInCollector()
    judge = collector.__call__

    def answer(request: httpx.Request) -> httpx.Response:
        with sqlite3.connect(spool) as db:
            on_disk = {json.loads(body)["event_id"] for (body,) in db.execute("SELECT body FROM pending")}
        seen_in_spool.append({event["event_id"] for event in json.loads(request.content)} <= on_disk)
        return judge(request)

    events = [login(f"user-{i}", occurred_at=NOW) for i in range(30)]
    async with AsyncSkillpulseClient("http://collector.test", API_KEY, spool_path=spool, batch_size=10,
                                     transport=httpx.MockTransport(answer)) as client:
        await client.send_many(events)
        await client.flush()
        assert _spooled(spool) == 0
    assert seen_in_spool == [True, True, True]


async def test_a_partial_batch_leaves_after_the_flush_interval() -> None:
    collector = StandInCollector()
    async with _client(collector, batch_size=100, flush_interval_s=0.1) as client:
        await client.send_many([login(f"user-{i}", occurred_at=NOW) for i in range(3)])
        await asyncio.sleep(0.6)
        assert collector.sizes == [3]  # without a flush


async def test_without_a_spool_send_waits_once_too_much_is_unsent() -> None:
    collector = StandInCollector(script=[httpx.Response(503)] * 3)
    async with _client(collector, batch_size=10, max_buffered=20, concurrency=1,
                       retry=RetryPolicy(base_s=0.2, max_s=0.2)) as client:
        started = time.monotonic()
        await client.send_many([login(f"user-{i}", occurred_at=NOW) for i in range(30)])
        waited = time.monotonic() - started
        assert client.unsent <= 20
    assert waited >= 0.3  # three waits of at least 0.1 s for the first batch to be taken
    assert len(collector.taken) == 30


def test_the_blocking_client_sends_from_its_own_thread(tmp_path: Path) -> None:
    collector = StandInCollector()
    events = [login(f"user-{i}", occurred_at=NOW) for i in range(15)]
    with SkillpulseClient("http://collector.test", API_KEY, spool_path=tmp_path / "spool.db",
                          transport=collector.transport()) as client:
        client.send(events[0])
        client.send_many(iter(events[1:]))
        client.flush(timeout_s=10)
        assert client.unsent == 0
    assert collector.taken == {str(event.event_id): 1 for event in events}
    assert client.report.accepted == 15
