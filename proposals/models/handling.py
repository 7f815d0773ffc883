"""Handling by units: assignments (交办), return and extension requests, co-handling opinions and
contact records. Fields and constraints only; every change goes through services."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit

from ..querysets import AssignmentQuerySet
from .items import Proposal


class AssignmentRole(models.TextChoices):
    LEAD = "lead", _("主办")
    CO = "co", _("会办")
    SEPARATE = "separate", _("分办")


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待签收")
    ACCEPTED = "accepted", _("办理中")
    OPINION_SENT = "opinion_sent", _("已提交会办意见")
    REPLIED = "replied", _("已答复")
    RETURNED = "returned", _("已退回")


ACTIVE_ASSIGNMENT_STATUSES = (
    AssignmentStatus.ASSIGNED,
    AssignmentStatus.ACCEPTED,
    AssignmentStatus.OPINION_SENT,
    AssignmentStatus.REPLIED,
)
OPEN_ASSIGNMENT_STATUSES = (AssignmentStatus.ASSIGNED, AssignmentStatus.ACCEPTED)
# Still running: not finished by the unit, and not ended with the item. When an item is closed
# (办结) or withdrawn (撤案) its unfinished assignments (a 会办 unit that never sent its opinion)
# keep their status and get `ended_at`: they stop counting as open or overdue work.
OPEN_ASSIGNMENT = Q(status__in=OPEN_ASSIGNMENT_STATUSES, ended_at__isnull=True)


class Assignment(models.Model):
    """One unit's part in handling an item in one round (交办). A returned assignment stays as
    history with status `returned`; the constraints hold only over the others."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("建议提案")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("承办单位")
    )
    role = models.CharField(_("承办方式"), max_length=10, choices=AssignmentRole.choices)
    round = models.PositiveSmallIntegerField(_("办理轮次"), default=1)
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=AssignmentStatus.choices,
        default=AssignmentStatus.ASSIGNED,
    )
    assigned_at = models.DateTimeField(_("交办时间"), default=timezone.now)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("交办人"),
    )
    due_on = models.DateField(_("办理期限"))
    original_due_on = models.DateField(_("原定期限"))
    return_until = models.DateField(_("可申请退回至"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签收人"),
    )
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("交办")
        verbose_name_plural = _("交办")
        ordering = ["proposal", "round", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "unit", "round"],
                condition=~Q(status="returned"),
                name="assignment_one_per_unit_per_round",
            ),
            models.UniqueConstraint(
                fields=["proposal", "round"],
                condition=Q(role="lead") & ~Q(status="returned"),
                name="assignment_one_lead_per_round",
            ),
        ]
        indexes = [
            models.Index(fields=["unit", "status", "due_on"]),
            models.Index(fields=["status", "due_on"]),
            models.Index(fields=["status", "return_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.unit.short_name} {self.get_role_display()} · {self.proposal}"

    @property
    def is_active(self) -> bool:
        return self.status != AssignmentStatus.RETURNED

    @property
    def is_open(self) -> bool:
        """Still running (see OPEN_ASSIGNMENT)."""
        return self.status in OPEN_ASSIGNMENT_STATUSES and self.ended_at is None

    @property
    def status_label(self) -> str:
        """The status as people read it: an unfinished part ended with its item says so."""
        if self.status in OPEN_ASSIGNMENT_STATUSES and self.ended_at is not None:
            return str(_("办理终止"))
        return str(self.get_status_display())

    @property
    def gives_reply(self) -> bool:
        """Lead and separate units reply to the member; co units send opinions to the lead."""
        return self.role in (AssignmentRole.LEAD, AssignmentRole.SEPARATE)

    def days_left(self, today: date | None = None) -> int:
        return (self.due_on - (today or timezone.localdate())).days


class RequestStatus(models.TextChoices):
    PENDING_LEADER = "pending_leader", _("待单位负责人审核")
    PENDING_SUPERVISOR = "pending_supervisor", _("待督办审核")
    APPROVED = "approved", _("已同意")
    REFUSED_BY_LEADER = "refused_by_leader", _("单位负责人未同意")
    REFUSED = "refused", _("督办未同意")


PENDING_REQUEST_STATUSES = (RequestStatus.PENDING_LEADER, RequestStatus.PENDING_SUPERVISOR)


class UnitRequest(models.Model):
    """What return and extension requests share: a reason, the leader's and supervisor's say."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="+", verbose_name=_("交办")
    )
    reason = models.TextField(_("理由"))
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=RequestStatus.choices,
        default=RequestStatus.PENDING_LEADER,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("申请人"),
    )
    requested_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("单位负责人"),
    )
    leader_note = models.TextField(_("单位负责人意见"), blank=True)
    leader_decided_at = models.DateTimeField(_("负责人审核时间"), null=True, blank=True)
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("督办人员"),
    )
    supervisor_note = models.TextField(_("督办意见"), blank=True)
    decided_at = models.DateTimeField(_("督办审核时间"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-requested_at"]

    @property
    def is_pending(self) -> bool:
        return self.status in PENDING_REQUEST_STATUSES


class ReturnRequest(UnitRequest):
    """申请退回 (调整): the unit says the item is not theirs to handle."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="return_requests", verbose_name=_("交办")
    )

    class Meta(UnitRequest.Meta):
        verbose_name = _("退回申请")
        verbose_name_plural = _("退回申请")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(status__in=["pending_leader", "pending_supervisor"]),
                name="return_request_one_pending",
            )
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return gettext("%(unit)s退回申请") % {"unit": self.assignment.unit.short_name}


class ExtensionRequest(UnitRequest):
    """申请延期: a later due date, never past the policy's cap."""

    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        related_name="extension_requests",
        verbose_name=_("交办"),
    )
    requested_due_on = models.DateField(_("申请延至"))
    previous_due_on = models.DateField(_("原期限"))
    # the supervisor may grant an earlier date than requested (never a later one)
    granted_due_on = models.DateField(_("同意延至"), null=True, blank=True)

    class Meta(UnitRequest.Meta):
        verbose_name = _("延期申请")
        verbose_name_plural = _("延期申请")
        constraints = [
            models.UniqueConstraint(
                fields=["assignment"],
                condition=Q(status__in=["pending_leader", "pending_supervisor"]),
                name="extension_request_one_pending",
            )
        ]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return gettext("%(unit)s延期申请") % {"unit": self.assignment.unit.short_name}

    @property
    def granted_earlier(self) -> bool:
        """Granted, to an earlier date than the unit asked for."""
        return self.granted_due_on is not None and self.granted_due_on != self.requested_due_on


class CoOpinionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PENDING_LEADER = "pending_leader", _("待单位负责人审核")
    SENT = "sent", _("已送主办单位")


class CoOpinion(models.Model):
    """会办意见: a co-handling unit's opinion, approved by its leader, sent to the lead unit."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.PROTECT, related_name="co_opinion", verbose_name=_("会办交办")
    )
    text = models.TextField(_("会办意见"))
    status = models.CharField(
        _("状态"), max_length=20, choices=CoOpinionStatus.choices, default=CoOpinionStatus.DRAFT
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("起草人"),
    )
    updated_at = models.DateTimeField(_("修改时间"), auto_now=True)
    leader_comment = models.TextField(_("负责人意见"), blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("签发人"),
    )
    sent_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("会办意见")
        verbose_name_plural = _("会办意见")
        indexes = [
            # the workbenches' opinions waiting for a leader or sent back: the few not yet sent
            models.Index(
                fields=["status"], condition=~Q(status="sent"), name="co_opinion_unsent_status"
            ),
        ]

    def __str__(self) -> str:
        return gettext("%(unit)s会办意见") % {"unit": self.assignment.unit.short_name}


class ContactMethod(models.TextChoices):
    FACE_TO_FACE = "face_to_face", _("面商")
    PHONE = "phone", _("电话")
    MEETING = "meeting", _("座谈")
    VISIT = "visit", _("走访")
    WRITTEN = "written", _("书面")


FACE_TO_FACE_METHODS = (ContactMethod.FACE_TO_FACE, ContactMethod.MEETING, ContactMethod.VISIT)


class ContactResponse(models.TextChoices):
    PENDING = "pending", _("待代表委员确认")
    CONFIRMED = "confirmed", _("代表委员已确认")
    DISPUTED = "disputed", _("代表委员有异议")


class ContactRecord(models.Model):
    """答复前沟通: the unit records a contact with the member, who confirms or disputes it."""

    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="contacts", verbose_name=_("交办")
    )
    method = models.CharField(_("沟通方式"), max_length=20, choices=ContactMethod.choices)
    contacted_on = models.DateField(_("沟通日期"))
    participants = models.CharField(_("参加人员"), max_length=300)
    notes = models.TextField(_("沟通情况"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)
    response = models.CharField(
        _("代表委员确认"),
        max_length=20,
        choices=ContactResponse.choices,
        default=ContactResponse.PENDING,
    )
    response_comment = models.TextField(_("代表委员意见"), blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("确认人"),
    )
    responded_at = models.DateTimeField(_("确认时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("答复前沟通")
        verbose_name_plural = _("答复前沟通")
        ordering = ["contacted_on", "pk"]
        indexes = [
            # the workbenches' contacts to confirm and disputed ones: the few not confirmed
            models.Index(
                fields=["response"],
                condition=~Q(response="confirmed"),
                name="contact_unconfirmed_response",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.contacted_on}"

    @property
    def is_face_to_face(self) -> bool:
        return self.method in FACE_TO_FACE_METHODS
