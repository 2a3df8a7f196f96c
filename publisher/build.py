"""The publisher: a fixed sequence of stages from the log to a static site.

read entries -> fold read models -> write Markdown pages into a copy of ``site/`` -> ``mkdocs
build`` -> record pages into the shell -> open data -> transparency-log tiles -> search index.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


SEARCH_BLOCK = 2000  # records per Pagefind bundle; a bundle is re-indexed only when it changes


def publish(app: Sunlight, community_id: str, out_dir: Path, *, base_url: str = "/",
            cache_dir: Path | None = None, site_dir: Path = SITE_DIR,
            search: bool = True) -> PublishResult:
    """Builds the community's portal into ``out_dir``.

    ``base_url`` is the public address the site will be served from; it goes into QR codes and
    the verification command. Every link inside the site is relative, so the same build works
    under any path prefix. ``cache_dir`` keeps what a re-publish can reuse (QR codes, record
    page keys, search bundles); by default it sits beside ``out_dir``.
    """
    if not base_url.endswith("/"):
        base_url += "/"
    out_dir = out_dir.resolve()
    cache = (cache_dir or default_cache_dir(out_dir)).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    state = _load_state(cache)
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
    exe = pagefind_executable() if search else None
    if search and exe is None:
        log.warning("pagefind is not installed: the site is published without search")
    blocks = [f"b{n}" for n in range((len(records) + SEARCH_BLOCK - 1) // SEARCH_BLOCK)]
    ctx = Context(checkpoint.size, root_b64, note, info.verifier_key, info.origin, base_url,
                  has_log=_tiles_exporter() is not None,
                  search_bundles=("main", *blocks) if exe is not None else ())
    name = portal.name or community_id
    with clock("pages"):
        build = cache / "build"
        if build.exists():
            shutil.rmtree(build)
        shutil.copytree(site_dir, build, ignore=shutil.ignore_patterns("site", "__pycache__"))
        paths = write_pages(portal, ctx, build / "docs", build / "bodies")
    with clock("mkdocs"):
        html = build / "html"
        _mkdocs(build / "mkdocs.yml", html, name, base_url)
        shell_file = html / SHELL_PATH / "index.html"
        shell = Shell.parse(shell_file.read_text(encoding="utf-8"))
        shutil.rmtree(shell_file.parent)
        state["mkdocs_files"] = _sync(html, out_dir, state.get("mkdocs_files", []))
    with clock("records"):
        qr = QrCache(cache / "qr")
        state["records"] = write_record_pages(
            portal, shell, out_dir, base_url, qr, Seal(name, checkpoint.size, root_b64),
            state.get("records", {}))
    with clock("data"):
        write_data_package(records, out_dir / "data", f"sunlight-{community_id}",
                           f"{name} 阳光账本开放数据")
        (out_dir / "data" / "checkpoint.txt").write_text(note, encoding="utf-8")
    with clock("log"):
        exported = _export_log(app, community_id, out_dir / "log")
    if exe is not None:
        with clock("search"):
            state["search"] = _index(exe, html, out_dir, cache, blocks, state["records"],
                                     state.get("search", {}))
    _save_state(cache, state)
    return PublishResult(out_dir, len(records), len(paths), exported, exe is not None, qr.made,
                         seconds)


def _load_state(cache: Path) -> dict[str, Any]:
    try:
        state = json.loads((cache / "state.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def _save_state(cache: Path, state: dict[str, Any]) -> None:
    tmp = cache / "state.json.tmp"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(cache / "state.json")


def _sync(src: Path, out_dir: Path, previous: list[str]) -> list[str]:
    """Copies the MkDocs output into ``out_dir`` and removes what the last MkDocs output had
    that this one does not. Record pages, data, log and search bundles are left alone."""
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, out_dir, dirs_exist_ok=True)
    files = sorted(str(p.relative_to(src)) for p in src.rglob("*") if p.is_file())
    for gone in set(previous) - set(files):
        (out_dir / gone).unlink(missing_ok=True)
    return files


def _index(exe: Path, html: Path, out_dir: Path, cache: Path, blocks: list[str],
           records: dict[str, list[Any]], previous: dict[str, str]) -> dict[str, str]:
    """Pagefind bundles: ``main`` for the section pages (rebuilt every time, they are few) and
    one per block of records, re-indexed only when a page in the block changed."""
    bundles = out_dir / "pagefind"
    _pagefind(exe, html, bundles / "main")
    keys: dict[str, str] = {}
    for n, name in enumerate(blocks):
        indices = range(n * SEARCH_BLOCK, min((n + 1) * SEARCH_BLOCK, len(records)))
        key = hashlib.sha256("".join(records[str(i)][0] for i in indices).encode()).hexdigest()
        keys[name] = key
        if previous.get(name) == key and (bundles / name / "pagefind-entry.json").exists():
            continue
        stage = cache / "stage"
        if stage.exists():
            shutil.rmtree(stage)
        for i in indices:
            page = out_dir / "r" / str(i) / "index.html"
            target = stage / "r" / str(i) / "index.html"
            target.parent.mkdir(parents=True)
            try:
                os.link(page, target)
            except OSError:
                shutil.copyfile(page, target)
        _pagefind(exe, stage, bundles / name)
        shutil.rmtree(stage)
    for stale in bundles.iterdir():
        if stale.is_dir() and stale.name not in keys and stale.name != "main":
            shutil.rmtree(stale)
    return keys


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


def _pagefind(exe: Path, site: Path, output: Path) -> None:
    if output.exists():
        shutil.rmtree(output)
    result = subprocess.run([str(exe), "--site", str(site), "--output-path", str(output),
                             "--silent"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PublishError(f"搜索索引生成失败：{result.stderr.strip() or result.stdout.strip()}")


def manifest(out_dir: Path) -> dict[str, int]:
    """Bytes per top-level folder of a built site (for the bench and the CLI summary)."""
    sizes: dict[str, int] = {}
    for path in out_dir.rglob("*"):
        if path.is_file():
            top = path.relative_to(out_dir).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return dict(sorted(sizes.items()))


__all__ = ["PublishError", "PublishResult", "json", "publish"]
