"""PDF through headless Chromium: printed when it is installed, a clear error when not."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from skillpulse.report.errors import ReportError
from skillpulse.report.page import page
from skillpulse.report.pdf import find_chromium, print_pdf


def test_without_chromium_on_path_the_error_says_what_to_install(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no browser on it
    with pytest.raises(ReportError, match=r"--pdf needs Chromium.*apt-get install chromium"):
        find_chromium()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (CI installs it)")
def test_chromium_prints_the_page_to_pdf(tmp_path: Path) -> None:
    html_file, pdf_file = tmp_path / "report.html", tmp_path / "report.pdf"
    html_file.write_text(page("Report", "<h1>Annual KPI report</h1><p>B2 on 31 December: 3</p>"), encoding="utf-8")
    pdf_file.write_bytes(b"stale")
    print_pdf(html_file, pdf_file, find_chromium())
    assert pdf_file.read_bytes().startswith(b"%PDF-") and pdf_file.stat().st_size > 1000
