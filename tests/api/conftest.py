"""Fixtures of the route tests."""

import pytest

from skillpulse.health.stats import CollectorStats
from skillpulse.telemetry import DISABLED


@pytest.fixture
def stats() -> CollectorStats:
    """The collector's counts, read back with `drain()` (no metrics exporter)."""
    return CollectorStats(DISABLED.meter)
