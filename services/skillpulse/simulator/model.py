"""A population of users in organisations, with login habits from daily to once, tool
use over a catalogue, and trainings that go enrolled → started → completed/passed/failed.

Deterministic for a seed: the same seed gives the same events, event ids included.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

LUXEMBOURG = ZoneInfo("Europe/Luxembourg")

# (tool_id, category, features) per platform.
TOOLS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    "skilltech.tools": [
        ("quiz-maker", "assessment", ("timer", "random-order", "export-pdf")),
        ("padlet-board", "collaboration", ("comments", "templates")),
        ("podcast-studio", "content_creation", ("noise-filter", "chapters")),
        ("comic-creator", "content_creation", ("speech-bubbles",)),
        ("video-editor", "content_creation", ("subtitles", "green-screen")),
        ("forum", "communication", ("mentions",)),
        ("escape-game", "assessment", ("hints",)),
        ("mind-map", "collaboration", ()),
    ],
    "skilltech.tube": [("player", "video", ("speed", "captions")), ("playlist", "video", ())],
    "skilltech.cafe": [("blog", "communication", ("newsletter",))],
}
PLATFORM_SHARE = (("skilltech.tools", 0.7), ("skilltech.tube", 0.2), ("skilltech.cafe", 0.1))
# (mean days between logins, share of users); None = logs in once only.
HABITS = ((1.2, 0.10), (4.0, 0.25), (10.0, 0.25), (30.0, 0.20), (90.0, 0.10), (None, 0.10))
TRAININGS = ("intro-ai-class", "video-basics", "podcast-101", "assessment-design")
METHODS = ("password", "sso", "oauth", "other")


@dataclass(frozen=True)
class User:
    user_id: str
    platform: str
    organisation_id: str
    mean_gap_days: float | None
    training_id: str | None


class Population:
    def __init__(self, users: int, seed: int) -> None:
        rng = random.Random(seed)
        organisations = [f"school-{i:03d}" for i in range(max(1, users // 60))]
        organisations += [f"training-operator-{i:02d}" for i in range(max(1, users // 500))]
        self.users = [
            User(
                user_id=f"u{seed}-{i:06d}",
                platform=_pick(rng, PLATFORM_SHARE),
                organisation_id=rng.choice(organisations),
                mean_gap_days=_pick(rng, HABITS),
                training_id=rng.choice(TRAININGS) if rng.random() < 0.15 else None,
            )
            for i in range(users)
        ]


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([value for value, _ in weighted], weights=[w for _, w in weighted])[0]


def _event(rng: random.Random, user: User, when: datetime, kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "type": kind,
        "occurred_at": when.isoformat(timespec="milliseconds"),
        "user_id": user.user_id,
        "organisation_id": user.organisation_id,
        **fields,
    }


def _session(rng: random.Random, user: User, when: datetime, training_step: str | None) -> list[dict[str, Any]]:
    session = {"session_id": f"s-{rng.getrandbits(48):012x}"}
    events = [_event(rng, user, when, "login", method=rng.choice(METHODS), **session)]
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        tool_id, category, features = rng.choice(TOOLS[user.platform])
        when += timedelta(minutes=rng.randint(1, 20))
        extra = {"feature": rng.choice(features)} if features and rng.random() < 0.4 else {}
        events.append(_event(rng, user, when, "tool_use", tool_id=tool_id, tool_category=category,
                             action=rng.choice(("open", "open", "create", "edit", "publish", "share")),
                             duration_s=round(rng.expovariate(1 / 300), 1), **extra, **session))
    if training_step:
        when += timedelta(minutes=rng.randint(1, 30))
        events.append(_event(rng, user, when, "training", training_id=user.training_id,
                             status=training_step, **session))
    return events


_NEXT_STEP = {None: "enrolled", "enrolled": "started", "started": "finish"}


def backfill_events(population: Population, days: int, end: date, seed: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(platform, event) for `days` calendar days ending on `end`, in time order per day."""
    rng = random.Random(seed + 1)
    now = datetime.now(LUXEMBOURG)
    step: dict[str, str | None] = {}
    logged_once: set[str] = set()
    for offset in range(days - 1, -1, -1):
        day = end - timedelta(days=offset)
        today: list[tuple[datetime, str, dict[str, Any]]] = []
        for user in population.users:
            if user.mean_gap_days is None:
                active = user.user_id not in logged_once and rng.random() < 1 / days
                if active:
                    logged_once.add(user.user_id)
            else:
                active = rng.random() < 1 / user.mean_gap_days
            if not active:
                continue
            start = datetime.combine(day, time(7, 0), LUXEMBOURG) + timedelta(minutes=rng.randint(0, 15 * 60))
            if start > now - timedelta(hours=1):  # no sessions from the future (their events would be refused)
                continue
            training = None
            if user.training_id and rng.random() < 0.3:
                current = step.get(user.user_id)
                training = _NEXT_STEP.get(current)
                if training == "finish":
                    training = rng.choices(("completed", "passed", "failed"), weights=(5, 3, 1))[0]
                if training:
                    step[user.user_id] = training
            for event in _session(rng, user, start, training):
                today.append((start, user.platform, event))
                if rng.random() < 0.005:  # a platform retry: same event, resent
                    today.append((start, user.platform, dict(event)))
        today.sort(key=lambda item: item[0])
        yield from ((platform, event) for _, platform, event in today)


def live_events(population: Population, seed: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """An endless stream of sessions happening now."""
    rng = random.Random(seed + 2)
    while True:
        user = rng.choice(population.users)
        now = datetime.now(LUXEMBOURG)
        for event in _session(rng, user, now, None):
            # Live platforms send each event as it happens: none is stamped in the future.
            event["occurred_at"] = now.isoformat(timespec="milliseconds")
            yield user.platform, event
