from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """An administrator's entry in the working-day calendar.

    It overrides the official calendar for one date: a holiday (is_working_day=False) or a
    make-up working day on a weekend (调休, is_working_day=True). Years the library does not know
    yet are entered here.
    """

    date = models.DateField(_("日期"), unique=True)
    is_working_day = models.BooleanField(
        _("是否工作日"), help_text=_("勾选：调休上班日；不勾选：放假")
    )
    name = models.CharField(
        _("说明"), max_length=40, blank=True, help_text=_("如：国庆节、国庆调休")
    )

    class Meta:
        verbose_name = _("工作日历")
        verbose_name_plural = _("工作日历")
        ordering = ["date"]

    def __str__(self) -> str:
        kind = _("上班") if self.is_working_day else _("放假")
        return f"{self.date:%Y-%m-%d} {kind} {self.name}"
