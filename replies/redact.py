"""Hiding contact details in public text: the one function (`redact_text`) that every public
surface uses (the portal's pages, its feed, the public letter PDF, the stored search text and
the search index).

People write a number as 138 0571 0039, 138-0571-0039, 138.0571.0039, (138)0571-0039,
138–0571–0039 (an en dash), ＋86 １３８…, with a zero-width space pasted in, or with &nbsp; from an
editor between its digits; an address with or without its province and city, with spaces
between its characters, or just as 人民路88号. So text is first *folded* (full-width and other
compatibility forms to ASCII, every kind of dash to "-", of space to " ", of dot to ".", digits
of any script to 0-9, an entity to its character, an inline tag to a gap and any other tag to a
boundary) and the patterns run on the folded text; what they find is hidden in the original
text, span for span. Folding keeps one character per character (tags and entities excepted),
so that is a lookup, not a re-parse. Numbers may also be written in Chinese numerals (一三八…,
人民路八十八号), and an address's characters in traditional forms (人民路88號).

Hidden always: any mainland mobile number (of anyone), any ID-card number (18 or 15 digits),
any e-mail address.
Hidden when they are the item's signers' (the `private` values): their phone number in any
spelling (also a landline without its area code) and their address in any of the forms above.
"""

from __future__ import annotations

import functools
import html
import re
import unicodedata

HIDDEN = "（已隐去）"

# --- folding -------------------------------------------------------------------------------------

