"""Chinese punctuation: ASCII marks next to Chinese characters and their full-width forms.

Used by the submission pre-check (proposals.precheck) and by the reply editor (replies.text
re-exports it): it lives here because replies import proposals, never the other way round.
"""

from __future__ import annotations

import re

# Characters that count as Chinese for punctuation and spacing decisions.
CJK = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”‘’《》〈〉、…—"
CJK_CHAR = re.compile(f"[{CJK}]")
HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？"}
SINGLE = re.compile(r"(^|.)([,:;!?])(.|$)", re.MULTILINE)
PAREN = re.compile(r"(.?)\(([^()\n]*)\)(.?)")


def _is_cjk(char: str) -> bool:
    return bool(char) and bool(CJK_CHAR.fullmatch(char))


def fix_punctuation(text: str) -> str:
    """ASCII , : ; ( ) ! ? next to Chinese become full-width; 1.2, 50%, 1,000 and English stay."""

    def paren(match: re.Match[str]) -> str:
        before, inner, after = match.groups()
        if CJK_CHAR.search(inner) or _is_cjk(before) or _is_cjk(after):
            return f"{before}（{inner}）{after}"
        return match.group(0)

    def single(match: re.Match[str]) -> str:
        before, mark, after = match.groups()
        if mark in ",:" and before.isdigit() and after.isdigit():
            return match.group(0)  # 1,000 and 10:30
        if _is_cjk(before) or _is_cjk(after):
            return before + HALF_TO_FULL[mark] + after
        return match.group(0)

    text = PAREN.sub(paren, text)
    previous = None
    while previous != text:  # marks next to each other need more than one pass
        previous = text
        text = SINGLE.sub(single, text)
    return text


def count_halfwidth_punctuation(text: str) -> int:
    """How many marks fix_punctuation would change."""
    fixed = fix_punctuation(text)
    return sum(1 for a, b in zip(text, fixed, strict=True) if a != b)
