"""The meeting's 汇编 (the book of its registered items with their replies, as one PDF): a job
per book, written by a background task (compilation/tasks.py) and downloaded by its owner."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from proposals.models import ExportStatus, Meeting


class Edition(models.TextChoices):
    # 公开版: what the portal discloses, members' details hidden; 内部版: every registered item and
    # sent reply (members' phone numbers and addresses hidden all the same)
    PUBLIC = "public", _("公开版")
    ALL = "all", _("内部版")


def book_upload_to(instance: CompilationJob, filename: str) -> str:
    # random stored name: the file is downloaded only through the owner-checked view
    return f"compilations/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.pdf"


class CompilationJob(models.Model):
    """One background rendering of a meeting's 汇编, re-checked against its owner's rights."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="compilation_jobs",
        verbose_name=_("生成人"),
    )
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="+", verbose_name=_("届次会议")
    )
    edition = models.CharField(_("版本"), max_length=10, choices=Edition.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    total = models.PositiveIntegerField(_("总件数"), default=0)
    done = models.PositiveIntegerField(_("已排版件数"), default=0)
    pages = models.PositiveIntegerField(_("页数"), default=0)
    file = models.FileField(_("文件"), upload_to=book_upload_to, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    error = models.TextField(_("错误"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("汇编任务")
        verbose_name_plural = _("汇编任务")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.get_edition_display()}"

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
