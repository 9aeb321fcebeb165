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


def test_schema_expresses_the_bounds_of_clean_input() -> None:
    tool_use = json.loads(render_schemas()["tool_use.schema.json"])["properties"]
    assert tool_use["tool_id"]["pattern"] == "^[!-~]([ -~]*[!-~])?$" and tool_use["tool_id"]["maxLength"] == 256
    [duration, _] = tool_use["duration_s"]["anyOf"]
    assert (duration["minimum"], duration["maximum"]) == (0, 7 * 24 * 3600)
    [organisation, _] = tool_use["organisation_id"]["anyOf"]
    assert organisation["maxLength"] == 256 and "\\x00-\\x1f" in organisation["pattern"]
    assert "2097-01-01" in tool_use["occurred_at"]["description"]
