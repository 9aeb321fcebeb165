"""The settings classes (see `skillpulse.config`). Their schemas are built when one is
first made (`defer_build`): a command that makes `PathSettings` alone builds no other."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from skillpulse.contract import PLATFORMS, ToolCategory, TrainingStatus


def _env(prefix: str) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, extra="ignore", defer_build=True)


class PathSettings(BaseSettings):
    model_config = _env("SKILLPULSE_")
    data_dir: Path = Path(".skillpulse")


class KafkaSettings(BaseSettings):
    model_config = _env("SKILLPULSE_KAFKA_")
    # Unset: the embedded tansu broker is started on 127.0.0.1.
    bootstrap: str | None = None
    topic: str = "skillpulse.events.v1"
    dlq_topic: str = "skillpulse.events.dlq"
    stats_topic: str = "skillpulse.pipeline.stats"  # the collectors' counts, for `pipeline_stats`
    partitions: int = Field(default=6, ge=1)
    embedded_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    # How every client of the stack authenticates (skillpulse.kafka.security builds the
    # options). The embedded broker takes PLAINTEXT only (tansu 0.6 cannot enforce SASL);
    # Apache Kafka in docker-compose.yml wants SASL_PLAINTEXT + SCRAM-SHA-512, one user per role.
    security_protocol: str = Field(default="PLAINTEXT", pattern=r"^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$")
    sasl_mechanism: str = Field(default="SCRAM-SHA-512", pattern=r"^(SCRAM-SHA-512|SCRAM-SHA-256|PLAIN)$")
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(default=None, description="CA bundle for SSL/SASL_SSL; unset: the system's")


class EmbeddedBrokerSettings(BaseSettings):
    """How `skillpulse up` runs its own broker when no external one is configured (issue 16)."""

    model_config = _env("SKILLPULSE_BROKER_")
    # durable: tansu keeps records in a SeaweedFS object store under <data dir>/objects, so
    # an acknowledged event survives a kill -9 of the broker, the object store or the stack.
    # memory: in tansu's RAM only (lost with the broker; the test fixtures' choice).
    storage: Literal["durable", "memory"] = "durable"
    object_store_port: int = Field(default=0, ge=0, le=65535, description="its S3 port; 0 picks a free one")
    # How often the stack checks that the broker and its object store run (restarting a
    # dead one) and releases what the aggregator already stored.
    supervise_interval_s: float = Field(default=0.5, gt=0)
    release_interval_s: float = Field(default=10.0, gt=0)
    # Dead letters are in the store's rejected_events; their topic keeps them this long.
    dead_letter_retention_hours: float = Field(default=168.0, gt=0)


class ClickHouseSettings(BaseSettings):
    model_config = _env("SKILLPULSE_CLICKHOUSE_")
    # Unset: the embedded chdb store at `path` (default <data dir>/clickhouse).
    url: str | None = None
    path: Path | None = None
    user: str = "default"
    password: SecretStr = SecretStr("")
    database: str = "skillpulse"
    # Set on a ClickHouse cluster (the compose `cluster` profile): migrations run in their
    # sharded, replicated form on it (skillpulse/store/topology.py). Unset: one server.
    cluster: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class PrivacySettings(BaseSettings):
    model_config = _env("SKILLPULSE_")
    # Unset: generated once into <data dir>/pseudonym.key. Changing it breaks every
    # user's continuity (B2 counts the same person as two), so keep it for years.
    pseudonym_key: SecretStr | None = None


class CollectorSettings(BaseSettings):
    model_config = _env("SKILLPULSE_COLLECTOR_")
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    max_body_bytes: int = 1024 * 1024
    max_events: int = 1000
    # Events awaiting the broker's ack across requests; past it: 503, not an endless queue.
    max_in_flight_events: int = Field(default=50_000, ge=1)
    max_future_s: float = Field(default=300.0, description="events further ahead are rejected")
    # The raw events' TTL (schemas/clickhouse/0001): an older event would vanish at once.
    retention_days: int = Field(default=9 * 365, ge=1)
    # JSON object {platform: sha256-hex of its key} (production). Unset: the data dir's keyring
    # (access-keys.json), with the local clients' plain keys in api-keys.txt (skillpulse.credentials).
    api_key_hashes: dict[str, str] | None = None
    platforms: tuple[str, ...] = PLATFORMS
    # A body not read whole within this is refused (408): a trickle cannot hold a connection.
    body_read_timeout_s: float = Field(default=10.0, gt=0)
    # Each platform's events per second (token bucket; a burst of up to `rate_limit_burst`
    # events): past it 429 + Retry-After, so one runaway platform cannot starve the others.
    rate_limit_events_per_s: float = Field(default=50_000.0, gt=0)
    rate_limit_burst: int = Field(default=100_000, ge=1000, description="at least one full batch")
    # The producer sends one request at a time to a broker, holding at most this much per
    # partition: aiokafka's 16 KiB default caps a request at a few dozen records per partition,
    # so throughput was the broker's round trip, not the CPU.
    producer_max_batch_bytes: int = Field(default=1024 * 1024, ge=16 * 1024)
    producer_linger_ms: int = Field(default=2, ge=0, description="wait to fill a batch when no request is in flight")

    @model_validator(mode="after")
    def _a_full_batch_fits_the_burst(self) -> CollectorSettings:
        # Otherwise every full batch would be refused (429) for ever.
        if self.max_events > self.rate_limit_burst:
            raise ValueError("SKILLPULSE_COLLECTOR_MAX_EVENTS is over SKILLPULSE_COLLECTOR_RATE_LIMIT_BURST")
        return self


class AggregatorSettings(BaseSettings):
    model_config = _env("SKILLPULSE_AGGREGATOR_")
    group_id: str = "skillpulse-aggregator"
    # 10,000 rather than 50,000: one batch's rows and the insert's buffers are the
    # aggregator's working set, so smaller batches lower its peak memory under a burst
    # (measured in loadtests/results/aggregator-burst.md).
    batch_max_rows: int = Field(default=10_000, ge=1)
    batch_timeout_ms: int = Field(default=500, ge=1)
    # Kafka prefetches up to this much per partition ahead of the handler: with a
    # backlog, it is memory held for every assigned partition.
    fetch_bytes_per_partition: int = Field(default=8 * 1024 * 1024, ge=64 * 1024)
    retry_backoff_s: float = Field(default=1.0, gt=0)
    refresh_interval_s: float = Field(default=1.0, gt=0, description="rollup catch-up period")
    # Off only for the fault tests' negative control: shows their duplicate check works.
    deduplicate: bool = True


class KeycloakSettings(BaseSettings):
    """The sign-on of skilltech.tools as a source of logins (webhook and admin-API poller)."""

    model_config = _env("SKILLPULSE_KEYCLOAK_")
    # JSON object {realm name: shared secret of its ext-event-http / ext-event-webhook
    # listener}. A webhook is from the realm whose secret signs it; none set: every
    # webhook is refused (401).
    realm_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    # JSON object {Keycloak clientId: platform}; a client not listed is `default_platform`.
    client_platforms: dict[str, str] = Field(default_factory=dict)
    default_platform: str = "skilltech.tools"
    # Event types that are a sign-in of a session (a connection); every other type is
    # acknowledged and counted as ignored.
    login_types: tuple[str, ...] = ("LOGIN", "IDENTITY_PROVIDER_LOGIN")
    # The poller asks again for this much before its cursor: events committed late, or
    # sharing the cursor's millisecond, are not missed (their event_id makes them once).
    poll_overlap_s: float = Field(default=300.0, ge=0)
    poll_page_size: int = Field(default=500, ge=1, le=1000)


class XapiSettings(BaseSettings):
    """The xAPI statements resource (`/xapi/`) as a source of trainings and tool use."""

    model_config = _env("SKILLPULSE_XAPI_")
    # JSON object {platform: SHA-256 hex of "key:secret"}, the LRS credentials its xAPI
    # clients send with HTTP Basic. Unset: <data dir>/xapi-credential-hashes.json, generated
    # with the plain ones in <data dir>/xapi-credentials.txt (skillpulse.sources.xapi_auth).
    credential_hashes: dict[str, str] | None = None
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    max_statements: int = Field(default=1000, ge=1)
    # JSON object {verb IRI: training status}: statements with these verbs on an Activity
    # become `training` events (training_id: the activity id). Any other verb is
    # acknowledged and counted as ignored, per verb.
    verbs: dict[str, TrainingStatus] = {
        "http://adlnet.gov/expapi/verbs/completed": "completed",
        "http://adlnet.gov/expapi/verbs/passed": "passed",
        "http://adlnet.gov/expapi/verbs/failed": "failed",
        "http://adlnet.gov/expapi/verbs/launched": "started",
        "http://adlnet.gov/expapi/verbs/initialized": "started",
        "http://adlnet.gov/expapi/verbs/attempted": "started",
        "http://adlnet.gov/expapi/verbs/registered": "enrolled",
    }
    # JSON object {activity type IRI: tool category}: a verb mapped to `started` on an
    # activity of one of these types is a `tool_use` (action `open`, tool_id: the activity
    # id) instead of a training.
    tool_activity_types: dict[str, ToolCategory] = {"http://activitystrea.ms/schema/1.0/application": "other"}


class AccessSettings(BaseSettings):
    """Who may call what: platform keys, viewer and operator tokens (skillpulse.access)."""

    model_config = _env("SKILLPULSE_ACCESS_")
    # Host headers served (port ignored); any other gets 400, so a DNS-rebinding page
    # cannot reach the API through a browser on this machine.
    allowed_hosts: tuple[str, ...] = ("127.0.0.1", "localhost", "::1")
    # Unset: <data dir>/access-keys.json (hashes only, mode 0600; `skillpulse keys` edits it).
    keyring_path: Path | None = None
    # How long a rotated key keeps working beside its successor, so clients can move over.
    rotation_overlap_days: float = Field(default=7.0, ge=0)


class QuerySettings(BaseSettings):
    """What one read of the store (KPIs, health, dead letters) may cost."""

    model_config = _env("SKILLPULSE_QUERY_")
    # ClickHouse stops a read past these (503): one request cannot hold the store or the
    # process's memory. The contract's KPIs read rollups and stay far below; an ad-hoc
    # window over years of raw events is what they stop.
    max_execution_time_s: float = Field(default=2.0, gt=0)
    max_memory_bytes: int = Field(default=400 * 1024 * 1024, ge=16 * 1024 * 1024)
    # Reads running or waiting at once (one reader handle runs one statement at a time);
    # past it: 429 with Retry-After, not a queue that grows with every request.
    max_concurrent_reads: int = Field(default=4, ge=1)


class Settings(BaseModel):
    model_config = ConfigDict(defer_build=True)

    paths: PathSettings = Field(default_factory=PathSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    broker: EmbeddedBrokerSettings = Field(default_factory=EmbeddedBrokerSettings)
    clickhouse: ClickHouseSettings = Field(default_factory=ClickHouseSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)
    collector: CollectorSettings = Field(default_factory=CollectorSettings)
    aggregator: AggregatorSettings = Field(default_factory=AggregatorSettings)
    keycloak: KeycloakSettings = Field(default_factory=KeycloakSettings)
    xapi: XapiSettings = Field(default_factory=XapiSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    query: QuerySettings = Field(default_factory=QuerySettings)

    def with_data_dir(self, data_dir: Path) -> Settings:
        return self.model_copy(update={"paths": PathSettings(data_dir=data_dir)})


@lru_cache
def get_settings() -> Settings:
    return Settings()
