from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit


class UrgingNotice(models.Model):
    """催办通知: a PDF listing one unit's overdue items, sent to the unit."""

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="urging_notices", verbose_name=_("承办单位")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("发出时间"), default=timezone.now)
    item_count = models.PositiveIntegerField(_("逾期件数"))
    file = models.FileField(_("文件"), upload_to="urging/%Y/%m/")

    class Meta:
        verbose_name = _("催办通知")
        verbose_name_plural = _("催办通知")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.unit.short_name} {self.created_at:%Y-%m-%d}"
