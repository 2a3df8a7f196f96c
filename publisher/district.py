"""The district portal: one site for every community of the database.

    out/                  the district's pages (街道首页, 评议汇总, 微基金, 物业费, 民需项目, 居务公开)
    out/data/             the district's open data (one CSV per comparison, datapackage.json)
    out/<community>/      each community's own portal, exactly as ``sunlight publish`` builds it

A fixed sequence: for each community whose published checkpoint (with its cosignatures) changed
since the last build, publish its portal (:func:`publisher.build.publish`, with its own cache,
so that it too rebuilds only what changed) and summarise its read model
(:mod:`publisher.summary`); the other communities' summaries come from the district's cache.
Then the district pages from the summaries, MkDocs only when their titles changed, the open
data, and the compressed copies of the district's own files. One new record re-publishes its
community and the district pages, nothing else.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.application import Sunlight
from publisher.build import CODE, SITE_DIR, PublishError, default_cache_dir, publish
from publisher.compress import precompress
from publisher.district_data import write_district_package
from publisher.district_pages import RESERVED, district_pages, nav
from publisher.pages import Page, write_markdown
from publisher.rollup import district_year
from publisher.shells import MkDocsError, _fingerprint, _mkdocs, fill, inputs_key
from publisher.summary import VERSION, Summary, summarise
from publisher.witnesses import Witness


@dataclass
class DistrictResult:
    out_dir: Path
    communities: int
    published: list[str]  # the communities whose portal was (re-)built
    pages: int  # pages of the whole site: every community's section and record pages + district
    year: int
    mkdocs_ran: bool
    seconds: dict[str, float] = field(default_factory=dict)


def publish_district(app: Sunlight, name: str, out_dir: Path, *, base_url: str = "/",
                     cache_dir: Path | None = None, site_dir: Path = SITE_DIR,
                     search: bool = True, witnesses: tuple[Witness, ...] = ()
                     ) -> DistrictResult:
    """Builds (or brings up to date) the district site ``name`` into ``out_dir``.

    ``base_url`` is the district site's public address; each community's portal is published
    at ``base_url + <community>/``. ``search`` and ``witnesses`` are passed to every
    community's publish."""
    if not base_url.endswith("/"):
        base_url += "/"
    out_dir = out_dir.resolve()
    cache = (cache_dir or default_cache_dir(out_dir)).resolve()
    ids = [c.community_id for c in app.communities()]
    clash = sorted(set(ids) & RESERVED)
    if clash:
        raise PublishError(f"社区编号 {'、'.join(clash)} 与街道页面的目录同名，无法生成街道门户；"
                           f"街道页面占用的目录名：{'、'.join(sorted(RESERVED))}")
    if not ids:
        raise PublishError("库中还没有社区，无法生成街道门户")
    cache.mkdir(parents=True, exist_ok=True)
    state = _load_state(cache)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    summaries: list[Summary] = []
    published: list[str] = []
    pages = 0
    known: dict[str, Any] = state.setdefault("communities", {})
    for community_id in ids:
        before = known.get(community_id)
        site = out_dir / community_id
        if (before is None or before.get("note") != _note_key(app, community_id)
                or before.get("summary", {}).get("version") != VERSION
                or not (site / "index.html").is_file()):
            result = publish(app, community_id, site, base_url=base_url + community_id + "/",
                             cache_dir=cache / "communities" / community_id, site_dir=site_dir,
                             search=search, witnesses=witnesses)
            assert result.portal is not None
            before = {"note": hashlib.sha256(result.note.encode()).hexdigest(),
                      "summary": summarise(result.portal, result.audit),
                      "pages": result.pages + result.records}
            known[community_id] = before
            published.append(community_id)
            _save_state(cache, state)  # a failure later keeps what is already built
        summaries.append(before["summary"])
        pages += int(before["pages"])
    seconds["communities"] = time.perf_counter() - started
    year = district_year(summaries)
    t = time.perf_counter()
    district = district_pages(name, summaries, year)
    key = inputs_key(site_dir, district, name, base_url) + ":district"
    html = cache / "district" / "html"
    ran = state.get("mkdocs") != key or not (html / "index.html").is_file()
    try:
        if ran:
            state.pop("mkdocs", None)
            _render(site_dir, district, name, base_url, cache / "district")
            state["mkdocs"] = key
        state["files"], _ = fill(html, district, out_dir, state.get("files", []))
    except MkDocsError as exc:
        raise PublishError(f"MkDocs 构建失败：{exc}") from exc
    write_district_package(summaries, year, out_dir / "data", name)
    precompress(out_dir, skip=frozenset(ids))
    seconds["district"] = time.perf_counter() - t
    _save_state(cache, state)
    return DistrictResult(out_dir, len(ids), published, pages + len(district), year, ran,
                          seconds)


def _note_key(app: Sunlight, community_id: str) -> str:
    from ledger.tlog.cosignatures import published_checkpoint

    return hashlib.sha256(published_checkpoint(app, community_id).encode()).hexdigest()


def _render(site_dir: Path, pages: list[Page], name: str, base_url: str, work: Path) -> None:
    """MkDocs over the portal's site folder with the district's pages and navigation in place
    of a community's (same theme, stylesheet and hook)."""
    build, html = work / "build", work / "html"
    for stale in (build, html):
        if stale.exists():
            shutil.rmtree(stale)
    shutil.copytree(site_dir, build, ignore=shutil.ignore_patterns("site", "__pycache__"))
    for community_only in ("about", "r"):
        shutil.rmtree(build / "docs" / community_only, ignore_errors=True)
    write_markdown(pages, build / "docs")
    _mkdocs(build / "mkdocs.yml", html, name, base_url, _fingerprint(build / "docs"),
            nav=nav(), not_in_nav="")
    shutil.rmtree(build)


def _load_state(cache: Path) -> dict[str, Any]:
    """The last district build's state, if this publisher code wrote it (else nothing: every
    community is published again, and each community's own cache decides what it rebuilds)."""
    try:
        state = json.loads((cache / "district.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        state = {}
    if not isinstance(state, dict) or state.get("code") != CODE:
        return {"code": CODE}
    return state


def _save_state(cache: Path, state: dict[str, Any]) -> None:
    tmp = cache / "district.json.tmp"
    tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    tmp.replace(cache / "district.json")


__all__ = ["DistrictResult", "publish_district"]
