"""The page around the report's sections: one self-contained HTML file (inline CSS, no
script, no external resource), laid out to print on A4 as well as to read on screen."""

from __future__ import annotations

from string import Template

_CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10pt; color: #1c2833;
       max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; border-bottom: 2px solid #1f5fa8; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0 1em; page-break-inside: auto; }
tr { page-break-inside: avoid; }
th, td { border: 1px solid #d5d8dc; padding: 0.3em 0.45em; text-align: left; vertical-align: top; }
th { background: #eaf0f7; }
td.num { text-align: right; white-space: nowrap; }
code { font-size: 0.85em; overflow-wrap: anywhere; }
td[data-field="month"], td[data-field="mau-day"] { white-space: nowrap; }
figure { margin: 1em 0; page-break-inside: avoid; }
figure img { width: 100%; height: auto; }
figcaption { font-size: 0.9em; color: #566573; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1em; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
.manual { display: inline-block; background: #f5b041; color: #1c2833; font-size: 0.75em; font-weight: bold;
          padding: 0 0.4em; border-radius: 3px; margin-right: 0.3em; }
.missing { color: #b03a2e; font-style: italic; }
.agreement { font-size: 0.85em; color: #566573; font-style: italic; }
.warning { border-left: 4px solid #b03a2e; padding-left: 0.6em; }
"""

_PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="skillpulse report">
<title>$title</title>
<style>$css</style>
</head>
<body>
$body
</body>
</html>
""")


def page(title_html: str, body_html: str) -> str:
    """Both arguments must already be escaped HTML."""
    return _PAGE.substitute(title=title_html, css=_CSS, body=body_html)
