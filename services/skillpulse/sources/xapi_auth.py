"""LRS credentials of the xAPI source: each platform's xAPI clients (Moodle's log store,
H5P, any LRS client) send a key and secret with HTTP Basic. The collector keeps only the
SHA-256 of "key:secret"; the embedded default generates them once, like the API keys.

* `xapi-credentials.txt`: "platform key secret" per line, for the operator (mode 0600).
* `xapi-credential-hashes.json`: {platform: sha256 hex of "key:secret"}.
"""

from __future__ import annotations

import base64
import json
import secrets

from skillpulse.config import Settings
from skillpulse.credentials import _write_private, hash_api_key

CREDENTIALS_FILE = "xapi-credentials.txt"
HASHES_FILE = "xapi-credential-hashes.json"


def ensure_xapi_credentials(settings: Settings) -> dict[str, tuple[str, str]]:
    """{platform: (key, secret)}, generated on first use (embedded default only)."""
    plain = settings.paths.data_dir / CREDENTIALS_FILE
    if not plain.exists():
        credentials = {p: (f"lrs_{p.split('.')[-1]}_{secrets.token_hex(4)}", secrets.token_urlsafe(32))
                       for p in settings.collector.platforms}
        _write_private(plain, "".join(f"{p} {key} {secret}\n" for p, (key, secret) in credentials.items()))
        hashed = settings.paths.data_dir / HASHES_FILE
        hashed.unlink(missing_ok=True)
        hashes = {p: hash_api_key(f"{key}:{secret}") for p, (key, secret) in credentials.items()}
        _write_private(hashed, json.dumps(hashes, indent=2) + "\n")
    found = {}
    for line in plain.read_text().splitlines():
        if line.strip():
            platform, key, secret = line.split(" ", 2)
            found[platform] = (key, secret)
    return found


def xapi_credential_hashes(settings: Settings) -> dict[str, str]:
    """{sha256 hex of "key:secret": platform}, from settings or the data dir's generated file."""
    by_platform = settings.xapi.credential_hashes
    if by_platform is None:
        ensure_xapi_credentials(settings)
        by_platform = json.loads((settings.paths.data_dir / HASHES_FILE).read_text())
    return {digest.lower(): platform for platform, digest in by_platform.items()}


def platform_of(authorization: str | None, hashes: dict[str, str]) -> str | None:
    """The platform whose LRS credentials an `Authorization: Basic …` header carries."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        pair = base64.b64decode(encoded.strip(), validate=True).decode()
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text given to b64decode
        return None
    # The secrets are 256-bit random tokens: a dictionary lookup of their hash leaks nothing.
    return hashes.get(hash_api_key(pair)) if ":" in pair else None
