import json

from skillpulse.schema_export import render_schemas
from skillpulse.store.migrations import schemas_dir


def test_committed_json_schemas_match_the_models() -> None:
    folder = schemas_dir() / "events" / "v1"
    for name, text in render_schemas().items():
        committed = folder / name
        assert committed.exists(), f"{name} missing: run `skillpulse export-schemas`"
        assert committed.read_text() == text, f"{name} drifted from the models: run `skillpulse export-schemas`"


def test_schema_requires_the_contract_fields() -> None:
    login = json.loads(render_schemas()["login.schema.json"])
    assert set(login["required"]) == {"event_id", "occurred_at", "type", "user_id"}
    assert login["additionalProperties"] is False
