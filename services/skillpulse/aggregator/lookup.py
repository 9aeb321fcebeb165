"""Which of a batch's event ids a table already holds, asked in chunks."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

_LOOKUP_CHUNK = 20_000
_MAX_QUERY_BYTES = 4 * 1024 * 1024  # 20,000 ids are ~740 KB; the default limit is 256 KiB


def stored_keys(store: Client, select_where_in: str, ids: list[uuid.UUID]) -> set[tuple[str, uuid.UUID]]:
    """The (platform, id) rows of `select_where_in` ("SELECT platform, id FROM t WHERE id IN")
    for `ids`."""
    ids = list(set(ids))
    if not all(isinstance(event_id, uuid.UUID) for event_id in ids):
        raise TypeError("event ids must be uuid.UUID objects")
    found: set[tuple[str, uuid.UUID]] = set()
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        # Written inline: the ids are uuid.UUID objects (hex and dashes only), and the
        # client's parameter escaping costs more than the lookup itself. One string split
        # by the engine rather than a list of literals: the parser builds no node per id.
        listed = ",".join(map(str, ids[start:start + _LOOKUP_CHUNK]))
        result = store.query(f"{select_where_in} (SELECT toUUID(arrayJoin(splitByChar(',', '{listed}'))))",
                             settings={"max_query_size": _MAX_QUERY_BYTES})
        found.update((platform, event_id) for platform, event_id in result.result_rows)
    return found
