"""智能交办: what the system proposed for an item and what the supervisor then did with it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit

from .items import Proposal


class RoutingMode(models.TextChoices):
    SINGLE = "single", _("逐件交办")
    BATCH = "batch", _("批量交办")
    BATCH_ADOPT = "batch_adopt", _("批量采用建议")


class RoutingDecision(models.Model):
    """One proposal of units that was shown to a supervisor and then acted on (交办). Written
    only by services.proposal_assign, in the same transaction as the assignments."""

    proposal = models.ForeignKey(
        Proposal,
        on_delete=models.CASCADE,
        related_name="routing_decisions",
        verbose_name=_("建议提案"),
    )
    proposed_lead = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("推荐主办单位"),
    )
    proposed_lead_confidence = models.FloatField(_("推荐主办单位的置信度"), default=0.0)
    # [{"unit": pk, "confidence": 0.42}, …], best first
    proposed_co = models.JSONField(_("推荐会办单位"), default=list, blank=True)
    chosen_lead = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("实际主办单位"),
    )
    chosen_co = models.JSONField(_("实际会办单位"), default=list, blank=True)  # [pk, …]
    chosen_separate = models.JSONField(_("实际分办单位"), default=list, blank=True)  # [pk, …]
    lead_accepted = models.BooleanField(_("采用推荐的主办单位"), default=False)
    accepted = models.BooleanField(_("完全采用建议"), default=False)
    mode = models.CharField(_("方式"), max_length=20, choices=RoutingMode.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("交办人"),
    )
    decided_at = models.DateTimeField(_("交办时间"), default=timezone.now)

    class Meta:
        verbose_name = _("智能交办记录")
        verbose_name_plural = _("智能交办记录")
        ordering = ["-decided_at", "-pk"]
        indexes = [models.Index(fields=["decided_at"])]

    def __str__(self) -> str:
        outcome = _("采用建议") if self.accepted else _("改变建议")
        return f"{self.proposal} · {outcome}"
