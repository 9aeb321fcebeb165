"""The ClickHouse store: one client for the embedded chdb engine and for a server."""

from skillpulse.store.client import StoreBusyError, open_store, store_dsn
from skillpulse.store.migrations import apply_migrations

__all__ = ["StoreBusyError", "apply_migrations", "open_store", "store_dsn"]
