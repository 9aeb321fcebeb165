-- Pipeline health for the SRE dashboard, so it needs no metrics backend: counters and
-- gauges the services write every second or per batch (OpenTelemetry exports the same
-- figures when an OTLP endpoint is set). Freshness needs no row here: `events` has
-- occurred_at, received_at and stored_at.
--   service     metric          platform  reason   value
--   collector   accepted        yes       -        events accepted (2xx) in the interval
--   collector   rejected        yes       reason   events rejected in the interval (per event, 202 or 422)
--   collector   ignored         yes       reason   acknowledged by a source, not events (xAPI verb, Keycloak type)
--   collector   voids           yes       -        xAPI voiding statements published
--   collector   rejected_requests yes/-   reason   whole requests refused: 401, 400, 413 (events uncountable)
--   collector   refused         yes       reason   events refused with 503 (overloaded, broker_unavailable)
--   aggregator  stored          yes       -        events inserted by one batch
--   aggregator  dead_lettered   -         reason   records dead-lettered by one batch
--   aggregator  batch_rows      -         -        records in one batch
--   aggregator  insert_ms       -         -        milliseconds to store one batch
--   aggregator  consumer_lag    -         -        records on the topic not yet committed by the group
CREATE TABLE IF NOT EXISTS pipeline_stats
(
    at       DateTime64(3, 'UTC'),
    service  LowCardinality(String),
    metric   LowCardinality(String),
    platform LowCardinality(String),
    reason   LowCardinality(String),
    value    Float64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (service, metric, at)
TTL toDateTime(at) + INTERVAL 90 DAY;
