"""Parameters every KPI query takes (each metric uses those that apply to it)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from skillpulse.contract import PLATFORMS

TIMEZONE = "Europe/Luxembourg"
MAX_RANGE_DAYS = 3660
B2_WINDOW_DAYS, B2_MIN_LOGINS = 60, 2  # the agreement's definition (glossary, Annex 2)
WAU_WINDOW_DAYS, MAU_WINDOW_DAYS = 7, 30  # users with any event in the 7 or 30 days ending each day


def local_days(first: str, last: str) -> str:
    """SQL filter: raw events on the Luxembourg days [first, last] (SQL date expressions).
    The UTC bounds, a day of margin each side, keep partition pruning; the local day decides."""
    return f"""occurred_at >= toDateTime({first} - 1, 'UTC') AND occurred_at < toDateTime({last} + 2, 'UTC')
  AND toDate(occurred_at, '{TIMEZONE}') BETWEEN {first} AND {last}"""


class KpiParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    start: date
    end: date
    window_days: int = Field(default=B2_WINDOW_DAYS, ge=1, le=3660)
    min_logins: int = Field(default=B2_MIN_LOGINS, ge=1, le=10_000)
    platforms: tuple[str, ...] = Field(default=(PLATFORMS[0],), min_length=1)
    organisation: str | None = None

    @model_validator(mode="after")
    def _range(self) -> KpiParams:
        if self.end < self.start:
            raise ValueError("`to` is before `from`")
        if (self.end - self.start).days >= MAX_RANGE_DAYS:
            raise ValueError(f"at most {MAX_RANGE_DAYS} days per query")
        return self

    def sql_parameters(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "platforms": list(self.platforms),
                "organisation": self.organisation or ""}
