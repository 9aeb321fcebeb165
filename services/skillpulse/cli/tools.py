"""`skillpulse tools list|add|retire`: the tool catalogue that MC4 and MP2 count (what was
made available on skilltech.tools, with its category and date).

Through the stack that `skillpulse up` runs on the data dir (its process holds the store;
one process per chdb path), with this machine's operator token; else straight into the
store, opened for this call only. Either way a declaration is signed with the name of the
operator key that made it, never the token."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, get_args

import click
from pydantic import BaseModel, ValidationError

from skillpulse.access import Access
from skillpulse.config import Settings
from skillpulse.contract import ToolCategory
from skillpulse.errors import SkillpulseError

if TYPE_CHECKING:
    from clickhouse_connect.driver.client import Client

    from skillpulse.kpi.tool_catalogue import CatalogueEntry

CATEGORIES: tuple[ToolCategory, ...] = get_args(ToolCategory)


class ToolsCommandError(SkillpulseError, ValueError):
    """The catalogue or the running stack refused the command (the message says why)."""


def _settings(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def _operator_name(settings: Settings) -> str:
    """The name of this machine's operator key: what a declaration made without a stack is signed with."""
    from skillpulse.credentials import local_operator_token, open_keyring

    ring = open_keyring(settings)  # made on first use, with the local operator token
    token = local_operator_token(settings.paths.data_dir)
    principal = ring.authenticate(token) if token else None
    if principal is None or not principal.access.allows(Access.OPERATOR):
        raise ToolsCommandError("changing the tool catalogue needs an operator token: SKILLPULSE_TOKEN, else "
                                "<data dir>/operator.token (`skillpulse keys create --access operator`)")
    return principal.name


def _post(settings: Settings, url: str, path: str, body: BaseModel) -> dict[str, Any]:
    import httpx

    from skillpulse.stack_client import REQUEST_TIMEOUT_S, StackAccessError, client_headers

    response = httpx.post(f"{url}{path}", content=body.model_dump_json(exclude_none=True), timeout=REQUEST_TIMEOUT_S,
                          headers=client_headers(settings) | {"Content-Type": "application/json"})
    if response.status_code in (401, 403):
        raise StackAccessError(f"the running stack refused this command's token ({response.status_code}): changing "
                               "the tool catalogue needs an operator token (SKILLPULSE_TOKEN, else "
                               "<data dir>/operator.token)")
    if response.status_code == 422:
        refusal = response.json()
        details = "; ".join(f"{'.'.join(map(str, error.get('loc', ())))}: {error.get('msg', '')}"
                            for error in refusal.get("errors") or [])
        raise ToolsCommandError(refusal["message"] + (f" ({details})" if details else ""))
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def change(settings: Settings, body: BaseModel) -> dict[str, Any]:
    """A declaration or retirement, to the running stack or into the store; the entry's new state."""
    from skillpulse.api.tools import DECLARE_ROUTE, RETIRE_ROUTE
    from skillpulse.kpi.tool_catalogue import Declaration, Retirement, declare, retire
    from skillpulse.stack_state import find_running_stack

    state = find_running_stack(settings.paths.data_dir)
    is_declaration = isinstance(body, Declaration)
    if state is not None:
        return _post(settings, state.url, DECLARE_ROUTE if is_declaration else RETIRE_ROUTE, body)

    def local(store: Client) -> CatalogueEntry:
        by = _operator_name(settings)
        if isinstance(body, Declaration):
            return declare(store, body, by)
        assert isinstance(body, Retirement)
        return retire(store, body, by)

    from skillpulse.store import apply_migrations, open_store

    store = open_store(settings)
    try:
        apply_migrations(store)
        return local(store).as_json()
    finally:
        store.close()


def listed(settings: Settings, *, with_history: bool, tool_id: str | None) -> list[dict[str, Any]]:
    from skillpulse.kpi.tool_catalogue import current_entries, history
    from skillpulse.stack_client import from_stack_or_store

    def local(store: Client) -> dict[str, Any]:
        found = history(store, tool_id) if with_history else current_entries(store)
        return {"entries": [entry.as_json() for entry in found
                            if with_history or tool_id is None or entry.tool_id == tool_id]}

    query: dict[str, Any] = {"history": "true" if with_history else "false"} | ({"tool_id": tool_id} if tool_id else {})
    answer: dict[str, Any] = from_stack_or_store(settings, "tools", query, local)
    return list(answer["entries"])


