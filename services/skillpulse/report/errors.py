"""The one error type the report raises for what its user can fix (bad input, missing tool)."""

from __future__ import annotations

from skillpulse.errors import SkillpulseError


class ReportError(SkillpulseError, ValueError):
    """A report could not be made; the message says why and what to do."""
