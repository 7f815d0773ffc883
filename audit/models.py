"""The security audit trail: one append-only, hash-chained row per security-relevant event.

Rows are written only by `audit.chain.append` and deleted only by `audit.chain.purge`; the model
refuses updates and deletes through the ORM, and on PostgreSQL a trigger (migration 0001) refuses
them in SQL too, except inside the purge's transaction.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("成功")
    FAILURE = "failure", _("失败")


class AppendOnlyError(Exception):
    """An attempt to change or delete audit records outside the purge."""


class AuditRecordQuerySet(models.QuerySet["AuditRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("audit records cannot be changed")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit records are deleted only by the purge (audit.chain.purge)")


class AuditRecord(models.Model):
    # the position in the chain: 1, 2, 3 … without gaps, so a deleted row shows as a gap
    sequence = models.BigIntegerField(_("序号"), unique=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    # no database constraint and no cascade: deleting a user must neither change nor delete
    # their records (the chain covers actor_id); actor_username keeps who it was
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(_("账号"), max_length=150, blank=True, db_index=True)
    address = models.GenericIPAddressField(_("地址"), null=True, blank=True)
    action = models.CharField(_("操作"), max_length=60, db_index=True)
    target = models.CharField(_("对象"), max_length=200, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)
    result = models.CharField(
        _("结果"), max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS
    )
    previous_hash = models.CharField(_("前一条的哈希"), max_length=64, blank=True)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("audit records cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("audit records are deleted only by the purge (audit.chain.purge)")


class AuditChainHead(models.Model):
    """One row (pk=1): the last record's sequence and hash. Appending locks it
    (select_for_update), so two workers never append after the same record; verify_audit also
    checks the newest record against it, which finds records cut off the end."""

    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")

    def __str__(self) -> str:
        return f"#{self.last_sequence}"
