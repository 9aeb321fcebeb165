"""The manual-inputs file: valid files load as given, bad ones fail with a message that
says where and what (no store needed)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skillpulse.report.manual_indicators import MANUAL_KEYS
from skillpulse.report.manual_inputs import ManualInputs, ManualInputsError, load_manual_inputs, manual_figures

EXAMPLE = Path(__file__).parents[2] / "infra" / "report" / "manual-inputs.example.toml"
GOOD = """
year = 2026
[indicators.MV6]
value = 2
source = "events calendar"
[indicators.FIN2]
value = 81.5
source = "HR time sheets"
notes = "two part-time staff counted pro rata"
"""


def _load(tmp_path: Path, text: str, year: int = 2026) -> ManualInputs:
    path = tmp_path / "manual.toml"
    path.write_text(text)
    return load_manual_inputs(path, year)


def test_a_valid_file_loads_as_given(tmp_path: Path) -> None:
    inputs = _load(tmp_path, GOOD)
    figures = {figure.indicator.key: figure for figure in manual_figures(inputs)}
    assert list(figures) == list(MANUAL_KEYS)
    assert inputs.indicators["MV6"].value == 2.0 and inputs.indicators["MV6"].source == "events calendar"
    assert figures["MV6"].entry == inputs.indicators["MV6"] and figures["MV6"].progress_pct == 100.0
    assert inputs.indicators["FIN2"].notes == "two part-time staff counted pro rata"
    assert figures["FIN2"].progress_pct == round(100 * 81.5 / 75, 1)
    assert [key for key, figure in figures.items() if figure.entry is None] == [
        key for key in MANUAL_KEYS if key not in ("MV6", "FIN2")]


@pytest.mark.parametrize("text, message", [
    (GOOD.replace("value = 2", 'value = "2"'), "indicators.MV6.value: Input should be a valid number"),
    (GOOD.replace("[indicators.MV6]", "[indicators.MV3]"), "unknown indicator MV3; known: MV2, MV6"),
    (GOOD.replace('source = "events calendar"', ""), "indicators.MV6.source: Field required"),
    (GOOD.replace('source = "events calendar"', 'source = "  "'), "indicators.MV6.source: String should have"),
    (GOOD.replace("value = 2", "value = -2"), "indicators.MV6.value: Input should be greater than or equal to 0"),
    (GOOD.replace("value = 2", "value = nan"), "indicators.MV6.value: Input should be a finite number"),
    (GOOD.replace("value = 2", "value = true"), "indicators.MV6.value: Input should be a valid number"),
    (GOOD + "valeur = 3\n", "indicators.FIN2.valeur: Extra inputs are not permitted"),
    (GOOD.replace("year = 2026", "year = 2025"), "the file is for 2025, the report for 2026"),
    (GOOD.replace("year = 2026", ""), "year: Field required"),
    (GOOD.replace('value = 2\n', 'value = 2\nvalue = 3\n'), "not valid TOML"),
    ("year = 2026\n[indicators.MV6\n", "not valid TOML"),
])
def test_a_bad_file_says_where_and_what(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ManualInputsError, match=re.escape(message)) as raised:
        _load(tmp_path, text)
    assert str(raised.value).startswith(f"manual inputs {tmp_path / 'manual.toml'}: ")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ManualInputsError, match="cannot read it"):
        load_manual_inputs(tmp_path / "absent.toml", 2026)


def test_the_example_provides_nothing_until_uncommented(tmp_path: Path) -> None:
    assert load_manual_inputs(EXAMPLE, 2026).indicators == {}
    uncommented = re.sub(r"(?m)^# ", "", EXAMPLE.read_text())
    assert sorted(_load(tmp_path, uncommented).indicators) == sorted(MANUAL_KEYS)
