"""The pre-check of a submission: while writing (the form's JSON endpoint) and at submission.

`precheck` is the one function both call. Errors block submission: a required section missing
or shorter than its minimum, any section longer than its maximum (proposals.sections).
Warnings do not block; the member submits anyway with a second click (「仍然提交」):

- title: not of the form 关于……的建议 (人大) / 关于……的提案 (政协);
- punctuation: ASCII , : ; ! ? ( ) between Chinese characters (proposals.punctuation);
- identity: an identity-card number (18 digits with a valid check digit and birth date, or the
  old 15 digits with a valid birth date);
- phone: a mobile number (1[3-9] and 9 digits) or a landline with its area code (0571-87654321);
- personal: a text that reads like a personal case (PERSONAL_CASE_WORDS);
- similar: earlier items of this or earlier meetings of the same body that look the same
  (proposals.search.similar_items), among the items the member may see: their own and
  co-signed ones (Proposal.objects.for_user) and items whose reply is published on the portal.
  Never another member's draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Body

from . import search
from .models import CoSignerStatus, Meeting, Proposal, ProposalStatus
from .punctuation import count_halfwidth_punctuation
from .sections import SectionRule, policy_of, section_problems

# Words that make a text read like a personal or family matter rather than a public one (a
# 建议 or 提案 speaks of the public interest; personal cases go to 信访). Each is a warning
# only: the office decides at review (不予立案: 涉及个人或家庭私事).
PERSONAL_CASE_WORDS = (
    "我家",
    "我的房子",
    "我的房屋",
    "我父亲",
    "我母亲",
    "我爸",
    "我妈",
    "我儿子",
    "我女儿",
    "我丈夫",
    "我妻子",
    "我爱人",
    "我的孩子",
    "我的工资",
    "我的案件",
    "赔偿我",
    "补偿我",
    "还我",
    "本人的房",
    "本人家",
    "本人",
)

MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:[\s-]?\d){8}(?!\d)")
LANDLINE = re.compile(r"(?<![\d])(?:[(（]0\d{2,3}[)）]\s?|0\d{2,3}[-－—\s])\d{7,8}(?!\d)")
ID_18 = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
ID_15 = re.compile(r"(?<!\d)\d{15}(?!\d)")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
SIMILAR_LIMIT = 5


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        born = date(year, month, day)
    except ValueError:
        return False
    return date(1900, 1, 1) <= born <= timezone.localdate()


def is_identity_number(text: str) -> bool:
    """An 18-digit number with its check digit (GB 11643) and a birth date, or a 15-digit one
    with a birth date (19YYMMDD)."""
    if len(text) == 18:
        digits = text[:17]
        total = sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS, strict=True))
        if ID_CHECK[total % 11] != text[17].upper():
            return False
        return _valid_day(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    if len(text) == 15 and text.isdigit():
        return _valid_day(1900 + int(text[6:8]), int(text[8:10]), int(text[10:12]))
    return False


def identity_numbers(text: str) -> list[str]:
    found = [m.group(0) for m in ID_18.finditer(text) if is_identity_number(m.group(0))]
    found += [m.group(0) for m in ID_15.finditer(text) if is_identity_number(m.group(0))]
    return found


def phone_numbers(text: str) -> list[str]:
    return [m.group(0) for m in MOBILE.finditer(text)] + [
        m.group(0) for m in LANDLINE.finditer(text)
    ]


def personal_case_words(text: str) -> list[str]:
    """The words of PERSONAL_CASE_WORDS in the text (a longer word hides the shorter one in it)."""
    found: list[str] = []
    for word in PERSONAL_CASE_WORDS:
        if word in text and not any(word in longer for longer in found):
            found.append(word)
    return found


def expected_title(meeting: Meeting) -> str:
    return "建议" if meeting.body == Body.NPC else "提案"


TITLE_FORM = re.compile(r"^关于.+的(建议|提案)$")


@dataclass
class Finding:
    code: str
    message: str
    key: str = ""  # the section (or "title") it is about, for the form


@dataclass
class SimilarItem:
    pk: int
    title: str
    number: str
    meeting: str
    status: str
    url: str  # the item page, when the member may open it; else ""
    reply_urls: list[str]
    can_join: bool  # a draft the member is invited to co-sign: 「加入联名」 confirms it
    cosigner_pk: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.pk,
            "title": self.title,
            "number": self.number,
            "meeting": self.meeting,
            "status": self.status,
            "url": self.url,
            "reply_urls": self.reply_urls,
            "can_join": self.can_join,
            "join_url": reverse("proposals:cosigner_respond", args=[self.cosigner_pk])
            if self.can_join and self.cosigner_pk
            else "",
        }


@dataclass
class Result:
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    similar: list[SimilarItem] = field(default_factory=list)

    @property
    def warning_codes(self) -> list[str]:
        return sorted({w.code for w in self.warnings})

    def as_json(self) -> dict[str, Any]:
        return {
            "errors": [vars(e) for e in self.errors],
            "warnings": [vars(w) for w in self.warnings],
            "warning_codes": self.warning_codes,
            "similar": [s.as_json() for s in self.similar],
        }


def _published_items() -> Q:
    """Items with a reply on the public portal (replies.public.published, by field names: this
    module may not import replies)."""
    return Q(
        replies__status="sent",
        replies__disclosure="public",
        replies__publish_on__isnull=False,
        replies__publish_on__lte=timezone.localdate(),
    )


def similar_candidates(user: Any, meeting: Meeting) -> Any:
    """Items this member may see, of the same body, never another member's draft."""
    visible = Proposal.objects.for_user(user).values("pk")
    published = Proposal.objects.filter(_published_items()).values("pk")
    return (
        Proposal.objects.filter(Q(pk__in=visible) | Q(pk__in=published))
        .filter(meeting__body=meeting.body)
        .exclude(Q(status=ProposalStatus.DRAFT) & ~Q(lead=user) & ~Q(cosigners__member=user))
        .select_related("meeting")
        .distinct()
    )


