"""The publisher: a fixed sequence of stages from the log to a static site.

read entries -> fold read models -> section pages -> MkDocs renders the page shells (only when
its input changed) -> section pages into their shells -> record pages into the record shell ->
sitemap -> open data -> transparency-log tiles -> search index -> a .gz and a .br beside every
text file (made by worker processes from the moment each file is final, while the stages go on).

Everything a re-publish can reuse lives in a cache folder beside the site: what MkDocs rendered,
QR codes, each record page's key, each search bundle's key. A cache written by other publisher
code is not used (record notices keep citing the checkpoint they were first published under).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.application import Sunlight
from ledger.audit.findings import Audit
from ledger.crypto.checkpoint import Checkpoint
from ledger.proposals import lapsed_proposals
from ledger.tlog.cosignatures import published_checkpoint
from ledger.tlog.export import export_tiles
from publisher import search as pagefind
from publisher.attachments import publish_attachments
from publisher.audit_views import audit_of, audit_view_pages
from publisher.compress import Precompressor
from publisher.describe import labels, record_path
from publisher.files import write_if_changed
from publisher.fmt import local_time
from publisher.opendata import write_data_package
from publisher.pages import Context, build_pages
from publisher.poster import poster
from publisher.readmodel import Portal, fold
from publisher.record_page import SHELL_PATH, QrCache, Seal, Shell, write_record_pages
from publisher.records import Record, read_records
from publisher.shells import MkDocsError, fill, inputs_key, render
from publisher.sitemap import write_sitemap
from publisher.witnesses import Witness, with_configured, write_keys
from publisher.workers import Workers
from publisher.year import RECEIPTS, receipts

log = logging.getLogger("sunlight.publisher")

SITE_DIR = Path(__file__).resolve().parent.parent / "site"
# The publisher's own code: a cache written by any other version of it is not used.
CODE = hashlib.sha256(b"".join(
    p.read_bytes() for p in sorted(Path(__file__).resolve().parent.glob("*.py")))).hexdigest()


class PublishError(Exception):
    """The site could not be built; the message says why, in Chinese."""


@dataclass
class PublishResult:
    out_dir: Path
    records: int
    pages: int
    searchable: bool
    qr_made: int
    seconds: dict[str, float] = field(default_factory=dict)
    mkdocs_ran: bool = True
    indexed: int = 0  # pages (re-)indexed for search
    portal: Portal | None = None  # the read model the pages were written from
    note: str = ""  # the published checkpoint, with the witnesses' cosignatures
    audit: Audit | None = None  # the audit views' findings (ledger.audit.findings)


def default_cache_dir(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.cache"


def publish(app: Sunlight, community_id: str, out_dir: Path, *, base_url: str = "/",
            cache_dir: Path | None = None, site_dir: Path = SITE_DIR,
            search: bool = True, attachments: Path | None = None,
            witnesses: tuple[Witness, ...] = ()) -> PublishResult:
    """Builds the community's portal into ``out_dir``.

    ``base_url`` is the public address the site will be served from; it goes into QR codes and
    the verification command. Every link inside the site is relative, so the same build works
    under any path prefix. ``cache_dir`` keeps what a re-publish can reuse (MkDocs' shells, QR
    codes, record page keys, search bundles); by default it sits beside ``out_dir``.
    ``attachments`` is a folder of attachment files to publish: each is copied into the site
    only if the log records its SHA-256 (:mod:`publisher.attachments`).
    ``witnesses`` are witnesses whose cosignatures the portal names, with their keys, besides
    the community's configured ones (``sunlight witness add``), which it always names.
    """
    if not base_url.endswith("/"):
        base_url += "/"
    out_dir = out_dir.resolve()
    cache = (cache_dir or default_cache_dir(out_dir)).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    state = _load_state(cache)
    seconds: dict[str, float] = {}
    clock = _Stopwatch(seconds)
    exe = pagefind.executable() if search else None
    if search and exe is None:
        log.warning("pagefind is not installed: the site is published without search")
    # started first: it loads its dictionaries while the log is read
    service = pagefind.Pagefind.start(exe) if exe is not None else None
    try:
        return _publish(app, community_id, out_dir, base_url, cache, site_dir, state, service,
                        clock, attachments, witnesses)
    except (MkDocsError, pagefind.SearchError) as exc:
        stage = "MkDocs 构建失败" if isinstance(exc, MkDocsError) else "搜索索引生成失败"
        raise PublishError(f"{stage}：{exc}") from exc
    finally:
        if service is not None:
            service.close()


def _publish(app: Sunlight, community_id: str, out_dir: Path, base_url: str, cache: Path,
             site_dir: Path, state: dict[str, Any], service: pagefind.Pagefind | None,
             clock: _Stopwatch, attachments: Path | None, witnesses: tuple[Witness, ...]
             ) -> PublishResult:
    with clock("read"):
        witnesses = with_configured(witnesses, app.store.witnesses(community_id))
        note = published_checkpoint(app, community_id)  # with the witnesses' cosignatures
        checkpoint = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n")
        records = list(read_records(app.entries(community_id, 0, checkpoint.size)))
    with clock("fold"):
        portal = fold(community_id, records)
    with clock("attachments"):
        out_dir.mkdir(parents=True, exist_ok=True)
        portal.attachments = publish_attachments(attachments, records, out_dir)
    workers = Workers()  # forked when first needed: for the QR codes, then the compression
    qr = QrCache(cache / "qr", workers)
    qr.start([base_url + record_path(r.index) for r in records])
    compressor = Precompressor(out_dir, workers)
    try:
        return _build(app, community_id, out_dir, base_url, cache, site_dir, state, service,
                      clock, records, portal, checkpoint, note, qr, compressor, witnesses)
    finally:
        qr.finish()
        workers.shutdown()


def _build(app: Sunlight, community_id: str, out_dir: Path, base_url: str, cache: Path,
           site_dir: Path, state: dict[str, Any], service: pagefind.Pagefind | None,
           clock: _Stopwatch, records: list[Record], portal: Portal, checkpoint: Checkpoint,
           note: str, qr: QrCache, compressor: Precompressor, witnesses: tuple[Witness, ...]
           ) -> PublishResult:
    info = app.community(community_id)
    root_b64 = _b64(checkpoint.root_hash)
    record_bundles = [pagefind.bundle_name(*r) for r in pagefind.ranges(len(records))]
    ctx = Context(checkpoint.size, root_b64, note, info.verifier_key, info.origin, base_url,
                  search_bundles=("main", *record_bundles) if service is not None else (),
                  witnesses=witnesses)
    name = portal.name or community_id
    with clock("pages"):
        audited = audit_of(community_id, records, lapsed_proposals(app, community_id))
        pages = [*build_pages(portal, ctx), *audit_view_pages(audited),
                 poster(portal, ctx, records[-1] if records else None)]
    with clock("mkdocs"):
        key = inputs_key(site_dir, pages, name, base_url)
        html = cache / "mkdocs" / "html"
        shell_file = html / SHELL_PATH / "index.html"
        ran = state.get("mkdocs") != key or not shell_file.is_file()
        if ran:
            state.pop("mkdocs", None)
            render(site_dir, pages, name, base_url, cache / "mkdocs")
            state["mkdocs"] = key
        shell = Shell.parse(shell_file.read_text(encoding="utf-8"))
        state["mkdocs_files"], section_html = fill(html, pages, out_dir,
                                                   state.get("mkdocs_files", []))
        # final for this publish: compressed by the workers while the record pages are written
        compressor.submit(out_dir / path for path in state["mkdocs_files"])
    with clock("records"):
        state["records"] = write_record_pages(
            portal, shell, out_dir, base_url, qr, Seal(name, checkpoint.size, root_b64),
            state.get("records", {}), info.verifier_key)
    with clock("sitemap"):
        write_sitemap(out_dir, base_url, _sitemap_pages(state["mkdocs_files"], records))
    with clock("data"):
        write_data_package(records, out_dir / "data", f"sunlight-{community_id}",
                           f"{name} 阳光账本开放数据")
        write_if_changed(out_dir / "data" / "checkpoint.txt", note.encode("utf-8"))
        # the Chinese label of every enumerated value: open data, and the record pages' check
        write_if_changed(out_dir / "data" / "labels.json",
                         json.dumps(labels(), ensure_ascii=False, sort_keys=True).encode("utf-8"))
        write_keys(out_dir / "data" / "witnesses.json", witnesses)
        write_if_changed(out_dir / RECEIPTS, receipts(records))  # the donor's lookup
    with clock("log"):
        export_tiles(app, community_id, out_dir / "log")
    # every file but the search bundles is final: compressed while Pagefind indexes
    compressor.submit_all(skip=("pagefind",))
    indexed = 0
    if service is not None:
        with clock("search"):
            indexed = _index(service, out_dir, section_html, state)
    with clock("compress"):  # what is left: the search bundles, and waiting for the workers
        compressor.finish()
    _save_state(cache, state)
    return PublishResult(out_dir, len(records), len(pages), service is not None,
                         qr.made, clock.seconds, ran, indexed, portal, note, audited)


def _sitemap_pages(site_files: list[str], records: list[Record]) -> list[tuple[str, str]]:
    """Every page a reader can open, with the day it last changed: a section page changes with
    the newest record, a record page on the day the log accepted it."""
    newest = local_time(records[-1].accepted_at)[:10] if records else "2000-01-01"
    sections = [(path.removesuffix("index.html"), newest) for path in site_files
                if path.endswith("index.html") and path != "404.html"]
    return sections + [(record_path(r.index), local_time(r.accepted_at)[:10]) for r in records]


def _index(service: pagefind.Pagefind, out_dir: Path, section_html: dict[str, str],
           state: dict[str, Any]) -> int:
    """Search bundles: ``main`` for the section pages, then the record bundles; each is
    re-indexed only when its pages changed. Returns the number of pages indexed."""
    lang = pagefind.page_lang(section_html.get("index.html", ""))
    main = [("/" + path.removesuffix("index.html"), pagefind.indexed_part(text, lang))
            for path, text in sorted(section_html.items()) if path.endswith("index.html")]
    previous: dict[str, str] = state.get("search", {})
    keys = {"main": pagefind.pages_key(main)}
    if previous.get("main") != keys["main"] or not (
            out_dir / "pagefind" / "main" / "pagefind-entry.json").exists():
        main_sent = service.submit(out_dir / "pagefind" / "main", main)
    else:
        main_sent = []
    record_keys: dict[str, list[Any]] = state["records"]
    keys.update(pagefind.index_records(service, out_dir, record_keys, previous, lang))
    service.collect(main_sent)
    pagefind.remove_stale(out_dir, keys)
    state["search"] = keys
    return service.written


def _load_state(cache: Path) -> dict[str, Any]:
    """The last publish's state, if this publisher code wrote it. Otherwise only the checkpoint
    each record was first published under is kept: it is what the record's notice cites."""
    try:
        state = json.loads((cache / "state.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        state = {}
    if not isinstance(state, dict):
        state = {}
    if state.get("code") == CODE:
        return state
    records = state.get("records")
    seals = {str(i): ["", v[1], v[2]] for i, v in records.items()
             if isinstance(v, list) and len(v) == 3} if isinstance(records, dict) else {}
    return {"code": CODE, "records": seals}


def _save_state(cache: Path, state: dict[str, Any]) -> None:
    tmp = cache / "state.json.tmp"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    tmp.replace(cache / "state.json")


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


def manifest(out_dir: Path) -> dict[str, int]:
    """Bytes per top-level folder of a built site (for the bench and the CLI summary)."""
    sizes: dict[str, int] = {}
    for path in out_dir.rglob("*"):
        if path.is_file():
            top = path.relative_to(out_dir).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return dict(sorted(sizes.items()))


__all__ = ["PublishError", "PublishResult", "json", "publish"]
