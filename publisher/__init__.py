"""Read models from the log -> Markdown pages, SVG charts and open data for the portal."""

from __future__ import annotations

from publisher.build import PublishError, PublishResult, publish
from publisher.preview import serve_in_background, serve_site

__all__ = ["PublishError", "PublishResult", "publish", "serve_in_background", "serve_site"]
