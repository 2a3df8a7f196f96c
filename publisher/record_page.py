"""Stage 3b: one permanent page per record, pre-rendered outside MkDocs.

MkDocs renders a shell page once (``r/shell/``, same depth as every record page) so that record
pages share the theme's header, stylesheets and footer; each record page is that shell with the
record's escaped HTML in its slot. Rendering a record is a few string joins; its QR code (the
slow part, ~1.5 ms: :mod:`publisher.qr`) is cached on disk by URL.
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ledger.domain.state import SHANGHAI
from publisher import describe, fmt, qr, results
from publisher.describe import check_as, internal, record_path, shown, title
from publisher.fmt import esc, local_time, short_hash, text_block
from publisher.poster import supervisors
from publisher.readmodel import ObjectionView, Portal
from publisher.records import Record
from publisher.workers import Workers

SHELL_PATH = "r/shell"
TITLE_TOKEN = "SLRECORDTITLE"
SLOT_TOKEN = "SLRECORDSLOT"
NOTICE_TOKEN = "SLRECORDNOTICE"
DESC_TOKEN = "SLRECORDDESC"  # the shell's meta description (front matter of site/docs/r/shell.md)
URL_TOKEN = "SLRECORDURL"  # put where the shell's own address was (canonical link, og:url)
ROOT = "../../"
_TOKENS = re.compile(f"{TITLE_TOKEN}|{NOTICE_TOKEN}|{DESC_TOKEN}|{URL_TOKEN}")
_CANONICAL = re.compile(r'<link rel="canonical" href="([^"]*)">')


@dataclass(frozen=True)
class Shell:
    head: str  # up to the slot, with TITLE_TOKEN where the page title goes
    tail: str

    @classmethod
    def parse(cls, html: str) -> Shell:
        head, sep, tail = html.partition(SLOT_TOKEN)
        if not sep:
            raise ValueError("record shell page has no slot")
        # MkDocs gave the shell its own address (``…/r/shell/``, a page nobody can open) as the
        # canonical link; each record page names itself there instead.
        canonical = _CANONICAL.search(head)
        if canonical is not None:
            head = head.replace(f'"{canonical.group(1)}"', f'"{URL_TOKEN}"')
        return cls(head, tail)

    def page(self, page_title: str, notice: str, body: str, description: str = "",
             url: str = "") -> str:
        # One pass over the template: text put in is never scanned for tokens again.
        values = {TITLE_TOKEN: esc(page_title), NOTICE_TOKEN: esc(notice),
                  DESC_TOKEN: esc(description), URL_TOKEN: esc(url)}
        fill = lambda m: values[m.group()]  # noqa: E731
        return _TOKENS.sub(fill, self.head) + body + _TOKENS.sub(fill, self.tail)


def qr_svg(url: str) -> str:
    return str(qr.make(url, "m").svg_inline(scale=3, title="本记录的永久网址二维码",
                                                     svgclass="sl-qr-code"))


class QrCache:
    """QR code SVGs of permanent URLs, one small file per URL under ``directory``.

    :meth:`start` makes the missing codes in the publish's worker processes in the background
    (the publisher calls it right after reading the log, so the codes are made while MkDocs
    runs); :meth:`svg` waits for them."""

    PARALLEL_FROM = 200  # below this, a process pool costs more than it saves

    def __init__(self, directory: Path, workers: Workers | None = None) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self.made = 0
        self._workers = workers
        self._pending: Iterator[tuple[str, str]] = iter(())
        self._made: dict[str, str] = {}  # made by start(), not read back from disk

    def _path(self, url: str) -> Path:
        return self.directory / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".svg")

    def start(self, urls: list[str]) -> None:
        """Starts making the missing codes of ``urls`` when there are many."""
        missing = [u for u in urls if not self._path(u).exists()]
        if len(missing) < self.PARALLEL_FROM or self._workers is None:
            return
        pool = self._workers.get()
        if pool is not None:  # else made one by one in svg()
            self._pending = zip(missing, pool.map(qr_svg, missing, chunksize=64), strict=True)

    def finish(self) -> None:
        """Waits for the codes :meth:`start` is making and stores them."""
        pending, self._pending = self._pending, iter(())
        for url, svg in pending:
            self._path(url).write_text(svg, encoding="utf-8")
            self._made[url] = svg
            self.made += 1

    def svg(self, url: str) -> str:
        made = self._made.pop(url, None)
        if made is not None:
            return made
        path = self._path(url)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            pass
        svg = qr_svg(url)
        path.write_text(svg, encoding="utf-8")
        self.made += 1
        return svg


@dataclass(frozen=True)
class Seal:
    """What a printed notice says about the log as published."""

    community: str
    checkpoint_size: int
    checkpoint_root: str  # base64


def render(p: Portal, r: Record, url: str, qr_svg: str, seal: Seal,
           log_key: str | None = None) -> tuple[str, str]:
    """``(title, body html)`` of the record's page. With the log's verifier key (the site
    publishes its log), the page offers a check of this record in the browser."""
    t = title(p, r)
    parts = [f'<article class="sl-record"><p class="sl-meta">{esc(r.kind_zh)} · 日志第 {r.index} 条</p>']
    signer_keys = [p.keys.get(s.key_id) for s in (r.signer, *r.cosigners)]
    if log_key is not None and None not in signer_keys:
        keys_b64 = " ".join(k.public_key for k in signer_keys if k)
        parts.append(
            f'<div id="sl-receipt" class="sl-receipt sl-screen-only" data-pagefind-ignore data-log="{ROOT}log/" '
            f'data-index="{r.index}" data-entry="{esc(r.entry_sha256)}" data-log-key="{esc(log_key)}" '
            f'data-labels="{ROOT}data/labels.json" data-kind="{esc(r.kind)}" '
            f'data-signer-key="{esc(keys_b64)}">'
            '<button type="button">核验本页内容</button>'
            "<p>按下按钮，手机会从本站下载公开账本，逐项核对本页显示的内容与账本中签名的原文是否一致、"
            "是否被改动过。</p>"
            '<div class="sl-receipt-out" role="status" aria-live="polite"></div></div>')
    parts.extend(_status(p, r))
    parts.extend(_objected(p, r))
    plain: list[str] = []
    technical: list[str] = []
    for spec, value in shown(p, r, ROOT):
        check = check_as(spec)
        ref = (f' data-sl-ref="{esc(r.raw[spec.name])}"' if check == "ref" else "")
        (technical if internal(spec) else plain).append(
            f'<tr data-sl-field="{esc(spec.name)}" data-sl-check="{check}"{ref}>'
            f"<th>{esc(spec.label)}</th><td>{value}</td></tr>")
    parts.append('<table class="sl-fields"><tbody>' + "".join(plain) + "</tbody></table>")
    parts.extend(_beside(p, r))
    parts.extend(_objections(p, r))
    parts.append("<h2>签名</h2>"
                 '<table class="sl-fields sl-seal"><tbody>'
                 + "".join(f"<tr><th>{'签名人' if n == 0 else '共同签署'}</th>"
                           f"<td>{esc(s.name)}（{esc(s.role_zh)}）</td></tr>"
                           for n, s in enumerate((r.signer, *r.cosigners)))
                 + f"<tr><th>签名时间</th><td>{esc(local_time(r.at))}（北京时间）</td></tr>"
                 f"<tr><th>记入账本</th><td>{esc(local_time(r.accepted_at))}（北京时间），"
                 f"账本第 {r.index} 条</td></tr>"
                 "</tbody></table>")
    related = _related(p, r)
    if related:
        parts.append("<h2>相关记录</h2><ul>" + related + "</ul>")
    parts.append(notice(p, r))
    parts.append(f'<div class="sl-qr">{qr_svg}<p>扫码查看本记录<br>'
                 f'<span class="sl-url">{esc(url)}</span></p></div>')
    technical.extend(f'<tr><th>附件哈希</th><td>{esc(a["name"])}：<code class="sl-hash">'
                     f'{esc(a["sha256"])}</code></td></tr>' for a in r.raw.get("attachments") or ())
    tech = [*technical, *(f'<tr><th>签名密钥 ID</th><td><code class="sl-hash">{esc(s.key_id)}</code></td></tr>'
                          for s in (r.signer, *r.cosigners)),
            f'<tr><th>条目 SHA-256</th><td><code class="sl-hash">{esc(r.entry_sha256)}</code></td></tr>',
            "<tr data-pagefind-ignore><th>首次公布时的检查点</th><td>共 "
            f"{seal.checkpoint_size} 条，根哈希 "
            f'<code class="sl-hash">{esc(short_hash(seal.checkpoint_root, 16))}</code></td></tr>']
    if log_key is not None:
        name, _, rest = log_key.partition("+")
        tech.append(f'<tr><th>日志公钥</th><td><code class="sl-hash">{esc(name)}+'
                    f"{esc(rest.partition('+')[0])}</code>（请与公开栏张贴的核对）</td></tr>")
    parts.append('<details class="sl-tech" data-pagefind-ignore><summary>技术细节</summary>'
                 '<table class="sl-fields"><tbody>' + "".join(tech) + "</tbody></table>"
                 f'<p class="sl-screen-only"><a href="{ROOT}audit/">审计人员如何核验这条记录</a></p>'
                 "</details>")
    parts.append('<p class="sl-screen-only">打印本页即为一页 A4 公示。</p></article>')
    return t, "".join(parts)


NOTICE_DAYS = 7  # 公示期：居务公开不少于 7 天


def notice(p: Portal, r: Record) -> str:
    """What the printed notice (the page on paper, on the notice board) adds: when it was posted,
    how long it stays up, whom to tell of an objection, and a short fingerprint of the entry in
    place of the hashes (which the printout leaves out; the QR leads to them)."""
    posted = r.accepted_at.astimezone(SHANGHAI).date()
    until = posted + timedelta(days=NOTICE_DAYS - 1)
    day = posted.isoformat()
    contact = "、".join(esc(m.name) for m in supervisors(p, day))
    contact = (f"居务监督委员会 {contact}，或" if contact else "") + \
        f"登记人 {esc(r.signer.name)}（{esc(r.signer.role_zh)}）"
    return ('<table class="sl-fields sl-notice sl-print-only"><tbody>'
            f"<tr><th>公示日期</th><td>{posted:%Y 年 %m 月 %d 日}</td></tr>"
            f"<tr><th>公示期</th><td>{posted:%Y 年 %m 月 %d 日} 至 {until:%Y 年 %m 月 %d 日}"
            f"（{NOTICE_DAYS} 天）</td></tr>"
            f"<tr><th>如有异议</th><td>请在公示期内向{contact}提出</td></tr>"
            f"<tr><th>记录指纹</th><td>{fingerprint(r.entry_sha256)}（日志第 {r.index} 条；"
            "扫码可核对完整记录与签名）</td></tr></tbody></table>")


def fingerprint(entry_sha256: str) -> str:
    """A short fingerprint a person can read aloud and compare: ``3FA2 9C01``."""
    head = entry_sha256[:8].upper()
    return f"{head[:4]} {head[4:]}"


def summary(p: Portal, r: Record, community: str) -> str:
    """The page's description for search engines and link previews in chat apps."""
    return (f"{title(p, r)}。{r.kind_zh}，{r.signer.name}（{r.signer.role_zh}）签名，"
            f"{local_time(r.accepted_at)[:10]} 入账，日志第 {r.index} 条。{community}阳光账本公示。")


