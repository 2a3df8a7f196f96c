"""The portal's one hook: a generated page names a slot in its front matter (``sl_slot``) and
MkDocs renders the page around it; the publisher puts the page's pre-rendered, escaped HTML in
the slot. Recorded text never passes through Markdown, and MkDocs' input stays the same when
only the content of pages changes, so a re-publish can reuse what MkDocs rendered."""

from __future__ import annotations

from typing import Any


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    slot = page.meta.get("sl_slot")
    return str(slot) if slot else html
