"""Pseudonymisation at the edge: a platform's `user_id` becomes a keyed hash.

`user_key = HMAC-SHA256(secret, platform NUL user_id)`. The NUL separator keeps
("a.b", "c") and ("a", ".bc") apart; including the platform means the same id on two
platforms is two people unless the platforms share an identity provider upstream.
"""

from __future__ import annotations

import hashlib
import hmac


class Pseudonymiser:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 32:
            raise ValueError("the pseudonym key must be at least 32 bytes")
        self._secret = secret

    def user_key(self, platform: str, user_id: str) -> str:
        message = platform.encode() + b"\x00" + user_id.encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def session_key(self, platform: str, session_id: str | None) -> str | None:
        # Session ids can embed user ids on some platforms: keep only a keyed hash.
        if session_id is None:
            return None
        return self.user_key(platform, "session\x00" + session_id)

    def __repr__(self) -> str:  # never print the secret
        return "Pseudonymiser(<secret>)"
