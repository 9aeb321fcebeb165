-- Dead letters keep only the fields known to be safe (skillpulse/aggregator/redaction.py):
-- `payload` is now the JSON of those fields, never the raw record, which is kept only as
-- a keyed hash (HMAC-SHA256, key derived from the pseudonym secret) and a size.
ALTER TABLE rejected_events
    ADD COLUMN IF NOT EXISTS payload_hmac  String DEFAULT '',
    ADD COLUMN IF NOT EXISTS payload_bytes UInt32 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS dropped_keys  UInt32 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS replayable    Bool DEFAULT false;

-- Letters written before this migration kept the raw record (only a top-level `user_id`
-- removed), which could hold raw ids: their payload goes, and so does any event id,
-- platform or field path that has not the shape of one. They stay listed, not replayable.
ALTER TABLE rejected_events UPDATE
    payload = '',
    event_id = if(match(event_id, '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'), event_id, ''),
    platform = if(match(platform, '^[a-z0-9-]+(\\.[a-z0-9-]+){1,3}$'), platform, ''),
    field_path = if(match(field_path, '^[a-z_]+(\\.[a-z_]+)?$'), field_path, '?')
WHERE payload_hmac = ''
SETTINGS mutations_sync = 2;
