"""`skillpulse` command line."""

from skillpulse.cli.commands import main

__all__ = ["main"]
