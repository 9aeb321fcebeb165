"""Each platform's ingest rate: a token bucket of events per platform, so one runaway
platform cannot take the broker, the aggregator and the store from the others."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class PlatformRates:
    """`take(platform, n)`: None when the platform may send `n` events now (they are taken
    from its bucket), else the seconds to wait before it may. A bucket refills at
    `events_per_s` up to `burst`; `n` over `burst` is never allowed (batches are smaller)."""

    events_per_s: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict, init=False)  # one event loop: no lock

    def take(self, platform: str, events: int) -> float | None:
        now = self.clock()
        bucket = self._buckets.setdefault(platform, _Bucket(float(self.burst), now))
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.events_per_s)
        bucket.updated = now
        if events <= bucket.tokens:
            bucket.tokens -= events
            return None
        return (min(events, self.burst) - bucket.tokens) / self.events_per_s

    def refund(self, platform: str, events: int) -> None:
        """Give back what `take` took for events that were then refused (503): a platform
        that retries them is not charged twice."""
        bucket = self._buckets.get(platform)
        if bucket is not None:
            bucket.tokens = min(float(self.burst), bucket.tokens + events)

    @staticmethod
    def retry_after_s(wait_s: float) -> int:
        """Retry-After is whole seconds: at least 1."""
        return max(1, math.ceil(wait_s))
