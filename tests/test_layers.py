"""The package's rooms and which way they may import (ARCHITECTURE.md): no import cycle,
no room importing one above it at load time, and every module importable on its own."""

from __future__ import annotations

import ast
import graphlib
import json
import subprocess
import sys
from pathlib import Path

import skillpulse

PACKAGE_DIR = Path(skillpulse.__file__).parent
# Low to high. A module imports, at load time, only from its own layer or lower ones;
# a call may import a higher one lazily (the stack client starts a stack that way).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"errors", "extras", "lazy_exports", "contract", "config", "access", "pseudonym", "credentials",
               "telemetry", "stack_state"}),
    frozenset({"kafka", "store", "collector", "aggregator", "health", "kpi", "dead_letters", "simulator", "board",
               "sources", "sdk"}),
    frozenset({"report", "dashboards", "loadtest", "stack_client", "role_process", "schema_export"}),
    frozenset({"api"}),
    frozenset({"app"}),
    frozenset({"cli", "__main__"}),
)


def _modules() -> list[str]:
    """Every module of the package, found on disk (walking packages would import them)."""
    found = []
    for path in PACKAGE_DIR.rglob("*.py"):
        parts = path.relative_to(PACKAGE_DIR).with_suffix("").parts
        found.append(".".join(("skillpulse", *(parts[:-1] if parts[-1] == "__init__" else parts))))
    return sorted(found)


def _path(module: str) -> Path:
    relative = Path(*module.split(".")[1:])
    package = PACKAGE_DIR / relative / "__init__.py"
    return package if package.exists() else PACKAGE_DIR / relative.with_suffix(".py")


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _load_time_imports(module: str) -> set[str]:
    """The skillpulse modules `module` imports when it is loaded (not in functions, not
    under `if TYPE_CHECKING`)."""
    tree = ast.parse(_path(module).read_text())
    found: set[str] = set()
    body = list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.If) and not _is_type_checking(node):
            body += node.body + node.orelse
        elif isinstance(node, ast.Try):
            body += node.body + node.orelse + node.finalbody
        elif isinstance(node, ast.With):  # `with needs_extra(...):` around optional imports
            body += node.body
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    known = set(_modules())
    return {name for name in found if name in known and name != module}


def _room(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def _layer(module: str) -> int:
    room = _room(module)
    for level, rooms in enumerate(LAYERS):
        if room in rooms:
            return level
    raise AssertionError(f"{module}: room {room!r} is in no layer; add it to LAYERS (and ARCHITECTURE.md)")


def test_every_room_has_a_layer() -> None:
    for module in _modules():
        if module != "skillpulse":
            _layer(module)


def test_no_import_cycle() -> None:
    graph = {module: _load_time_imports(module) for module in _modules()}
    # A package's __init__ re-exports its modules: the edge package → module is not a cycle
    # with module → package.sibling, so parents are left out of each module's imports.
    graph = {module: {name for name in names if not module.startswith(name + ".")} for module, names in graph.items()}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_no_room_imports_one_above_it() -> None:
    upward = [f"{module} (layer {_layer(module)}) imports {name} (layer {_layer(name)})"
              for module in _modules() if module != "skillpulse"
              for name in sorted(_load_time_imports(module)) if _layer(name) > _layer(module)]
    assert upward == []


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    script = f"""
import importlib, json
failed = {{}}
for name in {json.dumps([m for m in _modules() if m != "skillpulse.__main__"])}:  # that one runs the CLI
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = repr(exc)
print(json.dumps(failed))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) == {}


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The check itself can fail: a domain module importing the CLI is caught."""
    tree = ast.parse("from skillpulse.cli import main\n")
    names = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert any(_layer(name) > _layer("skillpulse.kpi.catalogue") for name in names if name)
