"""A report written in the background (办理工作报告): one job per request, with its progress, the
.docx and the PDF, downloaded by its owner only."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Body


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("正在生成")
    READY = "ready", _("已完成")
    FAILED = "failed", _("失败")


def report_upload_to(instance: ReportJob, filename: str) -> str:
    # random stored name: the file is downloaded only through the owner-checked view
    suffix = filename.rpartition(".")[2]
    return f"reports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{suffix}"


class ReportJob(models.Model):
    """One 办理工作报告 draft for a meeting, or for a year and a body, computed with its owner's
    permissions."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_jobs",
        verbose_name=_("生成人"),
    )
    meeting = models.ForeignKey(
        "proposals.Meeting",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("届次会议"),
    )
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    body = models.CharField(_("所属"), max_length=10, choices=Body.choices, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.PENDING
    )
    total = models.PositiveIntegerField(_("总步骤"), default=0)
    done = models.PositiveIntegerField(_("已完成步骤"), default=0)
    figures = models.JSONField(_("数据"), default=dict, blank=True)
    docx = models.FileField(_("Word文件"), upload_to=report_upload_to, blank=True)
    pdf = models.FileField(_("PDF文件"), upload_to=report_upload_to, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("办理工作报告任务")
        verbose_name_plural = _("办理工作报告任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.scope_label} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def scope_label(self) -> str:
        if self.meeting_id and self.meeting is not None:
            return self.meeting.short_name
        return str(_("%(year)s年%(body)s") % {"year": self.year, "body": self.get_body_display()})

    @property
    def is_active(self) -> bool:
        return self.status in (ReportStatus.PENDING, ReportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == ReportStatus.READY:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)
