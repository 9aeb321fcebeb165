import pytest

from skillpulse.store import apply_migrations
from skillpulse.store.migrations import migration_files, statements


def test_migrations_apply_once(store) -> None:  # noqa: ANN001  (fixture already applied them)
    assert apply_migrations(store) == []
    versions = [row[0] for row in store.query("SELECT version FROM schema_migrations ORDER BY version").result_rows]
    assert versions == [version for version, _, _ in migration_files()]
    tables = {row[0] for row in store.query("SHOW TABLES").result_rows}
    assert {"events", "rejected_events"} <= tables


def test_an_edited_migration_is_refused(store) -> None:  # noqa: ANN001
    store.command("ALTER TABLE schema_migrations UPDATE checksum = 'x' WHERE version = 1 SETTINGS mutations_sync = 1")
    with pytest.raises(RuntimeError, match="changed after it was applied"):
        apply_migrations(store)


def test_statement_splitting() -> None:
    assert statements("CREATE A;\n-- c\nCREATE B;\n") == ["CREATE A", "-- c\nCREATE B"]
