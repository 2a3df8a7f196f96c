"""Public text: ID and mobile numbers in every disguise are refused, hidden characters are refused,
and the dates, amounts and record numbers committees write every day pass."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.api import Settings, create_app
from ledger.application import Sunlight
from ledger.domain import publictext
from ledger.domain.errors import InvalidInput, PrivacyViolation
from ledger.domain.state import parse_body
from tests.api.helpers import live
from tests.committee import Committee
from tests.ledger.test_ledger_cli import found, sunlight


def disclosure(body: str, title: str = "公示") -> dict[str, str]:
    return {"disclosure_id": "D1", "category": "other", "period": "2025-03", "title": title,
            "body": body}


ID = "身份证号码"
MOBILE = "手机号码"

REFUSED = [
    # mobiles
    ("13800138000", MOBILE),
    ("请拨打13912345678联系", MOBILE),
    ("１３９１２３４５６７８", MOBILE),  # full-width, as Chinese input methods type it
    ("电话：１３８ ００１３ ８０００", MOBILE),
    ("1３9１2３4５6７8", MOBILE),  # mixed half- and full-width
    ("138 0013 8000", MOBILE),
    ("138-0013-8000", MOBILE),
    ("138.0013.8000", MOBILE),
    ("138/0013/8000", MOBILE),
    ("138_0013_8000", MOBILE),
    ("138–0013—8000", MOBILE),  # en and em dash
    ("138\u30000013\u30008000", MOBILE),  # ideographic space
    ("138\u00a00013\u00a08000", MOBILE),  # no-break space
    ("138·0013·8000", MOBILE),
    ("138，0013，8000", MOBILE),
    ("(138) 0013 8000", MOBILE),
    ("1 3 8 0 0 1 3 8 0 0 0", MOBILE),
    ("138\n0013\n8000", MOBILE),
    ("+86 139 1234 5678", MOBILE),
    ("+86-13912345678", MOBILE),
    ("（+86）139-1234-5678", MOBILE),
    ("0086 139 1234 5678", MOBILE),
    ("8613912345678", MOBILE),
    ("一三九一二三四五六七八", MOBILE),  # Chinese numerals
    ("联系电话幺三八零零幺三八零零零", MOBILE),  # read aloud
    ("壹叁玖壹贰叁肆伍陆柒捌", MOBILE),  # capital numerals
    ("一三八〇〇一三八〇〇〇", MOBILE),
    ("138〇〇13八000", MOBILE),  # numerals mixed with digits
    ("138一0013一8000", MOBILE),  # 一 used as a dash
    ("统一13800138000", MOBILE),  # a numeral just before the number
    ("①③⑧⓪⓪①③⑧⓪⓪⓪", MOBILE),  # circled digits
    ("１３８\u20030013 8000", MOBILE),  # em space
    ("١٣٨٠٠١٣٨٠٠٠", MOBILE),  # Arabic-Indic digits
    ("张阿姨（住3栋）手机 139 1234 5678，有事找她", MOBILE),
    # resident ID numbers
    ("110101199003074514", ID),
    ("身份证11010519491231002X请核对", ID),
    ("11010519491231002x", ID),
    ("11010519491231002Ｘ", ID),  # full-width check digit
    ("110101 19900307 4514", ID),
    ("110101-19900307-4514", ID),
    ("110 101 199 003 074 514", ID),
    ("１１０１０１１９９００３０７４５１４", ID),
    ("110101１９９００３０７4514", ID),
    ("11010519491231002 X", ID),
    ("一一〇一〇一一九九〇〇三〇七四五一四", ID),
    ("户主王某，身份证号 110101.19900307.4514，住幸福里", ID),
]

ALLOWED = [
    "2025-03-07",
    "2025年3月7日",
    "二〇二五年三月七日",
    "2025-03-01至2025-03-31",
    "2025-03-01—2025-03-31",
    "2025/03/07 13:45",
    "时间 2025-03-07 13:45:00",
    "13,800.00 元",
    "1380000 分",
    "共计 1,380,000.00 元，其中保洁 138,000.00 元",
    "金额 123456 元",
    "收据号 SJ2025-000123",
    "SJ2025-000123、SJ2025-000124、SJ2025-000125",
    "发票号 2025030112345",
    "发票代码 044031900111，发票号码 12345678",
    "电话 021-64001234",
    "服务热线 12345，报修电话 96120",
    "分机 8001",
    "完成率 92.5%，满意度 87.3%",
    "第一季度收入一百三十八万元",
    "共 38 项，第 13 项已完成",
    "幸福里 3 栋 2 单元 1101 室",
    "邮编 200031",
    "一、二、三、四、五项均已完成",
    "投票 13 票赞成、2 票反对、0 票弃权",
    "居民自愿捐赠，用于楼道照明和适老化改造",
    "会议于 14:30 开始，16:00 结束",
    "第１２项",
    "面积 1380 平方米，单价 15.5 元",
    "统一社会信用代码 91310000MA1FL0XX1X",
]


def test_the_corpus_is_large_enough() -> None:
    assert len(REFUSED) + len(ALLOWED) >= 40
    assert len({t for t, _ in REFUSED}) == len(REFUSED) and len(set(ALLOWED)) == len(ALLOWED)


@pytest.mark.parametrize(("text", "kind"), REFUSED)
def test_personal_data_is_refused_in_every_disguise(text: str, kind: str) -> None:
    assert publictext.find_personal_data(text) == kind
    with pytest.raises(PrivacyViolation) as err:
        parse_body("disclosure.published", disclosure(f"联系方式：{text}。"))
    assert err.value.code == "personal-data-in-public-text"
    assert kind in err.value.message
    with pytest.raises(PrivacyViolation):  # short fields too
        parse_body("disclosure.published", disclosure("正文", title=text[:200]))


@pytest.mark.parametrize("text", ALLOWED)
def test_everyday_numbers_pass(text: str) -> None:
    assert publictext.find_personal_data(text) is None
    body = parse_body("disclosure.published", disclosure(text))
    assert body.to_json()["body"] == text  # unchanged: the signed text is the text


HIDDEN = [
    ("\u202e", "双向"),  # right-to-left override
    ("\u202a", "双向"),
    ("\u2066", "双向"),  # isolates
    ("\u2069", "双向"),
    ("\u200e", "双向"),  # marks
    ("\u200f", "双向"),
    ("\u200b", "不可见"),  # zero-width space, non-joiner, joiner
    ("\u200c", "不可见"),
    ("\u200d", "不可见"),
    ("\u2060", "不可见"),  # word joiner
    ("\ufeff", "不可见"),  # BOM, anywhere
    ("\u00ad", "不可见"),  # soft hyphen
    ("\U000e0041", "不可见"),  # tag character
    ("\x00", "控制"),
    ("\x07", "控制"),
    ("\r", "控制"),
    ("\x1b", "控制"),
    ("\x7f", "控制"),
    ("\x85", "控制"),  # C1
    ("\x9b", "控制"),
    ("\u2028", "不可见"),  # line separator
]


@pytest.mark.parametrize(("char", "what"), HIDDEN)
def test_hidden_characters_are_refused(char: str, what: str) -> None:
    for text in (f"{char}开头", f"中间{char}的文字", f"结尾{char}"):
        with pytest.raises(InvalidInput) as err:
            parse_body("disclosure.published", disclosure(text))
        assert err.value.code == "hidden-character-in-text"
        assert what in err.value.message and f"U+{ord(char):04X}" in err.value.message


def test_tab_and_newline_stay_allowed() -> None:
    text = "第一段\n\t第二段，金额 1,380.00 元"
    assert parse_body("disclosure.published", disclosure(text)).to_json()["body"] == text


def test_every_format_character_is_hidden() -> None:
    for cp in range(0x110000):
        char = chr(cp)
        category = unicodedata.category(char)
        if category == "Cf" or (category == "Cc" and char not in "\t\n"):
            assert publictext.find_hidden_character(f"a{char}b") == char, hex(cp)


def test_the_plain_characters_are_what_the_first_pass_assumes() -> None:
    """For every character the first pass lets through: NFKC does not make it hidden, it is a
    digit-like character exactly when NFKC makes it a digit or a numeral, and a separator exactly
    when the full check drops what NFKC makes of it."""
    plain = re.compile(f"[{publictext._PLAIN}]")
    digit = re.compile(f"[{publictext._PLAIN_DIGITS}]")
    separator = re.compile(f"[{publictext._PLAIN_SEPARATORS}]")
    dropped = re.compile(f"[{publictext._SEPARATORS}]+")
    for cp in range(0x30000):
        char = chr(cp)
        if not plain.fullmatch(char):
            continue
        folded = unicodedata.normalize("NFKC", char)
        assert publictext.find_hidden_character(char + folded) is None, hex(cp)
        digit_like = any(c.isdecimal() or c in publictext.NUMERALS for c in folded)
        assert digit_like == bool(digit.fullmatch(char)), hex(cp)
        assert bool(dropped.fullmatch(folded)) == bool(separator.fullmatch(char)), hex(cp)


ALPHABET = ("0123456789１３８一三八〇零幺壹两 -.,，、/（）()\u3000·—X" "张三电话号码abc+①"
            "\u200b\u202e\r")


@given(st.text(alphabet=ALPHABET, max_size=40))
def test_the_first_pass_never_hides_what_the_full_check_finds(text: str) -> None:
    if publictext.is_plain(text):
        assert publictext.find_personal_data(text) is None
        assert publictext.find_hidden_character(text) is None


@given(st.text(alphabet="0123456789 -.，、一三八〇X", max_size=40))
def test_plain_text_reads_the_same_without_nfkc(text: str) -> None:
    """Plain text skips NFKC: the numbers it finds are those the full path finds."""
    full = [publictext._DROP_SEPARATORS.sub("", m.group()) for m in
            publictext._NUMBER.finditer(unicodedata.normalize("NFKC", text))]
    assert publictext.numbers(text) == full


def test_refused_through_the_service_as_a_chinese_problem(committee: Committee) -> None:
    c = committee
    size = c.app.size(c.community)
    app = create_app(c.app, Settings(rate_per_address=0, rate_per_key=0))
    with live(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        for text, code in (("请联系 １３８ ００１３ ８０００", "personal-data-in-public-text"),
                           ("说明\u202e0008310083", "hidden-character-in-text")):
            sub = c.sign("member", "disclosure.published", disclosure(text))
            response = client.post(f"/v1/communities/{c.community}/records", json=sub.to_json())
            assert response.status_code in (400, 422), response.text
            problem = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert problem["code"] == code
            assert any("\u4e00" <= ch <= "\u9fff" for ch in problem["detail"])
        assert client.get(f"/log/{c.community}/checkpoint").text == c.app.checkpoint(c.community)
    assert c.app.size(c.community) == size


def test_refused_at_the_command_line_and_nothing_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUNLIGHT_DB", f"sqlite:///{tmp_path / 'ledger.db'}")
    found(tmp_path)
    ledger = Sunlight(os.environ["SUNLIGHT_DB"])
    size = ledger.size("cli")
    out = sunlight("record", "disclosure.published", "-c", "cli", "-k", "chen",
                   "--set", "disclosure_id=x", "--set", "category=other", "--set", "period=2025",
                   "--set", "title=公示", "--set", "body=户主身份证 110101 19900307 4514",
                   code=1)
    assert "身份证号码" in out and "Traceback" not in out
    out = sunlight("record", "disclosure.published", "-c", "cli", "-k", "chen",
                   "--set", "disclosure_id=x", "--set", "category=other", "--set", "period=2025",
                   "--set", "title=公示", "--set", "body=金额\u200b1380 元", code=1)
    assert "U+200B" in out
    assert ledger.size("cli") == size
