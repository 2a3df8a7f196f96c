"""The printed notice and the community poster (一区一码): the notice says when it was posted,
its 公示期, whom to tell of an objection and a short fingerprint of the entry; the poster is one
page with the portal's QR code."""

from __future__ import annotations

import re
from datetime import timedelta

from ledger.domain.roles import Role
from ledger.domain.state import SHANGHAI
from publisher.poster import supervisors
from publisher.readmodel import MemberView, Portal
from publisher.record_page import NOTICE_DAYS, fingerprint
from publisher.records import read_records
from tests.publisher.conftest import BASE_URL, Site


def test_the_notice_says_when_until_when_whom_and_a_fingerprint(site: Site) -> None:
    entry = list(read_records(site.app.entries("testville", 0, 10)))[9]
    html = (site.out / "r" / "9" / "index.html").read_text(encoding="utf-8")
    notice = re.search(r'<table class="sl-fields sl-notice sl-print-only">(.*?)</table>', html)
    assert notice is not None
    text = " ".join(re.sub(r"<[^>]+>", " ", notice.group(1)).split())
    posted = entry.accepted_at.astimezone(SHANGHAI).date()
    until = posted + timedelta(days=NOTICE_DAYS - 1)
    assert f"公示日期 {posted:%Y 年 %m 月 %d 日}" in text
    assert f"{posted:%Y 年 %m 月 %d 日} 至 {until:%Y 年 %m 月 %d 日}" in text
    assert "如有异议" in text and "登记人" in text
    short = fingerprint(entry.entry_sha256)
    assert re.fullmatch(r"[0-9A-F]{4} [0-9A-F]{4}", short) and short in text


def test_objections_go_to_the_supervisors_in_office() -> None:
    p = Portal("c")
    p.members = {
        "a": MemberView("a", "在任监督", Role.SUPERVISOR, "2024-01-01", None, 1),
        "b": MemberView("b", "卸任监督", Role.SUPERVISOR, "2020-01-01", "2023-12-31", 2),
        "c": MemberView("c", "出纳", Role.TREASURER, "2024-01-01", None, 3),
        "d": MemberView("d", "被撤监督", Role.SUPERVISOR, "2024-01-01", None, 4, revoked_index=9),
    }
    assert [m.name for m in supervisors(p, "2025-06-01")] == ["在任监督"]
    assert [m.name for m in supervisors(p, "2023-06-01")] == ["卸任监督"]


def test_the_poster_has_the_portals_qr_and_is_not_in_the_menu(site: Site) -> None:
    html = (site.out / "poster" / "index.html").read_text(encoding="utf-8")
    assert 'class="sl-poster-qr"' in html and f'<p class="sl-url">{BASE_URL}</p>' in html
    assert "一区一码" in html
    home = (site.out / "index.html").read_text(encoding="utf-8")
    assert "poster/" not in home.split('class="md-content"')[0]  # not a tab, not in the menu
    about = (site.out / "about" / "index.html").read_text(encoding="utf-8")
    assert 'href="../poster/"' in about
