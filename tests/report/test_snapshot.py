"""Every report written stores its snapshot (agreement Art. 12): the SHA-256 of the final
bytes, every figure the report states, the parameters, the data watermark; kept until the
end of 2034 at least (read from the store's own description of the table)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from clickhouse_connect.driver.client import Client
from pydantic import ValidationError

from skillpulse.api.report_snapshots import MAX_BODY_BYTES
from skillpulse.app import Stack
from skillpulse.cli.report_verify import verify
from skillpulse.config import Settings
from skillpulse.credentials import local_operator_token
from skillpulse.report.annual import write_annual_report
from skillpulse.report.snapshot import SNAPSHOT_ROUTE, ReportSnapshot, annual_figures, snapshot_id_in, software_version
from skillpulse.report.snapshot_store import find_snapshot
from skillpulse.report.sources import store_sources
from tests.factories import store_records
from tests.report.dataset import (
    AFTER_THE_YEAR,
    B2_ON_31_DECEMBER,
    B2_PEAK,
    FUNNEL,
    LOGINS,
    LOGINS_PER_MONTH,
    MAU_AT_MONTH_END,
    OTHER_EVENTS,
    TOOLS,
    USERS,
    user_key,
)

pytestmark = pytest.mark.integration

KEPT_AT_LEAST_UNTIL = datetime(2035, 1, 1, tzinfo=UTC)  # 31 December 2034 included: Art. 12, five years after 2029


@pytest.fixture
def loaded(store: Client) -> Client:
    store_records(store, LOGINS + OTHER_EVENTS)
    return store


def test_a_report_stores_its_snapshot_with_the_file_s_hash_and_figures(loaded: Client, settings: Settings,
                                                                       tmp_path: Path) -> None:
    out = tmp_path / "report-2026.html"
    report = write_annual_report(settings, year=2026, platforms=TOOLS, out=out, now=AFTER_THE_YEAR)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    snapshot = find_snapshot(loaded, digest, None)
    assert snapshot is not None and snapshot.kind == "annual"
    assert snapshot.file_sha256 == digest and snapshot.pdf_sha256 is None
    assert snapshot_id_in(out) == snapshot.snapshot_id  # the footer names it
    assert snapshot.figures == annual_figures(report)
    assert snapshot.generated_at == AFTER_THE_YEAR and snapshot.software_version == software_version()
    newest = loaded.query("SELECT max(stored_at) FROM events WHERE platform = 'skilltech.tools'").result_rows[0][0]
    assert snapshot.data_watermark == newest.replace(tzinfo=UTC)
    assert snapshot.parameters == {"year": 2026, "platforms": list(TOOLS), "from": "2026-01-01", "to": "2026-12-31",
                                   "generated_at": AFTER_THE_YEAR.isoformat(), "manual_inputs": None}
    stored = loaded.query("SELECT parameters, arrayStringConcat(figures.key, ' '), arrayStringConcat(figures.command, "
                          "' ') FROM report_snapshots").result_rows
    assert len(stored) == 1
    for user in USERS:  # aggregates only: no user identifier or pseudonym in the audit trail
        assert all(user not in text and user_key(user) not in text for text in stored[0])


def test_the_figures_are_every_figure_the_report_states(loaded: Client) -> None:
    from skillpulse.report.collect import collect_annual_report

    report = collect_annual_report(store_sources(loaded), year=2026, platforms=TOOLS, manual=None,
                                   now=AFTER_THE_YEAR)
    figures = {figure.key: figure for figure in annual_figures(report)}
    assert len(figures) == len(annual_figures(report))  # keys are unique
    assert figures["B2@2026/end"].value == B2_ON_31_DECEMBER and figures["B2@2026/peak"].value == B2_PEAK
    assert figures["B2@2026/end"].command == ("skillpulse kpi active-users-yearly --from 2026-01-01 --to 2026-12-31 "
                                              "--platform skilltech.tools")
    months = [f"2026-{month:02d}" for month in range(1, 13)]
    assert {key: figures[f"logins@{key}"].value for key in months} == {
        key: LOGINS_PER_MONTH.get(key, 0) for key in months}
    assert {key: figures[f"mau@{key}"].value for key in months} == MAU_AT_MONTH_END
    assert {status: figures[f"training-funnel@2026/{status}"].value for status in FUNNEL} == FUNNEL
    for row in report.summary["rows"]:
        if row["id"] != "B2":
            assert figures[f"{row['metric']}@2026"].value == row["value"]
    assert figures["MV2@2026"].value is None and figures["FIN1@2026"].value is None  # not provided: no number
    assert all(key.startswith("articles@2026-") for key in figures if key.startswith("articles@"))


def _ttl_expression(store: Client) -> str:
    [(engine_full,)] = store.query("SELECT engine_full FROM system.tables WHERE database = currentDatabase() "
                                   "AND name = 'report_snapshots'").result_rows
    found = re.search(r"\bTTL (.+?)(?: SETTINGS |$)", engine_full)
    assert found, engine_full
    return found.group(1)


def test_snapshots_are_kept_until_the_end_of_2034_at_least(store: Client) -> None:
    expression = _ttl_expression(store)
    for generated_at in ("1970-01-01 00:00:00", "2025-03-01 00:00:00", "2030-04-30 00:00:00"):  # one store: one test
        [(expires,)] = store.query(f"SELECT {expression} FROM (SELECT toDateTime64({{at:String}}, 3, 'UTC') "
                                   "AS generated_at)", parameters={"at": generated_at}).result_rows
        assert expires.replace(tzinfo=UTC) >= KEPT_AT_LEAST_UNTIL, generated_at
    [(later,)] = store.query(f"SELECT {expression} FROM (SELECT toDateTime64('2031-06-01 00:00:00', 3, 'UTC') "
                             "AS generated_at)").result_rows
    assert later.replace(tzinfo=UTC) == datetime(2041, 6, 1, tzinfo=UTC)  # ten years after a later report
    columns_with_ttl = store.query("SELECT name FROM system.columns WHERE database = currentDatabase() "
                                   "AND table = 'report_snapshots' AND default_kind = 'TTL'").result_rows
    assert columns_with_ttl == []
    create = store.query("SELECT create_table_query FROM system.tables WHERE database = currentDatabase() "
                         "AND name = 'report_snapshots'").result_rows[0][0]
    assert create.count(" TTL ") == 1  # one table TTL, the one evaluated above; no column or DELETE WHERE TTL


async def test_with_a_running_stack_the_snapshot_goes_through_its_operator_route(settings: Settings, store: Client,
                                                                                 tmp_path: Path) -> None:
    store_records(store, LOGINS + OTHER_EVENTS)
    out = tmp_path / "report-2026.html"
    async with Stack(settings) as stack:
        # Threads: the report's and verify's HTTP calls are blocking, and this loop serves them.
        await asyncio.to_thread(write_annual_report, settings, year=2026, platforms=TOOLS, out=out,
                                now=AFTER_THE_YEAR)
        verified = await asyncio.to_thread(CliRunner().invoke, verify, [str(out), "--json"], obj=settings)
        operator = {"Authorization": f"Bearer {local_operator_token(settings.paths.data_dir)}"}
        async with httpx.AsyncClient(base_url=stack.url, timeout=60) as client:
            anonymous = await client.post(SNAPSHOT_ROUTE, json={})
            basic = await client.post(SNAPSHOT_ROUTE, json={}, auth=("operator", operator["Authorization"][7:]))
            hostile = await client.post(SNAPSHOT_ROUTE, headers=operator, json={
                "snapshot_id": "not-a-uuid", "kind": "<script>", "figures": [], "parameters": {}})
            too_large = await client.post(SNAPSHOT_ROUTE, headers={**operator, "Content-Type": "application/json"},
                                          content=b"[" + b" " * (MAX_BODY_BYTES + 1) + b"]")
            unknown = await client.get(f"{SNAPSHOT_ROUTE}/{'0' * 64}", headers=operator)
            document = (await client.get("/openapi.json", headers=operator)).json()
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.output)["status"] == "unchanged"
    snapshot = find_snapshot(store, hashlib.sha256(out.read_bytes()).hexdigest(), None)
    assert snapshot is not None and snapshot.snapshot_id == snapshot_id_in(out)  # stored by the stack's process
    assert anonymous.status_code == 401 and basic.status_code == 401  # Bearer only: it changes state
    assert hostile.status_code == 422 and "<script>" not in hostile.text and "not-a-uuid" not in hostile.text
    assert {error["loc"][0] for error in hostile.json()["errors"]} >= {"snapshot_id", "kind"}
    assert too_large.status_code == 413
    assert unknown.status_code == 200 and unknown.json() == {"snapshot": None, "causes": None}
    posted = document["paths"][SNAPSHOT_ROUTE]["post"]
    assert "file_sha256" in json.dumps(posted["requestBody"]) and {"413", "422"} <= set(posted["responses"])
    assert "#/components/schemas/ReportFigure" in json.dumps(posted["requestBody"])
    assert "ReportFigure" in document["components"]["schemas"]  # where the body's $ref points


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "snapshot_id": str(uuid.uuid4()), "kind": "annual", "figures": [],
        "parameters": {"platforms": ["skilltech.tools"], "from": "2026-01-01", "to": "2026-12-31"},
        "data_watermark": None, "software_version": "0.1.0", "file_sha256": "0" * 64,
        "generated_at": "2027-02-01T10:00:00Z"}
    return body | changes


@pytest.mark.parametrize("changes", [
    {"parameters": {"year": 2026}},  # no scope: verify could not say what changed since
    {"parameters": {"platforms": ["skilltech.tools"], "from": "2026-01-01", "to": "9999-12-31"}},
    {"generated_at": "2300-01-01T00:00:00Z"},  # beyond what a DateTime (the TTL) holds
    {"generated_at": "2027-02-01T10:00:00"},  # no time zone
    {"figures": [{"key": "k", "label": "l", "value": "Infinity", "command": "c"}]},
    {"file_sha256": "A" * 64},
])
def test_a_snapshot_the_store_could_not_hold_or_explain_is_refused(changes: dict[str, object]) -> None:
    assert ReportSnapshot.model_validate(json.loads(json.dumps(_body()))).scope.end == date(2026, 12, 31)
    with pytest.raises(ValidationError):
        ReportSnapshot.model_validate_json(json.dumps(_body(**changes)))
