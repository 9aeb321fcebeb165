"""Backoff with jitter, never sooner than Retry-After (capped), and the Retry-After forms."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx

from skillpulse.sdk import RetryPolicy
from skillpulse.sdk.retry import retry_after_s


def test_waits_grow_exponentially_within_jitter_and_stop_at_the_cap() -> None:
    policy = RetryPolicy(base_s=0.2, max_s=5.0, rng=random.Random(1))
    for attempt in range(12):
        ceiling = min(5.0, 0.2 * 2**attempt)
        waits = [policy.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
        assert len(set(waits)) > 100  # jittered, not one value
    assert max(policy.delay(40) for _ in range(100)) <= 5.0


def test_retry_after_is_a_floor_and_is_capped() -> None:
    policy = RetryPolicy(base_s=0.2, max_s=5.0, max_retry_after_s=60.0)
    assert policy.delay(0, retry_after_s=3.0) == 3.0
    assert policy.delay(0, retry_after_s=86_400.0) == 60.0
    assert 1.6 <= policy.delay(4, retry_after_s=0.0) <= 3.2  # backoff when the header asks for less


def test_gives_up_after_the_allowed_attempts_only_when_limited() -> None:
    assert [RetryPolicy(attempts=3).gives_up_after(n) for n in range(4)] == [False, False, True, True]
    assert not RetryPolicy().gives_up_after(10_000)


def test_retry_after_header_forms() -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def header(value: str | None) -> float | None:
        headers = {"Retry-After": value} if value is not None else {}
        return retry_after_s(httpx.Response(503, headers=headers), now=now)

    assert header("5") == 5.0
    assert header(format_datetime(now + timedelta(seconds=30), usegmt=True)) == 30.0
    assert header(format_datetime(now - timedelta(seconds=30), usegmt=True)) == 0.0
    assert header(None) is None and header("soon") is None and header("-3") is None
