"""Meetings, categories, items (建议/提案), co-signers, attachments and the event log.

Fields, constraints and small derived properties only: every change of state goes through
services.py.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Body

from .. import workdays
from ..querysets import ProposalManager
from ..sections import shown_sections
from ..sections import validate_policy as validate_section_policy
from ..separators import clauses


def default_result_classes() -> list[dict[str, Any]]:
    return [
        {"code": "A", "label": "A类", "description": "所提问题已经解决或基本解决"},
        {
            "code": "B",
            "label": "B类",
            "description": "所提问题正在解决或已列入计划逐步解决",
            "follow_up": True,
        },
        {"code": "C", "label": "C类", "description": "因条件限制需待以后解决，作出说明"},
    ]


def default_reminder_offsets() -> list[int]:
    return [15, 7, 3, 1]


class ContactRequirement(models.TextChoices):
    NONE = "none", _("不要求")
    KEY_ITEMS = "key", _("重点建议提案须答复前沟通")
    ALL_ITEMS = "all", _("全部建议提案须答复前沟通")


class ClassMarkLabels(models.TextChoices):
    """How the letter prints the answer class: its code (A, B, C) or 甲乙丙丁 by its order."""

    CODE = "code", _("按类别代码，如 A、B、C、D")
    STEMS = "stems", _("甲、乙、丙、丁（按类别顺序）")


class ClassMarkBrackets(models.TextChoices):
    NONE = "none", _("不加括号，如 A")
    LENTICULAR = "lenticular", _("方头括号，如【A】")
    ROUND = "round", _("圆括号，如（A）")


class PublicWording(models.TextChoices):
    AGREED = "同意公开", _("同意公开")
    PROACTIVE = "主动公开", _("主动公开")
    ON_REQUEST = "依申请公开", _("依申请公开")


class WithheldWording(models.TextChoices):
    WITHHELD = "不予公开", _("不予公开")
    ON_REQUEST = "依申请公开", _("依申请公开")


class SignerPlacement(models.TextChoices):
    """Where the letter prints 签发人: nowhere (信函格式 as most replies), at the top right of the
    marks (as 上行文 do), or after the signature."""

    NONE = "none", _("不印")
    MARKS = "marks", _("印在文号右下（签发人：某某，如上行文）")
    SIGNATURE = "signature", _("印在署名和日期之后")


class NumberingScope(models.TextChoices):
    """Whether registration numbers run across the meeting or per delegation prefix."""

    MEETING = "meeting", _("全会统一编号")
    PREFIX = "prefix", _("按代表团编号前缀分别编号")


class Meeting(models.Model):
    """One sitting of a 人大 or 政协 (市十四届人大三次会议) and the local rules that apply to it.

    The deadline and result-class fields are policy: every locality sets its own numbers.
    """

    body = models.CharField(_("所属"), max_length=10, choices=Body.choices)
    term = models.PositiveSmallIntegerField(_("届"))
    sitting = models.PositiveSmallIntegerField(_("次"))
    year = models.PositiveSmallIntegerField(_("年度"))
    name = models.CharField(
        _("会议全称"), max_length=100, help_text=_("如：杭州市第十四届人民代表大会第三次会议")
    )
    short_name = models.CharField(
        _("会议简称"), max_length=40, help_text=_("如：市十四届人大三次会议")
    )
    session_starts_on = models.DateField(_("大会开幕"))
    session_ends_on = models.DateField(_("大会闭幕"))
    submission_opens_at = models.DateTimeField(_("提交开始时间"))
    submission_closes_at = models.DateTimeField(
        _("提交截止时间"), help_text=_("闭会期间提出的建议提案也在此之前提交；联名确认同样以此为限")
    )
    number_format = models.CharField(
        _("编号格式"),
        max_length=40,
        default="第{number}号",
        help_text=_(
            "{number} 为序号，{prefix} 为代表团编号前缀，如：第{number}号、{prefix}{number}号"
        ),
    )
    numbering_scope = models.CharField(
        _("编号方式"),
        max_length=10,
        choices=NumberingScope.choices,
        default=NumberingScope.MEETING,
        help_text=_(
            "全会统一编号：各代表团接续编号（萧山1号、上城2号）；按前缀分别编号：每个编号前缀"
            "各自从1号起（萧山1号、上城1号），编号格式须含 {prefix}。已有编号后不能再改。"
        ),
    )
    body_max_chars = models.PositiveIntegerField(_("正文字数上限"), default=8000)
    # the sections a submission has (proposals.sections): [{key, label, required, min_length,
    # max_length}]; empty: the body's default (政协 案由 / 理由 / 办法, 人大 一段内容)
    sections = models.JSONField(
        _("提交格式（分项）"),
        default=list,
        blank=True,
        validators=[validate_section_policy],
        help_text=_(
            "留空则用默认格式：政协为案由、理由、办法三项，人大为一项内容。自定义时按顺序列出各项，"
            "写明每项的键名、名称、是否必填和字数上下限，写法见系统说明的“提交格式（分项）”一节。"
        ),
    )
    # Deadline policy (DESIGN.md "Deadlines and local rules"), used by the handling stages.
    reply_months = models.PositiveSmallIntegerField(_("答复期限（月，自交办起）"), default=3)
    extension_cap_months = models.PositiveSmallIntegerField(_("延期后总期限上限（月）"), default=6)
    co_opinion_months = models.PositiveSmallIntegerField(_("会办意见期限（月）"), default=1)
    return_window_working_days = models.PositiveSmallIntegerField(
        _("申请退回期限（工作日）"), default=5
    )
    rehandling_months = models.PositiveSmallIntegerField(_("重新办理期限（月）"), default=1)
    evaluation_working_days = models.PositiveSmallIntegerField(
        _("满意度测评期限（工作日）"), default=20
    )
    contact_requirement = models.CharField(
        _("答复前沟通要求"),
        max_length=10,
        choices=ContactRequirement.choices,
        default=ContactRequirement.KEY_ITEMS,
    )
    contact_working_days = models.PositiveSmallIntegerField(
        _("答复前沟通期限（工作日）"), default=15
    )
    publication_working_days = models.PositiveSmallIntegerField(
        _("答复公开日（发出后第几个工作日）"),
        default=1,
        help_text=_(
            "同意公开的答复在发出后第几个工作日在公开平台公开。默认1：发出后的下一个工作日，"
            "让代表委员先看到答复；0：发出当天公开。不能晚于公开最迟期限。"
        ),
    )
    disclosure_working_days = models.PositiveSmallIntegerField(
        _("答复公开最迟期限（工作日）"),
        default=20,
        help_text=_("同意公开的答复最迟在发出后第几个工作日公开，如“发出后20个工作日内公开”。"),
    )
    supervisor_review_required = models.BooleanField(_("答复须督办审核"), default=True)
    reply_cc = models.CharField(
        _("答复抄送"),
        max_length=300,
        blank=True,
        help_text=_("答复函默认抄送的督办机构，如：市人大常委会代表工作委员会，市政府督查室"),
    )
    reminder_offsets = models.JSONField(_("提醒提前天数"), default=default_reminder_offsets)
    result_classes = models.JSONField(_("答复类别"), default=default_result_classes)
    # What the reply letters print in their marks (replies.letter_parts): the class mark and the
    # disclosure mark at the top left, and 签发人
    letter_class_mark_shown = models.BooleanField(_("答复函印答复类别"), default=True)
    letter_class_mark_labels = models.CharField(
        _("答复类别的印法"),
        max_length=10,
        choices=ClassMarkLabels.choices,
        default=ClassMarkLabels.CODE,
    )
    letter_class_mark_brackets = models.CharField(
        _("答复类别的括号"),
        max_length=12,
        choices=ClassMarkBrackets.choices,
        default=ClassMarkBrackets.NONE,
    )
    letter_disclosure_mark_shown = models.BooleanField(_("答复函印公开属性"), default=True)
    letter_public_wording = models.CharField(
        _("公开的答复印作"),
        max_length=10,
        choices=PublicWording.choices,
        default=PublicWording.AGREED,
    )
    letter_withheld_wording = models.CharField(
        _("不公开的答复印作"),
        max_length=10,
        choices=WithheldWording.choices,
        default=WithheldWording.WITHHELD,
    )
    letter_signer_placement = models.CharField(
        _("签发人的印法"),
        max_length=10,
        choices=SignerPlacement.choices,
        default=SignerPlacement.SIGNATURE,
        help_text=_("签发人只印签发领导的姓名；没有姓名时不印。"),
    )

    class Meta:
        verbose_name = _("届次会议")
        verbose_name_plural = _("届次会议")
        ordering = ["-year", "body", "-term", "-sitting"]
        constraints = [
            models.UniqueConstraint(
                fields=["body", "term", "sitting"], name="meeting_unique_sitting"
            ),
            models.CheckConstraint(
                name="meeting_window_ordered",
                condition=Q(submission_closes_at__gt=models.F("submission_opens_at")),
                violation_error_message=_("提交截止时间必须晚于开始时间。"),
            ),
        ]

    def __str__(self) -> str:
        return self.short_name

    def clean(self) -> None:
        if (
            self.session_starts_on
            and self.session_ends_on
            and self.session_ends_on < self.session_starts_on
        ):
            raise ValidationError({"session_ends_on": _("大会闭幕日期不能早于开幕日期。")})
        if "{number}" not in (self.number_format or ""):
            raise ValidationError({"number_format": _("编号格式必须包含 {number}。")})
        codes = [c.get("code") for c in self.result_classes or [] if isinstance(c, dict)]
        if not codes or len(codes) != len(set(codes)):
            raise ValidationError({"result_classes": _("答复类别不能为空且代码不能重复。")})
        if (
            self.publication_working_days is not None
            and self.disclosure_working_days is not None
            and self.publication_working_days > self.disclosure_working_days
        ):
            raise ValidationError(
                {
                    "publication_working_days": _(
                        "公开日（发出后第%(day)s个工作日）不能晚于公开最迟期限"
                        "（发出后%(latest)s个工作日内）。"
                    )
                    % {"day": self.publication_working_days, "latest": self.disclosure_working_days}
                }
            )
        self._clean_numbering()

    def _clean_numbering(self) -> None:
        if self.numbering_scope == NumberingScope.PREFIX and "{prefix}" not in (
            self.number_format or ""
        ):
            raise ValidationError(
                {
                    "number_format": _(
                        "按代表团编号前缀分别编号时，编号格式须包含 {prefix}，"
                        "否则不同代表团会出现相同的编号。"
                    )
                }
            )
        if self.pk is None:
            return
        stored = (
            Meeting.objects.filter(pk=self.pk).values_list("numbering_scope", flat=True).first()
        )
        if (
            stored is not None
            and stored != self.numbering_scope
            and self.proposals.filter(number__isnull=False).exists()
        ):
            raise ValidationError(
                {
                    "numbering_scope": _(
                        "本次会议已有立案编号的建议提案，不能再改编号方式，以免编号重复或断号。"
                    )
                }
            )

    @property
    def item_kind(self) -> str:
        """The kind of item this body's members submit."""
        return ProposalKind.SUGGESTION if self.body == Body.NPC else ProposalKind.PROPOSAL

    def is_open_for_submission(self, at: datetime | None = None) -> bool:
        moment = at or timezone.now()
        return self.submission_opens_at <= moment < self.submission_closes_at

    def phase_on(self, day: datetime) -> str:
        local_day = timezone.localdate(day)
        if self.session_starts_on <= local_day <= self.session_ends_on:
            return Phase.DURING_SESSION
        return Phase.BETWEEN_SESSIONS

    def format_number(self, number: int, prefix: str = "") -> str:
        return self.number_format.replace("{prefix}", prefix).replace("{number}", str(number))

    # Deadlines from the policy. Months are calendar months; windows in working days follow
    # the official calendar (proposals.workdays).
    def reply_due_on(self, assigned_on: date) -> date:
        return workdays.add_months(assigned_on, self.reply_months)

    def extension_cap_on(self, assigned_on: date) -> date:
        return workdays.add_months(assigned_on, self.extension_cap_months)

    def co_opinion_due_on(self, assigned_on: date) -> date:
        return workdays.add_months(assigned_on, self.co_opinion_months)

    def return_window_ends_on(self, assigned_on: date) -> date:
        return workdays.add_working_days(assigned_on, self.return_window_working_days)

    def contact_due_on(self, assigned_on: date) -> date:
        return workdays.add_working_days(assigned_on, self.contact_working_days)

    def publication_on(self, sent_on: date) -> date:
        """The day a 同意公开 reply sent on `sent_on` appears on the public portal: the policy's
        publication day, never later than its latest day."""
        day = min(self.publication_working_days, self.disclosure_working_days)
        return workdays.add_working_days(sent_on, day)

    def publication_latest_on(self, sent_on: date) -> date:
        """The latest day the policy allows for publishing a reply sent on `sent_on`."""
        return workdays.add_working_days(sent_on, self.disclosure_working_days)

    def contact_required_for(self, proposal: Proposal) -> bool:
        if self.contact_requirement == ContactRequirement.ALL_ITEMS:
            return True
        return self.contact_requirement == ContactRequirement.KEY_ITEMS and proposal.is_key

    def policy_summary(self) -> list[str]:
        """The policy in plain words, as shown to users."""
        contact = dict(ContactRequirement.choices)[self.contact_requirement]
        classes = clauses(
            _("%(label)s：%(description)s") % {"label": c["label"], "description": c["description"]}
            for c in self.result_classes
        )
        return [
            _("承办单位自交办之日起 %(n)s 个月内答复；经批准延期的，总期限不超过 %(m)s 个月。")
            % {"n": self.reply_months, "m": self.extension_cap_months},
            _("会办单位自交办之日起 %(n)s 个月内向主办单位提出会办意见。")
            % {"n": self.co_opinion_months},
            _("交办不当的，承办单位应在交办后 %(n)s 个工作日内申请退回。")
            % {"n": self.return_window_working_days},
            _("代表委员不满意的，重新办理须在 %(n)s 个月内再次答复。")
            % {"n": self.rehandling_months},
            _("代表委员在收到答复后 %(n)s 个工作日内进行满意度测评。")
            % {"n": self.evaluation_working_days},
            _("%(contact)s（自交办起 %(n)s 个工作日内）")
            % {"contact": contact, "n": self.contact_working_days},
            self._publication_summary(),
            _("答复类别：%(classes)s") % {"classes": classes},
            self._numbering_summary(),
        ]

    def _publication_summary(self) -> str:
        day = min(self.publication_working_days, self.disclosure_working_days)
        when: str
        if day == 0:
            when = str(_("发出当天"))
        elif day == 1:
            when = str(_("发出后的下一个工作日"))
        else:
            when = _("发出后第 %(n)s 个工作日") % {"n": day}
        return _(
            "同意公开的答复于%(when)s在公开平台公开，最迟不超过发出后 %(latest)s 个工作日。"
        ) % {"when": when, "latest": self.disclosure_working_days}

    def _numbering_summary(self) -> str:
        if self.numbering_scope == NumberingScope.PREFIX:
            return str(_("编号：按代表团编号前缀分别编号，每个前缀各自从1号起。"))
        return str(_("编号：全会统一编号，各代表团接续排号。"))


