"""The built portal: pages, record pages, open data, privacy, nothing from outside."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from ledger.application import Sunlight
from ledger.domain.state import BODY_TYPES
from publisher.build import publish
from tests.publisher.conftest import BASE_URL, Site, site_files
from tests.publisher.sample import HOSTILE, PRIVATE, Clock, build_sample


def read(site: Site, path: str) -> str:
    return (site.out / path).read_text(encoding="utf-8")


def test_every_section_page_is_built_in_chinese(site: Site) -> None:
    for path in ("index.html", "disclosures/index.html", "funds/index.html", "fees/index.html",
                 "decisions/index.html", "evaluations/index.html", "projects/index.html",
                 "audit/index.html", "records/index.html", "search/index.html",
                 "funds/f1/index.html", "fees/e1-2025/index.html",
                 "disclosures/category-decision/index.html", "disclosures/2025-03/index.html"):
        html = read(site, path)
        assert '<html lang="zh"' in html, path
    home = read(site, "index.html")
    assert "测试社区" in home and "3,700.50 元" in home and "满意率 87.5%" in home


def test_every_record_has_a_permanent_page_with_signer_time_index_and_qr(site: Site) -> None:
    size = site.app.size("testville")
    for index in range(size):
        html = read(site, f"r/{index}/index.html")
        assert f"（北京时间），账本第 {index} 条</td></tr>" in html
        assert "签名人" in html and "密钥 ID" in html and "北京时间" in html
        assert '<svg width="' in html and "sl-qr-code" in html
    spend = read(site, "r/21/index.html")
    assert "李出纳（出纳）" in spend and site.writer.keys["treasurer"].key_id in spend
    assert "2025-03-" in spend
    assert not (site.out / "r" / "shell").exists()


def test_qr_code_encodes_the_permanent_url(site: Site) -> None:
    import segno

    expected = segno.make(BASE_URL + "r/9/", error="m").svg_inline(
        scale=3, title="本记录的永久网址二维码", svgclass="sl-qr-code")
    assert expected in read(site, "r/9/index.html")


def test_notice_prints_checkpoint_root_in_short_form(site: Site) -> None:
    note = site.app.checkpoint("testville")
    root = note.split("\n")[2]
    html = read(site, "r/9/index.html")
    assert root[:16] + "…" in html
    assert "sl-print-only" in html and "测试社区 · 公示" in html
    (css_file,) = (site.out / "assets").glob("sunlight.*.css")
    css = css_file.read_text(encoding="utf-8")
    assert "@media print" in css and "size: A4" in css


def test_correction_and_retraction_are_shown_beside_the_original(site: Site) -> None:
    original = read(site, "r/4/index.html")
    assert "本公开已更正 1 次" in original
    assert "加装电梯方案" in original and "更正后的内容" in original and "金额写错了" in original
    correction = read(site, "r/5/index.html")
    assert "原公开内容（第 4 条）" in correction and "AAAAAAAA" in correction
    retracted = read(site, "r/6/index.html")
    assert "本公开已于" in retracted and "撤回" in retracted and "清单内容" in retracted
    listing = read(site, "disclosures/2025-03/index.html")
    assert "已更正 1 次" in listing and "已撤回" in listing


def test_fees_page_shows_vendor_invoice_and_authorising_decision(site: Site) -> None:
    html = read(site, "fees/e1-2025/index.html")
    assert "洁净保洁公司" in html and "8,000.00 元" in html
    assert 'href="../../r/14/">dec1：' in html  # the spend's authorising decision
    assert hashlib.sha256(b"inv1").hexdigest()[:12] in html
    decision = read(site, "r/14/index.html")
    for use in (15, 16, 21, 25):  # both ways: the decision lists what drew on it
        assert f'href="../../r/{use}/"' in decision


def test_charts_are_svg_with_text_alternative_and_a_table(site: Site) -> None:
    charts = 0
    for path in site_files(site.out, ".html"):
        html = path.read_text(encoding="utf-8")
        for m in re.finditer(r'<svg class="sl-chart"[^>]*aria-label="([^"]+)"[^>]*><title>',
                             html):
            charts += 1
            after = html[m.end():]
            assert after.index("</svg>") < after.index("<table>") < after.index("</figure>")
    assert charts >= 4


def test_hostile_text_is_escaped_everywhere(site: Site) -> None:
    for path in site_files(site.out, ".html"):
        html = path.read_text(encoding="utf-8")
        assert "window.__pwned" not in html.replace("window.&#95;&#95;pwned", ""), path
        assert "<img src=x" not in html and "{{ config" not in html, path


def test_open_data_package_has_a_csv_per_kind_with_sha256(site: Site) -> None:
    package = json.loads(read(site, "data/datapackage.json"))
    names = {r["path"] for r in package["resources"]}
    assert names == {f"{kind}.csv" for kind in BODY_TYPES}
    total = 0
    for resource in package["resources"]:
        data = (site.out / "data" / resource["path"]).read_bytes()
        assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
        assert resource["bytes"] == len(data)
        rows = list(csv.DictReader(io.StringIO(data.decode())))
        header = [f["name"] for f in resource["schema"]["fields"]]
        assert next(csv.reader(io.StringIO(data.decode()))) == header
        total += len(rows)
    assert total == site.app.size("testville")
    spends = list(csv.DictReader(io.StringIO(read(site, "data/fee.spend_recorded.csv"))))
    assert spends[0]["amount_fen"] == "150000" and spends[0]["vendor"] == "洁净保洁公司"


def test_log_is_published_as_tiles_with_the_checkpoint(site: Site) -> None:
    assert read(site, "log/checkpoint") == site.app.checkpoint("testville")
    assert (site.out / "log" / "tile" / "entries").is_dir()


def test_no_private_data_anywhere_in_the_site(site: Site) -> None:
    stored = site.app.private_records("testville")
    names = {r["data"]["name"] for r in stored if isinstance(r["data"], dict)}
    assert names == {PRIVATE["name"], "钱隐名"}  # it is there, in the private store
    secrets = [*PRIVATE.values(), "钱隐名", "13800001111"]
    forms = {s for secret in secrets
             for s in (secret, json.dumps(secret)[1:-1], secret.encode("unicode_escape").decode())}
    for path in site_files(site.out):
        data = path.read_bytes()
        for form in forms:
            assert form.encode() not in data, (path, form)


class _Refs(HTMLParser):
    """Every URL an HTML page makes the browser fetch (not plain links)."""

    FETCHING = frozenset({("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
                ("source", "src"), ("source", "srcset"), ("video", "src"), ("audio", "src"),
                ("embed", "src"), ("object", "data"), ("image", "href"), ("use", "href"),
                ("input", "src")})

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if (tag, name) in self.FETCHING and not (tag == "link" and ("rel", "canonical")
                                                     in attrs):
                self.urls.append(value)
            elif name == "style":
                self.urls.extend(re.findall(r"url\(\s*['\"]?([^'\")]+)", value))
            elif tag == "a" and name == "href":
                self.links.append(value)


def _external(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob") or url.startswith("#"):
        return False
    return bool(parts.scheme or parts.netloc or url.startswith("//"))


def test_nothing_is_loaded_from_outside_the_site(site: Site) -> None:
    for path in site_files(site.out, ".html"):
        refs = _Refs()
        refs.feed(path.read_text(encoding="utf-8"))
        outside = [u for u in refs.urls if _external(u)]
        assert not outside, (path, outside)
        assert not [u for u in refs.links if _external(u)], path
    for path in site_files(site.out, ".css"):
        css = path.read_text(encoding="utf-8")
        assert not [u for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css) if _external(u)]
        assert "@import" not in css or "@import url(http" not in css
        assert "fonts.googleapis" not in css and "fonts.gstatic" not in css
    # Scripts: every absolute URL in the site's JavaScript is a known string that is never
    # requested (licence notes, doc references, XML namespaces, placeholders)...
    inert_hosts = {"www.w3.org", "www.mozilla.org", "github.com", "snowball.tartarus.org",
                   "tartarus.org", "code.google.com", "markjs.io", "clipboardjs.com",
                   "bugzilla.mozilla.org", "bugs.webkit.org", "git.io", "bit.ly",
                   "developer.mozilla.org", "example.com$", "yekta.dev", "harrymkt.github.io",
                   "p", "$", "chasen.org", "docs.python.org", "en.wikipedia.org", "lunrjs.com",
                   "msdn.microsoft.com", "narwhaljs.org", "people.mozilla.org", "underscorejs.org",
                   "wiki.commonjs.org", "wiki.ecmascript.org",
                   "hyperelliptic.org"}  # formula references in @noble/ed25519's comments
    # ... or one Material requests only on demand: a mermaid diagram (the portal has none, and
    # recorded text can never create one), a ResizeObserver polyfill (site/overrides/main.html
    # defines ResizeObserver first; the browser test checks that no such request is made), and
    # GitHub repository facts (only with repo_url, which the portal never sets).
    on_demand = {"https://unpkg.com/mermaid@11/dist/mermaid.min.js",
                 "https://unpkg.com/resize-observer-polyfill", "https://api.github.com/repos/$",
                 "https://api.github.com/users/$"}
    for path in site_files(site.out, ".js"):
        text = path.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]*", text):
            url = url.rstrip("'\",;)")
            host = urlsplit(url).netloc
            assert host in inert_hosts or url in on_demand, (path, url)
    config = (Path(__file__).resolve().parents[2] / "site" / "mkdocs.yml").read_text()
    assert "font: false" in config and "repo_url" not in config


def test_republish_after_one_new_record(site: Site, tmp_path: Path) -> None:
    clock = Clock()
    app = Sunlight(f"sqlite:///{tmp_path / 'l.db'}", clock=clock)
    writer = build_sample(app, clock, "another", hostile="普通文字")
    out = tmp_path / "site"
    first = publish(app, "another", out, base_url=BASE_URL, search=False)
    assert first.qr_made == first.records
    before = (out / "r/2/index.html").read_bytes()
    index = writer.record("member", "disclosure.published", {
        "disclosure_id": "d9", "category": "other", "period": "2025-04", "title": "新的公开事项",
        "body": "新内容"})
    second = publish(app, "another", out, base_url=BASE_URL, search=False)
    assert second.records == first.records + 1 and second.qr_made == 1
    assert "新的公开事项" in (out / f"r/{index}/index.html").read_text(encoding="utf-8")
    assert "新的公开事项" in (out / "index.html").read_text(encoding="utf-8")
    assert HOSTILE not in (out / "index.html").read_text(encoding="utf-8")
    # an untouched record keeps its page byte for byte, notice checkpoint included
    assert (out / "r/2/index.html").read_bytes() == before
    assert "新的公开事项" in (out / "disclosures/category-other/index.html").read_text(
        encoding="utf-8")


def test_links_are_relative_so_any_path_prefix_works(site: Site) -> None:
    for path in site_files(site.out, ".html"):
        if path.name == "404.html":
            continue  # served for unknown paths; MkDocs writes it with site_url
        refs = _Refs()
        refs.feed(path.read_text(encoding="utf-8"))
        rooted = [u for u in refs.urls + refs.links if u.startswith("/") and
                  not u.startswith("//")]
        assert not rooted, (path, rooted[:3])


def test_the_published_site_alone_verifies(site: Site) -> None:
    import html
    import subprocess
    import sys

    from publisher.preview import serve_in_background

    audit = html.unescape(re.sub(r"<[^>]+>", "", read(site, "audit/index.html")))
    key = site.app.community("testville").verifier_key
    assert f"sunlight verify {BASE_URL}log/ \\\n  --key '{key}'" in audit
    server, url = serve_in_background(site.out)
    try:
        sunlight = Path(sys.executable).parent / "sunlight"
        done = subprocess.run([str(sunlight), "verify", url + "log/", "--key", key],
                              capture_output=True, text=True, timeout=120, check=False)
    finally:
        server.shutdown()
        server.server_close()
    assert done.returncode == 0, done.stdout + done.stderr


def test_record_shell_tokens_in_recorded_text_stay_text() -> None:
    from publisher.record_page import NOTICE_TOKEN, TITLE_TOKEN, Shell

    shell = Shell(f"<title>{TITLE_TOKEN}</title><p>{NOTICE_TOKEN}</p>", f"<i>{TITLE_TOKEN}</i>")
    page = shell.page(f"标题 {NOTICE_TOKEN} <b>", "公示", "BODY")
    assert page == (f"<title>标题 {NOTICE_TOKEN} &lt;b&gt;</title><p>公示</p>BODY"
                    f"<i>标题 {NOTICE_TOKEN} &lt;b&gt;</i>")
