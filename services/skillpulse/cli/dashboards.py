"""`skillpulse dashboards generate|push`: Grafana dashboards as code."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def dashboards() -> None:
    """Grafana dashboards: write their JSON, or push them to a Grafana."""


@dashboards.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Directory for the JSON files [default: the repository's dashboards/].")
def generate(out: Path | None) -> None:
    """Write contract-kpis.json and pipeline-health.json (what compose provisions)."""
    from skillpulse.dashboards.generate import REPOSITORY_DASHBOARDS, write_dashboards

    for path in write_dashboards(out or REPOSITORY_DASHBOARDS):
        click.echo(str(path))


@dashboards.command()
@click.option("--grafana-url", required=True, envvar="GRAFANA_URL", help="e.g. http://localhost:3000 [env GRAFANA_URL]")
@click.option("--token", required=True, envvar="GRAFANA_TOKEN",
              help="Service account token, Admin role (it creates a data source) [env GRAFANA_TOKEN].")
@click.option("--clickhouse-url", default="http://clickhouse:8123", show_default=True,
              help="ClickHouse's HTTP interface as Grafana's server reaches it.")
@click.option("--clickhouse-user", default="grafana", show_default=True, help="A read-only ClickHouse user.")
@click.option("--clickhouse-password", default="", envvar="CLICKHOUSE_GRAFANA_PASSWORD",
              help="[env CLICKHOUSE_GRAFANA_PASSWORD]")
@click.option("--clickhouse-database", default="skillpulse", show_default=True)
def push(grafana_url: str, token: str, clickhouse_url: str, clickhouse_user: str, clickhouse_password: str,
         clickhouse_database: str) -> None:
    """Create or update the ClickHouse data source, the folder and both dashboards."""
    from skillpulse.dashboards.push import ClickHouseConnection, PushError
    from skillpulse.dashboards.push import push as push_dashboards

    connection = ClickHouseConnection(url=clickhouse_url, user=clickhouse_user, password=clickhouse_password,
                                      database=clickhouse_database)
    try:
        report = push_dashboards(grafana_url, token, connection)
    except PushError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"data source {report.datasource}; folder {report.folder}")
    for url in report.dashboards:
        click.echo(f"dashboard {grafana_url.rstrip('/')}{url}")
