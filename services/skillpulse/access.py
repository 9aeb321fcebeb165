"""Who may call what: platform keys, viewer and operator tokens, kept hashed in a keyring file.

* `platform` keys only send events (as the platform that owns the key);
* `viewer` tokens read: KPIs, the board, pipeline health, freshness, the API's docs;
* `operator` tokens do everything a viewer does, and what changes state (dead-letter
  replay, rollup refresh, key management).

The keyring (`<data dir>/access-keys.json`, mode 0600) holds only the SHA-256 of each
token; the plain token is shown once, when it is made. A running stack reads the file
again when its mtime changes, so keys made, rotated or revoked by `skillpulse keys` in
another process count at once, without a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict

from skillpulse.errors import SkillpulseError

KEYRING_VERSION = 1


class Access(StrEnum):
    PLATFORM = "platform"
    VIEWER = "viewer"
    OPERATOR = "operator"

    def allows(self, needed: Access) -> bool:
        """An operator may do all a viewer may; a platform key only sends events."""
        return self is needed or (self is Access.OPERATOR and needed is Access.VIEWER)


class KeyringError(SkillpulseError, ValueError):
    """A key that does not exist, or a request the keyring cannot honour."""


class KeyRecord(BaseModel):
    """One key as the keyring stores it: never the token, only its hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str
    access: Access
    platform: str | None = None  # platform keys: the platform whose events it sends
    label: str = ""
    sha256: str
    created_at: datetime
    expires_at: datetime | None = None  # None: no end

    def valid_at(self, now: datetime) -> bool:
        return self.expires_at is None or now < self.expires_at


class Principal(NamedTuple):
    """Who a request comes from, once its token is known."""

    key_id: str
    access: Access
    platform: str | None
    label: str

    @property
    def name(self) -> str:
        return self.label or self.key_id


class IssuedKey(NamedTuple):
    """A key just made: its record, and the plain token (shown once, stored nowhere)."""

    record: KeyRecord
    token: str


class _Snapshot(NamedTuple):
    stamp: tuple[int, int, int]  # (inode, mtime_ns, size): a new file or a new write
    by_hash: dict[str, KeyRecord]


def hash_token(token: str) -> str:
    # Tokens are 256-bit random, so a fast hash is enough (no dictionary to fear).
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(access: Access) -> str:
    """256 random bits, prefixed so a leaked token is recognisable (secret scanners, logs)."""
    return f"spk_{access.value}_{secrets.token_urlsafe(32)}"


def _now(now: datetime | None) -> datetime:
    return now if now is not None else datetime.now(UTC)


def write_private(path: Path, text: str) -> None:
    """Replace `path` atomically with a 0600 file holding `text`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp makes it 0600
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


class Keyring:
    """The keys of one data dir, plus `fixed` ones that are not in the file (production's
    platform key hashes from the environment)."""

    def __init__(self, path: Path, fixed: Iterable[KeyRecord] = ()) -> None:
        self.path = path
        self._fixed = {record.sha256: record for record in fixed}
        self._snapshot = _Snapshot((0, 0, -1), {})

    # Reading: what `authenticate` sees, reloaded when the file changed.

    def _stamp(self) -> tuple[int, int, int]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return (0, 0, -1)
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _read(self) -> list[KeyRecord]:
        try:
            stored = json.loads(self.path.read_text())
        except FileNotFoundError:
            return []
        return [KeyRecord.model_validate(item) for item in stored["keys"]]

    def _current(self) -> dict[str, KeyRecord]:
        stamp = self._stamp()  # one stat per request: cheap next to the request itself
        if stamp != self._snapshot.stamp:
            self._snapshot = _Snapshot(stamp, {record.sha256: record for record in self._read()})
        return self._snapshot.by_hash

    def authenticate(self, token: str, now: datetime | None = None) -> Principal | None:
        """The principal owning `token`, or None (unknown, or expired)."""
        if not token:
            return None
        digest = hash_token(token)
        record = self._current().get(digest) or self._fixed.get(digest)
        if record is None or not record.valid_at(_now(now)):
            return None
        return Principal(record.key_id, record.access, record.platform, record.label)

    def list_keys(self) -> list[KeyRecord]:
        """Every key, the file's and the fixed ones, oldest first."""
        return sorted([*self._read(), *self._fixed.values()], key=lambda record: record.created_at)

    def exists(self) -> bool:
        return self.path.exists()

    # Writing: each change re-reads the file under a lock and replaces it whole.

    @contextlib.contextmanager
    def editing(self) -> Iterator[list[KeyRecord]]:
        """The file's records, to change in place; written back when the block ends."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # the CLI and a stack may write at the same time
            records = self._read()
            yield records
            body = {"version": KEYRING_VERSION, "keys": [record.model_dump(mode="json") for record in records]}
            write_private(self.path, json.dumps(body, indent=2) + "\n")
        finally:
            os.close(fd)

    def _issue(self, access: Access, platform: str | None, label: str, now: datetime) -> IssuedKey:
        if (access is Access.PLATFORM) != (platform is not None):
            raise KeyringError("a platform key names its platform, and only a platform key does")
        token = new_token(access)
        record = KeyRecord(key_id=f"key_{secrets.token_hex(6)}", access=access, platform=platform, label=label,
                           sha256=hash_token(token), created_at=now)
        return IssuedKey(record, token)

    def create(self, access: Access, *, platform: str | None = None, label: str = "",
               now: datetime | None = None) -> IssuedKey:
        issued = self._issue(access, platform, label, _now(now))
        with self.editing() as records:
            records.append(issued.record)
        return issued

    def add_hash(self, records_to_add: Iterable[KeyRecord]) -> None:
        """Store keys whose token was made elsewhere (the embedded platform keys of older data dirs)."""
        with self.editing() as records:
            records.extend(records_to_add)

    def rotate(self, key_id: str, *, overlap: timedelta, now: datetime | None = None) -> IssuedKey:
        """A new key with the same access, platform and label; the old one keeps working
        for `overlap` (so clients can move over), then expires."""
        moment = _now(now)
        with self.editing() as records:
            index = self._index(records, key_id)
            old = records[index]
            issued = self._issue(old.access, old.platform, old.label, moment)
            end = moment + overlap
            if old.expires_at is None or end < old.expires_at:
                records[index] = old.model_copy(update={"expires_at": end})
            records.append(issued.record)
        return issued

    def revoke(self, key_id: str) -> KeyRecord:
        """Remove the key: it stops working at the stack's next request."""
        with self.editing() as records:
            return records.pop(self._index(records, key_id))

    def _index(self, records: list[KeyRecord], key_id: str) -> int:
        for index, record in enumerate(records):
            if record.key_id == key_id:
                return index
        if any(record.key_id == key_id for record in self._fixed.values()):
            raise KeyringError(f"{key_id} comes from the environment (SKILLPULSE_COLLECTOR_API_KEY_HASHES): "
                               "change it there")
        raise KeyringError(f"no key {key_id} in {self.path}")
