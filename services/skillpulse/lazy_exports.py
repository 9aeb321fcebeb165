"""Names a package exports from one of its modules, imported when one is first asked for
(a module-level `__getattr__`, PEP 562): `config` and `contract` give their light names
at once and their pydantic classes only to a caller that uses them."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any


def exported_from(package: str, module: str) -> Callable[[str], Any]:
    """The `__getattr__` for `package`: an unknown name is looked up in `module` (imported
    then) and kept in the package, so the next look-up finds it directly."""

    def __getattr__(name: str) -> Any:
        try:
            value = getattr(importlib.import_module(module), name)
        except AttributeError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
