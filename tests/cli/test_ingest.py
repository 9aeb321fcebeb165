"""`skillpulse ingest`: progress only on a terminal and never with --json; a stack started
for the command takes a free port when the configured one is held by another process."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from skillpulse.cli.ingest import Progress, progress_stream


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_goes_to_a_terminal_only_and_never_with_json() -> None:
    assert progress_stream(_Terminal(), as_json=False) is not None
    assert progress_stream(_Terminal(), as_json=True) is None
    assert progress_stream(io.StringIO(), as_json=False) is None


def test_the_progress_line_says_sent_stored_rate_and_eta() -> None:
    progress = Progress(total=1000, started=100.0)
    assert progress.line(250, 200, 110.0) == "sent 250/1,000  stored 200  25 events/s  ETA 30s"
    assert progress.line(1000, 1000, 120.0).endswith("ETA -")
    assert progress.line(0, 0, 100.0).endswith("0 events/s  ETA -")


@pytest.mark.integration
def test_ingest_takes_a_free_port_when_the_configured_one_is_held(tmp_path: Path) -> None:
    """Another process listens on the configured port: the command's own stack listens
    elsewhere, says where on stderr, and stdout stays the JSON summary alone."""
    events = tmp_path / "events.ndjson"
    events.write_text("".join(json.dumps({"event_id": str(uuid.uuid4()), "type": "login",
                                          "occurred_at": "2026-01-05T10:00:00Z", "user_id": f"u{n}"}) + "\n"
                              for n in range(3)))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        held = holder.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")}
        env["SKILLPULSE_COLLECTOR_PORT"] = str(held)
        done = subprocess.run([sys.executable, "-m", "skillpulse", "--data-dir", str(tmp_path / "data"), "ingest",
                               str(events), "--source", "skilltech.tools"],
                              capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)  # nothing but the summary
    assert (summary["sent"], summary["accepted"], summary["rejected"]) == (3, 3, 0)
    assert f"port {held} is taken: the stack of this command listens on port " in done.stderr
    assert "events/s" not in done.stderr  # not a terminal: no progress line
