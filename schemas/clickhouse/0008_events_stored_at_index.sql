-- Freshness panels (board, SRE dashboard, /v1/health/pipeline) filter `events` on
-- stored_at, which is neither the partition key nor in the sort order. Every insert makes
-- its own parts, so a part's stored_at span is one batch wide: a minmax index lets those
-- queries skip every part but the last minutes' instead of scanning years of events.
ALTER TABLE events ADD INDEX IF NOT EXISTS events_stored_at_minmax stored_at TYPE minmax GRANULARITY 1;

-- Parts stored before this migration get the index too (a background mutation).
ALTER TABLE events MATERIALIZE INDEX events_stored_at_minmax;
