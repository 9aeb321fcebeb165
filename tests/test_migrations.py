import hashlib
import shutil
from pathlib import Path

import pytest
from clickhouse_connect.driver.client import Client

from skillpulse.store import apply_migrations, migrations
from skillpulse.store.migrations import checksum, migration_files, sql_only, statements


def test_migrations_apply_once(store: Client) -> None:  # the fixture applied them
    assert apply_migrations(store) == []
    versions = [row[0] for row in store.query("SELECT version FROM schema_migrations ORDER BY version").result_rows]
    assert versions == [version for version, _, _ in migration_files()]
    tables = {row[0] for row in store.query("SHOW TABLES").result_rows}
    assert {"events", "rejected_events"} <= tables


def test_new_applies_record_the_checksum_of_the_sql_only(store: Client) -> None:
    rows = store.query("SELECT version, checksum FROM schema_migrations").result_rows
    recorded = {version: value for version, value in rows}
    assert recorded == {m.version: checksum(m.path.read_text()) for m in migration_files()}


def _record(store: Client, version: int, recorded: str) -> None:
    store.command("ALTER TABLE schema_migrations UPDATE checksum = {c:String} WHERE version = {v:UInt32} "
                  "SETTINGS mutations_sync = 1", parameters={"c": recorded, "v": version})


def test_an_edited_migration_is_refused(store: Client) -> None:
    _record(store, 1, "x")
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        apply_migrations(store)


@pytest.fixture
def schemas_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the migrations that apply_migrations reads instead of the real ones."""
    copy = tmp_path / "schemas"
    shutil.copytree(migrations.schemas_dir() / "clickhouse", copy / "clickhouse")
    monkeypatch.setattr(migrations, "schemas_dir", lambda: copy)
    return copy / "clickhouse"


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_a_comment_or_layout_edit_is_accepted(store: Client, schemas_copy: Path) -> None:
    _edit(schemas_copy, "0001_events.sql", "-- Raw events, once each", "-- Raw events (corrected), once each")
    _edit(schemas_copy, "0001_events.sql", "ENGINE = MergeTree\n", "ENGINE = MergeTree   /* plain */\n\n\n")
    _edit(schemas_copy, "0003_activity_rollups.sql", "    user_key        FixedString(64),\n",
          "    -- the pseudonym\n    user_key  FixedString(64),  \n")
    assert apply_migrations(store) == []


@pytest.mark.parametrize(("old", "new"), [
    ("INTERVAL 9 YEAR", "INTERVAL 8 YEAR"),
    ("platform        LowCardinality(String),", "platform        String,"),
    ("non_replicated_deduplication_window = 10000;", "non_replicated_deduplication_window = 10000;\nDROP TABLE x;"),
])
def test_an_sql_edit_is_refused(store: Client, schemas_copy: Path, old: str, new: str) -> None:
    _edit(schemas_copy, "0001_events.sql", old, new)
    with pytest.raises(RuntimeError, match="0001_events.sql changed after it was applied"):
        apply_migrations(store)


def test_a_checksum_recorded_before_comments_were_ignored_is_accepted(store: Client) -> None:
    # Such stores recorded the sha256 of the whole file.
    [first] = [m for m in migration_files() if m.version == 1]
    _record(store, 1, hashlib.sha256(first.path.read_bytes()).hexdigest())
    assert apply_migrations(store) == []


def test_an_old_raw_checksum_still_guards_the_sql(store: Client, schemas_copy: Path) -> None:
    # 0003 as first applied had other comments: its raw checksum is pinned, with its SQL's.
    old_raw, _ = migrations._RAW_CHECKSUMS_RECORDED_BEFORE[3]
    _record(store, 3, old_raw)
    assert apply_migrations(store) == []
    _edit(schemas_copy, "0003_activity_rollups.sql", "ENGINE = AggregatingMergeTree", "ENGINE = MergeTree")
    with pytest.raises(RuntimeError, match="0003_activity_rollups.sql changed"):
        apply_migrations(store)


def test_the_files_applied_before_comments_were_ignored_kept_their_sql() -> None:
    files = {m.version: m.path.read_text() for m in migration_files()}
    for version, (_, sql_checksum) in migrations._RAW_CHECKSUMS_RECORDED_BEFORE.items():
        assert checksum(files[version]) == sql_checksum, f"migration {version}: its SQL changed, not just comments"


def test_sql_only_drops_comments_and_layout_but_not_quoted_text() -> None:
    assert sql_only("-- head\nCREATE  TABLE t /* x */(a\tInt8) -- tail\n\n;") == "CREATE TABLE t (a Int8) ;"
    assert sql_only("SELECT 'a -- b',  \"c /* d */\", `e--f`") == "SELECT 'a -- b', \"c /* d */\", `e--f`"
    assert sql_only("SELECT 'it''s  here'") != sql_only("SELECT 'it''s here'")
    assert sql_only("SELECT 1 - -1") != sql_only("SELECT 1 --1")


def test_statement_splitting() -> None:
    assert statements("CREATE A;\n-- c\nCREATE B;\n") == ["CREATE A", "-- c\nCREATE B"]
