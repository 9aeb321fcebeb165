"""The board page: one static HTML file shipped in the package (inline CSS and JS, no
external resource), with the platforms and the refresh period written in where served."""

from __future__ import annotations

import json
from importlib.resources import files

from skillpulse.contract import PLATFORMS

REFRESH_S = 10  # the issue: a projector shows figures at most 10 s old
CONFIG_MARK = "__BOARD_CONFIG__"


def board_html() -> str:
    template = files("skillpulse.board").joinpath("static", "board.html").read_text(encoding="utf-8")
    if template.count(CONFIG_MARK) != 1:
        raise RuntimeError(f"board.html must hold {CONFIG_MARK} exactly once")
    # The platforms come from the contract, so a new platform needs no edit of the page;
    # "</" escaped so the JSON cannot close its <script> element.
    config = json.dumps({"platforms": list(PLATFORMS), "refresh_s": REFRESH_S}).replace("</", "<\\/")
    return template.replace(CONFIG_MARK, config)
