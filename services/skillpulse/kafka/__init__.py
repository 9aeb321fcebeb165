"""Kafka plumbing: the embedded tansu broker, how clients authenticate, topics, and 'is everything stored yet?'."""

from skillpulse.kafka.embedded import EmbeddedKafka
from skillpulse.kafka.security import broker_security, client_options
from skillpulse.kafka.topics import (
    end_offsets,
    ensure_topics,
    record_key,
    wait_until_consumed,
    wait_until_drained,
)

__all__ = ["EmbeddedKafka", "broker_security", "client_options", "end_offsets", "ensure_topics", "record_key",
           "wait_until_consumed", "wait_until_drained"]
