"""kill -9 of the whole stack (`skillpulse up`, collector and aggregator in one process)
timed to land inside an insert: while `events` writes its part, or just after the part
is committed and before the views on `events` have written theirs. Nothing acknowledged
is lost, nothing is stored twice in `events` itself, and every table the views feed
agrees with `events` afterwards (the rollups neither doubled nor missing).

CI runs a small count; SKILLPULSE_FAULTS_FULL=1 runs 20 kills.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from skillpulse.credentials import local_operator_token
from skillpulse.role_process import RoleProcess
from skillpulse.stack_client import refresh_rollups
from tests.faults.harness import Deployment, Ledger
from tests.faults.test_delivery import _drain, _send

pytestmark = pytest.mark.integration

FULL = os.environ.get("SKILLPULSE_FAULTS_FULL") == "1"
KILLS, EVENTS = (20, 100_000) if FULL else (2, 6_000)

# Read by a separate process once the stack is gone (chdb opens a path in one process).
# Each figure counts disagreements between a table and what `events` implies for it.
_CONSISTENCY = """
import json, sys
from pathlib import Path
from skillpulse.config import ClickHouseSettings, Settings
from skillpulse.loadtest.ledger import stored_counts
from skillpulse.store import open_store
from skillpulse.store.rollups import DAILY_SQL
store = open_store(Settings(clickhouse=ClickHouseSettings(path=Path(sys.argv[1]))))
def one(sql):
    return int(store.query(sql).result_rows[0][0])
daily = DAILY_SQL.split("SELECT", 1)[1].replace("{where}", "1").replace(", now64(6) AS version", "")
figures = {
    "event_ids_missing": one("SELECT count() FROM (SELECT DISTINCT platform, event_id FROM events) AS e "
                             "LEFT ANTI JOIN event_ids AS i USING (platform, event_id)"),
    "event_ids_extra": one("SELECT count() FROM (SELECT DISTINCT platform, event_id FROM event_ids) AS i "
                           "LEFT ANTI JOIN events AS e USING (platform, event_id)"),
    "login_days_wrong": one(
        "SELECT count() FROM (SELECT platform, user_key, day, organisation_id, uniqExactMerge(logins) AS n "
        "FROM login_days GROUP BY ALL) AS r FULL OUTER JOIN (SELECT platform, user_key, "
        "toDate(occurred_at, 'Europe/Luxembourg') AS day, organisation_id, uniqExact(event_id) AS n FROM events "
        "WHERE type = 'login' GROUP BY ALL) AS e USING (platform, user_key, day, organisation_id) "
        "WHERE r.n != e.n"),
    "user_days_wrong": one(
        "SELECT count() FROM (SELECT DISTINCT platform, user_key, day, organisation_id FROM user_days) AS r "
        "FULL OUTER JOIN (SELECT DISTINCT platform, user_key, toDate(occurred_at, 'Europe/Luxembourg') AS day, "
        "organisation_id, 1 AS present FROM events) AS e USING (platform, user_key, day, organisation_id) "
        "WHERE e.present != 1"),
    "login_day_counts_wrong": one(
        "SELECT count() FROM (SELECT platform, organisation, user_key, day, sum(logins) AS n FROM login_day_counts "
        "GROUP BY ALL) AS r FULL OUTER JOIN (SELECT platform, organisation, user_key, "
        "toDate(occurred_at, 'Europe/Luxembourg') AS day, uniqExact(event_id) AS n FROM events "
        "ARRAY JOIN [organisation_id, '*'] AS organisation WHERE type = 'login' GROUP BY ALL) AS e "
        "USING (platform, organisation, user_key, day) WHERE r.n != e.n"),
    "daily_activity_wrong": one(
        f"SELECT count() FROM (SELECT platform, day, organisation, users, logins FROM daily_activity FINAL) AS r "
        f"FULL OUTER JOIN (SELECT {daily}) AS e USING (platform, day, organisation) "
        "WHERE r.users != e.users OR r.logins != e.logins"),
}
print(json.dumps({"stored": stored_counts(store), "consistency": figures}))
"""


def _events_dir(deployment: Deployment) -> Path:
    return deployment.store_path / "data" / "skillpulse" / "events"


def _kill_inside_an_insert(stack: RoleProcess, events_dir: Path, after_commit: bool, timeout_s: float = 30) -> bool:
    """kill -9 the stack as soon as `events` starts writing a part (`after_commit`: as soon
    as a new part is committed, before the views' parts). Whether an insert was caught."""
    known = {entry.name for entry in os.scandir(events_dir)} if events_dir.exists() else set()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if events_dir.exists():
            names = {entry.name for entry in os.scandir(events_dir)}
            writing = any(name.startswith("tmp_insert") for name in names)
            committed = any(name[:1].isdigit() for name in names - known)
            if committed if after_commit else writing:
                stack.kill()
                return True
            known |= {name for name in names if not name.startswith("tmp")}
        time.sleep(0.0005)
    stack.kill()
    return False


def _start_stack(deployment: Deployment) -> RoleProcess:
    # The collector and the aggregator in one `skillpulse up` on the session's broker.
    deployment.aggregator = RoleProcess(deployment.root / "stack", "all", port=deployment.collector_port,
                                        env=deployment._env(), log=deployment.root / "stack.log").start()
    deployment.aggregator.wait_ready(timeout_s=120)
    return deployment.aggregator


def _read_back(deployment: Deployment) -> dict[str, dict[str, int]]:
    done = subprocess.run([sys.executable, "-c", _CONSISTENCY, str(deployment.store_path)], capture_output=True,
                          text=True, timeout=300, check=True)
    return dict(json.loads(done.stdout))


@pytest.mark.timeout(1800 if FULL else 600)  # each kill restarts the whole stack
def test_kill_9_of_the_stack_inside_an_insert_loses_nothing_and_doubles_nothing(tmp_path: Path,
                                                                                kafka_bootstrap: str) -> None:
    deployment, ledger = Deployment(tmp_path, kafka_bootstrap), Ledger()
    rng = random.Random(16)
    kills_done = threading.Event()
    caught = 0
    try:
        stack = _start_stack(deployment)
        sender = threading.Thread(target=_send, args=(deployment.collector_port, ledger, EVENTS, kills_done, 0.02, 3))
        sender.start()
        for kill in range(KILLS):
            time.sleep(rng.uniform(0.2, 1.5))
            caught += _kill_inside_an_insert(stack, _events_dir(deployment), after_commit=kill % 2 == 0)
            stack = _start_stack(deployment)
        kills_done.set()
        sender.join(timeout=900)
        _drain(deployment)
        token = local_operator_token(stack.data_dir)
        state = stack.wait_serving()
        asyncio.run(refresh_rollups(state.url, timeout_s=300, token=token))
    finally:
        kills_done.set()
        deployment.stop()
    found = _read_back(deployment)
    figures = ledger.compare(found["stored"]) | {"kills": KILLS, "inserts_caught": caught}
    print(json.dumps(figures | found["consistency"]))
    assert caught == KILLS, "a kill did not land inside an insert: the test proved less than it says"
    assert len(ledger.acknowledged) >= EVENTS
    assert (figures["lost"], figures["duplicated"], figures["unexpected"]) == (0, 0, 0), figures
    assert found["consistency"] == dict.fromkeys(found["consistency"], 0), found["consistency"]
