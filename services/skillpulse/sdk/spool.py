"""The client's queue of events not yet answered for by the collector: a SQLite table
(stdlib sqlite3, WAL) when the platform gives a path, a deque in memory otherwise.

An event is written here before it is sent and removed only once the collector answered
for it (accepted, or rejected for good), so a platform that stops, or cannot reach the
collector, resends on its next start what was not taken. The file holds raw user ids
until then: it is created private (0600) and belongs on the platform's side only.
"""

from __future__ import annotations

import os
import sqlite3
from collections import deque
from collections.abc import Iterable, Sequence
from itertools import islice
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


def _fitting(rows: Iterable[tuple[int, bytes]], max_bytes: int) -> list[Spooled]:
    """The longest prefix whose request body (`[a,b,…]`) stays within `max_bytes`; at least
    one row, whatever its size (the collector judges it)."""
    batch: list[Spooled] = []
    size = 1  # "[" and "]" less the first separator
    for seq, body in rows:
        size += len(body) + 1
        if batch and size > max_bytes:
            break
        batch.append(Spooled(seq, body))
    return batch


class Spool:
    """Events in send order. `take` hands out rows not handed out yet; rows of a batch that
    was not delivered come back with `put_back`, first in line."""

    def __init__(self, count: int) -> None:
        self.count = count  # rows held: not yet answered for
        self.waiting = count  # rows not handed out
        self._put_back: list[list[Spooled]] = []

    def add(self, bodies: Iterable[bytes]) -> int:
        """Append events (one transaction); return how many."""
        added = self._append(list(bodies))
        self.count += added
        self.waiting += added
        return added

    def take(self, max_events: int, max_bytes: int) -> list[Spooled]:
        batch = self._put_back.pop(0) if self._put_back else self._next(max_events, max_bytes)
        self.waiting -= len(batch)
        return batch

    def put_back(self, batch: list[Spooled]) -> None:
        self._put_back.append(batch)
        self.waiting += len(batch)

    def remove(self, seqs: Sequence[int]) -> None:
        """The collector answered for these events: forget them."""
        self._delete(seqs)
        self.count -= len(seqs)

    def close(self) -> None:
        """Nothing to release by default."""

    def _append(self, bodies: list[bytes]) -> int:
        raise NotImplementedError

    def _next(self, max_events: int, max_bytes: int) -> list[Spooled]:
        raise NotImplementedError

    def _delete(self, seqs: Sequence[int]) -> None:
        raise NotImplementedError


class MemorySpool(Spool):
    """Lost with the process: for senders whose input is itself durable (a file, a model)."""

    def __init__(self) -> None:
        super().__init__(0)
        self._queue: deque[tuple[int, bytes]] = deque()
        self._seq = 0

    def _append(self, bodies: list[bytes]) -> int:
        self._queue.extend(enumerate(bodies, start=self._seq))
        self._seq += len(bodies)
        return len(bodies)

    def _next(self, max_events: int, max_bytes: int) -> list[Spooled]:
        batch = _fitting(islice(self._queue, max_events), max_bytes)
        for _ in batch:
            self._queue.popleft()
        return batch

    def _delete(self, seqs: Sequence[int]) -> None:
        """Handed-out rows are out of the queue already."""


def _create_private(path: Path) -> None:
    """Create the file 0600 before SQLite opens it (its -wal and -shm files take the
    database's mode), and narrow an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    os.chmod(path, 0o600)


class SqliteSpool(Spool):
    """Survives the platform's process: what it holds at a start is sent first."""

    def __init__(self, path: Path) -> None:
        _create_private(path)
        self.path = path
        self._db = sqlite3.connect(path)  # DML opens a transaction; `with self._db` commits it
        # WAL: a reader never waits for the writer; FULL: a committed event survives a power
        # cut, not only a crash of the platform's process.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        super().__init__(int(self._db.execute("SELECT count(*) FROM pending").fetchone()[0]))
        self._next_seq = 0  # rows below it were handed out

    def _append(self, bodies: list[bytes]) -> int:
        with self._db:
            self._db.executemany("INSERT INTO pending (body) VALUES (?)", [(body,) for body in bodies])
        return len(bodies)

    def _next(self, max_events: int, max_bytes: int) -> list[Spooled]:
        rows = self._db.execute("SELECT seq, body FROM pending WHERE seq >= ? ORDER BY seq LIMIT ?",
                                (self._next_seq, max_events)).fetchall()
        batch = _fitting(rows, max_bytes)
        if batch:
            self._next_seq = batch[-1].seq + 1
        return batch

    def _delete(self, seqs: Sequence[int]) -> None:
        with self._db:
            self._db.executemany("DELETE FROM pending WHERE seq = ?", [(seq,) for seq in seqs])

    def close(self) -> None:
        self._db.close()


def open_spool(path: Path | None) -> Spool:
    return MemorySpool() if path is None else SqliteSpool(path)
