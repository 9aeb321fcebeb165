"""Composition roots: one per role (`collector`, `aggregator`) building that role's
routers and background tasks, the HTTP app whose lifespan starts them, and the `Stack`
that runs them in one `skillpulse up` process."""

from skillpulse.app.roles import ROLES, Role
from skillpulse.app.stack import Stack

__all__ = ["ROLES", "Role", "Stack"]
