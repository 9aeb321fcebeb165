"""The client's queue of events not yet taken by the collector: a SQLite table (stdlib
sqlite3, WAL), on disk when the platform gives a path, in memory otherwise.

An event is written here before it is sent and deleted only once the collector answered
that it accepted or rejected it, so a platform that stops, or cannot reach the collector,
resends on its next start what was not taken. The file holds raw user ids until then:
it is created private (0600) and belongs on the platform's side only.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,  -- send order; never reused, so a row is one event
    body BLOB NOT NULL                       -- the event's JSON, as it is sent
)
"""


class Spooled(NamedTuple):
    seq: int
    body: bytes


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite opens it (its -wal and -shm files take the
    database's mode), and narrow an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


class Spool:
    """Events in send order. `take` hands out rows not handed out yet; rows of a batch
    that was not delivered go back with `put_back`, first in line."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        if path is not None:
            _create_private(path)
        self._db = sqlite3.connect(":memory:" if path is None else path, isolation_level=None)
        if path is not None:
            # WAL: a reader never waits for the writer; FULL: a committed event survives a
            # power cut, not only a crash of the platform's process.
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self.count = int(self._db.execute("SELECT count(*) FROM pending").fetchone()[0])  # rows in the table
        self.waiting = self.count  # rows not handed out
        self._next_seq = 0  # rows below it were handed out (and not put back)
        self._put_back: list[list[Spooled]] = []

    def add(self, bodies: Iterable[bytes]) -> int:
        """Append events (one transaction); return how many."""
        rows = [(body,) for body in bodies]
        with self._db:
            self._db.executemany("INSERT INTO pending (body) VALUES (?)", rows)
        self.count += len(rows)
        self.waiting += len(rows)
        return len(rows)

    def take(self, max_events: int, max_bytes: int) -> list[Spooled]:
        """The next rows in send order, at most `max_events` and `max_bytes` of request body
        (at least one row, whatever its size: the collector judges it)."""
        if self._put_back:
            batch = self._put_back.pop(0)
            self.waiting -= len(batch)
            return batch
        rows = self._db.execute("SELECT seq, body FROM pending WHERE seq >= ? ORDER BY seq LIMIT ?",
                                (self._next_seq, max_events)).fetchall()
        batch, size = [], 1  # "[" and "]" less the first separator
        for seq, body in rows:
            size += len(body) + 1
            if batch and size > max_bytes:
                break
            batch.append(Spooled(seq, body))
        if batch:
            self._next_seq = batch[-1].seq + 1
            self.waiting -= len(batch)
        return batch

    def put_back(self, batch: list[Spooled]) -> None:
        self._put_back.append(batch)
        self.waiting += len(batch)

    def remove(self, seqs: Sequence[int]) -> None:
        """The collector answered for these events (accepted or rejected): forget them."""
        with self._db:
            self._db.executemany("DELETE FROM pending WHERE seq = ?", [(seq,) for seq in seqs])
        self.count -= len(seqs)

    def close(self) -> None:
        self._db.close()
