"""The HTTP app of a process: `/healthz`, and the routers of the roles it runs, which are
started by the app's lifespan (so any ASGI server can run it) and stopped in reverse."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from skillpulse.app.roles import Role, RoleFactory


async def healthz() -> dict[str, str]:
    """Liveness: the process serves HTTP."""
    return {"status": "ok"}


def create_app(roles: Sequence[RoleFactory]) -> FastAPI:
    """`app.state.roles` holds the started roles while the lifespan runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as started:
            app.state.roles = []
            for start in roles:
                role: Role = await started.enter_async_context(start())
                for router in role.routers:
                    app.include_router(router)
                app.state.roles.append(role)
            yield

    app = FastAPI(title="Skilltech Pulse", lifespan=lifespan)
    app.add_api_route("/healthz", healthz)
    return app