class Category(models.Model):
    """A category tree per body (经济建设 › 城乡建设 …)."""

    body = models.CharField(_("所属"), max_length=10, choices=Body.choices)
    name = models.CharField(_("名称"), max_length=60)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级类别"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    position = models.PositiveSmallIntegerField(_("排序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("类别")
        verbose_name_plural = _("类别")
        ordering = ["body", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["body", "parent", "name"], name="category_unique_name"),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id and self.parent else self.name

    def clean(self) -> None:
        if self.parent is not None and self.parent.body != self.body:
            raise ValidationError({"parent": _("上级类别必须属于同一机构。")})


class ProposalKind(models.TextChoices):
    SUGGESTION = "suggestion", _("建议")
    PROPOSAL = "proposal", _("提案")


class Phase(models.TextChoices):
    DURING_SESSION = "during", _("大会期间")
    BETWEEN_SESSIONS = "between", _("闭会期间")


class ProposalStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待审查")
    REGISTERED = "registered", _("已立案")
    REJECTED = "rejected", _("不予立案")
    MERGED = "merged", _("已并案")
    CONVERTED = "converted", _("转为意见")
    WITHDRAWN = "withdrawn", _("已撤案")
    ASSIGNED = "assigned", _("已交办")
    REPLIED = "replied", _("已答复")
    EVALUATED = "evaluated", _("已测评")
    CLOSED = "closed", _("已办结")


