"""`skillpulse erase --platform P --user-id U`: erase one person's data (GDPR Art. 17),
through the running stack or in the store itself (skillpulse/store/erasure.py)."""

from __future__ import annotations

import json
from typing import Any

import click

from skillpulse.config import Settings
from skillpulse.contract import PLATFORMS


def _through_stack(settings: Settings, url: str, platform: str, user_id: str) -> dict[str, Any]:
    import httpx

    from skillpulse.stack_client import REQUEST_TIMEOUT_S, StackRequestError, client_headers

    response = httpx.post(f"{url}/v1/erasures/operator", json={"platform": platform, "user_id": user_id},
                          headers=client_headers(settings), timeout=REQUEST_TIMEOUT_S * 10)
    if response.status_code == 429:
        raise StackRequestError("another erasure is under way on the running stack: retry in "
                                f"{response.headers.get('Retry-After', 'a few')} s")
    if response.status_code in (401, 403, 422):
        raise StackRequestError(f"the running stack refused the erasure ({response.status_code}): "
                                f"{response.json().get('message', '')}")
    if response.status_code >= 400:
        raise StackRequestError(f"the running stack could not erase ({response.status_code}); nothing is "
                                "known to be erased: run the command again")
    return dict(response.json())


def _locally(settings: Settings, platform: str, user_id: str) -> dict[str, Any]:
    from skillpulse.store import apply_migrations, open_store
    from skillpulse.store.erasure import erase_user, erasure_key, receipt_json

    store = open_store(settings)
    try:
        apply_migrations(store)
        return receipt_json(erase_user(store, platform, erasure_key(settings, platform, user_id),
                                       requested_by="operator"))
    finally:
        store.close()


@click.command()
@click.option("--platform", required=True, type=click.Choice(PLATFORMS))
@click.option("--user-id", required=True, prompt=True, hide_input=True,
              help="The platform's own id of the person (asked for, unechoed, when left out: it then stays "
                   "out of the shell's history). Never stored nor logged: only its pseudonym is computed.")
@click.pass_context
def erase(ctx: click.Context, platform: str, user_id: str) -> None:
    """Erase one person's data (GDPR Art. 17): their rows leave events, event_ids, every
    rollup and the dead letters; the figures of their days are recomputed; a receipt is
    kept (date, platform, rows removed per table; no identifier). Through `skillpulse up`
    when it runs on the data dir, else in the store directly. Idempotent."""
    from skillpulse.stack_state import find_running_stack

    settings = ctx.obj
    assert isinstance(settings, Settings)
    state = find_running_stack(settings.paths.data_dir)
    receipt = (_through_stack(settings, state.url, platform, user_id) if state is not None
               else _locally(settings, platform, user_id))
    click.echo(json.dumps(receipt, indent=2))
