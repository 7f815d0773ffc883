"""Replies (答复函), their saved versions, document-number counters and letter PDFs.

Fields and constraints only; every change goes through services.py.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from proposals.models import Assignment, Proposal
from proposals.querysets import WithoutSearchVector


class ReplyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("待签发")
    IN_REVIEW = "in_review", _("待督办审核")
    SENT = "sent", _("已发出")
    SUPERSEDED = "superseded", _("已更正")


OPEN_REPLY_STATUSES = (ReplyStatus.DRAFT, ReplyStatus.SUBMITTED, ReplyStatus.IN_REVIEW)


class Disclosure(models.TextChoices):
    PUBLIC = "public", _("同意公开")
    WITHHELD = "withheld", _("不予公开")


class WithoutSearchTerms(WithoutSearchVector):
    """Leaves the search vector and the stored public search text in the database: both are
    read by SQL only (the portal's search)."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().defer("public_text")


class Reply(models.Model):
    """An official reply letter of a lead or separate unit. Once sent it is immutable; a
    correction is a new Reply marked 更正 that keeps the document number."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="replies", verbose_name=_("交办")
    )
    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="replies", verbose_name=_("建议提案")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="replies", verbose_name=_("答复单位")
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ReplyStatus.choices, default=ReplyStatus.DRAFT
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("更正的答复"),
    )
    document_number = models.CharField(_("文号"), max_length=60, blank=True)
    document_year = models.PositiveSmallIntegerField(_("文号年份"), null=True, blank=True)
    document_serial = models.PositiveIntegerField(_("文号序号"), null=True, blank=True)
    result_class = models.CharField(_("答复类别"), max_length=10, blank=True)
    disclosure = models.CharField(
        _("公开属性"), max_length=10, choices=Disclosure.choices, default=Disclosure.PUBLIC
    )
    withheld_reason = models.TextField(_("不予公开理由"), blank=True)
    title = models.CharField(_("标题"), max_length=200)
    salutation = models.CharField(_("称呼"), max_length=200)
    opening = models.TextField(_("开头"))
    body_html = models.TextField(_("正文"), blank=True)
    thanks = models.TextField(_("结束语"), blank=True)
    signing_unit = models.CharField(_("署名单位"), max_length=100)
    signed_on = models.DateField(_("成文日期"), null=True, blank=True)
    signer_name = models.CharField(_("签发人"), max_length=40, blank=True)
    contact_person = models.CharField(_("联系人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=40, blank=True)
    cc = models.TextField(_("抄送"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    submitted_at = models.DateTimeField(_("送签时间"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签发人"),
    )
    signed_at = models.DateTimeField(_("签发时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    sent_at = models.DateTimeField(_("发出时间"), null=True, blank=True, db_index=True)
    return_comment = models.TextField(_("退回意见"), blank=True)
    # when the public portal shows it: the policy's publication day after sending, unless
    # 不予公开; and the latest day the policy allowed when it was sent (发出后N个工作日内公开)
    publish_on = models.DateField(_("公开日期"), null=True, blank=True, db_index=True)
    publish_by = models.DateField(_("最迟公开日期"), null=True, blank=True)
    evaluation_until = models.DateField(_("测评截止"), null=True, blank=True, db_index=True)
    search_vector = SearchVectorField(null=True, editable=False)
    # the reply as the public reads it (members' details hidden: replies.public.public_search_text),
    # set when it is sent: the portal's search matches this, never the text as written, so that
    # no search finds what the page hides (on SQLite it is the whole search, on PostgreSQL the
    # check of a phrase after the index)
    public_text = models.TextField(_("公开检索文本"), blank=True, editable=False)

    objects = WithoutSearchTerms()

    class Meta:
        verbose_name = _("答复")
        verbose_name_plural = _("答复")
        ordering = ["-sent_at", "-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(status__in=["draft", "submitted", "in_review"]),
                name="reply_one_open_per_assignment",
            ),
            models.UniqueConstraint(
                fields=["unit", "document_year", "document_serial"],
                condition=Q(corrects__isnull=True, document_serial__isnull=False),
                name="reply_unique_document_number",
            ),
        ]
        indexes = [
            models.Index(fields=["proposal", "status"]),
            models.Index(fields=["status", "sent_at"]),
            # the portal's list, newest first, and its count: published replies only
            models.Index(
                F("publish_on").desc(),
                F("id").desc(),
                condition=Q(status="sent", disclosure="public", publish_on__isnull=False),
                name="reply_portal_order",
            ),
            # the dashboard's and scorecards' counts of sent replies, without the wide rows
            models.Index(
                fields=["status", "result_class"],
                include=["proposal", "unit", "disclosure"],
                name="reply_status_class_cov",
            ),
            # a unit's workbench: its drafts sent back, its sent B-class replies (落实情况)
            models.Index(
                fields=["unit", "status", "result_class"],
                include=["proposal"],
                name="reply_unit_status_class",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_correction(self) -> bool:
        return self.corrects_id is not None

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REPLY_STATUSES

    @property
    def is_published(self) -> bool:
        """On the public portal today (as replies.public.published() reads it)."""
        return (
            self.status == ReplyStatus.SENT
            and self.disclosure == Disclosure.PUBLIC
            and self.publish_on is not None
            and self.publish_on <= timezone.localdate()
        )

    def result_class_label(self) -> str:
        for entry in self.proposal.meeting.result_classes:
            if entry.get("code") == self.result_class:
                return str(entry.get("label", self.result_class))
        return self.result_class


class ReplyVersion(models.Model):
    """Every save of a draft keeps a snapshot, so nothing typed is ever lost."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    snapshot = models.JSONField(_("内容"))
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    saved_at = models.DateTimeField(_("保存时间"), default=timezone.now)

    class Meta:
        verbose_name = _("答复版本")
        verbose_name_plural = _("答复版本")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "number"], name="reply_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.reply} v{self.number}"


