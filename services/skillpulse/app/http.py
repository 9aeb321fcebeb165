"""The HTTP app of a process: `/healthz`, and the routers of the roles it runs, which are
started by the app's lifespan (so any ASGI server can run it) and stopped in reverse.

Every router is included with the guard of the access it needs (`Guarded`); the OpenAPI
document and its docs page need a viewer token like the KPIs; only `/healthz` and
`/readyz` are open. A Host not in `SKILLPULSE_ACCESS_ALLOWED_HOSTS` gets 400."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from skillpulse.access import Access, Keyring
from skillpulse.api.access import AccessRefused, HostAllowlist, access_refused, require
from skillpulse.api.fastapi_errors import answer_in_problem_shape
from skillpulse.api.openapi import openapi_document, problems
from skillpulse.app.roles import Role, RoleFactory
from skillpulse.config import Settings
from skillpulse.credentials import open_keyring


async def healthz() -> dict[str, str]:
    """Liveness: the process serves HTTP."""
    return {"status": "ok"}


def _add_docs(app: FastAPI, keyring: Keyring) -> None:
    """`/openapi.json` and `/docs` as viewer routes (FastAPI's own ones would be open)."""
    viewer = [Depends(require(keyring, Access.VIEWER))]

    async def openapi() -> dict[str, Any]:
        return openapi_document(app)

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title=f"{app.title} API")

    app.add_api_route("/openapi.json", openapi, dependencies=viewer, include_in_schema=False)
    app.add_api_route("/docs", docs, dependencies=viewer, include_in_schema=False)


def create_app(roles: Sequence[RoleFactory], settings: Settings) -> FastAPI:
    """`app.state.roles` holds the started roles while the lifespan runs."""
    keyring = open_keyring(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as started:
            app.state.roles = []
            for start in roles:
                role: Role = await started.enter_async_context(start())
                for router, access in role.routers:
                    if access is None:
                        app.include_router(router, responses=problems(400, 422))
                    else:  # 415: a state change without a JSON body
                        app.include_router(router, dependencies=[Depends(require(keyring, access))],
                                           responses=problems(400, 401, 403, 415, 422))
                app.state.roles.append(role)
            yield

    app = FastAPI(title="Skilltech Pulse", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)
    app.add_exception_handler(AccessRefused, access_refused)
    answer_in_problem_shape(app)
    app.add_middleware(HostAllowlist, allowed=settings.access.allowed_hosts)
    app.add_api_route("/healthz", healthz, responses=problems(400))
    _add_docs(app, keyring)
    return app
