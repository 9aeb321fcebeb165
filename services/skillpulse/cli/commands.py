"""The `skillpulse` commands; each one is a thin shell over a library function."""

from __future__ import annotations

import importlib
import json
import logging
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from skillpulse.config import SettingsOnDemand
from skillpulse.contract import PLATFORMS
from skillpulse.errors import SkillpulseError

if TYPE_CHECKING:
    from skillpulse.config import Settings
    from skillpulse.dead_letters import ReplayOutcome

# The commands of their own modules, as "module:attribute", imported when one is looked
# for: a command then loads its own module only, not every other command's imports.
_COMMANDS_ELSEWHERE = {
    "backup": "skillpulse.cli.backup:backup",
    "dashboards": "skillpulse.cli.dashboards:dashboards",
    "erase": "skillpulse.cli.erase:erase",
    "ingest": "skillpulse.cli.ingest:ingest",
    "keys": "skillpulse.cli.keys:keys",
    "loadtest": "skillpulse.cli.loadtest:loadtest",
    "report": "skillpulse.cli.report:report",
    "restore": "skillpulse.cli.backup:restore",
    "sources": "skillpulse.cli.sources:sources",
    "tools": "skillpulse.cli.tools:tools",
}


# Commands that ask the running stack when one runs: their settings are built when needed,
# so that asking the stack builds none but the data dir's.
_STACK_CLIENT_GROUPS = frozenset({"kpi", "dlq"})


def _on_demand(ctx: click.Context) -> SettingsOnDemand:
    found = ctx.obj
    if isinstance(found, SettingsOnDemand):
        return found
    from skillpulse.config import Settings

    assert isinstance(found, Settings)
    return SettingsOnDemand.of(found)


def _settings(ctx: click.Context) -> Settings:
    return _on_demand(ctx).settings


