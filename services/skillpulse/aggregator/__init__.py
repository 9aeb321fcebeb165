"""Aggregator: consumes `skillpulse.events.v1` in batches and stores them in ClickHouse."""

from skillpulse.aggregator.batch import EVENT_COLUMNS, Batch, build_batch
from skillpulse.aggregator.service import create_aggregator
from skillpulse.aggregator.writer import write_batch

__all__ = ["EVENT_COLUMNS", "Batch", "build_batch", "create_aggregator", "write_batch"]
