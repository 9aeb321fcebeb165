"""Collector: authenticated HTTP intake → validation → pseudonymisation → Kafka."""

from skillpulse.collector.app import create_collector_router
from skillpulse.collector.validation import BatchTooLarge, validate_body

__all__ = ["BatchTooLarge", "create_collector_router", "validate_body"]
