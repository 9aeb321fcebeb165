"""Secrets a data dir holds (mode 0600), generated on first use.

* `pseudonym.key`: the HMAC secret, unless `SKILLPULSE_PSEUDONYM_KEY` is set.
* `access-keys.json`: the keyring (`skillpulse.access`): hashes of every platform key,
  viewer and operator token; what the stack authenticates against.
* `api-keys.txt`: the plain embedded platform keys, one per platform, for the local
  clients (demo, simulate, ingest, load tests) and `skillpulse keys`.
* `operator.token`: the plain local operator token, for commands on this machine (like a
  kubeconfig): dead-letter replay, rollup refresh. `SKILLPULSE_TOKEN` overrides it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from skillpulse.access import Access, KeyRecord, Keyring, KeyringError, hash_token, new_token, write_private
from skillpulse.config import Settings

API_KEYS_FILE = "api-keys.txt"
OPERATOR_TOKEN_FILE = "operator.token"
KEYRING_FILE = "access-keys.json"
hash_api_key = hash_token  # the name the xAPI credentials use
ENV_HASHES = "SKILLPULSE_COLLECTOR_API_KEY_HASHES"


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def pseudonym_secret(settings: Settings) -> bytes:
    if settings.privacy.pseudonym_key is not None:
        return settings.privacy.pseudonym_key.get_secret_value().encode()
    path = settings.paths.data_dir / "pseudonym.key"
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return path.read_text().strip().encode()


def derived_key(secret: bytes, label: bytes) -> bytes:
    """A key for one use (`label`) derived from the pseudonym secret: the secret itself
    is used for pseudonyms only, and no derived hash can equal a user_key."""
    if len(secret) < 32:  # the Pseudonymiser's rule: an empty or short key file is an error, not a weak hash
        raise ValueError("the pseudonym key must be at least 32 bytes")
    return hmac.new(secret, label, hashlib.sha256).digest()


class KeyedDigest:
    """HMAC-SHA256 hex digests under one key of at least 32 bytes (a record's signature, a
    dead letter's payload hash); `use` names the key in the error. It never prints the key."""

    def __init__(self, key: bytes, use: str) -> None:
        if len(key) < 32:
            raise ValueError(f"the {use} key must be at least 32 bytes")
        self._key = key
        self._use = use

    def hexdigest(self, value: bytes) -> str:
        return hmac.new(self._key, value, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return f"KeyedDigest({self._use}, <key>)"


def keyring_path(settings: Settings) -> Path:
    return settings.access.keyring_path or settings.paths.data_dir / KEYRING_FILE


def _env_platform_keys(settings: Settings) -> list[KeyRecord]:
    """Production's platform keys: their hashes from the environment, not in the file."""
    start = datetime(1970, 1, 1, tzinfo=UTC)
    return [KeyRecord(key_id=f"env:{platform}", access=Access.PLATFORM, platform=platform, label=ENV_HASHES,
                      sha256=digest.lower(), created_at=start)
            for platform, digest in (settings.collector.api_key_hashes or {}).items()]


def _read_plain_keys(path: Path) -> dict[str, str]:
    return dict(line.split(" ", 1) for line in path.read_text().splitlines() if line.strip())


def _platform_records(keys: dict[str, str], label: str) -> list[KeyRecord]:
    now = datetime.now(UTC)
    return [KeyRecord(key_id=f"key_{secrets.token_hex(6)}", access=Access.PLATFORM, platform=platform, label=label,
                      sha256=hash_token(key), created_at=now) for platform, key in keys.items()]


def _issue_platform_keys(settings: Settings, records: list[KeyRecord]) -> None:
    keys = {p: new_token(Access.PLATFORM) for p in settings.collector.platforms}
    _write_private(settings.paths.data_dir / API_KEYS_FILE, "".join(f"{p} {k}\n" for p, k in keys.items()))
    records.extend(_platform_records(keys, "embedded (api-keys.txt)"))


def open_keyring(settings: Settings) -> Keyring:
    """The data dir's keyring, made on first use: the embedded platform keys (unless
    production's hashes are set; an older data dir's api-keys.txt is taken over) and the
    local operator token."""
    ring = Keyring(keyring_path(settings), _env_platform_keys(settings))
    if ring.exists():
        return ring
    plain = settings.paths.data_dir / API_KEYS_FILE
    token_path = settings.paths.data_dir / OPERATOR_TOKEN_FILE
    with ring.editing() as records:
        if records:  # another process made it while this one waited for the lock
            return ring
        if plain.exists():
            records.extend(_platform_records(_read_plain_keys(plain), "embedded (api-keys.txt)"))
        elif settings.collector.api_key_hashes is None:
            _issue_platform_keys(settings, records)
        token = new_token(Access.OPERATOR)
        write_private(token_path, token + "\n")
        records.append(KeyRecord(key_id=f"key_{secrets.token_hex(6)}", access=Access.OPERATOR,
                                 label=f"local ({OPERATOR_TOKEN_FILE})", sha256=hash_token(token),
                                 created_at=datetime.now(UTC)))
    return ring


def ensure_api_keys(settings: Settings) -> dict[str, str]:
    """Plain embedded platform keys by platform, generated on first use."""
    ring = open_keyring(settings)
    plain = settings.paths.data_dir / API_KEYS_FILE
    if not plain.exists() and settings.collector.api_key_hashes is not None:
        # Production: the platforms' keys are those hashes; a key made here would work too.
        raise KeyringError("platform keys come from SKILLPULSE_COLLECTOR_API_KEY_HASHES here: none is made "
                           "on the side (`skillpulse keys create --access platform` makes one on purpose)")
    if not plain.exists():  # production's keyring had none: make the local ones now
        with ring.editing() as records:
            if not plain.exists():
                _issue_platform_keys(settings, records)
    return _read_plain_keys(plain)


def local_operator_token(data_dir: Path) -> str | None:
    """The token a command on this machine sends: `SKILLPULSE_TOKEN`, else the data dir's
    operator.token, else None."""
    if token := os.environ.get("SKILLPULSE_TOKEN", "").strip():
        return token
    path = data_dir / OPERATOR_TOKEN_FILE
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None