def _status(p: Portal, r: Record) -> list[str]:
    """Banners on an original disclosure that was later corrected or retracted."""
    d = p.disclosures.get(getattr(r.body, "disclosure_id", ""))
    if d is None or d.record.index != r.index:
        return []
    out = []
    if d.retraction is not None:
        out.append(f'<div class="sl-banner sl-banner-bad">本公开已于 '
                   f"{esc(local_time(d.retraction.at))} 撤回（见第 {d.retraction.index} 条），"
                   "原文保留如下。</div>")
    if d.corrections:
        out.append(f'<div class="sl-banner">本公开已更正 {len(d.corrections)} 次，更正内容见下方；'
                   "原文保留如下。</div>")
    return out


def _beside(p: Portal, r: Record) -> list[str]:
    """A correction or retraction is shown beside the original, never instead of it."""
    d = p.disclosures.get(getattr(r.body, "disclosure_id", ""))
    if d is None:
        return []
    out = []
    if d.record.index != r.index:
        out.append(f'<h2>原公开内容（第 {d.record.index} 条）</h2><div class="sl-original">'
                   f"<p><strong>{esc(d.published.title)}</strong></p>"
                   f"{text_block(d.published.body)}"
                   f'<p><a href="{ROOT}{record_path(d.record.index)}">查看原记录</a></p></div>')
    for c in d.corrections:
        if c.index == r.index:
            continue
        body = c.body
        out.append(f'<h2>更正（第 {c.index} 条，{esc(local_time(c.at))}）</h2>'
                   f'<div class="sl-correction">{text_block(getattr(body, "body", ""))}'
                   f"<p>更正理由：{esc(getattr(body, 'reason', ''))}</p>"
                   f'<p><a href="{ROOT}{record_path(c.index)}">查看更正记录</a></p></div>')
    if d.retraction is not None and d.retraction.index != r.index:
        out.append(f"<h2>撤回（第 {d.retraction.index} 条）</h2>"
                   f"<p>撤回理由：{esc(getattr(d.retraction.body, 'reason', ''))}</p>")
    return out


