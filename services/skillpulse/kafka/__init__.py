"""Kafka plumbing: the embedded tansu broker, topics, and 'is everything stored yet?'."""

from skillpulse.kafka.embedded import EmbeddedKafka
from skillpulse.kafka.topics import (
    end_offsets,
    ensure_topics,
    record_key,
    wait_until_consumed,
    wait_until_drained,
)

__all__ = ["EmbeddedKafka", "end_offsets", "ensure_topics", "record_key", "wait_until_consumed", "wait_until_drained"]
