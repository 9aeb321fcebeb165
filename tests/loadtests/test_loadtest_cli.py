"""`skillpulse loadtest` on a fresh embedded stack, as an SRE runs it (separate processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _loadtest(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict]:  # type: ignore[type-arg]
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, "-m", "skillpulse", "loadtest", "--out", str(out),
                           "--work-dir", str(tmp_path / "work"), *args],
                          capture_output=True, text=True, timeout=240)
    reports = list(out.glob("*.json"))
    assert len(reports) == 1, done.stderr[-2000:]
    assert reports[0].with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return done, json.loads(reports[0].read_text())


def test_http_load_is_stored_once_each_and_a_missed_threshold_fails_the_run(tmp_path: Path) -> None:
    done, figures = _loadtest(tmp_path, "--target", "http", "--rate", "400", "--duration", "4",
                              "--min-accepted-per-s", "1000000")
    assert done.returncode == 1 and "thresholds missed: rates.accepted_per_s" in done.stderr
    delivery = figures["delivery"]
    assert delivery["sent"] >= 1000 and delivery["acknowledged"] == delivery["sent"] - delivery["rejected"]
    assert (delivery["lost"], delivery["duplicated"], delivery["unexpected"]) == (0, 0, 0)
    assert delivery["stored"] == delivery["acknowledged"]
    received_to_stored = figures["freshness"]["received_to_stored_s"]
    assert 0 <= received_to_stored["p50"] <= received_to_stored["p99"]
    assert set(figures["processes"]) == {"load generator", "collector", "aggregator", "broker (tansu)"}
    assert all(p["peak_rss_mb"] > 0 for p in figures["processes"].values())
    assert figures["baseline"]["rows"] == delivery["stored"] and figures["baseline"]["events_per_s"] > 0


def test_kafka_load_reaches_the_aggregator_alone(tmp_path: Path) -> None:
    done, figures = _loadtest(tmp_path, "--target", "kafka", "--rate", "2000", "--duration", "3", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["delivery"] == figures["delivery"]
    assert figures["delivery"]["stored"] == figures["delivery"]["sent"] >= 4000
    assert (figures["delivery"]["lost"], figures["delivery"]["duplicated"]) == (0, 0)
    assert "collector" not in figures["processes"] and figures["lag"]["drain_after_stop_s"] >= 0
