"""Statements per second through `POST /xapi/statements` on a fresh embedded stack (one
process: collector, broker child, aggregator): BATCHES batches of SIZE completions from
CONCURRENCY clients; prints accepted/s (200 answered: the broker holds them) and
stored/s (until every statement is in `events`). Baseline in the same run, on the same
stack: the same number of training completions as contract events through
`POST /v1/events`, in the same batches, so the ratio is what the xAPI layer (ralph's
validation and the mapping) costs.

    .venv/bin/python loadtests/xapi_throughput.py [--batches 20 --size 100 --concurrency 1]

Writes loadtests/results/xapi-throughput.json.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx

from skillpulse.app import Stack
from skillpulse.config import CollectorSettings, PathSettings, Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.sources.xapi_auth import ensure_xapi_credentials
from skillpulse.stack_client import Pipeline

COURSE = "https://moodle.skilltech.lu/course/view.php?id="


RESULTS = Path(__file__).parent / "results"


def _events(size: int, batch: int) -> list[dict[str, object]]:
    """The contract events the statements of `_batch` map to (the baseline's body)."""
    return [{"event_id": str(uuid.uuid4()), "type": "training", "user_id": f"account:https://moodle.skilltech.lu "
             f"events-{batch}-{n}", "training_id": f"{COURSE}{n % 40}", "status": "completed",
             "occurred_at": "2026-03-01T10:00:00+01:00"} for n in range(size)]


def _batch(size: int, batch: int) -> list[dict[str, object]]:
    return [{"id": str(uuid.uuid4()),
             "actor": {"objectType": "Agent", "account": {"homePage": "https://moodle.skilltech.lu",
                                                          "name": f"{batch}-{n}"}},
             "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
             "object": {"objectType": "Activity", "id": f"{COURSE}{n % 40}",
                        "definition": {"type": "http://adlnet.gov/expapi/activities/course"}},
             "result": {"completion": True, "score": {"scaled": 0.8}},
             "timestamp": "2026-03-01T10:00:00+01:00"} for n in range(size)]


async def _send_all(client: httpx.AsyncClient, path: str, bodies: list[bytes], headers: dict[str, str],
                    concurrency: int) -> float:
    """POST every body (CONCURRENCY at a time); the seconds until the last was answered."""
    queue = list(bodies)

    async def send() -> None:
        while queue:
            response = await client.post(path, content=queue.pop(), headers=headers)
            response.raise_for_status()

    started = time.perf_counter()
    await asyncio.gather(*(send() for _ in range(concurrency)))
    return time.perf_counter() - started


async def measure(batches: int, size: int, concurrency: int, data_dir: Path) -> dict[str, float]:
    settings = Settings(paths=PathSettings(data_dir=data_dir), collector=CollectorSettings(port=0))
    key, secret = ensure_xapi_credentials(settings)["skilltech.tools"]
    headers = {"Authorization": "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode(),
               "X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
    events_headers = {"Authorization": f"Bearer {ensure_api_keys(settings)['skilltech.tools']}",
                      "Content-Type": "application/json"}
    statements = [json.dumps(_batch(size, index)).encode() for index in range(batches)]
    events = [json.dumps(_events(size, index)).encode() for index in range(batches)]
    total = batches * size
    async with Stack(settings) as stack, httpx.AsyncClient(base_url=stack.url, timeout=60) as client:
        pipeline = Pipeline(stack.url, stack.bootstrap, settings, stack)
        started = time.perf_counter()
        accepted_s = await _send_all(client, "/xapi/statements", statements, headers, concurrency)
        await pipeline.wait_until_stored(timeout_s=120)
        stored_s = time.perf_counter() - started
        baseline_s = await _send_all(client, "/v1/events", events, events_headers, concurrency)
        await pipeline.wait_until_stored(timeout_s=120)
        assert stack.store is not None
        stored = stack.store.query("SELECT count() FROM events").result_rows[0][0]
    assert stored == 2 * total, (stored, 2 * total)
    return {"statements": total, "accepted_per_s": total / accepted_s, "stored_per_s": total / stored_s,
            "baseline_events_api_accepted_per_s": total / baseline_s, "share_of_baseline": baseline_s / accepted_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        figures = asyncio.run(measure(args.batches, args.size, args.concurrency, Path(data_dir)))
    result = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cores": os.cpu_count(),
              **{k: round(v, 3 if k == "share_of_baseline" else 1) for k, v in figures.items()}, **vars(args)}
    print(json.dumps(result, indent=2))
    (RESULTS / "xapi-throughput.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
