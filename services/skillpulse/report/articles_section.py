"""The report's MV2 section: articles published on skilltech.cafe per month against 4,
counted from the blog's feed (`skillpulse sources blog`), or why there is no count."""

from __future__ import annotations

from typing import Any

from skillpulse.kpi.catalogue import ARTICLES_PER_MONTH_TARGET
from skillpulse.report.html_parts import Cell, command_cell, figure_cell, paragraph, row, section, table
from skillpulse.report.manual_inputs import ManualFigure
from skillpulse.report.reproduce import kpi_command

_HEADERS = ("Month", "Articles", "Target", "At target", "Reproduce")


def _month_row(month: dict[str, Any], last_day: str) -> str:
    first = f"{month['month']}-01"
    last = min(_month_end(month["month"]), last_day)
    return row([Cell(month["month"], "month"), figure_cell(month["articles"], "articles"),
                figure_cell(ARTICLES_PER_MONTH_TARGET, "target"),
                Cell("yes" if month["at_target"] else "no", "at-target", str(month["at_target"]).lower()),
                command_cell(kpi_command("articles", first, last, ()))], data_month=month["month"])


def _month_end(month: str) -> str:
    from calendar import monthrange

    year, number = int(month[:4]), int(month[5:])
    return f"{month}-{monthrange(year, number)[1]:02d}"


def articles_section(articles: dict[str, Any], mv2: ManualFigure) -> str:
    title = f"MV2: articles published on skilltech.cafe per month (target {ARTICLES_PER_MONTH_TARGET})"
    if not articles["stored_articles"]:
        return section(title, "articles", paragraph(
            "No blog article is stored, so MV2 is not measured: poll the blog with `skillpulse sources blog --url "
            "https://skilltech.cafe/wp-json/wp/v2/posts` (every article) or its RSS or Atom feed.",
            class_="missing", data_field="no-articles"))
    notes = [paragraph(
        f"Each article counted once (by its GUID), in the Luxembourg month of its publication date; an edit is "
        f"not a new article. {articles['months_at_target']} of {len(articles['months'])} months at "
        f"{ARTICLES_PER_MONTH_TARGET} or more, {articles['articles']} articles in the period. An RSS or Atom feed "
        f"lists only its latest items: months before the oldest stored article ({articles['oldest_article_day']}) "
        "may be incomplete unless the WordPress API was polled.", data_field="articles-note")]
    if mv2.status == "override":
        notes.append(paragraph(
            "A manual MV2 figure overrides this count in the table of manual inputs (MANUAL OVERRIDE).",
            class_="warning", data_field="articles-overridden"))
    rows = [_month_row(month, articles["to"]) for month in articles["months"]]
    return section(title, "articles", *notes, table(_HEADERS, rows, data_table="articles"))