# dot-like characters people put between digits (。 from a Chinese input method, · ・ • from
# Word); NFKC leaves them alone
DOTS = "·•‧∙⋅・。｡․‥…"
# HTML that the body may carry between two digits: a tag (<strong>, </p><p>) or an entity
# (&nbsp;, &#49;); each folds to one character
INLINE_TAG = re.compile(r"</?(?:strong|b|em|i|u|span|font|a|sup|sub)\b", re.IGNORECASE)
BOUNDARY = "\u2016"  # ‖: neither a digit nor a gap
MARKUP = re.compile(
    r"<[^<>]{0,300}>|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)


# traditional forms of the characters addresses are made of (a letter may be typeset in
# traditional characters, the member's address is kept in simplified ones): 人民路88號 is 人民路88号
TRADITIONAL = dict(
    zip(
        "號區縣鎮鄉樓層單東門廣園莊廈灣陽龍華興滬蘇漢寧長溝營黃橋場國時會"
        "戶專開發環濱億萬賓島嶺峽灘隴齊魯豐蕭廂濟鐵紅綠灣電碼",
        "号区县镇乡楼层单东门广园庄厦湾阳龙华兴沪苏汉宁长沟营黄桥场国时会"
        "户专开发环滨亿万宾岛岭峡滩陇齐鲁丰萧厢济铁红绿湾电码",
        strict=True,
    )
)


@functools.cache
def _fold_table() -> dict[int, int | str]:
    """str.translate table: one character for one character, so that positions stay. Every
    character of the Basic Multilingual Plane has an entry (itself when it stays): a miss costs
    str.translate an exception, which made folding Chinese text ten times slower."""
    table: dict[int, int | str] = dict(zip(range(0x10000), range(0x10000), strict=True))
    codes = [*range(0x80, 0xD800), *range(0xE000, 0x10000), *range(0x1D7CE, 0x1D800)]
    for code in codes:
        char = chr(code)
        category = unicodedata.category(char)
        if category == "Cf" or category == "Zs" or char in "\u2028\u2029":
            table[code] = " "  # zero-width and every other space: a gap
        elif category == "Pd" or char in "\u2212\u2043\u2010\u2011":
            table[code] = "-"
        elif char in DOTS:
            table[code] = "."
        elif unicodedata.decimal(char, None) is not None:
            table[code] = str(unicodedata.decimal(char))  # full-width, Arabic-Indic, 𝟏 …
        else:
            folded = unicodedata.normalize("NFKC", char)
            if len(folded) == 1 and folded != char:
                table[code] = folded  # （ → (, ＠ → @, ｂ → b, 兀 → 兀
    for traditional, simplified in TRADITIONAL.items():
        table[ord(traditional)] = simplified
    return table


class Folded:
    """A text folded for matching, and where each folded character came from."""

    def __init__(self, text: str) -> None:
        table = _fold_table()
        self.original = text
        self.starts: list[int] | None = None  # None: the same positions
        self.ends: list[int] | None = None
        if "<" not in text and "&" not in text:
            self.text = text.translate(table)
            return
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        position = 0
        for match in MARKUP.finditer(text):
            pieces.append(text[position : match.start()].translate(table))
            starts.extend(range(position, match.start()))
            ends.extend(range(position + 1, match.start() + 1))
            token = match.group(0)
            # an inline tag (<strong>138</strong>0571) is a gap; any other (a table cell, a
            # paragraph) ends a number: a row of figures 13 | 150 | 1200 | 38 is not a mobile
            char = " " if INLINE_TAG.match(token) else BOUNDARY
            if token.startswith("&"):
                unescaped = html.unescape(token)
                if len(unescaped) == 1:
                    char = unescaped.translate(table)
            pieces.append(char)
            starts.append(match.start())
            ends.append(match.end())
            position = match.end()
        pieces.append(text[position:].translate(table))
        starts.extend(range(position, len(text)))
        ends.extend(range(position + 1, len(text) + 1))
        self.text = "".join(pieces)
        self.starts, self.ends = starts, ends

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original text's span of the folded text's [start, end)."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def fold(text: str) -> str:
    """The text as the patterns see it (a private value is folded the same way)."""
    return Folded(text).text


# --- patterns ------------------------------------------------------------------------------------

# between two digits (or two characters of an address): up to three of space, dash, dot,
# bracket, slash or underscore; a comma is not one of them (a list of small numbers is not
# a phone number)
SEP = r"[\s\-.()\[\]/_]"
GAP = SEP + "{0,3}"
CHINESE_DIGITS = "〇零一二三四五六七八九幺"
DIGIT_FORMS = {
    "0": "0〇零",
    "1": "1一幺",
    "2": "2二",
    "3": "3三",
    "4": "4四",
    "5": "5五",
    "6": "6六",
    "7": "7七",
    "8": "8八",
    "9": "9九",
}
# Numbers are looked for only inside a window: a run of digits and gaps at least six long
# (a regular expression that tries every position of a long Chinese text is slow; this one
# starts with a character set, which the engine skips to); an ID card's X may end it. A
# window's first character has no digit before it and its last none after it, so the
# patterns' own edges stay right.
WINDOW = re.compile(rf"[+0-9{CHINESE_DIGITS}][+0-9{CHINESE_DIGITS}\s\-.()\[\]/_]{{5,}}[Xx]?")
NO_DIGIT_BEFORE = r"(?<![0-9])"
NO_DIGIT_AFTER = r"(?![0-9])"
# +86, 0086, 86- before a number (hidden with it, so that 8613805710039 is seen as one)
COUNTRY = rf"(?:(?:\+|00){GAP})?(?:86{GAP})?"
NUMBERS = re.compile(
    "|".join(
        [
            # a mainland mobile number, of anyone, with or without +86
            rf"{NO_DIGIT_BEFORE}{COUNTRY}1{GAP}[3-9](?:{GAP}[0-9]){{9}}{NO_DIGIT_AFTER}",
            # the same in Chinese numerals (一三八〇五七一〇〇三九)
            rf"(?<![{CHINESE_DIGITS}])[一幺]{GAP}[三四五六七八九](?:{GAP}[{CHINESE_DIGITS}]){{9}}"
            rf"(?![{CHINESE_DIGITS}])",
            # an ID-card number: region, birth date (19xx/20xx, month, day), sequence, check digit
            rf"{NO_DIGIT_BEFORE}[1-9](?:{GAP}[0-9]){{5}}{GAP}(?:1{GAP}9|2{GAP}0)(?:{GAP}[0-9]){{2}}"
            rf"{GAP}(?:0{GAP}[1-9]|1{GAP}[0-2]){GAP}(?:[0-2]{GAP}[0-9]|3{GAP}[01])"
            rf"(?:{GAP}[0-9]){{3}}{GAP}[0-9Xx](?![0-9A-Za-z])",
            # an ID-card number of the first generation: 15 digits, birth date 19YYMMDD
            rf"{NO_DIGIT_BEFORE}[1-9](?:{GAP}[0-9]){{7}}{GAP}(?:0{GAP}[1-9]|1{GAP}[0-2])"
            rf"{GAP}(?:[0-2]{GAP}[0-9]|3{GAP}[01])(?:{GAP}[0-9]){{3}}{NO_DIGIT_AFTER}",
        ]
    )
)
# an e-mail address (also with spaces around the @, ＠ folds to @, or with (at) or [at] for it)
EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*\s{0,3}(?:@|\(at\)|\[at\])\s{0,3}"
    r"[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    re.IGNORECASE,
)

