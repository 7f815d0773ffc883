"""The 汇编's card on the supervisor's dashboard: `{% load compilation %}{% compilation_card %}`
(a template tag, so that no other app imports this one). It costs the dashboard no query: the
meetings are those of the dashboard's own scope form (already the supervisor's)."""

from __future__ import annotations

from typing import Any

from django import template

from ..jobs import meetings_for
from ..models import Edition

register = template.Library()


@register.inclusion_tag("compilation/_card.html", takes_context=True)
def compilation_card(context: Any) -> dict[str, Any]:
    user = context["request"].user
    scope = getattr(context.get("form"), "meetings", None)
    bodies = set(user.supervised_bodies())
    if isinstance(scope, dict):
        meetings = [meeting for meeting in scope.values() if meeting.body in bodies]
    else:
        meetings = list(meetings_for(user))
    chosen = context.get("meeting")
    return {
        "meetings": meetings,
        "chosen": chosen.pk if chosen is not None else None,
        "editions": Edition.choices,
        "csrf_token": context.get("csrf_token"),
    }