# Handling has ended for good: 办结, or 撤案 by the lead. No step changes such an item any more.
HANDLING_ENDED_STATUSES = (ProposalStatus.CLOSED, ProposalStatus.WITHDRAWN)


class RejectionGround(models.TextChoices):
    NOT_COMPETENCE = "not_competence", _("不属于本行政区域或本级职权范围")
    PERSONAL_MATTER = "personal_matter", _("涉及个人或家庭私事、具体案件")
    NO_CONTENT = "no_content", _("内容空泛、无具体建议")
    SECRET = "secret", _("涉及国家秘密或不宜公开讨论的事项")
    ADVERTISING = "advertising", _("为本人、亲友或本单位谋利")
    OTHER = "other", _("其他")


class Proposal(models.Model):
    """A 建议 or 提案. `status` changes only through services.py."""

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("届次会议"), on_delete=models.PROTECT, related_name="proposals"
    )
    kind = models.CharField(_("类型"), max_length=20, choices=ProposalKind.choices)
    title = models.CharField(_("标题"), max_length=100)
    category = models.ForeignKey(
        Category,
        verbose_name=_("类别"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
    )
    # the texts of all sections joined (proposals.sections), or the one text of an item written
    # without sections: search and similar items read this
    body = models.TextField(_("正文"))
    # [{key, label, text}] per the meeting's sections when written; empty for one text
    sections = models.JSONField(_("分项内容"), default=list, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("领衔人"),
        on_delete=models.PROTECT,
        related_name="led_proposals",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    phase = models.CharField(_("提出时段"), max_length=10, choices=Phase.choices, blank=True)
    number = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    number_label = models.CharField(_("编号"), max_length=40, blank=True)
    # how the number was given (the meeting's policy at registration) and the prefix it used:
    # numbers are unique per meeting and kind, or per prefix as well (proposal_unique_number*)
    number_scope = models.CharField(
        _("编号方式"), max_length=10, choices=NumberingScope.choices, default=NumberingScope.MEETING
    )
    number_prefix = models.CharField(_("编号前缀"), max_length=20, blank=True)
    is_key = models.BooleanField(_("重点"), default=False)
    leading_official = models.CharField(_("牵头领导"), max_length=60, blank=True)
    supervising_units = models.CharField(_("督办单位"), max_length=200, blank=True)
    rejection_ground = models.CharField(
        _("不予立案理由"), max_length=30, choices=RejectionGround.choices, blank=True
    )
    review_note = models.TextField(_("审查意见"), blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("并入"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_items",
    )
    withdrawal_reason = models.TextField(_("撤案理由"), blank=True)
    closing_note = models.TextField(_("办结说明"), blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审查时间"), null=True, blank=True)
    # bigram terms of title and body (proposals.search); GIN-indexed on PostgreSQL
    search_vector = SearchVectorField(null=True, editable=False)

    objects = ProposalManager()

    class Meta:
        verbose_name = _("建议提案")
        verbose_name_plural = _("建议提案")
        ordering = ["-submitted_at", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "kind", "number"],
                condition=Q(number__isnull=False, number_scope="meeting"),
                name="proposal_unique_number",
            ),
            models.UniqueConstraint(
                fields=["meeting", "kind", "number_prefix", "number"],
                condition=Q(number__isnull=False, number_scope="prefix"),
                name="proposal_unique_number_per_prefix",
            ),
            models.CheckConstraint(
                name="proposal_number_has_label",
                condition=Q(number__isnull=True) | ~Q(number_label=""),
            ),
        ]
        indexes = [
            models.Index(fields=["meeting", "kind", "status"]),
            models.Index(fields=["status", "submitted_at"]),
            # the item list's order: the first page without sorting every visible item
            models.Index(fields=["-submitted_at", "-created_at"], name="proposal_list_order"),
            # the dashboard's counts per meeting and status, without reading the wide rows
            models.Index(
                fields=["meeting", "status"],
                include=["id", "submitted_at", "number", "is_key"],
                name="proposal_meeting_status_cov",
            ),
            models.Index(fields=["lead", "status"]),
            # the supervisor's 待交办 queue, registered longest ago first
            models.Index(fields=["status", "reviewed_at"], name="proposal_status_reviewed"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def display_number(self) -> str:
        return self.number_label or str(_("（未编号）"))

    @property
    def text_sections(self) -> list[Any]:
        """The sections shown with their labels (proposals.sections); none for one text."""
        return shown_sections(self)

    @property
    def is_draft(self) -> bool:
        return self.status == ProposalStatus.DRAFT

    @property
    def handling_ended(self) -> bool:
        """办结 or 撤案: the item is read-only from now on."""
        return self.status in HANDLING_ENDED_STATUSES


class CoSignerStatus(models.TextChoices):
    INVITED = "invited", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    DECLINED = "declined", _("已谢绝")
    CANCELLED = "cancelled", _("已取消")
    LAPSED = "lapsed", _("逾期未确认")


class CoSigner(models.Model):
    """An invitation to co-sign (联名/附议). Only a confirmation before the deadline counts."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="cosigners", verbose_name=_("建议提案")
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cosignatures",
        verbose_name=_("联名人"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=CoSignerStatus.choices, default=CoSignerStatus.INVITED
    )
    invited_at = models.DateTimeField(_("邀请时间"), default=timezone.now)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("联名人")
        verbose_name_plural = _("联名人")
        ordering = ["invited_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "member"], name="cosigner_unique_member")
        ]
        indexes = [models.Index(fields=["member", "status"])]

    def __str__(self) -> str:
        return f"{self.member} → {self.proposal}"


def attachment_upload_to(instance: Attachment, filename: str) -> str:
    # The stored name is random: the member's file name is kept only as data.
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("建议提案")
    )
    file = models.FileField(_("文件"), upload_to=attachment_upload_to)
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("上传人")
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class EventAction(models.TextChoices):
    CREATED = "created", _("创建草稿")
    EDITED = "edited", _("修改草稿")
    ATTACHMENT_ADDED = "attachment_added", _("上传附件")
    ATTACHMENT_REMOVED = "attachment_removed", _("删除附件")
    COSIGNER_INVITED = "cosigner_invited", _("邀请联名")
    COSIGNER_CANCELLED = "cosigner_cancelled", _("取消联名邀请")
    COSIGNER_CONFIRMED = "cosigner_confirmed", _("确认联名")
    COSIGNER_DECLINED = "cosigner_declined", _("谢绝联名")
    SUBMITTED = "submitted", _("提交")
    WITHDRAWN = "withdrawn", _("撤案")
    REGISTERED = "registered", _("立案")
    REJECTED = "rejected", _("不予立案")
    MERGED = "merged", _("并案")
    CONVERTED = "converted", _("转为意见")
    ASSIGNED = "assigned", _("交办")
    ACCEPTED = "accepted", _("签收")
    RETURN_REQUESTED = "return_requested", _("申请退回")
    RETURN_LEADER_APPROVED = "return_leader_approved", _("单位负责人同意退回")
    RETURN_LEADER_REFUSED = "return_leader_refused", _("单位负责人不同意退回")
    RETURN_APPROVED = "return_approved", _("同意退回并调整承办单位")
    RETURN_REFUSED = "return_refused", _("不同意退回")
    EXTENSION_REQUESTED = "extension_requested", _("申请延期")
    EXTENSION_LEADER_APPROVED = "extension_leader_approved", _("单位负责人同意延期")
    EXTENSION_LEADER_REFUSED = "extension_leader_refused", _("单位负责人不同意延期")
    EXTENSION_APPROVED = "extension_approved", _("同意延期")
    EXTENSION_REFUSED = "extension_refused", _("不同意延期")
    CO_OPINION_SUBMITTED = "co_opinion_submitted", _("会办意见送审")
    CO_OPINION_SENT_BACK = "co_opinion_sent_back", _("会办意见退回修改")
    CO_OPINION_SENT = "co_opinion_sent", _("会办意见送达主办单位")
    CONTACT_RECORDED = "contact_recorded", _("答复前沟通")
    CONTACT_CONFIRMED = "contact_confirmed", _("确认沟通记录")
    CONTACT_DISPUTED = "contact_disputed", _("对沟通记录有异议")
    REPLY_SUBMITTED = "reply_submitted", _("答复送签")
    REPLY_SENT_BACK = "reply_sent_back", _("答复退回修改")
    REPLY_SIGNED = "reply_signed", _("签发答复")
    REPLY_CLASS_CHANGED = "reply_class_changed", _("督办调整答复类别")
    REPLY_APPROVED = "reply_approved", _("督办审核通过")
    REPLY_SENT = "reply_sent", _("答复发出")
    REPLY_CORRECTED = "reply_corrected", _("答复更正")
    EVALUATED = "evaluated", _("满意度测评")
    EVALUATION_ENTERED = "evaluation_entered", _("录入纸质测评")
    EVALUATION_REVISED = "evaluation_revised", _("修改测评")
    REHANDLING_ORDERED = "rehandling_ordered", _("重新办理")
    CLOSED = "closed", _("办结")
    FOLLOW_UP_RECORDED = "follow_up_recorded", _("登记落实承诺")
    FOLLOW_UP_PROGRESS = "follow_up_progress", _("报送落实进展")
    FOLLOW_UP_DECIDED = "follow_up_decided", _("认定落实情况")
    URGED = "urged", _("催办")
    IMPORTED = "imported", _("导入")


class ProposalEventQuerySet(models.QuerySet["ProposalEvent"]):
    def update(self, **kwargs: object) -> int:
        raise ValidationError(_("办理记录只能追加，不能修改。"))

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("办理记录只能追加，不能删除。"))


class ProposalEvent(models.Model):
    """The append-only event log: who did what to an item, when, from which state to which."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="events", verbose_name=_("建议提案")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        verbose_name=_("操作人"),
    )
    created_at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    action = models.CharField(_("操作"), max_length=40, choices=EventAction.choices)
    from_status = models.CharField(
        _("原状态"), max_length=20, choices=ProposalStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("新状态"), max_length=20, choices=ProposalStatus.choices, blank=True
    )
    note = models.TextField(_("说明"), blank=True)
    # a note the system wrote (not one a person typed) as its message and parameters, so that
    # each reader reads it in their own language (accounts.language.Text); `note` keeps it in the
    # office's language for exports, search and the admin
    note_text = models.JSONField(_("说明（多语言）"), default=dict, blank=True, editable=False)
    # whom the note concerns, for who may read it (proposals/event_visibility.py): the unit
    # whose request, reply, opinion or rating it is, and the member whose rating it is
    unit = models.ForeignKey(
        "accounts.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所涉单位"),
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("所涉代表委员"),
    )

    objects = ProposalEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("办理记录")
        verbose_name_plural = _("办理记录")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["proposal", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} · {self.proposal_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise ValidationError(_("办理记录只能追加，不能修改。"))
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValidationError(_("办理记录只能追加，不能删除。"))

    def localized_note(self) -> str:
        """The note in the active language: a system-written note rendered from its message,
        a typed one as it was typed."""
        if self.note_text:
            from accounts.language import Text

            return Text.from_json(self.note_text).render()
        return self.note
