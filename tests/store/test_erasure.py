"""Erasure of one person (GDPR Art. 17): every KPI afterwards equals the KPIs of the same
data loaded without that person into a second store, and the pseudonym is nowhere in
the store (every string column of every table scanned)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from clickhouse_connect.driver.client import Client
from pydantic import SecretStr

from skillpulse.config import Settings
from skillpulse.kpi import KpiParams
from skillpulse.kpi.catalogue import METRICS, compute
from skillpulse.pseudonym import Pseudonymiser
from skillpulse.store import apply_migrations, erasure, open_store
from skillpulse.store.erasure import erase_user, erasure_key, receipts, rows_holding, string_columns
from skillpulse.store.rollups import refresh_pending
from tests.factories import record_json, store_records

TOOLS, TUBE = "skilltech.tools", "skilltech.tube"
PARAMS = KpiParams(start=date(2026, 2, 1), end=date(2026, 4, 30), platforms=(TOOLS, TUBE))
ERASED = ("teacher-7@school.lu", TOOLS)  # the person who asks to be erased
SECRET = b"erasure-test-secret-" + b"k" * 32


def _key(user: str, platform: str) -> str:
    return Pseudonymiser(SECRET).user_key(platform, user)


def _event(kind: str, user: str, platform: str, when: str, n: int, **fields: Any) -> bytes:
    # Event ids from the user and n: the same event in both stores.
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{platform}/{user}/{n}"))
    return record_json(kind, user_key=_key(user, platform), platform=platform, occurred_at=when, event_id=event_id,
                       organisation_id="lycee-" + user[-len("x@school.lu"):][0], **fields)


def dataset() -> list[tuple[str, bytes]]:
    """(who, record value): logins, tool uses and trainings of six people on two platforms,
    the erased person alone on some days and the only user of one tool and one feature."""
    people = [(f"teacher-{n}@school.lu", TOOLS) for n in range(1, 8)] + [("pupil-1@school.lu", TUBE)]
    records: list[tuple[str, bytes]] = []
    for index, (user, platform) in enumerate(people):
        for day_of_march in range(1, 28, 1 + index % 3):
            when = f"2026-03-{day_of_march:02d}T08:00:00+01:00"
            records.append((user, _event("login", user, platform, when, len(records))))
        records.append((user, _event("tool_use", user, platform, "2026-03-10T09:00:00+01:00", len(records))))
        records.append((user, _event("training", user, platform, "2026-04-02T09:00:00+02:00", len(records))))
    who = ERASED[0]
    for offset, alone in enumerate(("2026-02-14", "2026-02-15", "2026-04-20")):  # days only the erased one was seen
        records.append((who, _event("login", who, TOOLS, f"{alone}T23:30:00+01:00", 1000 + offset)))
    records.append((who, _event("tool_use", who, TOOLS, "2026-02-14T10:00:00+01:00", 1100, tool_id="only-mine",
                                 tool_category="assessment", action="create", feature="secret-feature")))
    return records


def every_kpi(store: Client) -> dict[str, Any]:
    """Every catalogue metric over the dataset's range, both platforms."""
    return {slug: compute(slug, store, PARAMS) for slug in METRICS}


def add_dead_letter(store: Client, user_key: str) -> None:
    """A dead letter whose redacted payload still quotes a pseudonym (a safe field)."""
    store.insert("rejected_events", [["aggregator", "schema", "type", TOOLS, "", "events", 0, 1,
                                      f'{{"user_key":"{user_key}","type":"login"}}']],
                 column_names=["stage", "reason", "field_path", "platform", "event_id", "topic", "kafka_partition",
                               "kafka_offset", "payload"])


@pytest.fixture
def erasing(settings: Settings) -> Settings:
    return settings.model_copy(update={"privacy": settings.privacy.model_copy(
        update={"pseudonym_key": SecretStr(SECRET.decode())})})


@pytest.fixture
def reference_store(settings: Settings) -> Iterator[Client]:
    """A second store (another database on the same engine) for the data without the person."""
    other = settings.model_copy(update={"clickhouse": settings.clickhouse.model_copy(
        update={"database": settings.clickhouse.database + "_ref"})})
    client = open_store(other)
    apply_migrations(client)
    yield client
    client.command(f"DROP DATABASE IF EXISTS {other.clickhouse.database}")
    client.close()


def test_the_pseudonym_is_the_collector_s(erasing: Settings) -> None:
    assert erasure_key(erasing, TOOLS, ERASED[0]) == _key(*ERASED)
    assert erasure_key(erasing, TUBE, ERASED[0]) != _key(*ERASED)  # one person per platform


