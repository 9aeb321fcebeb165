"""What a load test sends: the simulator's live sessions (a realistic mix of logins, tool
use and trainings on three platforms), as HTTP batches or as ready Kafka records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from skillpulse.contract import platform_event_adapter, to_record
from skillpulse.kafka.topics import record_key
from skillpulse.pseudonym import Pseudonymiser
from skillpulse.simulator import Population, live_events

# Placeholders, replaced in the rendered record (values no real record has).
_EVENT_ID = "00000000-0000-4000-8000-00000000e1d0"
_OCCURRED_AT, _RECEIVED_AT = "2001-01-01T00:00:00.000001Z", "2001-01-01T00:00:00.000002Z"


def http_events(users: int = 20_000, seed: int = 7) -> Iterator[tuple[str, dict[str, Any]]]:
    """(platform, event) pairs, endless; each event has a fresh event_id and happens now."""
    return live_events(Population(users, seed), seed)


class KafkaRecords:
    """Records as the collector writes them, made fast enough to load the aggregator alone:
    a pool of real records (validated and pseudonymised like the collector does) used as
    templates, each sent with a new event_id and received the moment it is sent. It occurred
    then too, or, with `occurred_within_days`, at a random moment of those past days (a
    backlog that gives the rollups past days to recount)."""

    def __init__(self, templates: int = 20_000, seed: int = 7, occurred_within_days: float = 0.0) -> None:
        self._rng = random.Random(seed)
        self._spread_s = occurred_within_days * 86_400
        pseudonymiser = Pseudonymiser(b"load-test-secret-" + b"x" * 32)
        self._pool: list[tuple[bytes, str]] = []
        for platform, body in islice(http_events(seed=seed), templates):
            event = platform_event_adapter.validate_python(body | {"event_id": _EVENT_ID, "occurred_at": _OCCURRED_AT})
            record = to_record(event, platform=platform, received_at=datetime.fromisoformat(_RECEIVED_AT),
                               user_key=pseudonymiser.user_key(platform, event.user_id),
                               session_key=pseudonymiser.session_key(platform, event.session_id))
            template = (record.model_dump_json().replace("%", "%%").replace(_EVENT_ID, "%(event_id)s")
                        .replace(_OCCURRED_AT, "%(occurred)s").replace(_RECEIVED_AT, "%(now)s"))
            assert template.count("%(") == 3, template
            self._pool.append((record_key(record.user_key), template))
        self._next = 0

    def take(self, count: int) -> list[tuple[bytes, bytes, str]]:
        """`count` (key, value, event_id) triples, happening and received now."""
        moment = datetime.now(UTC)
        now = _rfc3339(moment)
        out = []
        for _ in range(count):
            key, template = self._pool[self._next % len(self._pool)]
            self._next += 1
            event_id = str(uuid.uuid4())
            occurred = (_rfc3339(moment - timedelta(seconds=self._rng.uniform(0, self._spread_s)))
                        if self._spread_s else now)
            out.append((key, (template % {"event_id": event_id, "now": now, "occurred": occurred}).encode(), event_id))
        return out


def _rfc3339(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")

