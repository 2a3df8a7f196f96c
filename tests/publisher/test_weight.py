"""Weight: a .gz and a .br beside every text file of the site (the same bytes, compressed again
only when the file changes), and the site's stylesheet named by its content like the theme's."""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from pathlib import Path
from typing import Any

import brotli
import pytest

from publisher import compress
from publisher.compress import TEXT, precompress
from tests.publisher.conftest import Site


def test_every_text_file_has_its_compressed_copies(site: Site) -> None:
    texts = [p for p in site.out.rglob("*") if p.is_file() and p.suffix in TEXT]
    assert len(texts) > site.result.records
    for path in texts:
        data = path.read_bytes()
        assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == data, path
        assert brotli.decompress(path.with_name(path.name + ".br").read_bytes()) == data, path
    home = site.out / "index.html"
    assert (site.out / "index.html.br").stat().st_size < home.stat().st_size / 3
    assert precompress(site.out) == 0  # nothing changed: nothing compressed again


def test_copies_follow_their_file(tmp_path: Path) -> None:
    page = tmp_path / "a" / "index.html"
    page.parent.mkdir()
    page.write_text("<p>一</p>" * 50, encoding="utf-8")
    (tmp_path / "tile").write_bytes(b"\x00\x01")  # not text: left alone
    assert precompress(tmp_path) == 1
    assert not (tmp_path / "tile.gz").exists()
    page.write_text("<p>二</p>" * 50, encoding="utf-8")
    os.utime(page, ns=(page.stat().st_mtime_ns + 10**9,) * 2)  # a later write, whatever the clock
    assert precompress(tmp_path) == 1
    assert "二" in brotli.decompress((tmp_path / "a" / "index.html.br").read_bytes()).decode()
    page.unlink()
    assert precompress(tmp_path) == 0
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == []


def test_the_stylesheet_is_named_by_its_content(site: Site) -> None:
    html = (site.out / "r" / "4" / "index.html").read_text(encoding="utf-8")
    names = re.findall(r'href="[./]*assets/(sunlight\.([0-9a-f]{8})\.css)"', html)
    assert len(names) == 1
    name, digest = names[0]
    css = (site.out / "assets" / name).read_bytes()
    assert hashlib.sha256(css).hexdigest()[:8] == digest and b"@media print" in css
    assert not (site.out / "assets" / "sunlight.css").exists()


def test_many_files_are_compressed_on_every_core(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compress, "PARALLEL_FROM", 2)
    for i in range(6):
        (tmp_path / f"{i}.html").write_text(f"<p>第 {i} 页</p>" * 40, encoding="utf-8")
    assert precompress(tmp_path) == 6
    for i in range(6):
        data = (tmp_path / f"{i}.html").read_bytes()
        assert brotli.decompress((tmp_path / f"{i}.html.br").read_bytes()) == data
        assert gzip.decompress((tmp_path / f"{i}.html.gz").read_bytes()) == data
    assert precompress(tmp_path) == 0


def test_files_with_the_same_bytes_are_compressed_once(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    script = "console.log('搜索');\n" * 200  # as each search bundle carries the same scripts
    for bundle in ("a", "b", "c"):
        (tmp_path / bundle).mkdir()
        (tmp_path / bundle / "ui.js").write_text(script, encoding="utf-8")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "ui.js").write_text(script.replace("搜索", "检索"), encoding="utf-8")
    compressed: list[bytes] = []
    real = brotli.compress

    def counting(data: bytes, **options: Any) -> bytes:
        compressed.append(data)
        return bytes(real(data, **options))

    monkeypatch.setattr(brotli, "compress", counting)
    assert precompress(tmp_path) == 4
    assert len(compressed) == 2  # one for the three copies, one for the different file
    for bundle in ("a", "b", "c", "d"):
        path = tmp_path / bundle / "ui.js"
        assert gzip.decompress(path.with_name("ui.js.gz").read_bytes()) == path.read_bytes()
        assert brotli.decompress(path.with_name("ui.js.br").read_bytes()) == path.read_bytes()
        assert path.with_name("ui.js.br").stat().st_mtime_ns == path.stat().st_mtime_ns


def test_files_handed_over_early_are_compressed_once(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A publish hands finished files to the workers as it goes; finish() waits for them and
    compresses what is left, each file once."""
    monkeypatch.setattr(compress, "PARALLEL_FROM", 2)
    for i in range(4):
        (tmp_path / f"{i}.html").write_text(f"<p>第 {i} 页</p>" * 40, encoding="utf-8")
    (tmp_path / "pagefind").mkdir()
    (tmp_path / "pagefind" / "x.js").write_text("var x = 1;\n" * 50, encoding="utf-8")
    compressor = compress.Precompressor(tmp_path)
    compressor.submit([tmp_path / "0.html", tmp_path / "1.html"])
    compressor.submit_all(skip=("pagefind",))  # 2.html and 3.html; 0 and 1 are under way
    assert not (tmp_path / "pagefind" / "x.js.br").exists()
    assert compressor.finish() == 5
    for path in [*tmp_path.glob("*.html"), tmp_path / "pagefind" / "x.js"]:
        assert brotli.decompress(path.with_name(path.name + ".br").read_bytes()) == path.read_bytes()
    assert precompress(tmp_path) == 0


@pytest.mark.parametrize("parallel_from", [2, 1000])  # through the workers, and in-process
def test_the_themes_assets_are_compressed_once_for_many_sites(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parallel_from: int) -> None:
    """A district publish builds many sites with the same theme: its best-compressed assets are
    made once in the process and written into each site; a changed asset is compressed anew."""
    monkeypatch.setattr(compress, "PARALLEL_FROM", parallel_from)
    monkeypatch.setattr(compress, "_BEST", {})
    bundle = f"var theme = '{parallel_from}';\n" * 300
    for site in ("s1", "s2", "s3"):
        (tmp_path / site / "assets" / "javascripts").mkdir(parents=True)
        (tmp_path / site / "assets" / "javascripts" / "bundle.f00.min.js").write_text(
            bundle if site != "s3" else bundle + "// changed\n", encoding="utf-8")
        (tmp_path / site / "index.html").write_text(f"<p>{site}</p>" * 50, encoding="utf-8")
    reused: list[str] = []
    real = compress._known

    def known(paths: list[Path], best: bool) -> bool:
        if real(paths, best):
            reused.extend(p.relative_to(tmp_path).as_posix() for p in paths)
            return True
        return False

    monkeypatch.setattr(compress, "_known", known)
    for site in ("s1", "s2", "s3"):
        assert precompress(tmp_path / site) == 2
    assert reused == ["s2/assets/javascripts/bundle.f00.min.js"]
    assert len(compress._BEST) == 2  # the bundle, and s3's changed one; never a page
    for site in ("s1", "s2", "s3"):
        for path in (tmp_path / site).rglob("*"):
            if path.suffix in TEXT:
                data = path.read_bytes()
                assert gzip.decompress(path.with_name(path.name + ".gz").read_bytes()) == data
                assert brotli.decompress(path.with_name(path.name + ".br").read_bytes()) == data
                assert path.with_name(path.name + ".br").stat().st_mtime_ns == path.stat().st_mtime_ns
