"""The one way into the pipeline, shared by every source (the events API, and adapters of
a platform's own format): platform events are validated like the contract says,
pseudonymised, published to the events topic with the broker's acks, and counted per
platform and reason. A source only maps its payload to platform events and answers in
its own protocol."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from skillpulse.collector.publisher import BrokerUnavailable, RecordPublisher
from skillpulse.collector.rate_limit import PlatformRates
from skillpulse.collector.validation import Rejection, validate_items
from skillpulse.config import CollectorSettings
from skillpulse.contract import LoginEvent, ToolUseEvent, TrainingEvent, to_record
from skillpulse.errors import SkillpulseError
from skillpulse.health.stats import CollectorStats
from skillpulse.pseudonym import Pseudonymiser

logger = logging.getLogger("skillpulse.collector")

PlatformEvent = LoginEvent | ToolUseEvent | TrainingEvent


class Overloaded(SkillpulseError, RuntimeError):
    """Too many events already await the broker's acks (503: retry later)."""


class RateLimited(Overloaded):
    """This platform sends faster than its rate (429: retry after `retry_after_s`)."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"over this platform's rate; retry after {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Checked:
    """A batch judged event by event: the valid ones with their index, and the rest."""

    valid: list[tuple[int, PlatformEvent]]
    rejected: list[Rejection]


@dataclass
class Intake:
    settings: CollectorSettings
    pseudonymiser: Pseudonymiser
    publisher: RecordPublisher
    stats: CollectorStats
    _in_flight: int = field(default=0, init=False)  # awaiting the broker's acks (one event loop: no lock)
    rates: PlatformRates = field(init=False)

    def __post_init__(self) -> None:
        self.rates = PlatformRates(self.settings.rate_limit_events_per_s, self.settings.rate_limit_burst)

    def check(self, platform: str, items: list[Any], now: datetime) -> Checked:
        """Validate platform events (JSON values in the contract's shape); count rejections."""
        valid, rejected = validate_items(items, now=now, max_future=timedelta(seconds=self.settings.max_future_s),
                                         max_age=timedelta(days=self.settings.retention_days))
        for rejection in rejected:
            self.stats.count("rejected", platform, rejection.reason)
        return Checked(valid, rejected)

    async def publish(self, platform: str, events: Sequence[PlatformEvent], received_at: datetime) -> None:
        """Return once the broker holds every event; Overloaded (RateLimited: over the
        platform's rate) or BrokerUnavailable, all counted as refused, when it does not,
        and then none of them is acknowledged."""
        records = [to_record(event, platform=platform, received_at=received_at,
                             user_key=self.pseudonymiser.user_key(platform, event.user_id),
                             session_key=self.pseudonymiser.session_key(platform, event.session_id))
                   for event in events]
        wait_s = self.rates.take(platform, len(records)) if records else None
        if wait_s is not None:
            self.stats.count("refused", platform, "rate_limited", len(records))
            raise RateLimited(PlatformRates.retry_after_s(wait_s))
        if self._in_flight + len(records) > self.settings.max_in_flight_events:
            logger.warning("platform=%s: %d events refused, %d already in flight", platform, len(records),
                           self._in_flight)
            self.stats.count("refused", platform, "overloaded", len(records))
            self.rates.refund(platform, len(records))
            raise Overloaded(f"{self._in_flight} events in flight; retry later")
        self._in_flight += len(records)
        try:
            await self.publisher.publish(records)
        except BrokerUnavailable as exc:
            logger.warning("platform=%s: %d events refused, broker unavailable: %s", platform, len(records), exc)
            self.stats.count("refused", platform, "broker_unavailable", len(records))
            self.rates.refund(platform, len(records))
            raise
        finally:
            self._in_flight -= len(records)
        self.stats.count("accepted", platform, "", len(records))

    def count_refused_request(self, platform: str, reason: str) -> None:
        """A whole request refused before its events could be read (401, 400, 413)."""
        self.stats.count("rejected_requests", platform, reason)

    async def ready(self) -> bool:
        return await self.publisher.ready()
