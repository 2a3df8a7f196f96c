"""The publisher: a fixed sequence of stages from the log to a static site.

read entries -> fold read models -> write Markdown pages into a copy of ``site/`` -> ``mkdocs
build`` -> record pages into the shell -> open data -> transparency-log tiles -> search index.
"""

from __future__ import annotations

import importlib
import json
import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ledger.application import Sunlight
from ledger.crypto.checkpoint import Checkpoint
from publisher.fmt import esc
from publisher.opendata import write_data_package
from publisher.pages import Context, write_pages
from publisher.readmodel import fold
from publisher.record_page import SHELL_PATH, QrCache, Seal, Shell, write_record_pages
from publisher.records import read_records

log = logging.getLogger("sunlight.publisher")

SITE_DIR = Path(__file__).resolve().parent.parent / "site"


class PublishError(Exception):
    """The site could not be built; the message says why, in Chinese."""


@dataclass
class PublishResult:
    out_dir: Path
    records: int
    pages: int
    log_exported: bool
    searchable: bool
    qr_made: int
    seconds: dict[str, float] = field(default_factory=dict)


def default_cache_dir(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.cache"


def publish(app: Sunlight, community_id: str, out_dir: Path, *, base_url: str = "/",
            cache_dir: Path | None = None, site_dir: Path = SITE_DIR,
            search: bool = True) -> PublishResult:
    """Builds the community's portal into ``out_dir`` (replacing what was there).

    ``base_url`` is the public address the site will be served from; it goes into QR codes and
    the verification command. Every link inside the site is relative, so the same build works
    under any path prefix.
    """
    if not base_url.endswith("/"):
        base_url += "/"
    out_dir = out_dir.resolve()
    cache = (cache_dir or default_cache_dir(out_dir)).resolve()
    seconds: dict[str, float] = {}
    clock = _Stopwatch(seconds)

    with clock("read"):
        info = app.community(community_id)
        note = app.checkpoint(community_id)
        checkpoint = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n")
        records = list(read_records(app.entries(community_id, 0, checkpoint.size)))
    with clock("fold"):
        portal = fold(community_id, records)
    root_b64 = _b64(checkpoint.root_hash)
    ctx = Context(checkpoint.size, root_b64, note, info.verifier_key, info.origin, base_url,
                  has_log=_tiles_exporter() is not None)
    with clock("pages"):
        build = cache / "build"
        if build.exists():
            shutil.rmtree(build)
        shutil.copytree(site_dir, build, ignore=shutil.ignore_patterns("site", "__pycache__"))
        paths = write_pages(portal, ctx, build / "docs")
    with clock("mkdocs"):
        _mkdocs(build / "mkdocs.yml", out_dir, portal.name or community_id, base_url)
    with clock("records"):
        shell_file = out_dir / SHELL_PATH / "index.html"
        shell = Shell.parse(shell_file.read_text(encoding="utf-8"))
        shutil.rmtree(shell_file.parent)
        qr = QrCache(cache / "qr")
        write_record_pages(portal, shell, out_dir, base_url, qr,
                           Seal(portal.name or community_id, checkpoint.size, root_b64), {})
    with clock("data"):
        write_data_package(records, out_dir / "data", f"sunlight-{community_id}",
                           f"{portal.name or community_id} 阳光账本开放数据")
        (out_dir / "data" / "checkpoint.txt").write_text(note, encoding="utf-8")
    with clock("log"):
        exported = _export_log(app, community_id, out_dir / "log")
    searchable = False
    if search:
        with clock("search"):
            searchable = _pagefind(out_dir)
    return PublishResult(out_dir, len(records), len(paths), exported, searchable, qr.made,
                         seconds)


class _Stopwatch:
    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.name = ""
        self.started = 0.0

    def __call__(self, name: str) -> _Stopwatch:
        self.name = name
        return self

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.seconds[self.name] = time.perf_counter() - self.started


def _b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


def _mkdocs(config_file: Path, out_dir: Path, name: str, base_url: str) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    overrides: dict[str, object] = {"site_dir": str(out_dir), "site_name": esc(name)}
    if base_url.startswith(("http://", "https://")):
        overrides["site_url"] = base_url
    try:
        config = load_config(str(config_file), **overrides)  # type: ignore[arg-type]
        build(config)
    except MkDocsException as exc:
        raise PublishError(f"MkDocs 构建失败：{exc}") from exc


def _tiles_exporter() -> Callable[[Sunlight, str, Path], object] | None:
    try:
        module = importlib.import_module("ledger.tlog.export")
    except ModuleNotFoundError:
        return None
    exporter = getattr(module, "export_tiles", None)
    return exporter if callable(exporter) else None


def _export_log(app: Sunlight, community_id: str, out: Path) -> bool:
    exporter = _tiles_exporter()
    if exporter is None:
        log.warning("ledger.tlog.export is not available: the site is published without /log/")
        return False
    exporter(app, community_id, out)
    return True


def pagefind_executable() -> Path | None:
    try:
        from pagefind_bin_extended import get_executable  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return Path(get_executable())
    except FileNotFoundError:
        return None


def _pagefind(out_dir: Path) -> bool:
    exe = pagefind_executable()
    if exe is None:
        log.warning("pagefind is not installed: the site is published without search")
        return False
    result = subprocess.run([str(exe), "--site", str(out_dir), "--silent"],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PublishError(f"搜索索引生成失败：{result.stderr.strip() or result.stdout.strip()}")
    return True


def manifest(out_dir: Path) -> dict[str, int]:
    """Bytes per top-level folder of a built site (for the bench and the CLI summary)."""
    sizes: dict[str, int] = {}
    for path in out_dir.rglob("*"):
        if path.is_file():
            top = path.relative_to(out_dir).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return dict(sorted(sizes.items()))


__all__ = ["PublishError", "PublishResult", "json", "publish"]
