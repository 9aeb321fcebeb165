"""`skillpulse` command line."""

from skillpulse.cli.commands import main
from skillpulse.cli.loadtest import loadtest

main.add_command(loadtest)

__all__ = ["main"]
