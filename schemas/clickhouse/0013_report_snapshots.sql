-- One row per generated report (yearly, agreement), for the agreement's Art. 12: documents
-- are kept five years after the end of the period it covers (2029), so until 31 December
-- 2034 at least. `skillpulse report verify FILE` finds a file by its SHA-256, recomputes
-- every figure with the same parameters and names what changed since `data_watermark`
-- (the newest `stored_at` of the events the report read).
-- Retention: ten years after generation and never before 1 January 2035, so no report of
-- the agreement can expire before the end of 2034 (tests/report/test_snapshot.py reads
-- this TTL from system.tables and evaluates it).
-- Aggregates only: figures, parameters (period, platforms, manual inputs), hashes. No user
-- key, pseudonym or event id: an erasure of a user's events never has to touch this table.
-- Written once, never updated: a plain MergeTree.
CREATE TABLE IF NOT EXISTS report_snapshots
(
    snapshot_id      UUID,
    kind             LowCardinality(String),
    parameters       String,
    figures          Nested
    (
        key     String,
        label   String,
        value   Nullable(Float64),
        command String
    ),
    data_watermark   Nullable(DateTime64(3, 'UTC')),
    software_version LowCardinality(String),
    file_sha256      FixedString(64),
    pdf_sha256       String,
    generated_at     DateTime64(3, 'UTC'),
    stored_at        DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(generated_at)
ORDER BY (kind, file_sha256, snapshot_id)
TTL greatest(toDateTime(generated_at) + INTERVAL 10 YEAR, toDateTime('2035-01-01 00:00:00', 'UTC'));
