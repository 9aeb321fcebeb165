"""The manual-inputs file (TOML): figures of the Annex 2 indicators telemetry cannot
measure, each with its source. Validated strictly: a figure someone signs must not be a
string that happened to parse, nor an indicator name with a typo."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from skillpulse.report.errors import ReportError
from skillpulse.report.manual_indicators import MANUAL_INDICATORS, MANUAL_KEYS, ManualIndicator

NonBlank = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class ManualInputsError(ReportError):
    """The manual-inputs file cannot be read or does not validate."""


class ManualEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    value: float = Field(ge=0, allow_inf_nan=False)
    source: NonBlank  # where the figure comes from: a document, a system export, a person
    notes: str = ""


class ManualInputs(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    year: int  # guards against handing in last year's file
    indicators: dict[str, ManualEntry] = Field(default_factory=dict)

    @field_validator("indicators")
    @classmethod
    def _known_keys(cls, indicators: dict[str, ManualEntry]) -> dict[str, ManualEntry]:
        unknown = sorted(set(indicators) - set(MANUAL_KEYS))
        if unknown:
            raise ValueError(f"unknown indicator {', '.join(unknown)}; known: {', '.join(MANUAL_KEYS)}")
        return indicators


@dataclass(frozen=True)
class MeasuredFigure:
    """A figure of a "manual" indicator that a source measures after all (MV2: the blog's feed)."""

    value: float
    source: str
    command: str  # what recomputes it


@dataclass(frozen=True)
class ManualFigure:
    """One manual indicator as the report shows it; `entry` is None when not provided. A
    measured figure is shown when there is no entry; an entry overrides it."""

    indicator: ManualIndicator
    entry: ManualEntry | None
    measured: MeasuredFigure | None = None

    @property
    def status(self) -> str:
        if self.entry is not None:
            return "override" if self.measured is not None else "manual"
        return "measured" if self.measured is not None else "not-provided"

    @property
    def value(self) -> float | None:
        if self.entry is not None:
            return self.entry.value
        return None if self.measured is None else self.measured.value

    @property
    def progress_pct(self) -> float | None:
        return None if self.value is None else round(100 * self.value / self.indicator.target, 1)


def _location(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


def load_manual_inputs(path: Path, year: int) -> ManualInputs:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManualInputsError(f"manual inputs {path}: cannot read it ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ManualInputsError(f"manual inputs {path}: not valid TOML: {exc}") from None
    try:
        inputs = ManualInputs.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{_location(error['loc'])}: {error['msg']}" for error in exc.errors())
        raise ManualInputsError(f"manual inputs {path}: {problems}") from None
    if inputs.year != year:
        raise ManualInputsError(f"manual inputs {path}: the file is for {inputs.year}, the report for {year}")
    return inputs


def manual_figures(inputs: ManualInputs | None,
                   measured: dict[str, MeasuredFigure] | None = None) -> list[ManualFigure]:
    """Every manual indicator, in agreement order, with its entry when the file has one and
    its measured figure when a source gives one."""
    given, found = inputs.indicators if inputs else {}, measured or {}
    return [ManualFigure(indicator, given.get(indicator.key), found.get(indicator.key))
            for indicator in MANUAL_INDICATORS]