class DocumentCounter(models.Model):
    """The last serial of a unit's document numbers in a year (株民复字〔2020〕11号)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_serial = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="document_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.unit.short_name} {self.year}: {self.last_serial}"


class LetterStatus(models.TextChoices):
    PENDING = "pending", _("待生成")
    RENDERING = "rendering", _("生成中")
    READY = "ready", _("已生成")
    FAILED = "failed", _("生成失败")


def letter_upload_to(instance: Letter, filename: str) -> str:
    return f"letters/{timezone.now():%Y/%m}/{filename}"


class Letter(models.Model):
    """The official letter PDF of a sent reply, rendered in the background."""

    reply = models.OneToOneField(Reply, on_delete=models.PROTECT, related_name="letter")
    status = models.CharField(
        _("状态"), max_length=20, choices=LetterStatus.choices, default=LetterStatus.PENDING
    )
    file = models.FileField(_("文件"), upload_to=letter_upload_to, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    # the portal's copy, with members' phone numbers and addresses hidden, when that changes anything
    public_file = models.FileField(_("公开版文件"), upload_to=letter_upload_to, blank=True)
    # the fingerprint of the texts the public copy was rendered from (replies.public.public_digest):
    # when the hidden texts change (a member's new number, a spelling now hidden too), the portal
    # serves no stale copy but has it rendered again
    public_digest = models.CharField(_("公开版指纹"), max_length=64, blank=True)
    page_count = models.PositiveSmallIntegerField(_("页数"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    queued_at = models.DateTimeField(_("排队时间"), default=timezone.now)
    rendered_at = models.DateTimeField(_("生成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("答复函PDF")
        verbose_name_plural = _("答复函PDF")
        indexes = [models.Index(fields=["status", "queued_at"])]

    def __str__(self) -> str:
        return f"{self.reply} ({self.get_status_display()})"


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY_SATISFIED = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Evaluation(models.Model):
    """满意度测评 of one reply by one signer: the handling work and the result, whether the unit
    made contact and whether face to face, and a comment. Entered by the member, or from a paper
    form by the supervisory office (recorded as such). Changed later only by a supervisor, with a
    logged reason."""

    reply = models.ForeignKey(
        Reply, on_delete=models.PROTECT, related_name="evaluations", verbose_name=_("答复")
    )
    evaluator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="evaluations",
        verbose_name=_("测评人"),
    )
    work_rating = models.CharField(_("办理工作（态度）"), max_length=20, choices=Rating.choices)
    result_rating = models.CharField(_("办理结果"), max_length=20, choices=Rating.choices)
    contacted = models.BooleanField(_("承办单位是否与您联系"))
    face_to_face = models.BooleanField(_("是否当面沟通"))
    comment = models.TextField(_("意见和建议"), blank=True)
    submitted_at = models.DateTimeField(_("测评时间"), default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("录入人"),
    )
    on_paper = models.BooleanField(_("纸质测评表录入"), default=False)
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("修改人"),
    )
    revised_at = models.DateTimeField(_("修改时间"), null=True, blank=True)
    revision_reason = models.TextField(_("修改理由"), blank=True)

    class Meta:
        verbose_name = _("满意度测评")
        verbose_name_plural = _("满意度测评")
        ordering = ["submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["reply", "evaluator"], name="evaluation_one_per_signer")
        ]
        indexes = [
            # the office's 不满意 queue starts from the few unsatisfied answers
            models.Index(
                fields=["reply"],
                condition=Q(work_rating="unsatisfied") | Q(result_rating="unsatisfied"),
                name="evaluation_unsatisfied",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.evaluator} → {self.reply}"

    @property
    def is_satisfied(self) -> bool:
        """满意 or 基本满意 on both counts."""
        return Rating.UNSATISFIED not in (self.work_rating, self.result_rating)


class FollowUpStatus(models.TextChoices):
    OPEN = "open", _("落实中")
    FULFILLED = "fulfilled", _("已落实")
    NOT_FULFILLED = "not_fulfilled", _("未落实")
    # the item was closed (办结) before the office decided: like its unfinished assignments, the
    # follow-up ends with it (after 办结 nothing changes) and stops counting as open work
    ENDED = "ended", _("随件办结（未认定）")


class FollowUp(models.Model):
    """落实情况 of a B-class reply: what was promised and by when, followed until fulfilled or
    until the item closes."""

    reply = models.OneToOneField(
        Reply, on_delete=models.PROTECT, related_name="follow_up", verbose_name=_("答复")
    )
    promise = models.TextField(_("承诺事项"))
    due_on = models.DateField(_("承诺完成日期"), db_index=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("认定人"),
    )
    decided_at = models.DateTimeField(_("认定时间"), null=True, blank=True)
    decision_note = models.TextField(_("认定意见"), blank=True)

    class Meta:
        verbose_name = _("落实情况")
        verbose_name_plural = _("落实情况")
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.reply} · {self.get_status_display()}"


class FollowUpProgress(models.Model):
    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="progress")
    text = models.TextField(_("进展"))
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("落实进展")
        verbose_name_plural = _("落实进展")
        ordering = ["posted_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]
