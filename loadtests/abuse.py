"""Abuse at a bounded cost (#13): on a store of ~6 M login events, the issue's worst KPI
request and variants within the bounds (time, the stack process's extra RSS), and
`/healthz` latency alone, then while 4 abusive KPI requests, oversized bodies and
trickling bodies run at once.

    python loadtests/abuse.py [--events 6000000 --users 300000] [--data-dir DIR] [--reuse]

The stack is `skillpulse up` in a process of its own (its RSS is measured, its event
loop is not shared with this client). Prints the figures and writes
loadtests/results/abuse.md and abuse.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import psutil

RESULTS = Path(__file__).parent / "results"
WORST = {"from": "2016-12-06", "to": "2026-12-01", "window_days": "3660", "min_logins": "10000"}
VARIANTS = {  # within the bounds: the most a request may ask
    "issue's worst (window 3660, min_logins 10000)": WORST,
    "10 years, window 366, min_logins 2": WORST | {"window_days": "366", "min_logins": "2"},
    "10 years, window 366, min_logins 3660": WORST | {"window_days": "366", "min_logins": "3660"},
    "10 years, window 59 (general path)": WORST | {"window_days": "59", "min_logins": "2"},
    "10 years, B2 default, one organisation": WORST | {"window_days": "60", "min_logins": "2",
                                                       "organisation": "school-7"},
    "10 years, B2 default (fast path)": WORST | {"window_days": "60", "min_logins": "2"},
}
ABUSIVE = VARIANTS["10 years, window 366, min_logins 2"]
ABUSE_S = 25.0  # longer than the probe under abuse takes

GENERATE_SQL = """
INSERT INTO events (event_id, type, platform, occurred_at, received_at, user_key, organisation_id)
SELECT generateUUIDv4(number), 'login', 'skilltech.tools',
       toDateTime64('2020-01-01 00:00:00', 3, 'UTC') + toIntervalSecond(intHash64(number) % (7 * 365 * 86400)),
       now64(3),
       lower(hex(SHA256(toString(intHash32(number * 7919) % {users})))),
       concat('school-', toString(intHash32(number * 7919) % {users} % 500))
FROM numbers({events})
"""


def load(data_dir: Path, events: int, users: int) -> None:
    """Generated rows straight into the store (as kpi_benchmark.py), rollups refreshed; in a
    process of its own, so the store's path is free for the stack afterwards."""
    from skillpulse.config import Settings
    from skillpulse.store import apply_migrations, open_store
    from skillpulse.store.rollups import refresh_daily_activity, refresh_pending, refresh_user_activity

    store = open_store(Settings().with_data_dir(data_dir))
    apply_migrations(store)
    started = time.perf_counter()
    store.command(GENERATE_SQL.format(users=users, events=events))
    refresh_user_activity(store)
    refresh_daily_activity(store)
    refresh_pending(store)  # else the stack would recompute every user while it is measured
    print(f"loaded {events:,} events in {time.perf_counter() - started:.0f} s", flush=True)


class Timed(NamedTuple):
    status: int
    seconds: float
    extra_rss_mb: float


class RssPeak:
    """The peak RSS of a process while the block runs, sampled every 10 ms."""

    def __init__(self, process: psutil.Process) -> None:
        self.process, self.peak, self._stop = process, 0, threading.Event()

    def __enter__(self) -> RssPeak:
        self.before = self.peak = self.process.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def extra_mb(self) -> float:
        return (self.peak - self.before) / 2**20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _headers(data_dir: Path) -> dict[str, str]:
    token = data_dir / "operator.token"
    return {"Authorization": f"Bearer {token.read_text().strip()}"} if token.exists() else {}


async def _healthz_latencies(http: httpx.AsyncClient, count: int, pause_s: float = 0.02) -> list[float]:
    found = []
    for _ in range(count):
        started = time.perf_counter()
        response = await http.get("/healthz")
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        await asyncio.sleep(pause_s)
    return found


