"""The 2026–2029 agreement's calendar (Art. 2, Art. 8) and each target's trajectory,
computed from the catalogue's metrics through a fetch callable (the store's `compute`, or
a running stack's API), so the summary and the reports project the same figures."""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from skillpulse.kpi.catalogue import METRICS, Result
from skillpulse.kpi.params import KpiParams
from skillpulse.kpi.trajectory import TREND_DAYS, DailyValue, Trajectory, linear_trajectory, trend_trajectory

AGREEMENT_START = date(2026, 1, 1)  # Art. 2: 48 months from 1 January 2026 …
AGREEMENT_END = date(2029, 12, 31)  # … to 31 December 2029
MID_TERM_REVIEW = date(2027, 12, 31)  # Art. 2: a mid-term revision possible by this day at the latest
FINAL_REPORT_DUE = date(2030, 5, 1)  # Art. 8: the report on the whole agreement

MetricFetch = Callable[[str, KpiParams], Result]  # like `catalogue.compute` with the store bound


def _target(slug: str) -> float:
    target = METRICS[slug].target
    assert target is not None, f"{slug} has no target"
    return target


def _scalar(fetch: MetricFetch, slug: str, params: KpiParams) -> dict[str, Any]:
    found = fetch(slug, params)
    if not isinstance(found, dict):
        raise TypeError(f"{slug} answers one object")
    return found


def b2_trajectory(fetch: MetricFetch, as_of: date, platforms: tuple[str, ...]) -> Trajectory:
    first = max(AGREEMENT_START, as_of - timedelta(days=TREND_DAYS - 1))
    found = fetch("active-users", KpiParams(start=first, end=as_of, platforms=platforms))
    assert isinstance(found, list)
    series = [DailyValue(date.fromisoformat(row["day"]), row["active_users"]) for row in found]
    return trend_trajectory("B2", target=_target("active-users"), start=AGREEMENT_START, deadline=AGREEMENT_END,
                            series=series)


def agreement_trajectories(fetch: MetricFetch, as_of: date, platforms: tuple[str, ...]) -> list[Trajectory]:
    """B2, MA4 and MC4 to the agreement's end, MP2 to the end of `as_of`'s year, and MV2 to
    the end of its month once the blog feed stored an article. None before the agreement
    (its targets apply from its start); after its end, the final figures."""
    if as_of < AGREEMENT_START:
        return []
    as_of = min(as_of, AGREEMENT_END)
    whole = KpiParams(start=AGREEMENT_START, end=as_of, platforms=platforms)
    found = [b2_trajectory(fetch, as_of, platforms)]
    for kpi, slug, field in (("MA4", "trained-users", "trained_users"), ("MC4", "new-tools", "new_tools")):
        found.append(linear_trajectory(kpi, target=_target(slug), start=AGREEMENT_START, deadline=AGREEMENT_END,
                                       as_of=as_of, value=_scalar(fetch, slug, whole)[field]))
    year = (date(as_of.year, 1, 1), date(as_of.year, 12, 31))
    features = _scalar(fetch, "new-features", whole.model_copy(update={"start": year[0]}))["new_features"]
    found.append(linear_trajectory("MP2", target=_target("new-features"), start=year[0], deadline=year[1],
                                   as_of=as_of, value=features))
    month = (as_of.replace(day=1), as_of.replace(day=monthrange(as_of.year, as_of.month)[1]))
    articles = _scalar(fetch, "articles", whole.model_copy(update={"start": month[0]}))
    if articles["stored_articles"]:
        found.append(linear_trajectory("MV2", target=_target("articles"), start=month[0], deadline=month[1],
                                       as_of=as_of, value=articles["articles"]))
    return found