def test_after_erasure_every_kpi_equals_the_data_loaded_without_the_person(store: Client,
                                                                            reference_store: Client) -> None:
    records = dataset()
    erased = _key(*ERASED)
    store_records(store, [value for _, value in records])
    add_dead_letter(store, erased)
    add_dead_letter(store, _key("teacher-1@school.lu", TOOLS))
    before = every_kpi(store)
    store_records(reference_store, [value for who, value in records if who != ERASED[0]])
    add_dead_letter(reference_store, _key("teacher-1@school.lu", TOOLS))
    reference = every_kpi(reference_store)
    assert before != reference  # the person counts in the figures: the test can fail

    holding = rows_holding(store, erased)
    assert {"events", "login_days", "user_days", "user_activity", "rejected_events"} <= holding.keys()
    receipt = erase_user(store, TOOLS, erased, requested_by="operator")
    refresh_pending(store, wait_for_visibility=False)

    assert every_kpi(store) == reference
    assert rows_holding(store, erased) == {}
    ours = sum(1 for who, _ in records if who == ERASED[0])
    assert receipt.rows_removed["events"] == receipt.rows_removed["event_ids"] == ours
    assert receipt.rows_removed["rejected_events"] == 1 and receipt.finished
    assert date(2026, 2, 14) in receipt.days and "only-mine" in receipt.tools
    for table in ("events", "event_ids", "rejected_events"):
        query = f"SELECT count() FROM {table}"
        assert store.query(query).result_rows == reference_store.query(query).result_rows, table
    stored = receipts(store)
    assert [r.erasure_id for r in stored] == [receipt.erasure_id] and stored[0].rows_removed == receipt.rows_removed
    assert erased not in repr(stored)  # the receipt names no one

    again = erase_user(store, TOOLS, erased, requested_by="operator")  # idempotent
    assert again.rows_removed == {} and every_kpi(store) == reference


def test_a_table_added_later_is_found_and_erased(store: Client) -> None:
    """Tables come from system.columns: a rollup another migration adds is covered."""
    erased, kept = _key(*ERASED), _key("teacher-1@school.lu", TOOLS)
    store.command("CREATE TABLE weekly_users (platform LowCardinality(String), week Date, "
                  "user_key FixedString(64), tags Array(String)) ENGINE = MergeTree ORDER BY (platform, week)")
    store.insert("weekly_users", [[TOOLS, date(2026, 3, 2), erased, []], [TOOLS, date(2026, 3, 2), kept, []],
                                  [TOOLS, date(2026, 3, 9), "0" * 64, [f"x:{erased}"]]],
                 column_names=["platform", "week", "user_key", "tags"])
    assert "weekly_users" in {columns.table for columns in string_columns(store)}
    receipt = erase_user(store, TOOLS, erased, requested_by="platform")
    assert receipt.rows_removed == {"weekly_users": 2}
    assert store.query("SELECT toString(user_key) FROM weekly_users").result_rows == [(kept,)]


def test_the_scan_finds_a_pseudonym_the_erasure_did_not_reach(store: Client) -> None:
    """The 'nowhere in the store' check can fail: a row written after the erasure (or a
    table it could not see) is reported with its table."""
    erased = _key(*ERASED)
    store_records(store, [value for who, value in dataset() if who == ERASED[0]])
    erase_user(store, TOOLS, erased, requested_by="operator")
    assert rows_holding(store, erased) == {}
    store.command("CREATE TABLE notes (note Nullable(String)) ENGINE = MergeTree ORDER BY tuple()")
    store.insert("notes", [[f"user {erased} asked"]], column_names=["note"])
    assert rows_holding(store, erased) == {"notes": 1}


def test_an_interrupted_erasure_has_its_figures_recomputed(store: Client, reference_store: Client,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after the receipt and the deletions, before the recount: the next erasure
    (of anyone) recounts the days and tools its receipt names."""
    records = dataset()
    erased = _key(*ERASED)
    store_records(store, [value for _, value in records])
    store_records(reference_store, [value for who, value in records if who != ERASED[0]])

    def crash(*_: object) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patched:
        patched.setattr(erasure, "_recompute_aggregates", crash)
        with pytest.raises(RuntimeError):
            erase_user(store, TOOLS, erased, requested_by="operator")
    assert not receipts(store)[0].finished
    assert every_kpi(store) != every_kpi(reference_store)  # stale aggregates: the test can fail
    erase_user(store, TOOLS, _key("nobody@school.lu", TOOLS), requested_by="operator")
    refresh_pending(store, wait_for_visibility=False)
    assert every_kpi(store) == every_kpi(reference_store)
    assert all(receipt.finished for receipt in receipts(store))