def _objected(p: Portal, r: Record) -> list[str]:
    """A banner on a record some member objected to."""
    views = p.objections_on.get(r.index, [])
    if not views:
        return []
    waiting = sum(v.answer is None for v in views)
    state = f"其中 {waiting} 条尚未答复" if waiting else "均已答复"
    return [f'<div class="sl-banner{" sl-banner-bad" if waiting else ""}">有成员对本记录提出了 '
            f"{len(views)} 条异议，{state}，见下方。</div>"]


def _objections(p: Portal, r: Record) -> list[str]:
    """Beside a record: the objections to it. Beside an objection: its answer, or that none is
    given yet. Beside an answer: the objection it answers."""
    out = [_objection(p, v, r) for v in p.objections_on.get(r.index, [])]
    raised = getattr(r.body, "objection_id", None)
    view = p.objections.get(raised) if isinstance(raised, str) else None
    if view is not None and view.record.index == r.index:
        out.append("<h2>答复</h2>" + _answer(p, view))
    elif view is not None:
        out.append(f"<h2>所答复的异议（第 {view.record.index} 条）</h2>"
                   f'<div class="sl-objection">{text_block(view.raised.reason)}'
                   f"<p>{_who(view.record)}于 {esc(view.raised.raised_on)} 提出。"
                   f'<a href="{ROOT}{record_path(view.record.index)}">查看异议记录</a></p></div>')
    return out


