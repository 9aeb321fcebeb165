"""`skillpulse report verify FILE`: check a report against the snapshot stored when it was
generated (agreement Art. 12); registered in the `report` group (cli/report.py).

Exit status: 0 unchanged, 3 some figure changed (each listed with its reason where the
store knows it), 1 the file cannot be verified (not ours, modified, unreadable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skillpulse.config import Settings

if TYPE_CHECKING:
    import uuid

    from skillpulse.report.snapshot_store import SnapshotLookup
    from skillpulse.report.verify import Verification

CHANGED_EXIT_CODE = 3


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _verify_on_the_data_dir(settings: Settings, file: Path) -> Verification:
    """Against the stack running on the data dir (over HTTP: it holds the store), else the
    store itself, opened once for the lookup and every recomputed figure."""
    from skillpulse.report.snapshot import SNAPSHOT_ROUTE
    from skillpulse.report.snapshot_store import SnapshotLookup, lookup
    from skillpulse.report.sources import cli_sources, store_sources
    from skillpulse.report.verify import verify_report
    from skillpulse.stack_client import from_stack_or_store
    from skillpulse.stack_state import find_running_stack

    if find_running_stack(settings.paths.data_dir) is None:
        from skillpulse.store import apply_migrations, open_store

        store = open_store(settings)
        try:
            apply_migrations(store)
            return verify_report(file, lambda sha256, named: lookup(store, sha256, named), store_sources(store))
        finally:
            store.close()

    def over_http(sha256: str, snapshot_id: uuid.UUID | None) -> SnapshotLookup:
        query = {"snapshot_id": str(snapshot_id)} if snapshot_id else {}
        found = from_stack_or_store(settings, f"{SNAPSHOT_ROUTE.removeprefix('/v1/')}/{sha256}", query,
                                    lambda store: lookup(store, sha256, snapshot_id).model_dump(mode="json"))
        return SnapshotLookup.model_validate(found)

    return verify_report(file, over_http, cli_sources(settings))


def format_verification(done: Verification) -> str:
    watermark = done.data_watermark.isoformat() if done.data_watermark else "none (no event was stored)"
    lines = [f"{done.file}: snapshot {done.snapshot_id} ({done.kind} report, generated "
             f"{done.generated_at.isoformat()} by skillpulse {done.software_version}; data watermark {watermark})"]
    if not done.changed:
        lines.append(f"unchanged: all {done.figures} figures recompute to the values in the report")
    else:
        lines.append(f"changed: {len(done.changed)} of {done.figures} figures")
        for change in done.changed:
            lines.append(f"  {change.key}  {change.label}: {_number(change.before)} → {_number(change.after)}")
            lines += [f"      reason: {reason}" for reason in change.reasons]
            lines.append(f"      recompute: {change.command}")
    causes = done.causes
    erasures = "not recorded by this store" if causes.erasures is None else str(len(causes.erasures))
    lines.append(f"since the report: late events: {causes.late_events}; voided statements: "
                 f"{causes.voided_statements}; erasures: {erasures}")
    return "\n".join(lines)


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verification as JSON.")
@click.pass_context
def verify(ctx: click.Context, file: Path, as_json: bool) -> None:
    """Check a report FILE (HTML or PDF) against the snapshot stored when it was generated.

    Finds the snapshot by the file's SHA-256, recomputes every figure with the same
    parameters, and lists those that changed since, with the reason where the store knows
    it (events stored late, voided xAPI statements, erasures). Exit status 0 unchanged,
    3 changed, 1 when the file is not one of our reports or was modified."""
    from skillpulse.errors import SkillpulseError

    settings = ctx.find_object(Settings)
    assert isinstance(settings, Settings)
    try:
        done = _verify_on_the_data_dir(settings, file)
    except SkillpulseError as exc:  # not ours, modified, unreadable parameters, the stack refused the token, …
        if as_json:
            click.echo(json.dumps({"file": str(file), "status": "error", "error": str(exc)}))
            ctx.exit(1)
        raise click.ClickException(str(exc)) from None
    click.echo(done.model_dump_json(indent=2) if as_json else format_verification(done))
    if done.changed:
        ctx.exit(CHANGED_EXIT_CODE)
