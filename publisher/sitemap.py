"""The sitemap: every section page and every record page, for search engines.

MkDocs' own sitemap knows only the pages it rendered (and the record shell, a page nobody can
open); the publisher writes this one after the record pages. A sitemap holds absolute URLs, so
a site published under a relative address (``--base-url /``) gets none. Over 50,000 URLs (the
protocol's limit per file) it is split, with ``sitemap.xml`` as the index of the parts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from publisher.files import write_if_changed

PER_FILE = 50_000
NAMES = ("sitemap.xml", "sitemap.xml.gz")  # MkDocs writes these too; the publisher's replace them
_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def write_sitemap(out_dir: Path, base_url: str, pages: Iterable[tuple[str, str]],
                  per_file: int = PER_FILE) -> int:
    """Writes ``sitemap.xml`` (and ``.gz``) for ``pages``, each ``(path relative to the site
    root, last-modified day)``, plus ``robots.txt`` pointing at it. Returns the URLs listed (0,
    and no sitemap, when ``base_url`` is not absolute)."""
    stale = {p for p in out_dir.glob("sitemap*.xml*")}
    if not base_url.startswith(("http://", "https://")):
        for path in stale:
            path.unlink(missing_ok=True)
        (out_dir / "robots.txt").unlink(missing_ok=True)
        return 0
    urls = [f"<url><loc>{escape(base_url + path)}</loc><lastmod>{day}</lastmod></url>"
            for path, day in pages]
    chunks = [urls[i:i + per_file] for i in range(0, len(urls), per_file)] or [[]]
    written: list[Path] = []
    if len(chunks) == 1:
        written += _write(out_dir / "sitemap.xml", _urlset(chunks[0]))
    else:
        parts = []
        for n, chunk in enumerate(chunks, 1):
            written += _write(out_dir / f"sitemap-{n}.xml", _urlset(chunk))
            parts.append(f"<sitemap><loc>{escape(base_url)}sitemap-{n}.xml</loc></sitemap>")
        written += _write(out_dir / "sitemap.xml",
                          f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{_NS}">'
                          + "\n".join(parts) + "</sitemapindex>\n")
    for path in stale - set(written):
        path.unlink(missing_ok=True)
    write_if_changed(out_dir / "robots.txt",
                     f"User-agent: *\nAllow: /\nSitemap: {base_url}sitemap.xml\n".encode())
    return len(urls)


def _urlset(urls: list[str]) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{_NS}">\n'
            + "\n".join(urls) + "\n</urlset>\n")


def _write(path: Path, text: str) -> list[Path]:
    write_if_changed(path, text.encode("utf-8"))  # its .gz is written with every text file's
    return [path, path.with_name(path.name + ".gz"), path.with_name(path.name + ".br")]


__all__ = ["write_sitemap"]
