"""`skillpulse report verify`: "unchanged" on an untouched store; the figures a late event or
a void changed, named with their reason; a modified or foreign file refused."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client

from skillpulse.cli.report_verify import CHANGED_EXIT_CODE, format_verification, verify
from skillpulse.config import Settings
from skillpulse.report.agreement_write import write_agreement_report
from skillpulse.report.annual import write_annual_report
from skillpulse.report.snapshot_store import lookup
from skillpulse.report.sources import store_sources
from skillpulse.report.verify import Verification, VerifyError, verify_report
from skillpulse.store.erasure import erase_user
from tests.aggregator.test_voids import void
from tests.factories import login, record_json, store_records
from tests.report.dataset import AFTER_THE_YEAR, LOGINS, OTHER_EVENTS, TOOLS, user_key

pytestmark = pytest.mark.integration

TRAINING_ID = str(uuid.uuid4())  # a completion the report counts, which a platform then voids


@pytest.fixture
def report_file(store: Client, settings: Settings, tmp_path: Path) -> Path:
    completion = record_json("training", user_key=user_key("user-v"), occurred_at="2026-08-03T10:00:00+02:00",
                             event_id=TRAINING_ID, training_id="ai-9", status="completed")
    store_records(store, [*LOGINS, *OTHER_EVENTS, completion])
    out = tmp_path / "report-2026.html"
    write_annual_report(settings, year=2026, platforms=TOOLS, out=out, now=AFTER_THE_YEAR,
                        sources=store_sources(store))
    time.sleep(0.01)  # what is stored from now on has a later stored_at (milliseconds) than the watermark
    return out


def _verify(store: Client, path: Path) -> Verification:
    return verify_report(path, lambda sha256, named: lookup(store, sha256, named), store_sources(store))


def test_an_untouched_store_verifies_unchanged(store: Client, report_file: Path) -> None:
    done = _verify(store, report_file)
    assert done.status == "unchanged" and done.changed == [] and done.figures > 40
    assert done.causes.late_events == 0 and done.causes.voided_statements == 0
    assert "unchanged: all" in format_verification(done)


def test_a_late_event_names_the_figures_it_changed(store: Client, report_file: Path) -> None:
    store_records(store, [login("user-late", "2026-03-10T10:00:00+01:00")])  # a March login, stored after the report
    done = _verify(store, report_file)
    assert done.status == "changed" and done.causes.late_events == 1
    assert done.causes.late_events_by_month == {"2026-03": 1}
    changed = {change.key: change for change in done.changed}
    assert set(changed) == {"logins@2026-03", "mau@2026-03"}  # logins in March, MAU on 31 March; not B2 (one login)
    assert (changed["logins@2026-03"].before, changed["logins@2026-03"].after) == (0, 1)
    assert changed["logins@2026-03"].reasons == ["late events: 1 (of 2026-03)"]
    text = format_verification(done)
    assert "logins@2026-03" in text and "late events: 1" in text
    assert "skillpulse kpi logins --from 2026-03-01 --to 2026-03-31 --platform skilltech.tools" in text


def test_a_late_event_of_another_year_or_platform_changes_nothing(store: Client, report_file: Path) -> None:
    store_records(store, [login("user-late", "2027-01-10T10:00:00+01:00"),
                          login("user-late", "2026-03-10T10:00:00+01:00", platform="skilltech.tube")])
    done = _verify(store, report_file)
    assert done.status == "unchanged" and done.causes.late_events == 0


def test_a_voided_statement_is_named_as_the_reason(store: Client, report_file: Path) -> None:
    store_records(store, [void(TRAINING_ID)])
    done = _verify(store, report_file)
    changed = {change.key: change for change in done.changed}
    assert done.causes.voided_statements == 1
    assert changed["training-funnel@2026/completed"].before == 2
    assert changed["training-funnel@2026/completed"].after == 1
    assert "voided statements: 1" in changed["training-funnel@2026/completed"].reasons


def test_a_modified_file_and_a_foreign_file_are_refused(store: Client, report_file: Path, tmp_path: Path) -> None:
    modified = tmp_path / "modified.html"
    modified.write_text(report_file.read_text(encoding="utf-8").replace("<h1>", "<h1>Draft "), encoding="utf-8")
    with pytest.raises(VerifyError, match="was modified after it was generated"):
        _verify(store, modified)
    foreign = tmp_path / "foreign.html"
    foreign.write_text("<html><body>not ours</body></html>", encoding="utf-8")
    with pytest.raises(VerifyError, match="no report snapshot has this file's SHA-256"):
        _verify(store, foreign)


def test_the_command_answers_json_and_its_exit_status(store: Client, settings: Settings, report_file: Path,
                                                     tmp_path: Path) -> None:
    runner = CliRunner()
    unchanged = runner.invoke(verify, [str(report_file), "--json"], obj=settings)
    assert unchanged.exit_code == 0, unchanged.output
    assert json.loads(unchanged.output)["status"] == "unchanged"
    store_records(store, [login("user-late", "2026-03-10T10:00:00+01:00")])
    changed = runner.invoke(verify, [str(report_file)], obj=settings)
    assert changed.exit_code == CHANGED_EXIT_CODE and "late events: 1" in changed.output
    modified = tmp_path / "modified.html"
    modified.write_bytes(report_file.read_bytes() + b"\n")
    refused = runner.invoke(verify, [str(modified), "--json"], obj=settings)
    assert refused.exit_code == 1 and json.loads(refused.output)["status"] == "error"


def test_an_agreement_report_verifies_through_the_same_command(store: Client, settings: Settings,
                                                              tmp_path: Path) -> None:
    store_records(store, [*LOGINS, *OTHER_EVENTS])
    out = tmp_path / "agreement.html"
    write_agreement_report(settings, name="2026-2029", platforms=TOOLS, out=out, now=AFTER_THE_YEAR,
                           sources=store_sources(store))
    assert _verify(store, out).status == "unchanged"
    time.sleep(0.01)
    store_records(store, [login("user-late", "2026-12-15T10:00:00+01:00"),  # active on 31 December 2026
                          login("user-late", "2026-12-20T10:00:00+01:00")])
    done = _verify(store, out)
    assert done.kind == "agreement" and done.status == "changed" and done.causes.late_events == 2
    changed = {change.key: change for change in done.changed}
    assert (changed["B2@2026-12-31"].before, changed["B2@2026-12-31"].after) == (3, 4), sorted(changed)
    assert all(change.reasons == ["late events: 2"] for change in done.changed)


def test_an_erasure_is_named_with_its_receipt(store: Client, report_file: Path) -> None:
    receipt = erase_user(store, "skilltech.tools", user_key("user-ana"), requested_by="operator")  # 1 and 31 Dec
    done = _verify(store, report_file)
    [erasure] = done.causes.erasures or []
    assert erasure.months == ["2026-12"] and erasure.rows_removed == sum(receipt.rows_removed.values()) > 0
    changed = {change.key: change for change in done.changed}
    assert (changed["B2@2026/end"].before, changed["B2@2026/end"].after) == (3, 2)
    assert (changed["logins@2026-12"].before, changed["logins@2026-12"].after) == (8, 6)
    expected = f"erasure on {receipt.requested_at.date().isoformat()} (skilltech.tools): {erasure.rows_removed} rows"
    assert changed["logins@2026-12"].reasons == [f"{expected} removed"]
    assert "user-ana" not in done.model_dump_json() and user_key("user-ana") not in done.model_dump_json()
