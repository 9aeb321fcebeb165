"""Numbered SQL migrations (`schemas/clickhouse/NNNN_name.sql`), applied once each, in
order, and recorded in `schema_migrations` with a checksum so an edited file is caught."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path

from clickhouse_connect.driver.client import Client

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_STATEMENT_END = re.compile(r";\s*(?:\n|$)")


def schemas_dir() -> Path:
    packaged = Path(str(resources.files("skillpulse"))) / "_schemas"
    if packaged.is_dir():  # installed from a wheel
        return packaged
    return Path(__file__).resolve().parents[3] / "schemas"  # source checkout


def migration_files() -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted((schemas_dir() / "clickhouse").glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise ValueError(f"migration file name must be NNNN_name.sql: {path.name}")
        found.append((int(match.group(1)), match.group(2), path))
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration numbers in {versions}")
    return found


def statements(sql: str) -> list[str]:
    return [part.strip() for part in _STATEMENT_END.split(sql) if part.strip()]


def apply_migrations(client: Client) -> list[str]:
    """Apply pending migrations; return the names applied now (empty when up to date)."""
    client.command(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, "
        "checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
        "ENGINE = MergeTree ORDER BY version"
    )
    applied = {
        version: checksum
        for version, checksum in client.query("SELECT version, checksum FROM schema_migrations").result_rows
    }
    done = []
    for version, name, path in migration_files():
        sql = path.read_text()
        checksum = hashlib.sha256(sql.encode()).hexdigest()
        if version in applied:
            if applied[version] != checksum:
                raise RuntimeError(f"migration {path.name} changed after it was applied; add a new one")
            continue
        for statement in statements(sql):
            client.command(statement)
        client.insert("schema_migrations", [[version, name, checksum]], column_names=["version", "name", "checksum"])
        done.append(path.name)
    return done