def _summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {"p50_ms": round(statistics.median(ordered), 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
            "max_ms": round(ordered[-1], 1), "requests": len(ordered)}


async def _trickle(url: str, key: str, stop: asyncio.Event) -> str:
    """A 1,000-byte body sent at 1 byte every 2 s: the status line it gets."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"POST /v1/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n"
                 "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode())
    answer = asyncio.create_task(reader.readline())
    while not answer.done() and not stop.is_set():
        try:
            writer.write(b" ")
            await writer.drain()
        except ConnectionError:
            break
        await asyncio.wait([answer], timeout=2)
    writer.close()
    return (await answer).decode().strip() if answer.done() else "no answer"


async def _abuse(url: str, headers: dict[str, str], platform_key: str, stop: asyncio.Event,
                 kinds: frozenset[str]) -> dict[str, int]:
    statuses: dict[str, int] = {}

    def seen(what: str, status: int | str) -> None:
        statuses[f"{what} {status}"] = statuses.get(f"{what} {status}", 0) + 1

    async def kpi_loop() -> None:
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as http:
            while not stop.is_set():
                seen("abusive KPI", (await http.get("/v1/kpi/active-users", params=ABUSIVE)).status_code)

    async def oversized_loop() -> None:
        body = b"[" + b" " * (2 * 1024 * 1024) + b"]"
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while not stop.is_set():
                response = await http.post("/v1/events", content=body, headers={
                    "Authorization": f"Bearer {platform_key}", "Content-Type": "application/json"})
                seen("2 MiB body", response.status_code)

    async def trickle_loop() -> None:
        while not stop.is_set():
            status_line = await _trickle(url, platform_key, stop)
            seen("trickled body", status_line.split(" ")[1] if status_line.startswith("HTTP/") else "cut at the end")

    tasks = [*(kpi_loop() for _ in range(4) if "kpi" in kinds), *(oversized_loop() for _ in "x" if "big" in kinds),
             *(trickle_loop() for _ in range(4) if "slow" in kinds)]
    await asyncio.gather(*tasks)
    return statuses


def _abuse_for(url: str, headers: dict[str, str], platform_key: str, kinds: frozenset[str], seconds: float,
               answers: multiprocessing.Queue[dict[str, int]]) -> None:
    """Run the abuse for `seconds` (in the abusers' process); put what it was answered."""

    async def timed() -> dict[str, int]:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(seconds, stop.set)
        return await _abuse(url, headers, platform_key, stop, kinds)

    answers.put(asyncio.run(timed()))


async def measure(url: str, data_dir: Path, process: psutil.Process, kinds: frozenset[str]) -> dict[str, Any]:
    headers = _headers(data_dir)
    from skillpulse.config import Settings
    from skillpulse.credentials import ensure_api_keys

    platform_key = ensure_api_keys(Settings().with_data_dir(data_dir))["skilltech.tools"]
    figures: dict[str, Any] = {"kpi": {}}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=120) as http:
        await http.get("/v1/kpi/active-users", params=VARIANTS["10 years, B2 default (fast path)"])  # warm
        for name, params in VARIANTS.items():
            with RssPeak(process) as rss:
                started = time.perf_counter()
                response = await http.get("/v1/kpi/active-users", params=params)
                seconds = time.perf_counter() - started
            figures["kpi"][name] = Timed(response.status_code, round(seconds, 2), round(rss.extra_mb))._asdict()
            print(f"{name}: {response.status_code} in {seconds:.2f} s, +{rss.extra_mb:.0f} MB RSS", flush=True)
        figures["healthz_alone"] = _summary(await _healthz_latencies(http, 500))
        print("healthz alone:", figures["healthz_alone"], flush=True)
        # The abusers run in a process of their own: their sends must not delay this probe's loop.
        answers: multiprocessing.Queue[dict[str, int]] = multiprocessing.get_context("spawn").Queue()
        abusers = multiprocessing.get_context("spawn").Process(
            target=_abuse_for, args=(url, headers, platform_key, kinds, ABUSE_S, answers))
        abusers.start()
        await asyncio.sleep(2)
        with RssPeak(process) as rss:
            figures["healthz_under_abuse"] = _summary(await _healthz_latencies(http, 500))
        figures["abuse_answers"] = answers.get(timeout=ABUSE_S + 60)
        abusers.join()
        figures["abuse_extra_rss_mb"] = round(rss.extra_mb)
        print("healthz under abuse:", figures["healthz_under_abuse"], figures["abuse_answers"], flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=6_000_000)
    parser.add_argument("--users", type=int, default=300_000)
    parser.add_argument("--data-dir", type=Path, default=Path(".skillpulse/abuse"))
    parser.add_argument("--reuse", action="store_true", help="keep the store of an earlier run")
    parser.add_argument("--abuse", default="kpi,big,slow", help="which abuse runs beside /healthz: kpi, big, slow")
    parser.add_argument("--load", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    if args.load:
        return load(data_dir, args.events, args.users)
    if not args.reuse:
        subprocess.run(["rm", "-rf", str(data_dir)], check=True)
        data_dir.mkdir(parents=True)
        subprocess.run([sys.executable, __file__, "--load", "--data-dir", str(data_dir), "--events",
                        str(args.events), "--users", str(args.users)], check=True)
    port = _free_port()
    env = os.environ | {"SKILLPULSE_DATA_DIR": str(data_dir)}
    stack = subprocess.Popen([Path(sys.executable).with_name("skillpulse"), "up", "--port", str(port)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        figures = asyncio.run(measure(url, data_dir, psutil.Process(stack.pid), frozenset(args.abuse.split(","))))
    finally:
        stack.terminate()  # it drains and refreshes before it stops
        try:
            stack.wait(600)
        except subprocess.TimeoutExpired:
            stack.kill()
    figures |= {"date": datetime.now().isoformat(timespec="seconds"), "events": args.events, "users": args.users,
                "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}",
                "command": " ".join(["python loadtests/abuse.py", *sys.argv[1:]])}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "abuse.json").write_text(json.dumps(figures, indent=2) + "\n")
    (RESULTS / "abuse.md").write_text(_markdown(figures))
    print((RESULTS / "abuse.md").read_text())


def _markdown(figures: dict[str, Any]) -> str:
    lines = [f"# Abuse at a bounded cost\n\nRun {figures['date']} on {figures['machine']}, a store of "
             f"{figures['events']:,} login events of {figures['users']:,} users over 7 years; the stack is "
             "`skillpulse up` in its own process.\n", "| KPI request (`/v1/kpi/active-users`, 2016-12-06 → 2026-12-01) "
             "| status | seconds | extra RSS (MB) |", "|---|---:|---:|---:|"]
    lines += [f"| {name} | {row['status']} | {row['seconds']} | {row['extra_rss_mb']} |"
              for name, row in figures["kpi"].items()]
    lines += ["", "| `/healthz` | p50 ms | p99 ms | max ms | requests |", "|---|---:|---:|---:|---:|"]
    for name in ("healthz_alone", "healthz_under_abuse"):
        row = figures[name]
        lines.append(f"| {name.replace('_', ' ')} | {row['p50_ms']} | {row['p99_ms']} | {row['max_ms']} "
                     f"| {row['requests']} |")
    answers = ", ".join(f"{what}: {count}" for what, count in sorted(figures["abuse_answers"].items()))
    lines += ["", f"Under abuse: 4 clients looping the KPI request `window_days=366&min_logins=2` over 10 years, "
              f"one looping 2 MiB bodies, 4 trickling bodies at 1 byte / 2 s. Their answers: {answers}. "
              f"Extra RSS of the stack meanwhile: {figures['abuse_extra_rss_mb']} MB.", "",
              f"Command: `{figures['command']}`", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
