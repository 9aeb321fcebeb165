"""`skillpulse keys`: the keyring of the data dir (platform keys, viewer and operator tokens).

It edits `<data dir>/access-keys.json` (hashes only), with or without a running stack: the
stack reads the file again when it changes. A plain token is printed once, when made."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from skillpulse.access import Access, KeyRecord
from skillpulse.config import Settings
from skillpulse.credentials import ensure_api_keys, open_keyring


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def _row(record: KeyRecord) -> dict[str, str]:
    return {"key_id": record.key_id, "access": record.access.value, "platform": record.platform or "",
            "label": record.label, "created_at": record.created_at.isoformat(timespec="seconds"),
            "expires_at": record.expires_at.isoformat(timespec="seconds") if record.expires_at else "never"}


@click.group(invoke_without_command=True)
@click.pass_context
def keys(ctx: click.Context) -> None:
    """Platform keys, viewer and operator tokens. Alone: print each platform's embedded
    API key (generated on first use, mode 0600)."""
    if ctx.invoked_subcommand is None:
        for platform, key in ensure_api_keys(_settings(ctx)).items():
            click.echo(f"{platform}\t{key}")


@keys.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_keys(ctx: click.Context, as_json: bool) -> None:
    """Every key: id, access, platform, label, created, expires (never the token)."""
    rows = [_row(record) for record in open_keyring(_settings(ctx)).list_keys()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo("\t".join(row.values()))


def _print_issued(token: str, record: KeyRecord) -> None:
    click.echo(f"{record.key_id}\t{record.access.value}\t{record.platform or ''}\t{record.label}")
    click.echo(token)
    click.echo("(the token is shown once: only its hash is kept)", err=True)


@keys.command("create")
@click.option("--access", "access", type=click.Choice([a.value for a in Access]), required=True)
@click.option("--platform", default=None, help="The platform a platform key sends as.")
@click.option("--label", default="", help="Who or what holds it (shown by `keys list`).")
@click.pass_context
def create(ctx: click.Context, access: str, platform: str | None, label: str) -> None:
    """Make a key; print its id and the token (once)."""
    settings = _settings(ctx)
    kind = Access(access)
    if kind is Access.PLATFORM and platform not in settings.collector.platforms:
        raise click.BadParameter(f"--platform must be one of {', '.join(settings.collector.platforms)}")
    if kind is not Access.PLATFORM and platform is not None:
        raise click.BadParameter("--platform goes with --access platform only")
    issued = open_keyring(settings).create(kind, platform=platform, label=label)
    _print_issued(issued.token, issued.record)


@keys.command("rotate")
@click.argument("key_id")
@click.option("--overlap-days", type=click.FloatRange(min=0), default=None,
              help="How long the old key keeps working [env SKILLPULSE_ACCESS_ROTATION_OVERLAP_DAYS, default 7].")
@click.pass_context
def rotate(ctx: click.Context, key_id: str, overlap_days: float | None) -> None:
    """A new key like KEY_ID; KEY_ID expires after the overlap. Prints the new token (once)."""
    settings = _settings(ctx)
    days = settings.access.rotation_overlap_days if overlap_days is None else overlap_days
    issued = open_keyring(settings).rotate(key_id, overlap=timedelta(days=days))
    _print_issued(issued.token, issued.record)
    click.echo(f"{key_id} keeps working for {days:g} more days", err=True)


@keys.command("revoke")
@click.argument("key_id")
@click.pass_context
def revoke(ctx: click.Context, key_id: str) -> None:
    """Remove KEY_ID: refused from the stack's next request on."""
    record = open_keyring(_settings(ctx)).revoke(key_id)
    click.echo(f"revoked {record.key_id}")
