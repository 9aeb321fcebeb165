"""Numbered SQL migrations (`schemas/clickhouse/NNNN_name.sql`), applied once each, in
order, and recorded in `schema_migrations` with a checksum so an edited file is caught.

The checksum covers the SQL only, not its comments or layout: a comment that has gone
stale can be corrected in place, while any change to what ClickHouse runs is refused."""

from __future__ import annotations

import hashlib
import re
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from skillpulse.store.topology import ClusterTopology

_FILE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_STATEMENT_END = re.compile(r";\s*(?:\n|$)")
# Quoted strings and identifiers (kept verbatim, a `--` inside them is no comment),
# comments, whitespace, and anything else one character at a time.
_TOKEN = re.compile(r"""
    (?P<quoted> '(?:[^'\\]|\\.|'')*' | "(?:[^"\\]|\\.|"")*" | `(?:[^`\\]|\\.|``)*` )
  | (?P<gap> --[^\n]* | /\*.*?\*/ | \s+ )
  | (?P<other> [^'"`\s/-]+ | . )
""", re.VERBOSE | re.DOTALL)


class Migration(NamedTuple):
    version: int
    name: str
    path: Path


def schemas_dir() -> Path:
    packaged = Path(str(resources.files("skillpulse"))) / "_schemas"
    if packaged.is_dir():  # installed from a wheel
        return packaged
    return Path(__file__).resolve().parents[3] / "schemas"  # source checkout


def migration_files() -> list[Migration]:
    found = []
    for path in sorted((schemas_dir() / "clickhouse").glob("*.sql")):
        match = _FILE.match(path.name)
        if not match:
            raise ValueError(f"migration file name must be NNNN_name.sql: {path.name}")
        found.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration numbers in {versions}")
    return found


def statements(sql: str) -> list[str]:
    return [part.strip() for part in _STATEMENT_END.split(sql) if part.strip()]


def sql_only(sql: str) -> str:
    """`sql` without its comments, every run of whitespace outside quotes made one space."""
    parts: list[str] = []
    for token in _TOKEN.finditer(sql):
        if token.lastgroup != "gap":
            parts.append(token.group())
        elif parts and parts[-1] != " ":
            parts.append(" ")  # a comment still separates what it stood between
    return "".join(parts).strip()


def checksum(sql: str) -> str:
    return hashlib.sha256(sql_only(sql).encode()).hexdigest()


def raw_checksum(sql: str) -> str:
    """What stores recorded before checksums ignored comments: the sha256 of the file."""
    return hashlib.sha256(sql.encode()).hexdigest()


# Stores that applied 0001-0008 before checksums ignored comments recorded the raw sha256
# of those files as they were then: version → (that raw checksum, `checksum` of the same
# text). Such a store accepts a file whose SQL is still that text's, whatever its comments
# say now, so correcting a comment never strands a store applied before the correction.
_RAW_CHECKSUMS_RECORDED_BEFORE = {
    1: ("6a61247dc981bf511c4860138a33bdd9e5562e0d0cc8aaab77a983a32c9d5b8e",
        "ad39d77b14e3e1ec554ba9fb8ce634c9ee5bd690b7f8ad23a0b8f59b350efecd"),
    2: ("1b7841c569ecbde78def4fad99bb3ecc5177e93772687b98d32bc8dce2486d1a",
        "315db9184a35c838c0ea9f75f8d286d037667ae975e528c2e285486e1926479d"),
    3: ("7a1eb65ad76b62469ca607a981cf09d2510acc5557caabd9360385fa578c8a2c",
        "8baeaf06234d15c972819f364ade7cc47437dbceafb2cce790a67a216d4bd56a"),
    4: ("8cfc6451e92e2516b010a59cc4fc6d5005ce555d0670bdffff6ac05f6743acb1",
        "ae7f29b43059f56d7ad8b3bb93437ca78ad6746b735e190b4a79ebcc220796e5"),
    5: ("4e003ea55464fe3df76925b00c5acbe88fc21aed0ef3b61d4ae6509a488fa5ca",
        "f349127844ab2c049eb942c5c687a16f24ffd85f6d62e7c39c0b44e0c35d29e4"),
    6: ("82bc9fe4dd4069c0646c693642a8ce4a5adfa6a32585d5a4294f29fc2f1d51b0",
        "4a693a7635b08035835eae854dc8cffe9b788f912dbb6d041b0c969e60b82996"),
    7: ("eb9f99f39b492e4bb2c856e09ecb97f571bf1a349b2ff8a2ab8eb51e30425faf",
        "38d5aabf9b01baa015d76a98df9d7c4b3fa05853f30b3f9e1adba535d0ec72f9"),
    8: ("90670bf0e95b5a27173d742c454e11c4ef44fe41f1bfe5c31d78a1a8095b1488",
        "3608728d66dfad58dad042dce2c6b45779fd45850d251afc190696a758e45d20"),
}


def unchanged(version: int, recorded: str, sql: str) -> bool:
    """Whether `sql` is still the SQL that was applied as `version` with `recorded`."""
    current = checksum(sql)
    if recorded in (current, raw_checksum(sql)):
        return True
    legacy = _RAW_CHECKSUMS_RECORDED_BEFORE.get(version)
    return legacy is not None and legacy == (recorded, current)


_MIGRATIONS_TABLE = ("CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, "
                     "checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) "
                     "ENGINE = MergeTree ORDER BY version")


def runnable(statement: str, topology: ClusterTopology | None = None) -> list[str]:
    """What runs for one statement of a migration (and what `migrate --print-sql` prints): its
    cluster form on a `topology` (store/topology.py), else its SQL without comments and layout
    (what the checksum covers)."""
    return topology.render(statement) if topology else [sql_only(statement)]


def apply_migrations(client: Client, topology: ClusterTopology | None = None) -> list[str]:
    """Apply pending migrations; return the names applied now (empty when up to date).
    With a `topology`, each statement runs in its cluster form; the checksums stay those
    of the one source."""

    def run(statement: str) -> None:
        for rendered in runnable(statement, topology):
            client.command(rendered)

    run(_MIGRATIONS_TABLE)
    applied = {
        version: recorded
        for version, recorded in client.query("SELECT version, checksum FROM schema_migrations").result_rows
    }
    done = []
    for migration in migration_files():
        sql = migration.path.read_text()
        if migration.version in applied:
            if not unchanged(migration.version, applied[migration.version], sql):
                raise RuntimeError(f"migration {migration.path.name} changed after it was applied; add a new one")
            continue
        for statement in statements(sql):
            run(statement)
        client.insert("schema_migrations", [[migration.version, migration.name, checksum(sql)]],
                      column_names=["version", "name", "checksum"])
        done.append(migration.path.name)
    return done
