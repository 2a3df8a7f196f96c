from __future__ import annotations

import re
from datetime import UTC, datetime

from publisher.fmt import esc, local_time, percent, text_block, yuan, yuan_plain


def test_money_is_yuan_with_two_decimals_from_integer_fen() -> None:
    assert yuan(0) == "0.00 元"
    assert yuan(5) == "0.05 元"
    assert yuan(123_456_789) == "1,234,567.89 元"
    assert yuan(-150) == "-1.50 元"
    assert yuan_plain(100_001) == "1000.01"


def test_times_are_shown_in_shanghai() -> None:
    assert local_time(datetime(2025, 3, 1, 16, 30, tzinfo=UTC)) == "2025-03-02 00:30"


def test_percent_rounds_to_tenths() -> None:
    assert percent(2, 3) == "66.7%"
    assert percent(1, 0) == "—"


def test_escape_neutralises_html_markdown_and_template_syntax() -> None:
    out = esc('<script>x</script> **b** [l](u) {{ c }} {% t %} `x` # h | a\n\nb')
    out = re.sub(r"&#?[0-9a-z]+;", "", out)  # the entities themselves
    for raw in ("<", ">", "*", "[", "]", "{", "}", "`", "#", "|", "\n"):
        assert raw not in out


def test_text_block_never_contains_a_blank_line() -> None:
    out = text_block("第一段\n第二行\n\n\n# 第二段 <b>")
    assert "\n" not in out
    assert out.count("<p>") == 2 and "&lt;b&gt;" in out and "<br>" in out