def _who(r: Record) -> str:
    return f"{esc(r.signer.name)}（{esc(r.signer.role_zh)}）"


def _objection(p: Portal, v: ObjectionView, r: Record) -> str:
    return (f"<h2>异议（第 {v.record.index} 条）</h2>"
            f'<div class="sl-objection"><p><strong>异议理由：</strong></p>{text_block(v.raised.reason)}'
            f"<p>{_who(v.record)}于 {esc(v.raised.raised_on)} 提出。"
            f'<a href="{ROOT}{record_path(v.record.index)}">查看异议记录</a></p>'
            + _answer(p, v) + "</div>")


def _answer(p: Portal, v: ObjectionView) -> str:
    a = v.answer
    if a is None:
        return '<p class="sl-unanswered"><strong>答复：尚未答复</strong></p>'
    return (f"<p><strong>答复</strong>（{_who(a)}，{esc(getattr(a.body, 'answered_on', ''))}）：</p>"
            f"{text_block(getattr(a.body, 'answer', ''))}"
            f'<p><a href="{ROOT}{record_path(a.index)}">查看答复记录（第 {a.index} 条）</a></p>')


def _related(p: Portal, r: Record) -> str:
    items = []
    for label, records in (("依据", p.links.get(r.index, [])),
                           ("引用本记录", p.backlinks.get(r.index, []))):
        for other in records:
            items.append(f'<li>{esc(label)}：<a href="{ROOT}{record_path(other.index)}">'
                         f"{esc(title(p, other))}</a>（第 {other.index} 条）</li>")
    return "".join(items)


