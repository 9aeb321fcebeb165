"""Optional dependencies (pyproject's extras): a feature that needs one imports it inside
`needs_extra`, so a missing package fails with the command that installs it instead of
a bare ModuleNotFoundError.

    with needs_extra("report", "`skillpulse report`"):
        import matplotlib
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from skillpulse.errors import SkillpulseError


class MissingExtraError(SkillpulseError, ImportError):
    """A feature's optional dependency is not installed; the message names the extra."""

    def __init__(self, feature: str, module: str, extra: str) -> None:
        super().__init__(f"{feature} needs {module}: pip install 'skillpulse[{extra}]'", name=module)
        self.feature, self.module, self.extra = feature, module, extra


@contextmanager
def needs_extra(extra: str, feature: str) -> Iterator[None]:
    """Imports in this block come from `skillpulse[extra]`: one that is missing raises
    MissingExtraError. A missing skillpulse module is a bug, not an extra: it propagates."""
    try:
        yield
    except ModuleNotFoundError as exc:
        module = (exc.name or "").partition(".")[0]
        if not module or module == "skillpulse":
            raise
        raise MissingExtraError(feature, module, extra) from exc
