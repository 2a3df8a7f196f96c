"""Formatting for residents: money in 元 from integer fen, times in Asia/Shanghai, escaping.

Every recorded value reaches a page through :func:`esc` (HTML text) or :func:`text_block`
(multi-line text): recorded text is data, never markup.
"""

from __future__ import annotations

import html
from datetime import datetime

from ledger.domain.decision import fmt_yuan as yuan  # the ledger's own: one way to write 元
from ledger.domain.state import SHANGHAI


def yuan_plain(fen: int) -> str:
    """``123456`` -> ``"1234.56"`` (for CSV files and chart tables)."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def local_time(at: datetime) -> str:
    """An aware time shown in Asia/Shanghai: ``2025-03-01 10:00``."""
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def local_month(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m")


def tenths_of_percent(part: int, whole: int) -> int | None:
    """``part / whole`` in tenths of a percent, rounded half up (320/420 -> 762); ``None``
    when there is no whole. Charts draw this number and label it with :func:`percent_tenths`,
    so a chart and a table always show the same figure."""
    if whole <= 0:
        return None
    return (part * 1000 + whole // 2) // whole


def percent_tenths(tenths: int | None) -> str:
    """Tenths of a percent as residents read it: ``762`` -> ``"76.2%"``."""
    if tenths is None:
        return "—"
    sign = "-" if tenths < 0 else ""
    tenths = abs(tenths)
    return f"{sign}{tenths // 10}.{tenths % 10}%"


def percent(part: int, whole: int) -> str:
    """The site's one way to write a share: ``percent(320, 420) == "76.2%"``."""
    return percent_tenths(tenths_of_percent(part, whole))


def esc(value: object) -> str:
    """HTML-escapes ``value`` for text and attribute positions.

    Beyond ``&<>"'`` it also neutralises characters that Markdown or a template engine could
    act on if a page were ever run through one (``* _ ` [ ] { } | \\ #``), so that recorded
    text stays text whatever processes the page.
    """
    return html.escape(str(value), quote=True).translate(_NEUTRAL)


_NEUTRAL = str.maketrans({
    "*": "&#42;", "_": "&#95;", "`": "&#96;", "[": "&#91;", "]": "&#93;", "{": "&#123;",
    "}": "&#125;", "|": "&#124;", "\\": "&#92;", "#": "&#35;", "~": "&#126;", "$": "&#36;",
    "\n": "&#10;", "\r": "&#13;",
})


def text_block(value: str) -> str:
    """Multi-line recorded text as escaped HTML paragraphs on a single line (no blank lines,
    so a Markdown HTML block can never be split open by the text)."""
    paragraphs = [p for p in value.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(f"<p>{'<br>'.join(esc(line) for line in p.split(chr(10)))}</p>"
                   for p in paragraphs)


def short_hash(value: str, n: int = 12) -> str:
    return value[:n] + "…" if len(value) > n else value


__all__ = ["esc", "local_month", "local_time", "percent", "percent_tenths", "short_hash",
           "tenths_of_percent", "text_block", "yuan", "yuan_plain"]
