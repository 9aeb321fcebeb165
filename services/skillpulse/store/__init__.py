"""The ClickHouse store: one client for the embedded chdb engine and for a server."""

from skillpulse.store.client import StoreBusyError, open_store, store_dsn
from skillpulse.store.migrations import apply_migrations
from skillpulse.store.topology import ClusterTopology, topology_of

__all__ = ["ClusterTopology", "StoreBusyError", "apply_migrations", "open_store", "store_dsn", "topology_of"]
