"""`skillpulse dashboards push`: the ClickHouse data source, a folder and both dashboards
into a running Grafana, through its HTTP API (grafana-client). Idempotent: fixed uids,
dashboards saved with overwrite, so a second push leaves Grafana as the first did."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from skillpulse.dashboards.clickhouse_query import DATASOURCE_UID, PLUGIN_ID, PLUGIN_VERSION
from skillpulse.dashboards.generate import DASHBOARDS
from skillpulse.dashboards.panels import FOLDER_TITLE, FOLDER_UID
from skillpulse.errors import SkillpulseError
from skillpulse.extras import needs_extra

with needs_extra("dashboards", "`skillpulse dashboards push`"):
    from grafana_client.api import GrafanaApi
    from grafana_client.client import GrafanaClientError, GrafanaException, GrafanaUnauthorizedError

DATASOURCE_NAME = "Skilltech Pulse ClickHouse"
QUERY_TIMEOUT_S = 60  # sent by the plugin as max_execution_time: the read-only profile allows it


class PushError(SkillpulseError, RuntimeError):
    """Grafana could not be reached or refused a request; the message says what to fix."""


@dataclass(frozen=True)
class ClickHouseConnection:
    """ClickHouse as Grafana's server reaches it (not necessarily as this machine does)."""

    url: str = "http://clickhouse:8123"
    user: str = "grafana"
    password: str = ""
    database: str = "skillpulse"


@dataclass
class PushReport:
    datasource: str = ""  # "created", "updated" or "provisioned (left as is)"
    folder: str = ""
    dashboards: list[str] = field(default_factory=list)  # their URLs in Grafana


def datasource_model(connection: ClickHouseConnection) -> dict[str, Any]:
    """The data source the dashboards' panels name (uid DATASOURCE_UID), over HTTP."""
    parsed = urlparse(connection.url)
    secure = parsed.scheme == "https"
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise PushError(f"--clickhouse-url must look like http://host:8123, not {connection.url!r}")
    source: dict[str, Any] = {
        "uid": DATASOURCE_UID, "name": DATASOURCE_NAME, "type": PLUGIN_ID, "access": "proxy",
        "jsonData": {"host": parsed.hostname, "port": parsed.port or (8443 if secure else 8123), "protocol": "http",
                     "secure": secure, "username": connection.user, "defaultDatabase": connection.database,
                     "queryTimeout": QUERY_TIMEOUT_S, "version": PLUGIN_VERSION},
    }
    if connection.password:  # absent, Grafana keeps the stored one: a re-push without it wipes nothing
        source["secureJsonData"] = {"password": connection.password}
    return source


def _missing(call: Any, *args: Any) -> bool:
    """True when Grafana answers 404 for the object, else its answer is ignored."""
    try:
        call(*args)
    except GrafanaClientError as exc:
        if exc.status_code == 404:
            return True
        raise
    return False


def _push_datasource(api: GrafanaApi, model: dict[str, Any]) -> str:
    try:
        existing = api.datasource.get_datasource_by_uid(DATASOURCE_UID)
    except GrafanaClientError as exc:
        if exc.status_code != 404:
            raise
        api.datasource.create_datasource(model)
        return "created"
    if existing.get("readOnly"):  # provisioned from a file: that file is the source of truth
        return "provisioned (left as is)"
    api.datasource.update_datasource_by_uid(DATASOURCE_UID, model)
    return "updated"


def _push(api: GrafanaApi, connection: ClickHouseConnection, dashboards: Iterable[dict[str, Any]]) -> PushReport:
    report = PushReport(datasource=_push_datasource(api, datasource_model(connection)))
    if _missing(api.folder.get_folder, FOLDER_UID):
        api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
        report.folder = "created"
    else:
        report.folder = "exists"
    for model in dashboards:
        saved = api.dashboard.update_dashboard({"dashboard": model, "folderUid": FOLDER_UID, "overwrite": True,
                                                "message": "skillpulse dashboards push"})
        report.dashboards.append(str(saved.get("url", model["uid"])))
    return report


def push(grafana_url: str, token: str, connection: ClickHouseConnection,
         dashboards: Iterable[dict[str, Any]] | None = None) -> PushReport:
    """Create or update the data source, the folder and the dashboards (default: both)."""
    models = list(dashboards) if dashboards is not None else [build() for build in DASHBOARDS.values()]
    api = GrafanaApi.from_url(grafana_url, credential=token)
    try:
        return _push(api, connection, models)
    except GrafanaUnauthorizedError:
        raise PushError(f"Grafana at {grafana_url} refused the token (401 Unauthorized): pass a valid service "
                        "account token with --token") from None
    except GrafanaClientError as exc:
        hint = " (the token needs the Admin role: it creates a data source)" if exc.status_code == 403 else ""
        raise PushError(f"Grafana at {grafana_url} answered {exc.status_code}: {exc.message}{hint}") from None
    except (GrafanaException, OSError) as exc:
        raise PushError(f"cannot reach Grafana at {grafana_url}: {exc}") from None
