"""`skillpulse report --agreement 2026-2029` as a separate process on an empty data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.reading import ReportReader
from tests.report.test_cli import _skillpulse

pytestmark = pytest.mark.integration


def test_the_agreement_command_writes_figures_to_date_and_refuses_mixed_options(tmp_path: Path) -> None:
    out = tmp_path / "agreement.html"
    done = _skillpulse(tmp_path / "data", "report", "--agreement", "2026-2029", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"wrote {out}: agreement 2026-2029, figures as of ")
    assert "MA4 0 distinct users trained; B2 at risk, MA4 at risk, MC4 at risk, MP2 at risk" in done.stdout
    page = ReportReader(out.read_text(encoding="utf-8"))
    assert "in-progress" in page.facts and "no-data" in page.facts
    assert page.table("period")["MA4@2026-2029"].value("value") == "0"
    both = _skillpulse(tmp_path / "data", "report", "--agreement", "2026-2029", "--year", "2026", "--out",
                       str(tmp_path / "both.html"))
    assert both.returncode == 2 and "--year and --agreement are two reports: give one." in both.stderr
    unknown = _skillpulse(tmp_path / "data", "report", "--agreement", "2030-2033", "--out", str(out))
    assert unknown.returncode == 2 and "'2030-2033' is not '2026-2029'" in unknown.stderr
