"""An uploaded sheet of items and what became of it: checked (the preview), queued, running,
imported or failed. The sheet is kept, so that accepting the preview needs no second upload."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BatchStatus(models.TextChoices):
    CHECKED = "checked", _("已检查")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("正在导入")
    IMPORTED = "imported", _("已导入")
    FAILED = "failed", _("导入失败")


def batch_upload_to(instance: ImportBatch, filename: str) -> str:
    # a random stored name: the sheet is read only by the app, never handed out by its name
    return f"imports/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class ImportBatch(models.Model):
    """One uploaded sheet for one meeting: its rows checked (the preview), then imported all
    together or not at all (intake.importer)."""

    meeting = models.ForeignKey(
        "proposals.Meeting",
        on_delete=models.PROTECT,
        related_name="import_batches",
        verbose_name=_("届次会议"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="import_batches",
        verbose_name=_("导入人"),
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    file = models.FileField(_("表格文件"), upload_to=batch_upload_to)
    original_name = models.CharField(_("文件名"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.CHECKED
    )
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    good_rows = models.PositiveIntegerField(_("无误行数"), default=0)
    bad_rows = models.PositiveIntegerField(_("有误行数"), default=0)
    # per row, for the preview: [{row, number, title, lead, errors: [..]}]
    rows = models.JSONField(_("各行概要"), default=list, blank=True)
    # the rows with errors: [{row, messages: [..]}]
    errors = models.JSONField(_("错误"), default=list, blank=True)
    done = models.PositiveIntegerField(_("已处理行数"), default=0)
    imported = models.PositiveIntegerField(_("已导入件数"), default=0)
    proposal_ids = models.JSONField(_("导入的建议提案"), default=list, blank=True)
    error = models.TextField(_("失败原因"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    heartbeat_at = models.DateTimeField(_("最近进度时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["meeting", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.original_name} · {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)

    @property
    def can_accept(self) -> bool:
        return self.status == BatchStatus.CHECKED and self.bad_rows == 0 and self.total_rows > 0

    @property
    def percent(self) -> int:
        if self.status == BatchStatus.IMPORTED:
            return 100
        if not self.total_rows:
            return 0
        return min(100, self.done * 100 // self.total_rows)
