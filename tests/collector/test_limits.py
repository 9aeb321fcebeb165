"""What the collector gives back and how far it walks: rate-limit tokens of refused
events are refunded; a duplicate key deep in an event is found with its whole path, by a
walk that visits each container once."""

from __future__ import annotations

import json
from typing import Any

from skillpulse.collector import validation
from skillpulse.collector.rate_limit import PlatformRates
from skillpulse.collector.validation import parse_body
from tests.factories import platform_event


def test_refused_events_get_their_tokens_back_and_no_more() -> None:
    now = [0.0]
    rates = PlatformRates(events_per_s=100, burst=1000, clock=lambda: now[0])
    assert rates.take("p", 800) is None
    assert rates.take("p", 800) is not None  # 200 left
    rates.refund("p", 800)  # the 800 taken were refused (503)
    assert rates.take("p", 1000) is None  # all of the burst again
    rates.refund("p", 5000)
    assert rates.take("p", 1001) is not None  # never above the burst
    rates.refund("other", 10)  # a platform that took nothing: nothing to give back
    assert rates.take("other", 1000) is None


def _nested(depth: int, inner: str) -> str:
    # Each level holds a sibling container too, off the path to the duplicate.
    return '{"c": {}, "a": [' * depth + inner + "]}" * depth


def test_a_deep_duplicate_is_found_with_its_whole_path_visiting_each_container_once(monkeypatch: Any) -> None:
    depth = 300  # within json's own nesting limit
    event = json.dumps(platform_event())[:-1]
    duplicate = '{"b": 1, "b": 2}'
    body = f'[{event}, "x": {_nested(depth, duplicate)}}}]'.encode()
    spelled = []
    real_path = validation._path

    def counting_path(loc: tuple[int | str, ...]) -> str:
        spelled.append(loc)
        return real_path(loc)

    monkeypatch.setattr(validation, "_path", counting_path)
    [item] = parse_body(body, max_events=10)
    assert isinstance(item, validation._Ambiguous)
    assert item.path == "x." + "a.0." * depth + "b"
    # Keys are spelled out along the one path found (and `b` once by the hook), never for
    # the containers off it, nor as a prefix rebuilt at every level.
    assert len(spelled) == 2 * depth + 2
