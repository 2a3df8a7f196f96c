"""The community poster (一区一码): one A4 page with the portal's QR code, for the notice board
of every building. Like every section page it is rendered by MkDocs around its body; it is not
in the navigation (the 关于 page links to it)."""

from __future__ import annotations

import segno

from ledger.domain.roles import Role
from ledger.domain.state import SHANGHAI
from publisher.fmt import esc
from publisher.pages import Context, Page, h
from publisher.readmodel import MemberView, Portal
from publisher.records import Record

PATH = "poster/index.md"


def supervisors(p: Portal, day: str) -> list[MemberView]:
    """The 居务监督委员会 members in office on ``day`` (YYYY-MM-DD): whom residents tell of an
    objection."""
    return [m for m in p.members.values() if m.role is Role.SUPERVISOR
            and m.revoked_index is None and m.term_start <= day
            and (m.term_end is None or m.term_end >= day)]


def poster(p: Portal, ctx: Context, newest: Record | None = None) -> Page:
    name = p.name or p.community_id
    page = Page(PATH, "社区二维码海报")
    page.add(f'<div class="sl-poster"><p class="sl-poster-name">{esc(name)}</p>',
             h(1, "阳光账本 · 一区一码"),
             "<p class=\"sl-poster-lead\">扫码查看本社区的居务公开、微基金、物业费、决议与评议</p>")
    if ctx.base_url.startswith(("http://", "https://")):
        qr = segno.make(ctx.base_url, error="q").svg_inline(
            scale=1, omitsize=True, svgclass="sl-poster-qr", title=f"{name} 阳光账本二维码")
        page.add(str(qr), f'<p class="sl-url">{esc(ctx.base_url)}</p>')
    else:
        page.add('<p class="sl-banner">本站以相对地址发布，海报上没有二维码：发布时请用 '
                 "<code>--base-url</code> 给出本站的公开网址。</p>")
    page.add("<p>每一条记录都由登记它的委员签名，写入只能追加、不能修改的公开日志，"
             "任何人都可以核验。</p>")
    day = (newest.accepted_at.astimezone(SHANGHAI).date().isoformat() if newest is not None
           else "9999-12-31")
    people = "、".join(esc(m.name) for m in supervisors(p, day))
    if people:
        page.add(f"<p>对公示内容有异议，请联系居务监督委员会：{people}。</p>")
    log_name, _, rest = ctx.verifier_key.partition("+")
    page.add(f'<p class="sl-meta">日志公钥 {esc(log_name)}+{esc(rest.partition("+")[0])}'
             "（与本站“审计”页所示的一致）</p>",
             '<p class="sl-screen-only">打印本页即为一张 A4 海报，可张贴在各楼栋公告栏。</p></div>')
    return page


__all__ = ["poster", "supervisors"]
