"""Due dates shown everywhere with the days left."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def due(day: date | None, *, running: bool = True) -> SafeString | str:
    """2026年3月1日（剩余 12 天）, today, or overdue; without the count once handling ended."""
    if day is None:
        return "—"
    text = date_format(day, "DATE_FORMAT")
    if not running:
        return text
    left = (day - timezone.localdate()).days
    if left > 0:
        return format_html(
            '{} <span class="due due-ok">{}</span>', text, _("剩余 %(n)s 天") % {"n": left}
        )
    if left == 0:
        return format_html('{} <span class="due due-today">{}</span>', text, _("今天到期"))
    return format_html(
        '{} <span class="due due-late">{}</span>', text, _("已逾期 %(n)s 天") % {"n": -left}
    )
