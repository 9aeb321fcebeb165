"""The README's promises through the real `skillpulse` command, as separate processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from datetime import date, datetime
from pathlib import Path

import pytest

from tests.kpi.reference import active_users_reference

pytestmark = pytest.mark.integration


def _skillpulse(data_dir: Path, *args: str) -> str:
    # The memory broker: `ingest` waits until everything is stored, so nothing here needs
    # the broker to outlive a kill (tests/faults/test_broker_kill.py runs the durable one).
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKILLPULSE_")} | {
        "SKILLPULSE_BROKER_STORAGE": "memory"}
    done = subprocess.run([sys.executable, "-m", "skillpulse", "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ingest_then_kpi_gives_b2_exactly(tmp_path: Path) -> None:
    resent = str(uuid.uuid4())
    # (user, occurred_at, event_id) — Luxembourg day edges, a resend, another platform's key not used here
    rows = [
        ("ana", "2025-12-31T23:30:00Z", None),        # 1 Jan 2026 in Luxembourg
        ("ana", "2026-01-01T12:00:00+01:00", None),
        ("ben", "2025-12-31T22:30:00Z", None),        # still 31 Dec
        ("ben", "2026-03-01T08:00:00+01:00", None),   # 60 days later: not active
        ("cai", "2026-01-15T08:00:00+01:00", resent),
        ("cai", "2026-01-15T08:00:00+01:00", resent),  # resent: one connection only
        ("dan", "2026-03-28T23:30:00Z", None),        # 29 Mar (DST day)
        ("dan", "2026-05-27T21:30:00Z", None),        # 27 May 23:30 local
    ]
    lines = [json.dumps({"event_id": eid or str(uuid.uuid4()), "type": "login", "occurred_at": when, "user_id": user})
             for user, when, eid in rows]
    lines.append('{"broken json')
    lines.append(json.dumps({"type": "login", "user_id": "eve"}))
    events_file = tmp_path / "events.ndjson"
    events_file.write_text("\n".join(lines) + "\n")

    summary = json.loads(_skillpulse(tmp_path / "data", "ingest", str(events_file), "--source", "skilltech.tools"))
    assert (summary["sent"], summary["accepted"], summary["rejected"]) == (9, 8, 2)
    assert summary["unreadable_lines"] == [9]

    out = _skillpulse(tmp_path / "data", "kpi", "active-users", "--from", "2025-12-01", "--to", "2026-06-30", "--json")
    series = json.loads(out)
    logins = [(eid or f"x{i}", "skilltech.tools", user, datetime.fromisoformat(when))
              for i, (user, when, eid) in enumerate(rows)]
    assert series == active_users_reference(logins, date(2025, 12, 1), date(2026, 6, 30))
    by_day = {row["day"]: row["active_users"] for row in series}
    assert (by_day["2025-12-31"], by_day["2026-01-01"], by_day["2026-03-01"]) == (0, 1, 1)  # ana, not ben
    assert by_day["2026-01-15"] == 1  # ana only: cai's resend is one connection
    assert by_day["2026-05-27"] == 1  # dan: 29 Mar local + 59 days

    keys = _skillpulse(tmp_path / "data", "keys")
    assert {line.split("\t")[0] for line in keys.splitlines()} == {"skilltech.tools", "skilltech.tube",
                                                                  "skilltech.cafe"}
    assert oct((tmp_path / "data" / "api-keys.txt").stat().st_mode & 0o777) == "0o600"


def test_demo_prints_the_kpi_table_with_nothing_missing(tmp_path: Path) -> None:
    out = _skillpulse(tmp_path / "data", "demo", "--users", "300", "--days", "20", "--seed", "7")
    assert "(0 missing)" in out
    b2 = re.search(r"^B2 +Active users \(B2\) +(\d+) +1600 ", out, re.MULTILINE)
    assert b2 is not None and 0 < int(b2.group(1)) <= 300
    assert "stack stopped" in out