def find_similar(
    user: Any, meeting: Meeting, title: str, body: str, exclude: int | None
) -> list[SimilarItem]:
    probe = SimpleNamespace(pk=exclude or 0, title=title, body=body)
    found = search.similar_items(probe, similar_candidates(user, meeting), limit=SIMILAR_LIMIT)
    if not found:
        return []
    visible = set(
        Proposal.objects.for_user(user)
        .filter(pk__in=[p.pk for p in found])
        .values_list("pk", flat=True)
    )
    replies: dict[int, list[int]] = {}
    for item_pk, reply_pk in (
        Proposal.objects.filter(_published_items(), pk__in=[p.pk for p in found])
        .values_list("pk", "replies__pk")
        .order_by("replies__pk")
    ):
        replies.setdefault(item_pk, []).append(reply_pk)
    invitations = dict(
        Proposal.objects.filter(
            pk__in=[p.pk for p in found],
            status=ProposalStatus.DRAFT,
            cosigners__member=user,
            cosigners__status=CoSignerStatus.INVITED,
        ).values_list("pk", "cosigners__pk")
    )
    return [
        SimilarItem(
            pk=item.pk,
            title=item.title,
            number=item.number_label,
            meeting=item.meeting.short_name,
            status=item.get_status_display(),
            url=reverse("proposals:detail", args=[item.pk]) if item.pk in visible else "",
            reply_urls=[reverse("portal:reply", args=[r]) for r in replies.get(item.pk, [])],
            can_join=item.pk in invitations,
            cosigner_pk=invitations.get(item.pk),
        )
        for item in found
    ]


def precheck(
    *,
    user: Any,
    meeting: Meeting,
    title: str,
    texts: dict[str, str],
    exclude: int | None = None,
    with_similar: bool = True,
) -> Result:
    """Check a submission: `texts` by section key (proposals.sections.texts_of for a saved
    item). The same function runs while writing and at submission."""
    rules: list[SectionRule] = policy_of(meeting)
    result = Result()
    for key, message in section_problems(rules, texts):
        result.errors.append(Finding("section", message, key))
    title = (title or "").strip()
    body = "\n".join(texts.get(rule["key"], "") for rule in rules)
    kind = expected_title(meeting)
    if title and not (TITLE_FORM.match(title) and title.endswith(kind)):
        result.warnings.append(
            Finding(
                "title",
                _("标题宜写成“关于……的%(kind)s”，如：关于加快老旧小区加装电梯的%(kind)s。")
                % {"kind": kind},
                "title",
            )
        )
    ascii_marks = count_halfwidth_punctuation(title) + count_halfwidth_punctuation(body)
    if ascii_marks:
        result.warnings.append(
            Finding(
                "punctuation",
                _("有 %(n)s 处英文标点夹在中文之间（如“,”“(”），宜改为中文标点（“，”“（”）。")
                % {"n": ascii_marks},
            )
        )
    text = f"{title}\n{body}"
    if identity_numbers(text):
        result.warnings.append(
            Finding(
                "identity",
                _("正文中有身份证号码。建议提案将送承办单位并可能公开，请删去个人身份信息。"),
            )
        )
    if phone_numbers(text):
        result.warnings.append(
            Finding(
                "phone",
                _(
                    "正文中有电话号码。联系方式请在个人资料中填写，正文中的号码会随建议提案转给承办单位。"
                ),
            )
        )
    words = personal_case_words(text)
    if words:
        result.warnings.append(
            Finding(
                "personal",
                _(
                    "正文读起来像个人或家庭的具体事项（“%(words)s”）。涉及个人私事、具体案件的，"
                    "可能不予立案，宜通过信访等渠道反映。"
                )
                % {"words": "”“".join(words)},
            )
        )
    if with_similar and title:
        result.similar = find_similar(user, meeting, title, body, exclude)
        if result.similar:
            result.warnings.append(
                Finding(
                    "similar",
                    _(
                        "已有 %(n)s 件相似的建议提案（见下）。可以加入联名，或确认内容不同后继续撰写。"
                    )
                    % {"n": len(result.similar)},
                )
            )
    return result
