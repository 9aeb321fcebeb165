"""What a client command loads before it asks the running stack: no pydantic model of the
contract, no settings class but the data dir's, no other command's module."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from skillpulse.config import PathSettings, Settings, SettingsOnDemand


def _loaded_after(script: str) -> set[str]:
    """The modules a fresh interpreter holds after running `script`."""
    done = subprocess.run([sys.executable, "-c", f"{script}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
                          capture_output=True, text=True, timeout=120, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_the_command_line_loads_no_pydantic_and_no_other_commands_module() -> None:
    loaded = _loaded_after("from skillpulse.cli import main")
    assert {"pydantic", "pydantic_settings", "asyncio", "skillpulse.config.settings",
            "skillpulse.contract.models"} & loaded == set()
    assert {name for name in loaded if name.startswith("skillpulse.cli.")} == {"skillpulse.cli.commands"}


def test_the_contract_names_load_without_its_models_which_load_when_asked_for() -> None:
    loaded = _loaded_after("from skillpulse.contract import PLATFORMS, ToolCategory")
    assert "skillpulse.contract.models" not in loaded and "pydantic" not in loaded
    from skillpulse import contract
    from skillpulse.contract import models, vocabulary

    assert contract.LoginEvent is models.LoginEvent and contract.PLATFORMS is vocabulary.PLATFORMS


def test_a_data_dir_given_builds_no_settings_class(tmp_path: Path) -> None:
    script = (f"from pathlib import Path\nfrom skillpulse.config import SettingsOnDemand\n"
              f"assert SettingsOnDemand(Path({str(tmp_path)!r})).data_dir == Path({str(tmp_path)!r})")
    assert "pydantic_settings" not in _loaded_after(script)


def test_settings_on_demand_are_those_of_the_command(tmp_path: Path) -> None:
    given = SettingsOnDemand(tmp_path)
    assert given.data_dir == tmp_path and given.settings.paths.data_dir == tmp_path
    assert SettingsOnDemand().data_dir == PathSettings().data_dir
    built = Settings(paths=PathSettings(data_dir=tmp_path / "built"))
    assert SettingsOnDemand.of(built).settings is built and SettingsOnDemand.of(built).data_dir == tmp_path / "built"
    assert SettingsOnDemand.of(given) is given
