"""Backup and restore of the embedded store: one file per table, in ClickHouse's Native
format compressed with zstd, and a manifest (tables, rows, sha256 of each file, software
version, migrations applied).

Not ClickHouse's `BACKUP … TO File(…)`: the embedded engine refuses it unless the
engine's configuration sets `backups.allowed_path`, which chdb's in-process engine does
not take from a connection. The `file()` table function streams a table to disk inside
the engine instead, and reads it back the same way.

Consistent while the stack runs: each table is written by one statement (one snapshot of
its parts, on the writer's handle, so no batch lands half-way through it). Tables filled
by materialized views (`event_ids`, the exact rollups, the rollup queue, and any such view
a later migration adds) are not copied: a restore inserts `events`, the views fill them
again, and the refresher recomputes its rollups from what was queued, so every rollup
agrees with the restored events whatever moment each table was read at. `events` is
written last, so whatever guards it (voids, replays) is at least as old as it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from skillpulse.errors import SkillpulseError
from skillpulse.store.migrations import apply_migrations
from skillpulse.store.rollups import refresh_pending

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
_SUFFIX = ".native.zst"  # the file() function picks zstd from the name
_LAST = "events"
# A restore inserts the same blocks again: block deduplication (events keeps a window)
# would drop a block identical to one of a store restored before with --replace, and
# merging inside the inserted block would collapse versions not yet merged in the source.
_RESTORE_SETTINGS = {"insert_deduplicate": 0, "optimize_on_insert": 0}


class BackupError(SkillpulseError, ValueError):
    """A backup that cannot be made there, or cannot be restored here (the message says why)."""


class Column(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: str


class TableFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    table: str
    file: str  # relative to the backup directory
    columns: list[Column]  # as written (an empty file carries none)
    rows: int
    bytes: int
    sha256: str


class AppliedMigration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    name: str
    checksum: str


class Manifest(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = FORMAT_VERSION
    software_version: str
    database: str
    created_at: datetime
    migrations: list[AppliedMigration]
    tables: list[TableFile]
    rebuilt_by_views: list[str]  # not copied: a restore fills them from `events`


class Restored(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    tables: dict[str, int]  # rows restored per copied table
    rebuilt_by_views: list[str]
    users_recomputed: int


def _software_version() -> str:
    try:
        return importlib.metadata.version("skillpulse")
    except importlib.metadata.PackageNotFoundError:  # a source tree not installed
        return "unknown"


def filled_by_views(store: Client) -> set[str]:
    """The tables a materialized view of the database fills from a table that keeps its
    rows (`events` is written by a view too, from the Null table the aggregator inserts
    into, which keeps nothing: `events` is copied)."""
    return {table for (table,) in store.query(
        "SELECT view.target_table FROM system.tables AS view INNER JOIN system.tables AS source "
        "ON source.database = view.database AND has(source.dependencies_table, view.name) "
        "WHERE view.database = currentDatabase() AND view.engine = 'MaterializedView' AND view.target_table != '' "
        "AND source.engine NOT IN ('Null', 'MaterializedView', 'View')").result_rows}


def tables_with_data(store: Client) -> list[str]:
    """Every table of the database that stores rows of its own (no view), by name."""
    return [table for (table,) in store.query(
        "SELECT name FROM system.tables WHERE database = currentDatabase() AND has_own_data "
        "AND engine NOT IN ('MaterializedView', 'View') ORDER BY name").result_rows]


def copied_tables(store: Client) -> list[str]:
    """What a backup copies, in order: every table with data but the migrations' record
    and the views' targets, `events` last."""
    skipped = filled_by_views(store) | {"schema_migrations"}
    tables = [table for table in tables_with_data(store) if table not in skipped]
    return sorted(tables, key=lambda table: table == _LAST)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _applied(store: Client) -> list[AppliedMigration]:
    return [AppliedMigration(version=version, name=name, checksum=checksum) for version, name, checksum in
            store.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version").result_rows]


def _columns(store: Client, table: str) -> list[Column]:
    """The columns `SELECT *` reads and an INSERT may write."""
    return [Column(name=name, type=kind) for name, kind in store.query(
        "SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = {table:String} "
        "AND default_kind NOT IN ('MATERIALIZED', 'ALIAS') ORDER BY position", parameters={"table": table}).result_rows]


def _in_file(path: Path, columns: list[Column]) -> dict[str, str]:
    """The parameters of `file({path}, 'Native', {structure})`."""
    structure = ", ".join(f"`{column.name}` {column.type}" for column in columns)
    return {"path": str(path), "structure": structure}


_FILE = "file({path:String}, 'Native', {structure:String})"


def _empty_directory(target: Path) -> Path:
    target = target.expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError("the backup directory must be new or empty")
    (target / "tables").mkdir(parents=True, exist_ok=True)
    return target


def backup_store(store: Client, target: Path) -> Manifest:
    """Write every copied table of `store` under `target` (new or empty), then the manifest."""
    if not store.uri.startswith("chdb://"):
        raise BackupError("backups are of the embedded store; back a ClickHouse server up with its own BACKUP")
    target = _empty_directory(target)
    files = []
    for table in copied_tables(store):
        relative = f"tables/{table}{_SUFFIX}"
        path, columns = target / relative, _columns(store, table)
        names = ", ".join(f"`{column.name}`" for column in columns)
        file = _in_file(path, columns)
        store.command(f"INSERT INTO FUNCTION {_FILE} SELECT {names} FROM `{table}`", parameters=file)
        rows = int(store.query(f"SELECT count() FROM {_FILE}", parameters=file).result_rows[0][0])  # as written
        files.append(TableFile(table=table, file=relative, columns=columns, rows=rows, bytes=path.stat().st_size,
                               sha256=_sha256(path)))
    manifest = Manifest(software_version=_software_version(), database=store.database or "",
                        created_at=datetime.now(UTC), migrations=_applied(store), tables=files,
                        rebuilt_by_views=sorted(filled_by_views(store)))
    (target / MANIFEST).write_text(manifest.model_dump_json(indent=2))  # last: no manifest, no backup
    return manifest


def read_manifest(source: Path) -> Manifest:
    """The manifest of the backup in `source`, every file checked against its size and sha256."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError("no manifest.json there: not a backup, or one that did not finish")
    manifest = Manifest.model_validate_json(path.read_text())
    if manifest.format_version != FORMAT_VERSION:
        raise BackupError(f"backup format {manifest.format_version}; this version reads {FORMAT_VERSION}")
    for copied in manifest.tables:
        file = source / copied.file
        if not file.is_file() or file.stat().st_size != copied.bytes or _sha256(file) != copied.sha256:
            raise BackupError(f"{copied.file} is missing or not the file the manifest describes")
    return manifest


def stored_rows(store: Client) -> dict[str, int]:
    """Rows per table that holds any, the migrations' record left out."""
    counts = {table: int(store.query(f"SELECT count() FROM `{table}`").result_rows[0][0])
              for table in tables_with_data(store) if table != "schema_migrations"}
    return {table: rows for table, rows in counts.items() if rows}




def restore_store(store: Client, source: Path, *, replace: bool = False) -> Restored:
    """Restore the backup in `source` into `store`: refused over a store holding rows unless
    `replace` (then every table is emptied first)."""
    source = source.expanduser().resolve()
    manifest = read_manifest(source)
    apply_migrations(store)
    known = {(migration.version, migration.name) for migration in _applied(store)}
    unknown = [migration.name for migration in manifest.migrations if (migration.version, migration.name) not in known]
    if unknown:
        raise BackupError(f"the backup has migrations this version does not know ({', '.join(unknown)}): "
                          "restore with the version that made it")
    holding = stored_rows(store)
    if holding and not replace:
        raise BackupError(f"the store is not empty ({sum(holding.values())} rows in {len(holding)} tables): "
                          "restore into an empty data dir, or pass --replace to overwrite it")
    for table in holding:
        store.command(f"TRUNCATE TABLE `{table}`")
    restored = {}
    for copied in manifest.tables:
        in_file = {column.name for column in copied.columns}  # a later migration may have added some
        columns = ", ".join(f"`{column.name}`" for column in _columns(store, copied.table) if column.name in in_file)
        store.command(f"INSERT INTO `{copied.table}` ({columns}) SELECT {columns} FROM {_FILE}",
                      parameters=_in_file(source / copied.file, copied.columns), settings=_RESTORE_SETTINGS)
        restored[copied.table] = int(store.query(f"SELECT count() FROM `{copied.table}`").result_rows[0][0])
        if restored[copied.table] != copied.rows:
            raise BackupError(f"{copied.table}: {restored[copied.table]} rows restored, the backup holds {copied.rows}")
    users = refresh_pending(store, wait_for_visibility=False)  # the queue the views just filled
    return Restored(tables=restored, rebuilt_by_views=manifest.rebuilt_by_views, users_recomputed=users)
