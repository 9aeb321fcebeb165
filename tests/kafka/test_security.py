"""The one translation of KafkaSettings into client options (aiokafka and FastStream)."""

from __future__ import annotations

import ssl

import pytest
from faststream.security import SASLPlaintext, SASLScram512
from pydantic import SecretStr, ValidationError

from skillpulse.config import KafkaSettings
from skillpulse.kafka import broker_security, client_options
from skillpulse.kafka.security import KafkaSecurityError


def _sasl(**overrides: object) -> KafkaSettings:
    return KafkaSettings.model_validate({"security_protocol": "SASL_PLAINTEXT", "sasl_username": "collector",
                                         "sasl_password": SecretStr("pw")} | overrides)


def test_plaintext_adds_nothing() -> None:
    assert client_options(None) == {} and client_options(KafkaSettings()) == {}
    assert broker_security(KafkaSettings()) is None


def test_scram_carries_the_role_s_credentials() -> None:
    assert client_options(_sasl()) == {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512",
                                       "sasl_plain_username": "collector", "sasl_plain_password": "pw"}
    security = broker_security(_sasl())
    assert isinstance(security, SASLScram512) and not security.use_ssl
    assert (security.username, security.password) == ("collector", "pw")


def test_sasl_ssl_verifies_the_broker() -> None:
    options = client_options(_sasl(security_protocol="SASL_SSL", sasl_mechanism="PLAIN"))
    assert options["security_protocol"] == "SASL_SSL"
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED and options["ssl_context"].check_hostname
    security = broker_security(_sasl(security_protocol="SASL_SSL", sasl_mechanism="PLAIN"))
    assert isinstance(security, SASLPlaintext) and security.use_ssl


def test_sasl_without_credentials_is_refused_with_the_variables_to_set() -> None:
    with pytest.raises(KafkaSecurityError, match="SKILLPULSE_KAFKA_SASL_PASSWORD"):
        client_options(_sasl(sasl_password=None))
    with pytest.raises(KafkaSecurityError):
        broker_security(_sasl(sasl_username=None))


def test_unknown_protocols_and_mechanisms_are_refused() -> None:
    with pytest.raises(ValidationError):
        KafkaSettings(security_protocol="SASL_PLAIN")
    with pytest.raises(ValidationError):
        KafkaSettings(sasl_mechanism="GSSAPI")


def test_the_password_is_not_in_the_settings_repr() -> None:
    assert "pw" not in repr(_sasl())
