"""What public text may not carry: hidden characters, and ID or mobile numbers in any disguise.

Every text field of every statement passes :func:`check_public_text`, at acceptance and again
whenever a stored log is replayed (``sunlight verify`` does it for every entry), so ordinary text
must cost next to nothing. One search over the raw text decides that for nearly all of it: text
made only of "plain" characters (ASCII, common CJK ideographs and punctuation, full-width
punctuation) with no run of eleven digit-like characters (digits or Chinese numerals, with
separators between them) can hold neither a hidden character nor a number. Everything else takes
the slow path:

1. refuse hidden characters: bidi controls and marks, zero-width and other format characters
   (Unicode ``Cf``, BOM included), C0/C1 controls other than tab and newline, line and paragraph
   separators;
2. NFKC (full-width digits, circled digits, compatibility ideographs), other scripts' decimal
   digits to ASCII, drop separators (whitespace of every kind, dashes, dots, slashes, commas,
   brackets, invisible and combining characters);
3. look for an ID number or a mobile number in three readings of the result: Chinese numerals as
   they are (a word boundary), as digits (``一三八…``, ``壹贰叁…``, ``〇``/``零``), and removed (a
   numeral used as a dash).
"""

from __future__ import annotations

import re
import unicodedata

from ledger.domain.errors import InvalidInput, PrivacyViolation

# --- characters ----------------------------------------------------------------------------------

# Chinese numerals read digit by digit (a phone number spoken or written out), capital numerals
# (大写, as on receipts), traditional forms, 幺/两 as read aloud, Suzhou numerals 〡–〩.
NUMERALS = {
    "〇": "0", "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
    "七": "7", "八": "8", "九": "9", "壹": "1", "贰": "2", "叁": "3", "肆": "4", "伍": "5",
    "陆": "6", "柒": "7", "捌": "8", "玖": "9", "貳": "2", "參": "3", "陸": "6", "幺": "1",
    "两": "2", "〡": "1", "〢": "2", "〣": "3", "〤": "4", "〥": "5", "〦": "6", "〧": "7",
    "〨": "8", "〩": "9",
}

