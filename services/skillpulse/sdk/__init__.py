"""Python client SDK of the Skilltech Pulse collector, for a platform's own code.

Needs only the package's core dependencies (pydantic, httpx; the spool is stdlib sqlite3):
nothing of the server. Typed builders of the contract's events (`login`, `tool_use`,
`training`), a client that batches within the collector's limits, retries "not now"
answers and lost connections with backoff and the same event ids, and keeps unsent
events in a local SQLite spool (`spool_path`) so an outage loses nothing.

    from skillpulse.sdk import SkillpulseClient, login
    with SkillpulseClient("https://pulse.example.lu", api_key, spool_path="spool.db") as client:
        client.send(login("teacher-42", method="sso"))
"""

from skillpulse.sdk.client import AsyncSkillpulseClient
from skillpulse.sdk.delivery import (
    MAX_BODY_BYTES,
    MAX_EVENTS_PER_REQUEST,
    BatchOutcome,
    Collector,
    CollectorUnavailable,
    DeliveryRefused,
    DeliveryReport,
    Rejected,
)
from skillpulse.sdk.events import PlatformEvent, Sendable, encode, login, tool_use, training
from skillpulse.sdk.retry import RetryPolicy
from skillpulse.sdk.sync import SkillpulseClient

__all__ = [
    "MAX_BODY_BYTES", "MAX_EVENTS_PER_REQUEST", "AsyncSkillpulseClient", "BatchOutcome", "Collector",
    "CollectorUnavailable", "DeliveryRefused", "DeliveryReport", "PlatformEvent", "Rejected", "RetryPolicy",
    "Sendable", "SkillpulseClient", "encode", "login", "tool_use", "training",
]
