"""The base of the package's own exceptions, so a caller can tell "skillpulse refused or
could not do this" (the message says why) from a bug or a library's own error.

Each subclass keeps the builtin it had before (ValueError, RuntimeError, ImportError)
as a second base, so existing `except ValueError:` clauses still catch it. Imports
nothing: every layer may raise these."""

from __future__ import annotations


class SkillpulseError(Exception):
    """Something skillpulse refused or could not do; the message says what to fix."""
