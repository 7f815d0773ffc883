"""Excel exports too large to build inside a request: a job per export, written by a background
task (proposals/tasks.py) and downloaded by its owner only."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportKind(models.TextChoices):
    ITEMS = "items", _("建议提案")
    WORKSPACE = "workspace", _("本单位承办")
    FOLLOW_UPS = "follow_ups", _("落实情况")


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("排队中")
    RUNNING = "running", _("正在生成")
    READY = "ready", _("已完成")
    FAILED = "failed", _("失败")


def export_upload_to(instance: ExportJob, filename: str) -> str:
    # random stored name: the file is downloaded only through the owner-checked view
    return f"exports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ExportJob(models.Model):
    """One background export of a filtered list, re-run with its owner's permissions."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("导出人"),
    )
    kind = models.CharField(_("列表"), max_length=20, choices=ExportKind.choices)
    query = models.TextField(_("筛选条件"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total = models.PositiveIntegerField(_("总行数"), default=0)
    done = models.PositiveIntegerField(_("已写行数"), default=0)
    file = models.FileField(_("文件"), upload_to=export_upload_to, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出任务")
        verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in (ExportStatus.PENDING, ExportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.READY:
            return 100
        if not self.total:
            return 0
        return min(100, self.done * 100 // self.total)
