"""xAPI statements as H5P and Moodle's log store send them, for the xAPI source's tests."""

from __future__ import annotations

import uuid
from typing import Any

ADL = "http://adlnet.gov/expapi/verbs/"
MOODLE = "https://moodle.skilltech.lu"
COURSE = f"{MOODLE}/course/view.php?id=7"


def account(name: str = "1042", home_page: str = MOODLE) -> dict[str, Any]:
    return {"objectType": "Agent", "name": "Ana Example", "account": {"homePage": home_page, "name": name}}


def statement(verb: str = "completed", *, actor: dict[str, Any] | None = None, activity: str = COURSE,
              activity_type: str | None = "http://adlnet.gov/expapi/activities/course", with_id: bool = True,
              timestamp: str | None = "2026-03-01T10:00:00+01:00", **overrides: Any) -> dict[str, Any]:
    definition: dict[str, Any] = {"name": {"en-US": "Intro to AI"}}
    if activity_type is not None:
        definition["type"] = activity_type
    body: dict[str, Any] = {
        "actor": actor or account(),
        "verb": {"id": verb if verb.startswith("http") else ADL + verb, "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": activity, "definition": definition},
        "result": {"completion": True, "success": True, "score": {"scaled": 0.9}},
        "context": {"platform": "Moodle", "language": "fr-LU"},
    }
    if with_id:
        body["id"] = str(uuid.uuid4())
    if timestamp is not None:
        body["timestamp"] = timestamp
    return body | overrides


def voiding(statement_id: str, *, actor: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "actor": actor or account("admin"),
            "verb": {"id": ADL + "voided", "display": {"en-US": "voided"}},
            "object": {"objectType": "StatementRef", "id": statement_id},
            "timestamp": "2026-03-02T09:00:00+01:00"}