class _Commands(click.Group):
    """The package's own errors (a missing extra, a busy store, a refused request) end the
    command with their message, not a traceback. The commands of `_COMMANDS_ELSEWHERE`
    are added when first looked for."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in _COMMANDS_ELSEWHERE and cmd_name not in self.commands:
            module, attribute = _COMMANDS_ELSEWHERE[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_COMMANDS_ELSEWHERE})

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SkillpulseError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Commands)
@click.option("--data-dir", type=click.Path(path_type=Path), default=None,
              help="Where embedded data and secrets live [env SKILLPULSE_DATA_DIR, default ./.skillpulse].")
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, verbose: bool) -> None:
    """Skilltech Pulse: usage telemetry and exact contract KPIs."""
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiokafka").setLevel(max(level, logging.INFO))  # its DEBUG prints fetched records: payloads
    on_demand = SettingsOnDemand(data_dir)
    ctx.obj = on_demand if ctx.invoked_subcommand in _STACK_CLIENT_GROUPS else on_demand.settings


@main.command()
@click.option("--print-sql", is_flag=True,
              help="Print every migration's SQL as it runs on the configured topology (one server, or the "
                   "cluster of SKILLPULSE_CLICKHOUSE_CLUSTER) and apply nothing.")
@click.pass_context
def migrate(ctx: click.Context, print_sql: bool) -> None:
    """Apply pending ClickHouse migrations."""
    from skillpulse.store import StoreBusyError, apply_migrations, open_store, topology_of

    settings = _settings(ctx)
    topology = topology_of(settings.clickhouse)
    if print_sql:
        from skillpulse.store.migrations import migration_files, runnable, statements

        for migration in migration_files():
            click.echo(f"-- {migration.path.name}")
            for statement in statements(migration.path.read_text()):
                for rendered in runnable(statement, topology):
                    click.echo(rendered + ";")
        return
    try:
        store = open_store(settings)
    except StoreBusyError as exc:
        raise click.ClickException(f"{exc} (the running stack applied the migrations at start)") from None
    applied = apply_migrations(store, topology)
    click.echo("applied: " + ", ".join(applied) if applied else "schema up to date")


@main.command()
@click.option("--port", type=int, default=None, help="HTTP port [env SKILLPULSE_COLLECTOR_PORT, default 8080].")
@click.option("--role", type=click.Choice(["all", "collector", "aggregator"]), default="all", show_default=True,
              help="Run everything (embedded), or one service (one container each in production).")
@click.pass_context
def up(ctx: click.Context, port: int | None, role: str) -> None:
    """Run the stack until Ctrl-C; print its URLs."""
    import asyncio  # here and in the other commands that run a loop: `kpi` and `dlq list` need none
    import signal

    from skillpulse.stack_client import free_port_if_taken, pipeline
    from skillpulse.stack_state import find_running_stack

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        roles = ("collector", "aggregator") if role == "all" else (role,)
        settings = _settings(ctx)
        # The configured port or none: platforms and proxies are set up to reach it, so a
        # stack of its own on another port would take their events nowhere they look.
        wanted = settings.collector.port if port is None else port
        if find_running_stack(settings.paths.data_dir) is None and free_port_if_taken(
                settings.collector.host, wanted) != wanted:
            raise click.ClickException(f"port {wanted} is taken by another program (a stack on another data "
                                       "dir?): choose another with --port or SKILLPULSE_COLLECTOR_PORT")
        async with pipeline(settings, port=wanted, roles=roles) as running:
            if running.stack is None:
                raise click.ClickException(f"a stack already runs on this data dir: {running.url}")
            if "collector" in roles:
                click.echo(f"collector  POST {running.url}/v1/events   (keys: skillpulse keys)")
            if "aggregator" in roles:
                click.echo(f"KPI API    GET  {running.url}/v1/kpi/active-users?from=YYYY-MM-DD&to=YYYY-MM-DD")
                click.echo(f"KPI board  GET  {running.url}/board   (token: skillpulse keys create --access viewer)")
            click.echo(f"health     GET  {running.url}/healthz  {running.url}/readyz")
            click.echo(f"Kafka      {running.bootstrap}")
            click.echo("Ctrl-C to stop (drains the topic first).")
            await stop.wait()
        click.echo("stopped")

    asyncio.run(run())


class _KpiCommands(click.Group):
    """The catalogue's metric commands are added when one is first looked for, so that
    `kpi summary` does not import the catalogue and its queries."""

    metrics_added = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, cmd_name) or self._with_metrics().commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._with_metrics()
        return super().list_commands(ctx)

    def _with_metrics(self) -> _KpiCommands:
        if not self.metrics_added:
            self.metrics_added = True
            _register_metrics(self)
        return self


@main.group(cls=_KpiCommands)
def kpi() -> None:
    """Compute KPIs (from the running stack's API, or from the store directly)."""


def _metric_command(slug: str, help_text: str) -> click.Command:
    @click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True)
    @click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), required=True)
    @click.option("--window-days", type=int, default=60, show_default=True, help="active-users only")
    @click.option("--min-logins", type=int, default=2, show_default=True, help="active-users only")
    @click.option("--platform", "platforms", multiple=True, default=(PLATFORMS[0],), show_default=True)
    @click.option("--organisation", default=None)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def command(ctx: click.Context, start: Any, end: Any, window_days: int, min_logins: int,
                platforms: tuple[str, ...], organisation: str | None, as_json: bool) -> None:
        from pydantic import ValidationError

        from skillpulse.kpi import KpiParams
        from skillpulse.stack_client import fetch_metric

        try:
            params = KpiParams(start=start.date(), end=end.date(), window_days=window_days, min_logins=min_logins,
                               platforms=platforms, organisation=organisation)
            result = fetch_metric(_on_demand(ctx), slug, params)
        except (ValidationError, ValueError) as exc:
            raise click.BadParameter(str(exc)) from None
        if as_json:
            click.echo(json.dumps(result))
        else:
            for row in result if isinstance(result, list) else [result]:
                click.echo("  ".join(f"{key}={value}" for key, value in row.items()))

    return click.command(slug, help=help_text)(command)


