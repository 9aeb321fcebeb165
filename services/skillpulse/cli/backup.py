"""`skillpulse backup --to DIR` and `skillpulse restore --from DIR`: the embedded store as
one Native file per table and a manifest (skillpulse/store/backup.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import click

from skillpulse.config import Settings


def _through_stack(settings: Settings, url: str, target: Path) -> dict[str, Any]:
    """The running stack's process holds the store: it writes the backup under its data
    dir (POST /v1/backups, operator), then the backup is moved to `target`."""
    import httpx

    from skillpulse.stack_client import REQUEST_TIMEOUT_S, StackRequestError, client_headers

    response = httpx.post(f"{url}/v1/backups", json={}, headers=client_headers(settings),
                          timeout=REQUEST_TIMEOUT_S * 10)  # a large store takes minutes
    if response.status_code in (401, 403, 409, 422):
        raise StackRequestError(f"the running stack refused the backup ({response.status_code}): "
                                f"{response.json().get('message', '')}")
    response.raise_for_status()
    made = response.json()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.rmdir()  # checked empty above
    shutil.move(made["directory"], target)
    return dict(made["manifest"])


@click.command()
@click.option("--to", "target", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A new or empty directory.")
@click.pass_context
def backup(ctx: click.Context, target: Path) -> None:
    """Back the store up into DIR: each table in ClickHouse's Native format (zstd) and a
    manifest.json (tables, rows, sha256, software version, migrations applied).

    With `skillpulse up` running on the data dir, its process makes the backup (it holds
    the store); else the store is opened here. The pseudonym secret and the keyring live
    in the data dir, not in the store: back them up too (README)."""
    from skillpulse.stack_state import find_running_stack
    from skillpulse.store.backup import BackupError, backup_store

    settings = ctx.obj
    assert isinstance(settings, Settings)
    target = target.expanduser().resolve()
    if target.exists() and any(target.iterdir()):
        raise BackupError("the backup directory must be new or empty")
    state = find_running_stack(settings.paths.data_dir)
    if state is not None:
        manifest = _through_stack(settings, state.url, target)
    else:
        from skillpulse.store import apply_migrations, open_store

        store = open_store(settings)
        try:
            apply_migrations(store)
            manifest = backup_store(store, target).model_dump(mode="json")
        finally:
            store.close()
    click.echo(json.dumps({"directory": str(target), "tables": {t["table"]: t["rows"] for t in manifest["tables"]},
                           "migrations": len(manifest["migrations"])}, indent=2))


@click.command()
@click.option("--from", "source", required=True, type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A directory written by `skillpulse backup`.")
@click.option("--replace", is_flag=True, help="Empty a store that holds rows and restore over it.")
@click.pass_context
def restore(ctx: click.Context, source: Path, replace: bool) -> None:
    """Restore a backup into the store of the data dir (empty, unless --replace), with
    `skillpulse up` stopped. Every file is checked against the manifest first; the
    rollups the views fill are rebuilt from the restored events."""
    from skillpulse.stack_state import find_running_stack
    from skillpulse.store import open_store
    from skillpulse.store.backup import BackupError, restore_store

    settings = ctx.obj
    assert isinstance(settings, Settings)
    if find_running_stack(settings.paths.data_dir) is not None:
        raise BackupError("`skillpulse up` runs on this data dir: stop it before restoring")
    store = open_store(settings)
    try:
        restored = restore_store(store, source, replace=replace)
    finally:
        store.close()
    click.echo(restored.model_dump_json(indent=2))
