"""Typed settings, one class per concern, read from `SKILLPULSE_*` environment variables.

`get_settings()` is cached; tests and the CLI build their own `Settings` (or call
`get_settings.cache_clear()`) instead of patching globals.

The classes (`settings`, pydantic-settings) load when one is first asked for: a command
that only asks the running stack needs the data dir, which `SettingsOnDemand` gives
without them when `--data-dir` names it.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from skillpulse.lazy_exports import exported_from

if TYPE_CHECKING:
    from skillpulse.config.settings import (
        AccessSettings,
        AggregatorSettings,
        ClickHouseSettings,
        CollectorSettings,
        EmbeddedBrokerSettings,
        KafkaSettings,
        KeycloakSettings,
        PathSettings,
        PrivacySettings,
        QuerySettings,
        Settings,
        XapiSettings,
        get_settings,
    )

__all__ = ["AccessSettings", "AggregatorSettings", "ClickHouseSettings", "CollectorSettings",
           "EmbeddedBrokerSettings", "KafkaSettings", "KeycloakSettings", "PathSettings", "PrivacySettings",
           "QuerySettings", "Settings", "SettingsOnDemand", "XapiSettings", "get_settings"]


__getattr__ = exported_from(__name__, "skillpulse.config.settings")


class SettingsOnDemand:
    """A command's settings, built when first read: `data_dir` is the command's
    `--data-dir` if it gave one, else `PathSettings`'s alone; `settings` the whole
    `Settings` (`get_settings()`, on that data dir)."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._data_dir = data_dir

    @classmethod
    def of(cls, settings: Settings | SettingsOnDemand) -> SettingsOnDemand:
        """`settings` as settings on demand (already built ones are kept as they are)."""
        if isinstance(settings, SettingsOnDemand):
            return settings
        built = cls(settings.paths.data_dir)
        built.__dict__["settings"] = settings  # what cached_property would have stored
        return built

    @cached_property
    def data_dir(self) -> Path:
        if self._data_dir is not None:
            return self._data_dir
        from skillpulse.config.settings import PathSettings

        return PathSettings().data_dir

    @cached_property
    def settings(self) -> Settings:
        from skillpulse.config.settings import get_settings

        settings = get_settings()
        return settings.with_data_dir(self._data_dir) if self._data_dir else settings
