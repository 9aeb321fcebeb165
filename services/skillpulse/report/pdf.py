"""PDF from the HTML report with headless Chromium (`--print-to-pdf`), when it is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from skillpulse.report.errors import ReportError

BROWSERS = ("chromium", "chromium-browser")


def find_chromium() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise ReportError("--pdf needs Chromium, which is not on PATH (Debian: apt-get install chromium); "
                      "leave out --pdf to write the HTML report only")


def print_pdf(html_file: Path, pdf_file: Path, browser: str, timeout_s: float = 120) -> None:
    pdf_file.unlink(missing_ok=True)  # so a stale file cannot pass for this run's output
    with tempfile.TemporaryDirectory(prefix="skillpulse-chromium-") as profile:
        command = [browser, "--headless", "--disable-gpu", f"--user-data-dir={profile}", "--no-pdf-header-footer",
                   f"--print-to-pdf={pdf_file.resolve()}", html_file.resolve().as_uri()]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium refuses root otherwise; the page is ours and has no script
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise ReportError(f"Chromium did not print {pdf_file} within {timeout_s:.0f} s") from None
    if not pdf_file.is_file() or not pdf_file.read_bytes().startswith(b"%PDF"):
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise ReportError(f"Chromium did not write {pdf_file} (exit {done.returncode}): {tail}")
