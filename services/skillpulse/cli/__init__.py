"""`skillpulse` command line."""

from skillpulse.cli.blog import blog
from skillpulse.cli.commands import main
from skillpulse.cli.dashboards import dashboards
from skillpulse.cli.keys import keys
from skillpulse.cli.loadtest import loadtest
from skillpulse.cli.sources import sources

main.add_command(dashboards)
main.add_command(keys)
main.add_command(loadtest)
main.add_command(sources)
sources.add_command(blog)

__all__ = ["main"]