PHONE_LIKE = re.compile(r"[0-9\s\-.()+/_\[\]]+")
# where an address splits into parts: province, city, district, street, road, number, building…
ADDRESS_PART = re.compile(
    r".+?(?:特别行政区|自治区|自治州|自治县|自治旗|街道|社区|大道|胡同|号楼|号院|单元"
    r"|[省市盟区县旗镇乡村组路街巷弄号栋幢座楼层室户])|.+$"
)


def _digits(digits: str) -> str:
    """A pattern for these digits, in any numeral form, with any gap between them."""
    return GAP.join(f"[{DIGIT_FORMS[digit]}]" for digit in digits)


CHINESE_NUMERALS = "零一二三四五六七八九"


def _spoken(number: int) -> list[str]:
    """A number below 10 000 as it is said: 88 八十八, 12 十二 or 一十二, 105 一百零五."""
    if number == 0 or number >= 10_000:
        return []
    said, zero, started = "", False, False
    for value, name in ((1000, "千"), (100, "百"), (10, "十")):
        digit = number // value % 10
        if digit:
            said += ("零" if zero else "") + CHINESE_NUMERALS[digit] + name
            zero, started = False, True
        elif started:
            zero = True
    if number % 10:
        said += ("零" if zero else "") + CHINESE_NUMERALS[number % 10]
    return [said, said[1:]] if said.startswith("一十") else [said]


def _number(digits: str) -> str:
    """A house or building number in any form: 88, 8 8, ８８, 八八, 八十八."""
    forms = [_digits(digits) + NO_DIGIT_AFTER]
    forms += [re.escape(said) for said in _spoken(int(digits))]
    return "(?:" + "|".join(forms) + ")"


def _part(part: str) -> str:
    """One part of an address with any gap between its characters, its numbers in any form,
    and a number's 号 left out (人民路88)."""
    tokens = re.findall(r"[0-9]+|[^0-9]", part)
    pieces = []
    for index, token in enumerate(tokens):
        if token.isdigit():
            pieces.append(_number(token))
        elif token == "号" and index and tokens[index - 1].isdigit():
            pieces[-1] += f"(?:{GAP}号)?"
            continue
        else:
            pieces.append(re.escape(token))
    return GAP.join(pieces)


