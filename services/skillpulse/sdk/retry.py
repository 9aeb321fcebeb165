"""When to try a request again: exponential backoff with jitter, never sooner than the
collector's `Retry-After`.

Written here rather than taken from a retry library: the decision depends on the
collector's answer (status, `Retry-After`, per-event results) and on the spool's state,
so a decorator-style retrier would need the same code around it anyway.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

# 429 and 503 are the collector's "not now" (it sends Retry-After); 502 and 504 come from a
# proxy in front of it. Anything else is an answer a resend would not change.
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """`attempts` requests at most per batch (None: until it is taken; a spool keeps the
    batch meanwhile). The n-th wait is drawn in [d/2, d] with d = min(max_s, base_s * 2**n)
    ("equal jitter": senders that failed together do not come back together)."""

    attempts: int | None = None
    base_s: float = 0.2
    max_s: float = 30.0
    max_retry_after_s: float = 300.0  # a longer Retry-After is capped: a typo must not stall a platform for a day
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def gives_up_after(self, attempt: int) -> bool:
        """True when request number `attempt` (0-based) was the last one allowed."""
        return self.attempts is not None and attempt + 1 >= self.attempts

    def delay(self, attempt: int, retry_after_s: float | None = None) -> float:
        ceiling = min(self.max_s, self.base_s * 2.0 ** min(attempt, 32))
        backoff = ceiling / 2 + self.rng.uniform(0, ceiling / 2)
        if retry_after_s is None:
            return backoff
        return max(backoff, min(retry_after_s, self.max_retry_after_s))


def retry_after_s(response: httpx.Response, now: datetime | None = None) -> float | None:
    """The `Retry-After` header in seconds (delta-seconds or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
