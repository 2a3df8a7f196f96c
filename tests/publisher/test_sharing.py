"""Sharing and search engines: each page names its own address (canonical link, og:url), says
what it is (title, description, share-card tags), the sitemap lists every record page, and the
preview server answers a missing page with the site's 404 page."""

from __future__ import annotations

import gzip
import re
import urllib.error
import urllib.request
from html import unescape
from pathlib import Path

from publisher.preview import serve_in_background
from publisher.sitemap import write_sitemap
from tests.publisher.conftest import BASE_URL, Site


def head(html: str) -> dict[str, str]:
    """The canonical link, the description and the og: tags of a page (unescaped)."""
    tags = {"canonical": r'<link rel="canonical" href="([^"]*)">',
            "description": r'<meta name="description" content="([^"]*)">',
            "title": r"<title>([^<]*)</title>"}
    found = {name: unescape(m.group(1)) for name, pattern in tags.items()
             if (m := re.search(pattern, html.split("</head>")[0]))}
    for m in re.finditer(r'<meta property="og:(\w+)" content="([^"]*)">', html):
        found["og:" + m.group(1)] = unescape(m.group(2))
    return found


def record_pages(site: Site) -> list[Path]:
    return sorted((site.out / "r").glob("*/index.html"))


def test_each_record_page_names_itself_and_says_what_it_is(site: Site) -> None:
    pages = record_pages(site)
    assert len(pages) == site.result.records
    for page in pages:
        index = page.parent.name
        html = page.read_text(encoding="utf-8")
        tags = head(html)
        own = f"{BASE_URL}r/{index}/"
        assert tags["canonical"] == own and tags["og:url"] == own
        h1 = unescape(re.search(r"<h1>(.*?)</h1>", html.split('sl-notice-head')[1]).group(1))
        assert tags["title"].startswith(h1) and tags["og:title"].startswith(h1)
        assert f"日志第 {index} 条" in tags["description"] == tags["og:description"]
        assert tags["og:type"] == "article"
        assert "SLRECORD" not in html and "r/shell" not in html


def test_section_pages_name_themselves(site: Site) -> None:
    tags = head((site.out / "funds" / "index.html").read_text(encoding="utf-8"))
    assert tags["canonical"] == tags["og:url"] == BASE_URL + "funds/"
    assert tags["og:title"].startswith("微基金") and tags["description"]


def test_the_sitemap_lists_every_page_and_no_shell(site: Site) -> None:
    xml = (site.out / "sitemap.xml").read_text(encoding="utf-8")
    assert gzip.decompress((site.out / "sitemap.xml.gz").read_bytes()).decode() == xml
    locs = re.findall(r"<loc>([^<]*)</loc>", xml)
    assert len(locs) == len(set(locs))
    for page in record_pages(site):
        assert f"{BASE_URL}r/{page.parent.name}/" in locs
    assert {BASE_URL, BASE_URL + "funds/", BASE_URL + "about/", BASE_URL + "audit/"} <= set(locs)
    assert not [loc for loc in locs if "shell" in loc or "404" in loc]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d)
               for d in re.findall(r"<lastmod>([^<]*)</lastmod>", xml))
    assert f"Sitemap: {BASE_URL}sitemap.xml" in (site.out / "robots.txt").read_text()


def test_a_large_sitemap_is_split_and_a_relative_site_has_none(tmp_path: Path) -> None:
    pages = [(f"r/{i}/", "2025-01-01") for i in range(5)]
    assert write_sitemap(tmp_path, "https://x.example/", pages, per_file=2) == 5
    index = (tmp_path / "sitemap.xml").read_text()
    assert "<sitemapindex" in index and index.count("<sitemap>") == 3
    assert (tmp_path / "sitemap-3.xml").read_text().count("<url>") == 1
    assert write_sitemap(tmp_path, "https://x.example/", pages) == 5
    assert not (tmp_path / "sitemap-1.xml").exists()  # the parts of the last run are gone
    assert write_sitemap(tmp_path, "/", pages) == 0
    assert not list(tmp_path.glob("sitemap*")) and not (tmp_path / "robots.txt").exists()


def test_the_preview_serves_the_sites_404_page(site: Site) -> None:
    server, url = serve_in_background(site.out)
    try:
        try:
            urllib.request.urlopen(url + "no-such-page/", timeout=10)
            raise AssertionError("a missing page was found")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
            body = exc.read().decode("utf-8")
            assert exc.headers["Content-Type"].startswith("text/html")
        assert body == (site.out / "404.html").read_text(encoding="utf-8")
    finally:
        server.shutdown()
        server.server_close()


def test_the_preview_serves_the_site_at_its_public_path(site: Site) -> None:
    server, url = serve_in_background(site.out, prefix="/testville/")
    try:
        assert url.endswith("/testville/")
        with urllib.request.urlopen(url + "funds/", timeout=10) as response:
            assert response.status == 200 and "微基金" in response.read().decode("utf-8")
        outside = url.removesuffix("testville/") + "funds/"
        try:
            urllib.request.urlopen(outside, timeout=10)
            raise AssertionError("a page outside the site's path was found")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
    finally:
        server.shutdown()
        server.server_close()
