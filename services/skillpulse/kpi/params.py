"""Parameters every KPI query takes (each metric uses those that apply to it)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from skillpulse.contract import PLATFORMS

TIMEZONE = "Europe/Luxembourg"
# What one query may ask (each request's cost grows with range × window): ten years of
# days, a window of a year (the agreement's is 60 days), a threshold of at most a few
# logins a day over that window.
MAX_RANGE_DAYS = 3660
MAX_WINDOW_DAYS = 366
MAX_LOGINS_PER_DAY = 10
MAX_PLATFORMS = 16
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
    window_days: int = Field(default=B2_WINDOW_DAYS, ge=1, le=MAX_WINDOW_DAYS)
    min_logins: int = Field(default=B2_MIN_LOGINS, ge=1, le=MAX_WINDOW_DAYS * MAX_LOGINS_PER_DAY)
    platforms: tuple[str, ...] = Field(default=(PLATFORMS[0],), min_length=1, max_length=MAX_PLATFORMS)
    organisation: str | None = None

    @model_validator(mode="after")
    def _range(self) -> KpiParams:
        if self.end < self.start:
            raise ValueError("`to` is before `from`")
        if (self.end - self.start).days >= MAX_RANGE_DAYS:
            raise ValueError(f"at most {MAX_RANGE_DAYS} days per query")
        if self.min_logins > self.window_days * MAX_LOGINS_PER_DAY:
            raise ValueError(f"min_logins is at most {MAX_LOGINS_PER_DAY} × window_days")
        return self

    def sql_parameters(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "platforms": list(self.platforms),
                "organisation": self.organisation or ""}
