"""Locust load test of the HTTP collector: platforms posting the simulator's live sessions
(logins, tool use, trainings) one at a time, in small batches and in large ones (1–1,000
events), each platform with its own API key.

    skillpulse up &                                      # or any collector
    locust -f loadtests/locustfile.py --headless -u 20 -r 5 -t 1m \
        --host http://127.0.0.1:8080 --csv loadtests/results/locust --html loadtests/results/locust.html

Keys: `SKILLPULSE_API_KEYS` as "platform key" lines (what `skillpulse keys` prints), or
`SKILLPULSE_DATA_DIR` of an embedded stack (its generated `api-keys.txt`).
Locust must be imported before anything else (gevent), so this file imports only the
simulator from skillpulse, nothing that starts Kafka or ClickHouse clients.
"""

from __future__ import annotations

import itertools
import os
import random
from itertools import islice
from pathlib import Path

from locust import FastHttpUser, between, task

from skillpulse.simulator.model import Population, live_events


def _keys() -> dict[str, str]:
    text = os.environ.get("SKILLPULSE_API_KEYS")
    if text is None:
        text = (Path(os.environ.get("SKILLPULSE_DATA_DIR", ".skillpulse")) / "api-keys.txt").read_text()
    return dict(line.split(maxsplit=1) for line in text.splitlines() if line.strip())


KEYS = _keys()
_PLATFORMS = itertools.cycle(sorted(KEYS))  # users take the platforms in turn: -u 3 covers all three


class Platform(FastHttpUser):
    """One platform's backend: it flushes what its users did since the last flush."""

    wait_time = between(0.05, 0.5)

    def on_start(self) -> None:
        seed = random.randrange(1 << 30)
        self.platform = next(_PLATFORMS)
        self.events = (event for platform, event in live_events(Population(2_000, seed), seed)
                       if platform == self.platform)
        self.headers = {"Authorization": f"Bearer {KEYS[self.platform]}"}

    def _post(self, size: int, name: str) -> None:
        batch = list(islice(self.events, size))
        with self.client.post("/v1/events", json=batch, headers=self.headers, name=name,
                              catch_response=True) as response:
            if response.status_code != 202:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            elif response.json()["accepted"] != size:
                response.failure(f"{size - response.json()['accepted']} events rejected")

    @task(6)
    def one_event(self) -> None:
        self._post(1, "POST /v1/events [1]")

    @task(3)
    def small_batch(self) -> None:
        self._post(random.randint(2, 100), "POST /v1/events [2-100]")

    @task(1)
    def large_batch(self) -> None:
        self._post(random.randint(101, 1000), "POST /v1/events [101-1000]")