def _line(entry: dict[str, Any]) -> str:
    name = entry["tool_id"] + (f" / {entry['feature']}" if entry["feature"] else "")
    retired = f"  retired {entry['retired_on']}" if entry["retired_on"] else ""
    aliases = f"  aliases {','.join(entry['aliases'])}" if entry["aliases"] else ""
    return (f"{name:<40} {entry['category']:<17} from {entry['available_from']}{retired}{aliases}  "
            f"(r{entry['revision']} {entry['action']} by {entry['declared_by']}, {entry['declared_at'][:19]})")


@click.group()
def tools() -> None:
    """The tool catalogue: the tools and features made available, which MC4 and MP2 count."""


@tools.command("list")
@click.option("--history", "with_history", is_flag=True, help="Every revision, not only the current state.")
@click.option("--tool", "tool_id", default=None, help="Only this tool (and its features).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_tools(ctx: click.Context, with_history: bool, tool_id: str | None, as_json: bool) -> None:
    """The catalogue's tools and features, by tool (the tool first, then its features)."""
    entries = listed(_settings(ctx), with_history=with_history, tool_id=tool_id)
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    for entry in entries:
        click.echo(_line(entry))
    click.echo(f"{len(entries)} {'revisions' if with_history else 'entries'}")


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _run(ctx: click.Context, model: type[BaseModel], fields: dict[str, Any]) -> None:
    try:
        body = model.model_validate({key: value for key, value in fields.items() if value not in (None, ())})
    except ValidationError as exc:  # the field and the rule, never the value
        raise click.BadParameter("; ".join(f"{'.'.join(map(str, error['loc']))}: {error['msg']}"
                                           for error in exc.errors())) from None
    try:
        entry = change(_settings(ctx), body)
    except SkillpulseError as exc:  # also when the group is run on its own, not under `skillpulse`
        raise click.ClickException(str(exc)) from None
    if ctx.params.get("as_json"):
        click.echo(json.dumps(entry, indent=2))
    else:
        click.echo(_line(entry))


@tools.command("add")
@click.argument("tool_id")
@click.option("--feature", default=None, help="A feature of the (declared) tool, not the tool itself.")
@click.option("--category", type=click.Choice(CATEGORIES), default=None,
              help="Required for a tool (MC4 counts content_creation); a feature takes its tool's.")
@click.option("--available-from", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="The day it was made available on skilltech.tools.")
@click.option("--retired-on", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--alias", "aliases", multiple=True, help="Another telemetry id meaning it (a renamed tool_id).")
@click.option("--note", default=None, help="Why (a release note, a correction's reason).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def add(ctx: click.Context, tool_id: str, feature: str | None, category: str | None, available_from: datetime,
        retired_on: datetime | None, aliases: tuple[str, ...], note: str | None, as_json: bool) -> None:
    """Declare TOOL_ID (or one of its features) made available; run again to correct it
    (each run is a new revision: `tools list --history`)."""
    from skillpulse.kpi.tool_catalogue import Declaration

    _run(ctx, Declaration, {"tool_id": tool_id, "feature": feature, "category": category,
                            "available_from": _day(available_from), "retired_on": _day(retired_on),
                            "aliases": list(aliases), "note": note})


@tools.command("retire")
@click.argument("tool_id")
@click.option("--feature", default=None, help="Retire this feature of the tool, not the tool.")
@click.option("--on", "retired_on", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="The first day it is no longer available.")
@click.option("--note", default=None)
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def retire_tool(ctx: click.Context, tool_id: str, feature: str | None, retired_on: datetime, note: str | None,
                as_json: bool) -> None:
    """Withdraw TOOL_ID (or one of its features) from a day on."""
    from skillpulse.kpi.tool_catalogue import Retirement

    _run(ctx, Retirement, {"tool_id": tool_id, "feature": feature, "retired_on": _day(retired_on), "note": note})
