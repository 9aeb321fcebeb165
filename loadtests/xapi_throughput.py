"""Statements per second through `POST /xapi/statements` on a fresh embedded stack (one
process: collector, broker child, aggregator): BATCHES batches of SIZE completions from
CONCURRENCY clients; prints accepted/s (200 answered: the broker holds them) and
stored/s (until every statement is in `events`).

    .venv/bin/python loadtests/xapi_throughput.py [--batches 20 --size 100 --concurrency 1]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from skillpulse.app import Stack
from skillpulse.config import CollectorSettings, PathSettings, Settings
from skillpulse.sources.xapi_auth import ensure_xapi_credentials
from skillpulse.stack_client import Pipeline

COURSE = "https://moodle.skilltech.lu/course/view.php?id="


def _batch(size: int, batch: int) -> list[dict[str, object]]:
    return [{"id": str(uuid.uuid4()),
             "actor": {"objectType": "Agent", "account": {"homePage": "https://moodle.skilltech.lu",
                                                          "name": f"{batch}-{n}"}},
             "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
             "object": {"objectType": "Activity", "id": f"{COURSE}{n % 40}",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/course"}},
             "result": {"completion": True, "score": {"scaled": 0.8}},
             "timestamp": "2026-03-01T10:00:00+01:00"} for n in range(size)]


async def measure(batches: int, size: int, concurrency: int, data_dir: Path) -> dict[str, float]:
    settings = Settings(paths=PathSettings(data_dir=data_dir), collector=CollectorSettings(port=0))
    key, secret = ensure_xapi_credentials(settings)["skilltech.tools"]
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
               "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    bodies = [json.dumps(_batch(size, index)).encode() for index in range(batches)]
    async with Stack(settings) as stack, httpx.AsyncClient(base_url=stack.url, timeout=60) as client:
        queue = list(bodies)

        async def send() -> None:
            while queue:
                response = await client.post("/xapi/statements", content=queue.pop(), headers=headers)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(send() for _ in range(concurrency)))
        accepted_s = time.perf_counter() - started
        await Pipeline(stack.url, stack.bootstrap, settings, stack).wait_until_stored(timeout_s=120)
        stored_s = time.perf_counter() - started
        assert stack.store is not None
        stored = stack.store.query("SELECT count() FROM events").result_rows[0][0]
    total = batches * size
    assert stored == total, (stored, total)
    return {"statements": total, "accepted_per_s": total / accepted_s, "stored_per_s": total / stored_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        figures = asyncio.run(measure(args.batches, args.size, args.concurrency, Path(data_dir)))
    print(json.dumps({k: round(v, 1) for k, v in figures.items()} | vars(args)))


if __name__ == "__main__":
    main()
