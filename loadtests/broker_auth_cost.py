"""Does broker authentication cost produce throughput? The same records produced to a fresh
embedded tansu without and with `--authentication`, alternating runs on one machine.

    python loadtests/broker_auth_cost.py [--records 50000] [--runs 3]

The authenticated runs connect through the SCRAM exchange with a client that ignores the
server's verdict: on tansu 0.6 no user can be created, so it is the only way in (see
tests/kafka/test_broker_access.py). SCRAM is paid once per connection either way.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer, conn
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from skillpulse.kafka import EmbeddedKafka
from skillpulse.loadtest.workload import KafkaRecords

SCRAM: dict[str, Any] = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                         "sasl_plain_username": "loadtest", "sasl_plain_password": "unchecked"}


def _start_tansu(work: Path, authentication: bool) -> tuple[EmbeddedKafka, str]:
    broker = EmbeddedKafka(work, extra_args=["--authentication"] if authentication else [])
    return broker, broker.start()


async def _records_per_second(bootstrap: str, options: dict[str, Any], triples: list[Any]) -> float:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, **options)
    await admin.start()
    try:
        await admin.create_topics([NewTopic("auth-cost", 6, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, max_batch_size=1 << 20,
                                **options)
    await producer.start()
    try:
        started = time.perf_counter()
        futures = [await producer.send("auth-cost", value, key=key) for key, value, _ in triples]
        await asyncio.gather(*futures)
        return len(triples) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    conn.ScramAuthenticator.process_server_final_message = lambda self, final: None  # see the docstring
    triples = KafkaRecords().take(args.records)
    rates: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.runs):
        for authentication in (False, True):
            with tempfile.TemporaryDirectory() as work:
                broker, bootstrap = _start_tansu(Path(work), authentication)
                try:
                    options = SCRAM if authentication else {}
                    rates[authentication].append(asyncio.run(_records_per_second(bootstrap, options, triples)))
                finally:
                    broker.stop()
    for authentication, values in rates.items():
        print(f"{'with' if authentication else 'without'} --authentication: records/s {[round(v) for v in values]}, "
              f"median {statistics.median(values):,.0f}")
    print(f"ratio with/without: {statistics.median(rates[True]) / statistics.median(rates[False]):.3f}")


if __name__ == "__main__":
    main()
