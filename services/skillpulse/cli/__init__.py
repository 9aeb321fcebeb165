"""`skillpulse` command line."""

from skillpulse.cli.commands import main
from skillpulse.cli.dashboards import dashboards
from skillpulse.cli.loadtest import loadtest
from skillpulse.cli.sources import sources

main.add_command(dashboards)
main.add_command(loadtest)
main.add_command(sources)

__all__ = ["main"]
