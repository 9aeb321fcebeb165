"""`skillpulse up` serves the configured port or none: platforms are set up to reach it, so
unlike a command's own stack (`ingest`, `demo`: a free port) it refuses a port held by another
program with a one-line error, before it starts anything."""

import os
import socket
import subprocess
import sys
from pathlib import Path


def test_up_refuses_a_port_another_program_holds(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = os.environ | {"SKILLPULSE_COLLECTOR_PORT": str(port), "SKILLPULSE_BROKER_STORAGE": "memory"}
        done = subprocess.run([sys.executable, "-m", "skillpulse", "--data-dir", str(tmp_path / "data"), "up"],
                              env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"Error: port {port} is taken by another program (a stack on another data dir?): "
                                   "choose another with --port or SKILLPULSE_COLLECTOR_PORT")
    assert not (tmp_path / "data" / "clickhouse").exists()  # refused before anything started
