"""Signatures of event records: the embedded broker (tansu) authenticates no client, so
any local process could write a record of a known platform on the events topic. The
collector signs each record it publishes; the aggregator dead-letters one whose signature
is missing or wrong.

The boundary is the data dir's pseudonym secret (0700 dir, 0600 file): any process that
can read it can sign, exactly as it could already compute every pseudonym.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence

from skillpulse.config import Settings
from skillpulse.credentials import KeyedDigest, derived_key, pseudonym_secret

SIGNATURE_HEADER = "skillpulse-signature"
_LABEL = b"skillpulse record signature v1"


class RecordSigner:
    """HMAC-SHA256 of a record's value, sent hex-encoded in its SIGNATURE_HEADER."""

    def __init__(self, key: bytes) -> None:
        self._digest = KeyedDigest(key, "record signing")

    def sign(self, value: bytes) -> str:
        return self._digest.hexdigest(value)

    def headers(self, value: bytes) -> dict[str, str]:
        """The headers to publish `value` with (FastStream's shape)."""
        return {SIGNATURE_HEADER: self.sign(value)}

    def kafka_headers(self, value: bytes) -> list[tuple[str, bytes]]:
        """The same, in aiokafka's shape."""
        return [(SIGNATURE_HEADER, self.sign(value).encode())]

    def verify(self, value: bytes, signature: bytes | None) -> bool:
        return signature is not None and hmac.compare_digest(self.sign(value).encode(), signature)

    def __repr__(self) -> str:  # never print the key
        return "RecordSigner(<key>)"


def signature_of(headers: Sequence[tuple[str, bytes | None]]) -> bytes | None:
    """The signature a record carries (the last one if it has several), or None."""
    found = None
    for name, value in headers:
        if name == SIGNATURE_HEADER:
            found = value
    return found


def record_signer(settings: Settings) -> RecordSigner:
    """The signer of this data dir's stack (collector, aggregator, replay, load tests)."""
    return RecordSigner(derived_key(pseudonym_secret(settings), _LABEL))
