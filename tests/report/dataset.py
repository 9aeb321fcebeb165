"""One small, edgy year of stored events, and its figures counted by hand (Europe/Luxembourg
days, skilltech.tools only), for the report tests."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime

from tests.factories import login, record_json

PEAK_USERS = [f"user-peak-{i}" for i in range(5)]
RESENT = str(uuid.uuid4())
TOOLS, TUBE = ("skilltech.tools",), "skilltech.tube"
AFTER_THE_YEAR = datetime(2027, 2, 1, 10, tzinfo=UTC)


def user_key(user: str) -> str:
    return hashlib.sha256(user.encode()).hexdigest()


def _event(kind: str, user: str, when: str, **fields: object) -> bytes:
    return record_json(kind, user_key=user_key(user), occurred_at=when, event_id=str(uuid.uuid4()), **fields)


LOGINS = [
    *[login(user, f"2026-06-{day:02d}T09:00:00+02:00") for user in PEAK_USERS for day in (1, 10)],  # Jun 10 … Jul 30
    login("user-gus", "2025-12-15T10:00:00+01:00"), login("user-gus", "2026-01-05T10:00:00+01:00"),  # Jan 5 … Feb 12
    login("user-ana", "2026-12-01T10:00:00+01:00"), login("user-ana", "2026-12-31T10:00:00+01:00"),  # 31 Dec
    login("user-ben", "2026-11-02T10:00:00+01:00"), login("user-ben", "2026-12-20T10:00:00+01:00"),  # Dec 20 … 31
    login("user-cai", "2026-11-01T10:00:00+01:00"), login("user-cai", "2026-12-20T11:00:00+01:00"),  # Dec 20 … 30
    login("user-dan", "2026-12-31T10:00:00+01:00"), login("user-dan", "2026-12-31T22:30:00Z"),  # 23:30 local: 31 Dec
    login("user-eve", "2026-12-31T12:00:00+01:00"), login("user-eve", "2026-12-31T23:30:00Z"),  # 2nd: 1 Jan 2027
    login("user-fay", "2026-12-10T10:00:00+01:00", event_id=RESENT),
    login("user-fay", "2026-12-10T10:00:00+01:00", event_id=RESENT),  # a resend: one login, fay never active
    login("user-ted", "2026-12-05T10:00:00+01:00", platform=TUBE),
    login("user-ted", "2026-12-06T10:00:00+01:00", platform=TUBE),  # another platform
]
OTHER_EVENTS = [
    _event("training", "user-t1", "2026-03-02T10:00:00+01:00", training_id="ai-1", status="enrolled"),
    _event("training", "user-t1", "2026-03-03T10:00:00+01:00", training_id="ai-1", status="started"),
    _event("training", "user-t1", "2026-03-20T10:00:00+01:00", training_id="ai-1", status="completed"),
    _event("training", "user-t2", "2026-04-01T10:00:00+02:00", training_id="ai-1", status="enrolled"),
    _event("training", "user-t2", "2026-04-15T10:00:00+02:00", training_id="ai-1", status="passed"),
    _event("training", "user-t3", "2026-05-01T10:00:00+02:00", training_id="ai-1", status="enrolled"),
    _event("training", "user-t3", "2026-05-10T10:00:00+02:00", training_id="ai-1", status="failed"),
    _event("training", "user-t4", "2026-05-02T10:00:00+02:00", training_id="ai-1", status="enrolled"),
    _event("training", "user-t1", "2027-01-10T10:00:00+01:00", training_id="ai-2", status="completed"),  # next year
    _event("tool_use", "user-tools", "2025-11-20T10:00:00+01:00", tool_id="quiz-maker", tool_category="assessment",
           action="open"),  # quiz-maker is not new in 2026 …
    _event("tool_use", "user-tools", "2026-09-02T10:00:00+02:00", tool_id="quiz-maker", tool_category="assessment",
           action="edit", feature="timer"),  # … its feature `timer` is
    _event("tool_use", "user-tools", "2026-04-01T10:00:00+02:00", tool_id="podcast-studio",
           tool_category="content_creation", action="create", feature="chapters"),
    _event("tool_use", "user-tools", "2026-09-01T10:00:00+02:00", tool_id="whiteboard",
           tool_category="content_creation", action="create"),
]
USERS = [*PEAK_USERS, "user-gus", "user-ana", "user-ben", "user-cai", "user-dan", "user-eve", "user-fay",
         "user-ted", "user-t1", "user-t2", "user-t3", "user-t4", "user-tools"]

# Counted by hand from the events above (Europe/Luxembourg days, skilltech.tools only).
B2_ON_31_DECEMBER = 3  # ana (1 and 31 Dec), ben (2 Nov is day D-59), dan (two logins on 31 Dec)
B2_PEAK, B2_PEAK_DAY = 5, "2026-06-10"
LOGINS_PER_MONTH = {"2026-01": 1, "2026-06": 10, "2026-11": 2, "2026-12": 8}  # others 0; fay's resend once
MAU_AT_MONTH_END = {"2026-01": 1, "2026-02": 0, "2026-03": 1, "2026-04": 2, "2026-05": 2, "2026-06": 5,
                    "2026-07": 0, "2026-08": 0, "2026-09": 1, "2026-10": 0, "2026-11": 2, "2026-12": 6}
FUNNEL = {"enrolled": 4, "started": 1, "completed": 1, "passed": 1, "failed": 1}
