"""Stage 3: MkDocs renders the page shells; the publisher fills them.

MkDocs is given the site folder, the site's name and address, and for every section page only
its front matter: a title and a slot (site/hooks.py renders the page around the slot). It also
renders the record shell (``r/shell/``, see :mod:`publisher.record_page`). So MkDocs' input
changes only when the set of pages, a title, the site folder, the name or the address does; only
then does MkDocs run, and otherwise the shells it rendered last time are reused. Each section
page is its shell with the page's pre-rendered body in the slot, exactly what MkDocs would have
written with the body in place.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterable
from importlib.metadata import version
from pathlib import Path
from types import CodeType
from typing import Any

import jinja2.bccache

from publisher.files import write_if_changed
from publisher.fmt import esc
from publisher.pages import PAGE_SLOT, Page, write_markdown
from publisher.record_page import SHELL_PATH
from publisher.sitemap import NAMES as SITEMAP_NAMES


class MkDocsError(Exception):
    """MkDocs could not build the site; the message is MkDocs'."""


def _site_files(site_dir: Path) -> list[Path]:
    return sorted(p for p in site_dir.rglob("*") if p.is_file()
                  and not {"site", "__pycache__"} & set(p.relative_to(site_dir).parts))


def inputs_key(site_dir: Path, pages: Iterable[Page], name: str, base_url: str) -> str:
    """Changes whenever anything MkDocs reads does (and with MkDocs' and Material's versions)."""
    digest = hashlib.sha256()
    for part in (version("mkdocs"), version("mkdocs-material"), name, base_url, PAGE_SLOT):
        digest.update(part.encode() + b"\0")
    for path in _site_files(site_dir):
        digest.update(str(path.relative_to(site_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    for page in pages:
        digest.update(page.path.encode() + b"\0" + page.markdown().encode() + b"\0")
    return digest.hexdigest()


def render(site_dir: Path, pages: list[Page], name: str, base_url: str, work: Path) -> Path:
    """Runs MkDocs over a copy of ``site_dir`` with the pages' front matter; returns the folder
    of rendered shells (``work/html``)."""
    build, html = work / "build", work / "html"
    for stale in (build, html):
        if stale.exists():
            shutil.rmtree(stale)
    shutil.copytree(site_dir, build, ignore=shutil.ignore_patterns("site", "__pycache__"))
    write_markdown(pages, build / "docs")
    _mkdocs(build / "mkdocs.yml", html, name, base_url, _fingerprint(build / "docs"))
    shutil.rmtree(build)
    return html


# The site's own stylesheet, on every page: named by its content, like Material's own
# (``main.<hash>.min.css``), so a host can let browsers keep it for a year (README).
STYLESHEET = "assets/sunlight.css"


def _fingerprint(docs: Path) -> list[str]:
    """Renames the stylesheet to ``sunlight.<hash>.css``; returns ``extra_css``."""
    css = docs / STYLESHEET
    digest = hashlib.sha256(css.read_bytes()).hexdigest()[:8]
    named = css.with_name(f"{css.stem}.{digest}{css.suffix}")
    css.replace(named)
    return [named.relative_to(docs).as_posix()]


class _Templates(jinja2.bccache.BytecodeCache):
    """The theme's templates compiled once a process, not once a build (~0.3 s of each; a
    district publish runs MkDocs once per community). Found by the template's name and checked
    against its source, wherever the build copied it: a template whose source changed is
    compiled again. At most a few dozen templates (Material's and the site's overrides)."""

    def __init__(self) -> None:
        self._compiled: dict[str, tuple[str, CodeType]] = {}

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return name  # each build copies the overrides to a folder of its own

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        checksum, code = self._compiled.get(bucket.key, ("", None))
        if code is not None and checksum == bucket.checksum:
            bucket.code = code

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.code is not None:
            self._compiled[bucket.key] = (bucket.checksum, bucket.code)


TEMPLATES = _Templates()


class _SharedTemplates:
    """A plugin added to every build: the theme's environment uses :data:`TEMPLATES`."""

    def on_env(self, env: jinja2.Environment, *, config: Any, files: Any) -> jinja2.Environment:
        env.bytecode_cache = TEMPLATES
        return env


def _mkdocs(config_file: Path, out_dir: Path, name: str, base_url: str,
            extra_css: list[str], **extra: object) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    overrides: dict[str, object] = {
        "site_dir": str(out_dir), "site_name": esc(name), "extra_css": extra_css,
        "site_description": esc(f"{name}阳光账本：居务公开、微基金、物业费、决议与评议的全部记录，"
                                "每一条都由登记人签名，任何人都可以核验。")}
    if base_url.startswith(("http://", "https://")):
        overrides["site_url"] = base_url
    overrides.update(extra)  # e.g. the district site's own navigation
    try:
        config = load_config(str(config_file), **overrides)  # type: ignore[arg-type]
        config.plugins["sunlight/shared-templates"] = _SharedTemplates()  # type: ignore[assignment]
        build(config)
    except MkDocsException as exc:
        raise MkDocsError(str(exc)) from exc


def fill(html: Path, pages: list[Page], out_dir: Path, previous: Iterable[str]
         ) -> tuple[list[str], dict[str, str]]:
    """Writes the site MkDocs rendered into ``out_dir``: each section page's shell with its body
    in the slot, every other file as it is; the record shell and MkDocs' sitemap stay out.
    Files are rewritten only
    when they change, and what the last render had but this one has not is removed. Returns the
    files written from ``html`` and the final HTML of every page (path -> text)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    bodies = {page.html_path: page for page in pages}
    shell = f"{SHELL_PATH}/index.html"
    files: list[str] = []
    texts: dict[str, str] = {}
    for path in sorted(html.rglob("*")):
        rel = path.relative_to(html).as_posix()
        if not path.is_file() or rel == shell or rel in SITEMAP_NAMES:
            continue
        files.append(rel)
        page = bodies.get(rel)
        if page is None:
            data = path.read_bytes()
            if rel.endswith(".html"):
                texts[rel] = data.decode("utf-8")
        else:
            head, slot, tail = path.read_text(encoding="utf-8").partition(PAGE_SLOT)
            if not slot:
                raise MkDocsError(f"{rel}: the rendered page has no slot")
            texts[rel] = head + page.body() + tail
            data = texts[rel].encode("utf-8")
        write_if_changed(out_dir / rel, data)
    missing = set(bodies) - set(files)
    if missing:
        raise MkDocsError(f"MkDocs did not render {sorted(missing)}")
    for gone in set(previous) - set(files):
        (out_dir / gone).unlink(missing_ok=True)
    return files, texts


__all__ = ["MkDocsError", "fill", "inputs_key", "render"]
