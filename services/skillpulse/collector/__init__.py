"""Collector: the checks, pseudonymisation and publishing behind `POST /v1/events`
(its HTTP route is `skillpulse.api.events`)."""

from skillpulse.collector.validation import BatchTooLarge, validate_body

__all__ = ["BatchTooLarge", "validate_body"]
