"""Secrets the embedded stack generates once into the data dir (mode 0600).

* `pseudonym.key`: the HMAC secret, unless `SKILLPULSE_PSEUDONYM_KEY` is set.
* `api-keys.txt`: one key per platform, for the operator to hand out (`skillpulse keys`).
* `api-key-hashes.json`: SHA-256 of each key; the only thing the collector reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from pathlib import Path

from skillpulse.config import Settings


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)


def hash_api_key(key: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough (no dictionary to fear).
    return hashlib.sha256(key.encode()).hexdigest()


def pseudonym_secret(settings: Settings) -> bytes:
    if settings.privacy.pseudonym_key is not None:
        return settings.privacy.pseudonym_key.get_secret_value().encode()
    path = settings.paths.data_dir / "pseudonym.key"
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    return path.read_text().strip().encode()


def ensure_api_keys(settings: Settings) -> dict[str, str]:
    """Plain keys by platform, generated on first use (embedded default only)."""
    plain = settings.paths.data_dir / "api-keys.txt"
    if not plain.exists():
        keys = {p: f"sp_{p.split('.')[-1]}_{secrets.token_urlsafe(32)}" for p in settings.collector.platforms}
        _write_private(plain, "".join(f"{p} {k}\n" for p, k in keys.items()))
        hashes = {p: hash_api_key(k) for p, k in keys.items()}
        hashed = settings.paths.data_dir / "api-key-hashes.json"
        hashed.unlink(missing_ok=True)
        _write_private(hashed, json.dumps(hashes, indent=2) + "\n")
    return dict(line.split(" ", 1) for line in plain.read_text().splitlines() if line.strip())


def api_key_hashes(settings: Settings) -> dict[str, str]:
    """{sha256 hex: platform}, from settings or the data dir's generated file."""
    by_platform = settings.collector.api_key_hashes
    if by_platform is None:
        ensure_api_keys(settings)
        by_platform = json.loads((settings.paths.data_dir / "api-key-hashes.json").read_text())
    return {digest.lower(): platform for platform, digest in by_platform.items()}
