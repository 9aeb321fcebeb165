"""`skillpulse report`: the yearly report (`--year`), and the group its subcommands join
(`report verify FILE` is registered below from its own module)."""

from __future__ import annotations

from pathlib import Path

import click

from skillpulse.cli.report_verify import verify
from skillpulse.config import Settings
from skillpulse.contract import PLATFORMS


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_object(Settings)
    assert isinstance(settings, Settings)
    return settings


@click.group(invoke_without_command=True)
@click.option("--year", type=int, default=None,
              help="Calendar year of the report (2026 or later; an earlier year needs stored data).")
@click.option("--agreement", type=click.Choice(["2026-2029"]), default=None,
              help="Instead of --year: the report on the whole agreement (Art. 8), figures to date while it runs.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="HTML file to write.")
@click.option("--manual-inputs", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML file of the Annex 2 indicators telemetry cannot measure "
                   "(example: infra/report/manual-inputs.example.toml); without it they read 'not provided'.")
@click.option("--platform", "platforms", type=click.Choice(PLATFORMS), multiple=True, default=(PLATFORMS[0],),
              show_default=True)
@click.option("--pdf", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also print the report to this PDF (needs chromium on PATH).")
@click.pass_context
def report(ctx: click.Context, year: int | None, agreement: str | None, out: Path | None,
           manual_inputs: Path | None, platforms: tuple[str, ...], pdf: Path | None) -> None:
    """Annual KPI report for the ministry (agreement Art. 8), or with --agreement the report on
    the whole agreement; one self-contained HTML file."""
    if ctx.invoked_subcommand is not None:
        return
    # Required only when no subcommand runs: `report verify FILE` takes neither.
    if year is not None and agreement is not None:
        raise click.UsageError("--year and --agreement are two reports: give one.", ctx)
    if year is None and agreement is None:
        raise click.UsageError("Missing option '--year' (or '--agreement').", ctx)
    if out is None:
        raise click.UsageError("Missing option '--out'.", ctx)
    if agreement is not None:
        if manual_inputs is not None:
            raise click.UsageError("--manual-inputs belongs to a yearly report (--year).", ctx)
        _agreement_report(ctx, agreement, out, platforms, pdf)
        return
    assert year is not None
    from skillpulse.report.annual import write_annual_report
    from skillpulse.report.errors import ReportError

    try:
        made = write_annual_report(_settings(ctx), year=year, platforms=platforms, out=out,
                                   manual_inputs=manual_inputs, pdf=pdf)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    provided = sum(figure.entry is not None for figure in made.manual)
    click.echo(f"wrote {out}{f' and {pdf}' if pdf else ''}: {year}, figures as of {made.period.end_note}; "
               f"B2 {made.b2_year['last_value']} on {made.b2_year['last_day']}, peak {made.b2_year['peak_value']} "
               f"on {made.b2_year['peak_day']}; manual inputs {provided} of {len(made.manual)} provided")


report.add_command(verify)


def _agreement_report(ctx: click.Context, name: str, out: Path, platforms: tuple[str, ...], pdf: Path | None) -> None:
    from skillpulse.report.agreement_write import write_agreement_report
    from skillpulse.report.errors import ReportError

    try:
        made = write_agreement_report(_settings(ctx), name=name, platforms=platforms, out=out, pdf=pdf)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    status = ", ".join(f"{t.kpi} {t.status}" for t in made.trajectories)
    click.echo(f"wrote {out}{f' and {pdf}' if pdf else ''}: agreement {name}, figures as of {made.period.end_note}; "
               f"MA4 {made.trained} distinct users trained; {status or 'no trajectory'}")
