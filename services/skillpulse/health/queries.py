"""SQL of pipeline health, over `pipeline_stats` (written by the services) and `events`
(occurred_at, received_at, stored_at give freshness). Each query takes `{from_time}` and
`{to_time}` (DateTime64(3), UTC); the SRE dashboard and the KPI board both read these."""

from __future__ import annotations

_IN_RANGE = "at >= {from_time:DateTime64(3)} AND at <= {to_time:DateTime64(3)}"
_STORED_IN_RANGE = "stored_at >= {from_time:DateTime64(3)} AND stored_at <= {to_time:DateTime64(3)}"

# Events per second over the range, by service and metric (accepted, ignored, rejected, refused, stored).
EVENT_RATES = f"""
SELECT service, metric, sum(value) / greatest(dateDiff('millisecond', {{from_time:DateTime64(3)}},
                                                       {{to_time:DateTime64(3)}}) / 1000, 1) AS per_s
FROM pipeline_stats
WHERE {_IN_RANGE} AND metric IN ('accepted', 'ignored', 'rejected', 'refused', 'stored', 'dead_lettered')
GROUP BY service, metric ORDER BY service, metric"""

# Rejections (collector 422s, 503 refusals, aggregator dead letters) by platform and reason, and
# what a source acknowledged but does not count (its reason says what: an xAPI verb, a Keycloak type).
REJECTIONS = f"""
SELECT service, metric, platform, reason, toUInt64(sum(value)) AS events
FROM pipeline_stats
WHERE {_IN_RANGE} AND metric IN ('ignored', 'rejected', 'rejected_requests', 'refused', 'dead_lettered')
GROUP BY service, metric, platform, reason ORDER BY events DESC"""

# Freshness of the events stored in the range, in seconds: occurred → stored (includes
# how late platforms send) and received → stored (the pipeline's own delay), at the
# FRESHNESS_QUANTILES (the board and the load tests read the same query).
FRESHNESS_QUANTILES = ("p50", "p95", "p99", "max")
FRESHNESS = f"""
SELECT count() AS events,
       quantilesExact(0.5, 0.95, 0.99, 1)(dateDiff('millisecond', received_at, stored_at) / 1000) AS received,
       quantilesExact(0.5, 0.95, 0.99, 1)(dateDiff('millisecond', occurred_at, stored_at) / 1000) AS occurred,
       max(stored_at) AS last_stored_at
FROM events
WHERE {_STORED_IN_RANGE}"""

# Aggregator batches: how many, their size and how long their insert took.
BATCHES = f"""
SELECT countIf(metric = 'batch_rows') AS batches,
       avgIf(value, metric = 'batch_rows') AS rows_avg,
       maxIf(value, metric = 'batch_rows') AS rows_max,
       quantileExactIf(0.5)(value, metric = 'insert_ms') AS insert_ms_p50,
       quantileExactIf(0.99)(value, metric = 'insert_ms') AS insert_ms_p99
FROM pipeline_stats
WHERE service = 'aggregator' AND {_IN_RANGE}"""

# The consumer group's lag: last sample in the range, and the peak.
CONSUMER_LAG = f"""
SELECT argMax(value, at) AS latest, max(value) AS peak, max(at) AS sampled_at
FROM pipeline_stats
WHERE service = 'aggregator' AND metric = 'consumer_lag' AND {_IN_RANGE}"""

# Time series of the same figures for Grafana, one row per `{bucket_s:UInt32}`-second
# bucket (the panel's interval), time column first. The bucket and range filters are
# written exactly as the ClickHouse plugin's `$__timeInterval` and `$__timeFilter_ms`
# expand, so `skillpulse.dashboards.sql` renders them back into those macros.
_BUCKET = "toStartOfInterval(toDateTime({column}), INTERVAL {{bucket_s:UInt32}} SECOND)"

# Events accepted per second, by platform.
ACCEPTED_RATE_SERIES = f"""
SELECT {_BUCKET.format(column="at")} AS time, platform, sum(value) / {{bucket_s:UInt32}} AS accepted_per_s
FROM pipeline_stats
WHERE service = 'collector' AND metric = 'accepted' AND {_IN_RANGE}
GROUP BY time, platform ORDER BY time, platform"""

# Events rejected (422), refused (503) and dead-lettered per second, by platform and reason.
REJECTED_RATE_SERIES = f"""
SELECT {_BUCKET.format(column="at")} AS time,
       concat(metric, ' ', if(platform = '', '-', platform), ' ', reason) AS outcome,
       sum(value) / {{bucket_s:UInt32}} AS events_per_s
FROM pipeline_stats
WHERE metric IN ('rejected', 'refused', 'dead_lettered') AND {_IN_RANGE}
GROUP BY time, outcome ORDER BY time, outcome"""

# Freshness percentiles of the events stored in each bucket, in seconds.
FRESHNESS_SERIES = f"""
SELECT {_BUCKET.format(column="stored_at")} AS time,
       quantileExact(0.5)(dateDiff('millisecond', received_at, stored_at) / 1000) AS received_to_stored_p50_s,
       quantileExact(0.99)(dateDiff('millisecond', received_at, stored_at) / 1000) AS received_to_stored_p99_s,
       quantileExact(0.5)(dateDiff('millisecond', occurred_at, stored_at) / 1000) AS occurred_to_stored_p50_s,
       quantileExact(0.99)(dateDiff('millisecond', occurred_at, stored_at) / 1000) AS occurred_to_stored_p99_s
FROM events
WHERE {_STORED_IN_RANGE}
GROUP BY time ORDER BY time"""

# Aggregator batches per bucket: how many, and their size in records.
BATCH_SIZE_SERIES = f"""
SELECT {_BUCKET.format(column="at")} AS time, count() AS batches, avg(value) AS rows_avg, max(value) AS rows_max
FROM pipeline_stats
WHERE service = 'aggregator' AND metric = 'batch_rows' AND {_IN_RANGE}
GROUP BY time ORDER BY time"""

# Time to store one batch, per bucket.
INSERT_LATENCY_SERIES = f"""
SELECT {_BUCKET.format(column="at")} AS time,
       quantileExact(0.5)(value) AS insert_ms_p50, quantileExact(0.99)(value) AS insert_ms_p99
FROM pipeline_stats
WHERE service = 'aggregator' AND metric = 'insert_ms' AND {_IN_RANGE}
GROUP BY time ORDER BY time"""

# The consumer group's lag: the highest sample in each bucket.
CONSUMER_LAG_SERIES = f"""
SELECT {_BUCKET.format(column="at")} AS time, max(value) AS consumer_lag
FROM pipeline_stats
WHERE service = 'aggregator' AND metric = 'consumer_lag' AND {_IN_RANGE}
GROUP BY time ORDER BY time"""
