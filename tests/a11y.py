"""What the browser tests check for phones and elderly readers, written once: axe-core's serious
and critical violations, text under 16 px, chart labels as drawn, tap targets under 44 x 44 px,
and wide tables shown as cards. axe-core is vendored in tests/vendor/ by scripts/vendor-js (the
portal and the console never load it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = (Path(__file__).resolve().parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")

_SERIOUS = ("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
            ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))")


def serious_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page, three places each. axe is
    evaluated by the test (not added as a script tag), so it runs under the page's own CSP too."""
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE)
    found: list[str] = page.evaluate(_SERIOUS)
    return found


# Text smaller than 16 px in the page (chart labels excepted: they are checked below).
SMALL_TEXT = """() => {
  const small = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || el.closest('svg, script, style')) continue;
    const box = el.getBoundingClientRect();
    if (!el.checkVisibility() || box.width === 0) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 16)
      small.push(el.tagName + '.' + el.className + ' ' + size + 'px: ' + n.textContent.trim().slice(0, 20));
  }
  return small;
}"""

# Chart labels as drawn on screen: font size times the chart's scale.
CHART_LABELS = """() => [...document.querySelectorAll('svg.sl-chart text')].map(t =>
  parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""

# Links, buttons and inputs smaller than 44 x 44 px, except links inside a sentence (a paragraph,
# list item or cell with text of its own around the link), which WCAG exempts.
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, input, summary, label.md-nav__link')) {
    if (!el.checkVisibility()) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const parent = el.parentElement;
    const inSentence = parent.textContent.trim() !== el.textContent.trim();
    if (inSentence && parent.closest('p, li, td, dd')) continue;
    if (box.width < 44 - 0.5 || box.height < 44 - 0.5)
      small.push(el.tagName + '.' + el.className + ' ' + Math.round(box.width) + 'x' +
                 Math.round(box.height) + ': ' + (el.textContent || el.title || '').trim().slice(0, 16));
  }
  return small;
}"""

# Each cell of a wide table on a phone: where it is drawn, and the label it shows before its value.
_CARD_CELLS = """() => [...document.querySelectorAll('.sl-scroll td')].map(td => {
    const box = td.getBoundingClientRect();
    return [box.left, box.right, td.dataset.label || '', getComputedStyle(td, '::before').content];
})"""


def check_tables_are_cards(browser: Any, url: str) -> None:
    """At 360 px every cell of the page's wide tables is inside the screen (nothing cut off or
    scrolled) and says what it is (its column's label before the value)."""
    context = browser.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    page.goto(url)
    cells = page.evaluate(_CARD_CELLS)
    context.close()
    assert cells
    for left, right, label, before in cells:
        assert left >= 0 and right <= 360, (label, left, right)
        assert label and before == f'"{label}"'
