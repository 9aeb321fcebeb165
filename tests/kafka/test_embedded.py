import json
import socket
from pathlib import Path

import pytest

from skillpulse.kafka import EmbeddedKafka

pytestmark = pytest.mark.integration


def _accepts(bootstrap: str) -> bool:
    host, port = bootstrap.split(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        return True
    except OSError:
        return False


def test_a_second_stack_borrows_the_broker_and_never_stops_it(tmp_path: Path) -> None:
    owner = EmbeddedKafka(tmp_path)
    bootstrap = owner.start()
    try:
        borrower = EmbeddedKafka(tmp_path)
        assert borrower.start() == bootstrap and not borrower.owned
        borrower.stop()
        assert _accepts(bootstrap)
    finally:
        owner.stop()
    assert not _accepts(bootstrap) and not (tmp_path / "broker.json").exists()


def test_a_broker_left_by_a_crashed_stack_is_adopted(tmp_path: Path) -> None:
    first = EmbeddedKafka(tmp_path)
    bootstrap = first.start()
    state = json.loads((tmp_path / "broker.json").read_text())
    (tmp_path / "broker.json").write_text(json.dumps(state | {"owner": 2**22 + 12345}))  # a dead pid
    second = EmbeddedKafka(tmp_path)
    assert second.start() == bootstrap and second.owned
    second.stop()
    assert not _accepts(bootstrap)
