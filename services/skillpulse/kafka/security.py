"""How a Kafka client of the stack authenticates: the one place that turns KafkaSettings
into aiokafka options and FastStream's `security=` object, so every client (roles, admin
calls, samplers, load tests, tests) connects the same way.

The embedded tansu 0.6 broker runs without authentication: its `--authentication` admits
a client that ignores the server's SCRAM verdict, and users can only be created by an
already authenticated client (see the note in embedded.py). It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import ssl
from typing import Any

from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from skillpulse.config import KafkaSettings
from skillpulse.errors import SkillpulseError


class KafkaSecurityError(SkillpulseError, ValueError):
    """The Kafka security settings do not fit together."""


def _uses_sasl(kafka: KafkaSettings) -> bool:
    return kafka.security_protocol.startswith("SASL_")


def _uses_ssl(kafka: KafkaSettings) -> bool:
    return kafka.security_protocol.endswith("SSL")


def _credentials(kafka: KafkaSettings) -> tuple[str, str]:
    if not kafka.sasl_username or kafka.sasl_password is None:
        raise KafkaSecurityError(f"SKILLPULSE_KAFKA_SECURITY_PROTOCOL={kafka.security_protocol} needs "
                                 "SKILLPULSE_KAFKA_SASL_USERNAME and SKILLPULSE_KAFKA_SASL_PASSWORD")
    return kafka.sasl_username, kafka.sasl_password.get_secret_value()


def _ssl_context(kafka: KafkaSettings) -> ssl.SSLContext | None:
    if not _uses_ssl(kafka):
        return None
    return ssl.create_default_context(cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None)


def client_options(kafka: KafkaSettings | None) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaProducer / AIOKafkaConsumer / AIOKafkaAdminClient.
    None: no authentication (a caller without settings, the embedded broker)."""
    if kafka is None or kafka.security_protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": kafka.security_protocol}
    if (context := _ssl_context(kafka)) is not None:
        options["ssl_context"] = context
    if _uses_sasl(kafka):
        username, password = _credentials(kafka)
        options.update(sasl_mechanism=kafka.sasl_mechanism, sasl_plain_username=username,
                       sasl_plain_password=password)
    return options


def broker_security(kafka: KafkaSettings) -> BaseSecurity | None:
    """FastStream's `KafkaBroker(security=...)` for the same settings."""
    if kafka.security_protocol == "PLAINTEXT":
        return None
    context, use_ssl = _ssl_context(kafka), _uses_ssl(kafka)
    if not _uses_sasl(kafka):
        return BaseSecurity(ssl_context=context, use_ssl=use_ssl)
    username, password = _credentials(kafka)
    sasl = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}
    return sasl[kafka.sasl_mechanism](username, password, ssl_context=context, use_ssl=use_ssl)
