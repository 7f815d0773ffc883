"""Reminders before deadlines and escalations after them. One row per reminder that must be sent
once: the unique constraint makes a repeated or concurrent sweep a no-op."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    REPLY = "reply", _("答复期限")
    CO_OPINION = "co_opinion", _("会办意见期限")
    RETURN_WINDOW = "return_window", _("申请退回期限")
    EVALUATION = "evaluation", _("满意度测评期限")
    FOLLOW_UP = "follow_up", _("落实期限")
    OVERDUE_LEADER = "overdue_leader", _("逾期（单位负责人）")
    OVERDUE_SUPERVISOR = "overdue_supervisor", _("逾期（督办）")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")


class Reminder(models.Model):
    kind = models.CharField(_("类型"), max_length=30, choices=ReminderKind.choices)
    target = models.CharField(
        _("对象"), max_length=40, help_text=_("如 assignment:12、reply:3、followup:5")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    # days before the deadline (15, 7, 3, 1), or the escalation period (a day or an ISO week)
    period = models.CharField(_("期次"), max_length=20)
    message = models.CharField(_("内容"), max_length=300)
    url = models.CharField(_("链接"), max_length=200, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("提醒")
        verbose_name_plural = _("提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target", "recipient", "period"], name="reminder_once"
            )
        ]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return self.message