# Source of everything that shapes a record page: a change re-renders every page.
_CODE = hashlib.sha256(b"".join(
    Path(m.__file__).read_bytes() for m in (sys.modules[__name__], describe, fmt, results)
    if m.__file__)).hexdigest()


def record_key(p: Portal, r: Record, shell_digest: str, base_url: str, log_key: str | None = None) -> str:
    """Changes exactly when the record's page would: its entry, the records it links to or
    that link to it, the corrections beside it, the shared shell, the code."""
    d = p.disclosures.get(getattr(r.body, "disclosure_id", ""))
    beside = ([c.index for c in d.corrections], d.retraction.index if d.retraction else None
              ) if d else None
    files = [p.attachments.get(a["sha256"]) for a in r.raw.get("attachments") or ()]
    raised = getattr(r.body, "objection_id", None)
    objections = [(v.record.index, v.answer.index if v.answer else None)
                  for v in (*p.objections_on.get(r.index, []),
                            *([p.objections[raised]] if raised in p.objections else []))]
    data = (_CODE, shell_digest, base_url, log_key, r.entry_sha256, files,
            [x.index for x in p.links.get(r.index, [])],
            [x.index for x in p.backlinks.get(r.index, [])], beside, objections)
    return hashlib.sha256(repr(data).encode()).hexdigest()


def write_record_pages(p: Portal, shell: Shell, out_dir: Path, base_url: str, qr: QrCache,
                       seal: Seal, previous: dict[str, list[Any]],
                       log_key: str | None = None) -> dict[str, list[Any]]:
    """Writes the page of every record whose key changed or whose file is missing.

    ``previous`` maps a log index (as text) to ``[key, seal size, seal root]`` from the last
    publish; the returned map is the new one. A record's notice cites the checkpoint under
    which it was first published, so a printed notice stays the same on every re-publish.
    """
    shell_digest = hashlib.sha256((shell.head + shell.tail).encode()).hexdigest()
    manifest: dict[str, list[Any]] = {}
    todo: list[tuple[Record, Path, Seal]] = []
    for r in p.records:
        key = record_key(p, r, shell_digest, base_url, log_key)
        old = previous.get(str(r.index))
        first = seal if old is None else Seal(seal.community, int(old[1]), str(old[2]))
        manifest[str(r.index)] = [key, first.checkpoint_size, first.checkpoint_root]
        target = out_dir / record_path(r.index) / "index.html"
        if old is not None and old[0] == key and target.exists():
            continue
        todo.append((r, target, first))
    qr.finish()
    for r, target, first in todo:
        url = base_url + record_path(r.index)
        page_title, body = render(p, r, url, qr.svg(url), first, log_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(shell.page(page_title, f"{seal.community} · 公示", body,
                                     summary(p, r, seal.community), url), encoding="utf-8")
    return manifest
