"""The exact commands that reproduce the report's figures from the stored events."""

from __future__ import annotations

import shlex
from datetime import date


def _platform_words(platforms: tuple[str, ...]) -> list[str]:
    return [word for platform in platforms for word in ("--platform", platform)]


def kpi_command(slug: str, start: date | str, end: date | str, platforms: tuple[str, ...]) -> str:
    return shlex.join(["skillpulse", "kpi", slug, "--from", str(start), "--to", str(end),
                       *_platform_words(platforms)])


def summary_command(as_of: date, platforms: tuple[str, ...]) -> str:
    return shlex.join(["skillpulse", "kpi", "summary", "--as-of", as_of.isoformat(), *_platform_words(platforms)])