# Refused in public text: C0/C1 controls but tab and newline; every format character (Unicode
# Cf: soft hyphen, bidi marks/embeddings/overrides/isolates U+200E/F U+202A–E U+2066–9, zero-width
# U+200B–D, word joiner U+2060, BOM U+FEFF, tags U+E0000…); line/paragraph separators. A test
# checks this class against ``unicodedata`` for every Cf character.
_HIDDEN_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2"
    "\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
)
_HIDDEN = re.compile(f"[{_HIDDEN_CLASS}]")
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Separators dropped before matching (applied after NFKC): whitespace of every kind, every dash
# (Unicode Pd), dots, slashes, commas, brackets, apostrophe and tilde; and whatever is invisible
# or only decorates a digit (format characters, variation selectors, fillers, combining marks).
_SEPARATORS = (
    " \t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
    "\\-\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d\u301c\u3030"
    "\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead"
    ".\u00b7\u2022\u2027\u2219\u22c5\u30fb\uff65\u2026\u2025/\\\\\u2044\u2215_()\\[\\]{}"
    "\u3010\u3011\u3014\u3015,\u3001'~\u02dc"
    f"{_HIDDEN_CLASS}\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u3164\ufe00-\ufe0f\uffa0"
    "\U000e0100-\U000e01ef\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_DIGITS = "0-9" + "".join(NUMERALS)
_CHECK_DIGIT = "Xx\uff38\uff58"
# A number: a run of eleven or more digits, separators between them, an ID's check digit after.
_NUMBER = re.compile(f"[{_DIGITS}](?:[{_SEPARATORS}]*[{_DIGITS}]){{10,}}(?:[{_SEPARATORS}]*[{_CHECK_DIGIT}])?")
_DROP_SEPARATORS = re.compile(f"[{_SEPARATORS}]+")
_OTHER_DIGIT = re.compile(r"[^\D0-9]")  # decimal digits of other scripts

# The first pass. Plain characters: NFKC leaves their digits and separators as they are, and none
# is hidden (a test checks both lists against NFKC and the full separators for every one of them).
_PLAIN = ("\t\n\x20-\x7e\xa0\xa5\xb0\xb1\xb7\xd7\xf7\u2014\u2018-\u201d\u2026\u2103"
          "\u3000-\u3020\u3030-\u303e\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff0f\uff1a-\uff5e\uffe5")
_PLAIN_DIGITS = "0-9" + "".join(c for c in NUMERALS if c < "\u3021" or c > "\u3029")
_PLAIN_SEPARATORS = ("\t\n \xa0\u3000\\-\u2014\u301c\u3030\uff0d.\xb7\uff0e\u2026/\\\\\uff0f\uff3c"
                     "_\uff3f()\\[\\]{}\uff08\uff09\uff3b\uff3d\uff5b\uff5d\u3010\u3011\u3014\u3015"
                     ",\u3001\uff0c'\uff07~\uff5e")
_NOT_PLAIN = re.compile(f"[^{_PLAIN}]")
_SUSPECT = re.compile(
    f"[^{_PLAIN}]|[{_PLAIN_DIGITS}](?:[{_PLAIN_SEPARATORS}]*[{_PLAIN_DIGITS}]){{10}}")
_PLAIN_NUMBER = re.compile(f"[{_PLAIN_DIGITS}](?:[{_PLAIN_SEPARATORS}]*[{_PLAIN_DIGITS}]){{10,}}"
                           f"(?:[{_PLAIN_SEPARATORS}]*[{_CHECK_DIGIT}])?")
_DROP_PLAIN_SEPARATORS = re.compile(f"[{_PLAIN_SEPARATORS}]+")

# --- numbers -------------------------------------------------------------------------------------

# A mainland resident ID: 6-digit area, birth date 18xx-20xx, 3-digit sequence, check digit.
_ID_NUMBER = re.compile(r"(?<![0-9])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
                        r"(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx\uff38\uff58](?![0-9])", re.ASCII)
# A mainland mobile number (separators dropped), optionally after 86 / 0086 (a "+" is outside
# the run of digits), or after the 0 dialled before a mobile number from another city.
_MOBILE = re.compile(r"(?<![0-9])(?:(?:00)?86)?0?1[3-9]\d{9}(?![0-9])", re.ASCII)
_AS_DIGITS = str.maketrans(NUMERALS)
_WITHOUT_NUMERALS = str.maketrans(dict.fromkeys(NUMERALS, None))
_HAS_NUMERAL = re.compile(f"[{''.join(NUMERALS)}]")


def numbers(text: str) -> list[str]:
    """Every run of eleven or more digit-like characters in ``text``, separators dropped: after
    NFKC and other scripts' digits as ASCII; Chinese numerals as they are. Plain text needs no
    NFKC (it changes none of its digits or separators)."""
    if _NOT_PLAIN.search(text) is None:
        return [_DROP_PLAIN_SEPARATORS.sub("", m.group()) for m in _PLAIN_NUMBER.finditer(text)]
    folded = unicodedata.normalize("NFKC", text)
    if _OTHER_DIGIT.search(folded):
        folded = _OTHER_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), folded)
    return [_DROP_SEPARATORS.sub("", m.group()) for m in _NUMBER.finditer(folded)]


def find_personal_data(text: str) -> str | None:
    """Names the kind of personal data found in ``text`` in any disguise, or ``None``. Each
    number is read three ways: Chinese numerals as they are (a word boundary), as digits, and
    removed (a numeral written as a dash)."""
    for number in numbers(text):
        readings = [number]
        if _HAS_NUMERAL.search(number):
            readings += [number.translate(_AS_DIGITS), number.translate(_WITHOUT_NUMERALS)]
        for reading in readings:
            if _ID_NUMBER.search(reading):
                return "身份证号码"
            if _MOBILE.search(reading):
                return "手机号码"
    return None


def find_hidden_character(text: str) -> str | None:
    """The first hidden character of ``text`` (see ``_HIDDEN_CLASS``), or ``None``."""
    found = _HIDDEN.search(text)
    return None if found is None else found.group()


def is_plain(text: str) -> bool:
    """The first pass: ``True`` when ``text`` certainly holds neither a hidden character nor an ID
    or mobile number (nearly all text); ``False`` sends it to the full check."""
    return _SUSPECT.search(text) is None


def check_public_text(value: str) -> str:
    """``value`` unchanged, or :class:`InvalidInput` / :class:`PrivacyViolation` in Chinese."""
    if _SUSPECT.search(value) is None:
        return value
    hidden = find_hidden_character(value) if _NOT_PLAIN.search(value) else None
    if hidden is not None:
        what = ("双向文字控制符" if hidden in _BIDI else
                "控制字符" if unicodedata.category(hidden) == "Cc" else "不可见字符")
        raise InvalidInput(
            f"文本中含有{what} U+{ord(hidden):04X}，它会隐藏或颠倒显示的文字；请删除后再提交",
            code="hidden-character-in-text")
    found = find_personal_data(value)
    if found is not None:
        raise PrivacyViolation(
            f"公开内容中不得出现{found}（数字间的空格、点、横线，全角数字和中文数字也算）；"
            "请删除后再提交（个人信息只能存入私密存储）",
            code="personal-data-in-public-text")
    return value
