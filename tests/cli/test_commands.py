"""The command group: the package's own errors end a command with their message."""

from __future__ import annotations

import logging

import click
from click.testing import CliRunner

from skillpulse.cli import main
from skillpulse.errors import SkillpulseError
from skillpulse.extras import MissingExtraError


def test_a_package_error_is_a_one_line_error_not_a_traceback() -> None:
    @click.command("fails-for-the-test")
    def fails() -> None:
        raise MissingExtraError("`skillpulse report`", "matplotlib", "report")

    main.add_command(fails)
    try:
        result = CliRunner().invoke(main, ["fails-for-the-test"])
    finally:
        main.commands.pop("fails-for-the-test")
    assert result.exit_code == 1
    assert result.output == "Error: `skillpulse report` needs matplotlib: pip install 'skillpulse[report]'\n"


def test_other_errors_are_not_hidden() -> None:
    @click.command("breaks-for-the-test")
    def breaks() -> None:
        raise KeyError("a bug")

    main.add_command(breaks)
    try:
        result = CliRunner().invoke(main, ["breaks-for-the-test"])
    finally:
        main.commands.pop("breaks-for-the-test")
    assert isinstance(result.exception, KeyError) and not isinstance(result.exception, SkillpulseError)


def test_aiokafka_never_logs_below_info() -> None:
    """Its DEBUG prints the records it fetches, payloads and all: pinned, whatever the root's level."""
    @click.command("does-nothing-for-the-test")
    def nothing() -> None:
        pass

    aiokafka, root = logging.getLogger("aiokafka"), logging.getLogger()
    before, root_before = aiokafka.level, root.level
    main.add_command(nothing)
    try:
        for flags, expected in (([], logging.WARNING), (["-v"], logging.INFO)):
            aiokafka.setLevel(logging.DEBUG)
            assert CliRunner().invoke(main, [*flags, "does-nothing-for-the-test"]).exit_code == 0
            root.setLevel(logging.DEBUG)  # a host that logs everything still gets no DEBUG from it
            assert aiokafka.getEffectiveLevel() == expected
    finally:
        main.commands.pop("does-nothing-for-the-test")
        aiokafka.setLevel(before)
        root.setLevel(root_before)
