"""pyproject.toml's dependencies as sets of distribution names, for the tests that check
what each extra (and so each role's image) installs."""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

PYPROJECT = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*(?:\[([^\]]*)\])?")


def _name(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _parsed(requirement: str) -> tuple[str, list[str]]:
    match = _REQUIREMENT.match(requirement)
    assert match, requirement
    return _name(match.group(1)), [extra.strip() for extra in (match.group(2) or "").split(",") if extra.strip()]


def direct(extra: str) -> set[str]:
    """The distributions an extra names itself (not through skillpulse[...])."""
    return {name for name, _ in map(_parsed, PYPROJECT["project"]["optional-dependencies"][extra])
            if name != "skillpulse"}


@cache
def installs(extra: str | None) -> frozenset[str]:
    """Every distribution `pip install 'skillpulse[extra]'` asks for (None: the core only),
    following skillpulse[...] references, not the distributions' own dependencies."""
    names = {_parsed(requirement)[0] for requirement in PYPROJECT["project"]["dependencies"]}
    if extra is not None:
        names |= direct(extra)
        for name, extras in map(_parsed, PYPROJECT["project"]["optional-dependencies"][extra]):
            if name == "skillpulse":
                for other in extras:
                    names |= installs(other)
    return frozenset(names)


def missing_without(extra: str) -> set[str]:
    """The top-level modules an install of only `skillpulse[extra]` lacks, of those the
    full install has: modules of distributions that `all` names and `extra` does not
    (a namespace shared with one `extra` keeps, or a stray stdlib name, is left out)."""
    dropped, kept = installs("all") - installs(extra), installs(extra)
    return {module for module, owners in importlib.metadata.packages_distributions().items()
            if {_name(owner) for owner in owners} & dropped and not {_name(owner) for owner in owners} & kept
            and module not in sys.stdlib_module_names}
