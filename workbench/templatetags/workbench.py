"""Count badges of the navigation and the workbenches."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag
def badge(count: int | None) -> SafeString | str:
    """A count badge that screen readers read as "N 项待办"; nothing when there is nothing."""
    if not count:
        return ""
    return format_html(
        '<span class="badge">{}<span class="visually-hidden">{}</span></span>',
        count,
        _("项待办"),
    )
