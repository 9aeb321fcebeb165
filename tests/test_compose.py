"""docker-compose.yml cannot be started here (no Docker engine): check it by parsing."""

from pathlib import Path

import yaml
from pydantic_settings import BaseSettings

from skillpulse.config import Settings

COMPOSE = yaml.safe_load((Path(__file__).parents[1] / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
JOBS = {"migrate"}


def _setting_env_names() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        group: type[BaseSettings] = field.annotation  # type: ignore[assignment]
        prefix = group.model_config.get("env_prefix", "")
        names |= {f"{prefix}{name}".upper() for name in group.model_fields}
    return names


def test_images_are_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image", "")
        assert ":" in image and not image.endswith(":latest"), f"{name}: image {image!r} not pinned"


def test_every_server_has_a_healthcheck_and_waits_on_health() -> None:
    for name, service in SERVICES.items():
        if name in JOBS:
            continue
        assert "healthcheck" in service, f"{name} has no healthcheck"
        for dependency, condition in service.get("depends_on", {}).items():
            expected = "service_completed_successfully" if dependency in JOBS else "service_healthy"
            assert condition["condition"] == expected, f"{name} → {dependency}"


def test_ports_bind_to_loopback() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_env_names_are_settings_the_code_reads_and_secrets_come_from_env() -> None:
    known = _setting_env_names()
    for name, service in SERVICES.items():
        for variable, value in (service.get("environment") or {}).items():
            if variable.startswith("SKILLPULSE_"):
                assert variable in known, f"{name}: {variable} is read by no setting"
            if any(word in variable for word in ("PASSWORD", "KEY")):
                assert str(value).startswith("${"), f"{name}: {variable} hard-coded"


def test_two_aggregator_replicas_share_one_group() -> None:
    aggregator = SERVICES["aggregator"]
    assert aggregator["deploy"]["replicas"] == 2
    assert "SKILLPULSE_AGGREGATOR_GROUP_ID" not in aggregator["environment"]  # same default group
