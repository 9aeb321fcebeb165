"""`skillpulse` command line."""

from skillpulse.cli.commands import main
from skillpulse.cli.dashboards import dashboards
from skillpulse.cli.loadtest import loadtest

main.add_command(dashboards)
main.add_command(loadtest)

__all__ = ["main"]
