"""`skillpulse dashboards push`: the ClickHouse data source, a folder and both dashboards
into a running Grafana, through its HTTP API. Idempotent: fixed uids, dashboards saved
with overwrite, so a second push leaves Grafana as the first did.

Six documented calls of Grafana's HTTP API (data sources by uid, folders, dashboards/db),
made with httpx, already a core dependency. Not grafana-client: it depends on niquests,
whose urllib3-future installs itself as `urllib3` and so replaces the urllib3 that
clickhouse-connect uses, which this project does not allow of any dependency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx

from skillpulse.dashboards.clickhouse_query import DATASOURCE_UID, PLUGIN_ID, PLUGIN_VERSION
from skillpulse.dashboards.generate import DASHBOARDS
from skillpulse.dashboards.panels import FOLDER_TITLE, FOLDER_UID
from skillpulse.errors import SkillpulseError

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


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status, self.message = status, message


def _call(api: httpx.Client, method: str, path: str, body: dict[str, Any] | None = None,
          *, missing: bool = False) -> dict[str, Any] | None:
    """Grafana's JSON answer; None for a 404 when `missing` says it may not exist."""
    response = api.request(method, path, json=body)
    if missing and response.status_code == 404:
        return None
    if response.status_code >= 400:
        try:
            message = str(response.json().get("message", response.reason_phrase))
        except ValueError:
            message = response.reason_phrase
        raise _Refused(response.status_code, message)
    answer = response.json() if response.content else {}
    return answer if isinstance(answer, dict) else {}


def _push_datasource(api: httpx.Client, model: dict[str, Any]) -> str:
    existing = _call(api, "GET", f"/api/datasources/uid/{DATASOURCE_UID}", missing=True)
    if existing is None:
        _call(api, "POST", "/api/datasources", model)
        return "created"
    if existing.get("readOnly"):  # provisioned from a file: that file is the source of truth
        return "provisioned (left as is)"
    _call(api, "PUT", f"/api/datasources/uid/{DATASOURCE_UID}", model)
    return "updated"


def _push(api: httpx.Client, connection: ClickHouseConnection, dashboards: Iterable[dict[str, Any]]) -> PushReport:
    report = PushReport(datasource=_push_datasource(api, datasource_model(connection)))
    if _call(api, "GET", f"/api/folders/{FOLDER_UID}", missing=True) is None:
        _call(api, "POST", "/api/folders", {"title": FOLDER_TITLE, "uid": FOLDER_UID})
        report.folder = "created"
    else:
        report.folder = "exists"
    for model in dashboards:
        saved = _call(api, "POST", "/api/dashboards/db", {"dashboard": model, "folderUid": FOLDER_UID,
                                                           "overwrite": True, "message": "skillpulse dashboards push"})
        report.dashboards.append(str((saved or {}).get("url", model["uid"])))
    return report


def push(grafana_url: str, token: str, connection: ClickHouseConnection,
         dashboards: Iterable[dict[str, Any]] | None = None) -> PushReport:
    """Create or update the data source, the folder and the dashboards (default: both)."""
    models = list(dashboards) if dashboards is not None else [build() for build in DASHBOARDS.values()]
    try:
        with httpx.Client(base_url=grafana_url.rstrip("/"), headers={"Authorization": f"Bearer {token}"},
                          timeout=30) as api:
            return _push(api, connection, models)
    except _Refused as exc:
        if exc.status == 401:
            raise PushError(f"Grafana at {grafana_url} refused the token (401 Unauthorized): pass a valid service "
                            "account token with --token") from None
        hint = " (the token needs the Admin role: it creates a data source)" if exc.status == 403 else ""
        raise PushError(f"Grafana at {grafana_url} answered {exc.status}: {exc.message}{hint}") from None
    except (httpx.HTTPError, OSError, ValueError) as exc:  # ValueError: an answer that is not JSON
        raise PushError(f"cannot reach Grafana at {grafana_url}: {exc}") from None