def _register_metrics(group: click.Group) -> None:
    from skillpulse.kpi.catalogue import METRICS

    for metric in METRICS.values():
        target = f" Target: {metric.target:g} ({metric.target_period})." if metric.target else ""
        group.add_command(_metric_command(metric.slug, f"{metric.id}: {metric.definition}.{target}"))


@kpi.command("summary")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Default: today.")
@click.option("--platform", "platforms", multiple=True, default=(PLATFORMS[0],), show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def summary(ctx: click.Context, as_of: Any, platforms: tuple[str, ...], as_json: bool) -> None:
    """The contract table: value, target and progress of each agreement KPI."""
    from skillpulse.stack_client import fetch_summary

    table = fetch_summary(_on_demand(ctx), as_of.date() if as_of else date.today(), platforms)
    if as_json:
        click.echo(json.dumps(table, indent=2))
        return
    from skillpulse.kpi.summary import format_summary  # its module imports the catalogue

    click.echo(format_summary(table))


@main.command()
@click.option("--users", type=int, default=5000, show_default=True)
@click.option("--days", type=int, default=90, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Last simulated day (default today).")
@click.pass_context
def demo(ctx: click.Context, users: int, days: int, seed: int, end: Any) -> None:
    """Start the embedded stack, simulate DAYS x USERS through the collector, print the KPIs."""
    import asyncio

    from skillpulse.cli.demo import run_demo

    asyncio.run(run_demo(_settings(ctx), users=users, days=days, seed=seed, end=end.date() if end else None))


@main.command()
@click.option("--users", type=int, default=5000, show_default=True)
@click.option("--days", type=int, default=0, show_default=True, help="Backfill this many past days first.")
@click.option("--rate", type=float, default=0.0, help="Then send live events at this many per second until Ctrl-C.")
@click.option("--seed", type=int, default=42, show_default=True)
@click.pass_context
def simulate(ctx: click.Context, users: int, days: int, rate: float, seed: int) -> None:
    """Send realistic traffic to the running stack (or an in-process one)."""
    import asyncio

    from skillpulse.cli.demo import run_simulation

    asyncio.run(run_simulation(_settings(ctx), users=users, days=days, rate=rate, seed=seed))


@main.group()
def dlq() -> None:
    """Dead letters: records the aggregator could not store."""


@dlq.command("list")
@click.option("--reason", default="", help="Only this reason code.")
@click.option("--limit", type=int, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def dlq_list(ctx: click.Context, reason: str, limit: int, as_json: bool) -> None:
    """List dead letters, newest first."""
    from skillpulse.stack_client import fetch_dead_letters

    letters = fetch_dead_letters(_on_demand(ctx), reason=reason, limit=limit)
    if as_json:
        click.echo(json.dumps(letters, indent=2))
        return
    for letter in letters:
        click.echo(f"{letter['rejected_at']}  {letter['reason']:<18} {letter['field_path'] or '-':<20} "
                   f"{letter['topic']}[{letter['partition']}]@{letter['offset']}  event_id={letter['event_id'] or '?'}"
                   f"{'  (replayed)' if letter['replayed'] else ''}")
    click.echo(f"{len(letters)} dead letters")


@dlq.command("replay")
@click.option("--reason", default="", help="Only this reason code.")
@click.pass_context
def dlq_replay(ctx: click.Context, reason: str) -> None:
    """Send dead letters not yet replayed back to the events topic (after a fix)."""
    import asyncio

    from skillpulse.stack_client import pipeline

    async def run() -> ReplayOutcome:
        async with pipeline(_settings(ctx)) as running:
            outcome = await running.replay_dead_letters(reason)
            await running.wait_until_stored()
            return outcome

    outcome = asyncio.run(run())
    # Skipped letters could not be rebuilt into a complete event; they stay pending.
    click.echo(f"replayed {outcome.replayed} dead letters, skipped {outcome.skipped}")


@main.command("export-schemas")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None)
def export_schemas(out: Path | None) -> None:
    """Write the event contract's JSON Schemas (default: schemas/events/v1/)."""
    from skillpulse.schema_export import write_schemas

    for path in write_schemas(out):
        click.echo(str(path))

