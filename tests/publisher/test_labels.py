"""Pages show an enumeration's Chinese label, never its raw value (``repairs``, ``wechat``)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ledger.domain.common import Shape
from ledger.domain.kinds import KINDS, FieldSpec
from ledger.signing import Entry, Statement
from tests.publisher.conftest import Site, site_files


class _Text(HTMLParser):
    """The text a reader sees: no markup, scripts, styles, or code (hashes and keys)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "code", "pre", "svg"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "code", "pre", "svg"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def enum_values(fields: tuple[FieldSpec, ...]) -> set[str]:
    found: set[str] = set()
    for f in fields:
        found |= {v for v, _ in f.values if isinstance(v, str)}
        found |= enum_values(f.fields)
    return found


def ids(site: Site) -> set[str]:
    """Every record id in the community (the sample names a member ``treasurer``: that id may
    be shown, the role value may not)."""
    found: set[str] = set()
    for _, raw in site.app.entries("testville"):
        st = Statement.from_bytes(Entry.decode(raw).statement)
        for f in KINDS[st.kind].fields:
            if f.shape in (Shape.ID, Shape.REF) and isinstance(st.body.get(f.name), str):
                found.add(st.body[f.name])
    return found


def test_no_raw_enumeration_value_reaches_a_page(site: Site) -> None:
    values = set().union(*(enum_values(k.fields) for k in KINDS.values())) - ids(site)
    assert {"repairs", "wechat", "anonymous", "residents_assembly"} <= values
    pattern = re.compile(r"(?<![A-Za-z0-9_./-])(" + "|".join(sorted(values)) + r")(?![A-Za-z0-9_.-])")
    seen = []
    for path in site_files(site.out, ".html"):
        for match in pattern.finditer(visible_text(path.read_text(encoding="utf-8"))):
            seen.append(f"{path.relative_to(site.out)}: {match.group(0)}")
    assert not seen, "\n".join(seen[:20])


def test_the_check_sees_a_raw_value() -> None:
    assert "repairs" in visible_text("<p>类别：repairs</p><code>deadbeef</code>")
    assert "deadbeef" not in visible_text("<p>类别：维修</p><code>deadbeef</code>")