class Private:
    """How one private value is found: a phone number by a pattern run in the number windows;
    an address by its core (the road and number) and then how far the parts before and after
    it reach."""

    def __init__(self, value: str) -> None:
        self.phone: re.Pattern[str] | None = None
        self.core: re.Pattern[str] | None = None
        self.before: re.Pattern[str] | None = None
        self.after: re.Pattern[str] | None = None
        folded = fold(value).strip()
        if PHONE_LIKE.fullmatch(folded):
            digits = re.sub(r"[^0-9]", "", folded)
            if len(digits) >= 7:
                self.phone = re.compile(self._phone_pattern(digits))
            return
        compact = re.sub(SEP, "", folded)
        if len(compact) >= 5:
            self._address(compact)

    @staticmethod
    def _phone_pattern(digits: str) -> str:
        """A member's number in any spelling; a landline also without its area code."""
        if digits.startswith("0086"):
            digits = digits[4:]
        elif digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        numbers = [digits]
        if digits.startswith("0") and len(digits) >= 10:  # 0571-87654321: 87654321 alone too
            numbers.append(digits[3:] if digits[1] in "12" else digits[4:])
        return "|".join(
            rf"{NO_DIGIT_BEFORE}{COUNTRY}{_digits(number)}{NO_DIGIT_AFTER}" for number in numbers
        )

    def _address(self, address: str) -> None:
        """The core: the part with the first number in it, with the part before it when it is
        only a number (人民路 + 88号; 金色家园12幢 alone), or without a number the last part
        (某某小区), or the last two when that is short. Before it any of the parts before
        (province, city, district, street), after it any of the parts after (building, room)."""
        parts = ADDRESS_PART.findall(address)
        numbered = next((i for i, part in enumerate(parts) if re.search("[0-9]", part)), None)
        if numbered is None:
            first = len(parts) - 1 if len(parts[-1]) >= 4 else max(0, len(parts) - 2)
            last = len(parts) - 1
        else:
            named = len(re.match(r"[^0-9]*", parts[numbered]).group()) >= 2  # type: ignore[union-attr]
            first, last = (numbered if named else max(0, numbered - 1)), numbered
        core = GAP.join(_part(part) for part in parts[first : last + 1])
        self.core = re.compile(core)
        if first:
            before = "".join(f"(?:{_part(part)}{GAP})?" for part in parts[:first])
            self.before = re.compile(rf"{before}\Z", re.IGNORECASE)
        if last + 1 < len(parts):
            after = "".join(f"(?:{GAP}{_part(part)})?" for part in parts[last + 1 :])
            self.after = re.compile(after, re.IGNORECASE)

    def address_spans(self, text: str) -> list[tuple[int, int]]:
        if self.core is None:
            return []
        spans = []
        for match in self.core.finditer(text):
            start, end = match.span()
            if self.before is not None:
                reach = max(0, start - 200)
                found = self.before.search(text, reach, start)
                if found is not None:
                    start = found.start()
            if self.after is not None:
                found = self.after.match(text, end)
                if found is not None:
                    end = found.end()
            spans.append((start, end))
        return spans


@functools.lru_cache(maxsize=4096)  # the same members' details on every page of the portal
def private(value: str) -> Private:
    return Private(value)


def hidden_spans(text: str, values: list[str] | tuple[str, ...] = ()) -> list[tuple[int, int]]:
    """The spans of `text` to hide (in the original text), merged, in order."""
    folded = Folded(text)
    found = folded.text
    privates = [private(value) for value in values]
    phones = [item.phone for item in privates if item.phone is not None]
    spans: list[tuple[int, int]] = []
    for window in WINDOW.finditer(found):
        start, end = window.span()
        for pattern in (NUMBERS, *phones):
            spans += [match.span() for match in pattern.finditer(found, start, end)]
    if "@" in found or "at)" in found or "at]" in found:
        spans += [match.span() for match in EMAIL.finditer(found)]
    for item in privates:
        spans += item.address_spans(found)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        # (138)0571-0039: the opening bracket goes with the number it opens
        if (
            start
            and found[start - 1] == "("
            and found.count(")", start, end) > found.count("(", start, end)
        ):
            start -= 1
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [folded.span(start, end) for start, end in merged if end > start]


def redact_text(text: str, private: list[str] | tuple[str, ...] = ()) -> str:
    """`text` with contact details hidden: every mobile, ID-card number and e-mail address, and
    the `private` values (the signers' phone numbers and addresses) in any spelling. HTML tags
    inside a hidden span stay, so that the body keeps its paragraphs and bold."""
    if not text:
        return text or ""
    parts: list[str] = []
    position = 0
    for start, end in hidden_spans(text, private):
        parts.append(text[position:start])
        parts.append(HIDDEN + "".join(re.findall(r"<[^<>]{0,300}>", text[start:end])))
        position = end
    parts.append(text[position:])
    return "".join(parts)
