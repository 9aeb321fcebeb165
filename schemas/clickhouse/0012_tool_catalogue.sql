-- The tool catalogue, for MC4 (content-creation tools made available) and MP2 (tools and
-- features made available, 6 a calendar year): what the operator declares released on
-- skilltech.tools (`skillpulse tools add|retire`, POST /v1/tools), not what telemetry first
-- saw. Append-only: every add, correction and retirement is a new row, so the history of a
-- declaration stays readable (Art. 12 keeps documents); an entry's current state is its row
-- with the highest `revision` (`kpi.tool_catalogue` writes previous + 1; `declared_at` alone
-- could tie within a millisecond). An entry is a tool (`feature` = '') or one feature of a
-- declared tool. `aliases` are the other telemetry ids that mean it (a renamed tool_id, or
-- for a feature its other names), so a rename is one tool. `declared_by` is the name of the
-- key that declared it, never a secret. A handful of rows a year: no partitions, no TTL.
CREATE TABLE IF NOT EXISTS tool_catalogue
(
    tool_id        LowCardinality(String),
    feature        LowCardinality(String),
    revision       UInt32,
    action         LowCardinality(String),
    category       LowCardinality(String),
    available_from Date,
    retired_on     Nullable(Date),
    aliases        Array(String),
    declared_at    DateTime64(3, 'UTC') DEFAULT now64(3),
    declared_by    LowCardinality(String),
    note           String
)
ENGINE = MergeTree
ORDER BY (tool_id, feature, revision);
