"""What judging a request body costs the collector, against `json.loads` of the same bytes
(the floor: no validation at all), measured in the same run.

    .venv/bin/python loadtests/validation_cost.py [--runs 7]

Bodies: 1,000 valid tool-use events (about 1 MB, ids near their length limit), and one
event with 78,000 unknown keys (the hostile probe of issue 13). Prints the best of N runs."""

from __future__ import annotations

import argparse
import json
import platform
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from skillpulse.collector.validation import parse_body, validate_items

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


class Timed(NamedTuple):
    seconds: float
    result: Any


def _event(i: int) -> dict[str, Any]:
    return {"event_id": str(uuid.UUID(int=i)), "type": "tool_use", "occurred_at": "2026-03-01T10:00:00+01:00",
            "user_id": f"teacher-{i}@school.lu", "tool_id": "quiz-maker", "tool_category": "assessment",
            "action": "create", "duration_s": 12.5, "organisation_id": "o" * 250, "session_id": "s" * 250,
            "feature": "f" * 250}


def _best(work: Callable[[], Any], runs: int) -> Timed:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        timings.append(time.perf_counter() - started)
    return Timed(min(timings), result)


def _judge(body: bytes) -> tuple[int, int, int]:
    """Valid, rejected, and the size of the answer's rejection list."""
    valid, rejected = validate_items(parse_body(body, max_events=1000), now=NOW, max_future=timedelta(minutes=5),
                                     max_age=timedelta(days=3650))
    return len(valid), len(rejected), len(json.dumps([r.as_json() for r in rejected]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    batch = json.dumps([_event(i) for i in range(1000)]).encode()
    probe = json.dumps(_event(0) | {f"k{i:07d}": 1 for i in range(78_000)}).encode()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, best of {runs}")
    for name, body in (("1,000 valid events", batch), ("78,000 unknown keys", probe)):
        floor = _best(lambda body=body: json.loads(body), runs)
        judged = _best(lambda body=body: _judge(body), runs)
        valid, rejected, answer = judged.result
        print(f"{name}: {len(body) / 1e6:.2f} MB; json.loads {floor.seconds * 1000:.1f} ms; parse + validate "
              f"{judged.seconds * 1000:.1f} ms ({judged.seconds / floor.seconds:.1f} x json.loads); "
              f"{valid} valid, {rejected} rejected, rejections answered in {answer} bytes")


if __name__ == "__main__":
    main()
