"""`skillpulse report` as a separate process on an empty data dir (it opens the store itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.report.reading import ReportReader

pytestmark = pytest.mark.integration


def _skillpulse(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")}
    return subprocess.run([sys.executable, "-m", "skillpulse", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_report_command_writes_the_html_and_refuses_bad_manual_inputs(tmp_path: Path) -> None:
    manual = tmp_path / "manual.toml"
    manual.write_text('year = 2026\n[indicators.MI1]\nvalue = 1\nsource = "signed contract"\n')
    out = tmp_path / "out" / "report.html"
    done = _skillpulse(tmp_path / "data", "report", "--year", "2026", "--out", str(out),
                       "--manual-inputs", str(manual), "--platform", "skilltech.tools", "--platform", "skilltech.tube")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: 2026") and "manual inputs 1 of 10 provided" in done.stdout
    page = ReportReader(out.read_text(encoding="utf-8"))
    assert page.facts["platforms"][0] == "skilltech.tools, skilltech.tube"
    assert "no-data" in page.facts  # an empty store: the report says so instead of showing bare zeros
    assert page.table("contract")["B2-year-end"].value("value") == "0"
    assert page.table("manual")["MI1"].attrs["data-status"] == "manual"
    assert page.table("manual")["MI2"].text_of("value") == "not provided"

    manual.write_text('year = 2026\n[indicators.MI1]\nvalue = "one"\nsource = "signed contract"\n')
    refused = _skillpulse(tmp_path / "data", "report", "--year", "2026", "--out", str(tmp_path / "bad.html"),
                          "--manual-inputs", str(manual))
    assert refused.returncode == 1 and not (tmp_path / "bad.html").exists()
    assert f"Error: manual inputs {manual}: indicators.MI1.value: Input should be a valid number" in refused.stderr
