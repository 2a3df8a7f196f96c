"""The portal's one hook: a generated page's body is pre-rendered, escaped HTML kept beside the
Markdown file; it replaces the page content as is, so recorded text never passes through
Markdown (and big list pages skip Markdown's slow HTML-block parser)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    body = page.meta.get("sl_body")
    if not body:
        return html
    return (Path(config["docs_dir"]).parent / "bodies" / body).read_text(encoding="utf-8")
