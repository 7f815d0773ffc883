"""The 汇编's card on the supervisor's dashboard: `{% load compilation %}{% compilation_card %}`
(a template tag, so that no other app imports this one)."""

from __future__ import annotations

from typing import Any

from django import template

from ..forms import CompilationForm
from ..models import CompilationJob

register = template.Library()


@register.inclusion_tag("compilation/_card.html", takes_context=True)
def compilation_card(context: Any) -> dict[str, Any]:
    user = context["request"].user
    meeting = context.get("meeting")
    initial = {"meeting": meeting.pk} if meeting is not None else {}
    return {
        "form": CompilationForm(initial=initial, user=user),
        "recent": list(CompilationJob.objects.filter(owner=user).select_related("meeting")[:3]),
        "csrf_token": context.get("csrf_token"),
    }
