"""催办通知: the supervisory office sends one unit a PDF listing its overdue items."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.language import Text
from accounts.models import Unit, User
from accounts.notifications import notify, unit_people

from .models import Assignment, EventAction, UrgingNotice
from .services.common import record_event


def overdue_for(unit: Unit, actor: User) -> list[Assignment]:
    return list(
        Assignment.objects.for_user(actor)
        .overdue()
        .filter(unit=unit)
        .select_related("proposal", "proposal__meeting")
        .order_by("due_on", "pk")
    )


@transaction.atomic
def urging_notice_send(*, unit: Unit, actor: User) -> UrgingNotice:
    """Render the notice for the unit's overdue items the supervisor oversees, store it, note it
    on each item's timeline and tell the unit's people."""
    from replies.letters import write_pdf

    if not actor.is_supervisor:
        raise ValidationError(_("只有督办机构可以发催办通知。"))
    overdue = overdue_for(unit, actor)
    if not overdue:
        raise ValidationError(_("%(unit)s没有逾期未办结的建议提案。") % {"unit": unit.name})
    today = timezone.localdate()
    # an official document, like the reply letters: Chinese whatever the clerk reads
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "proposals/urging_notice.html",
            {
                "unit": unit,
                "rows": [(a, (today - a.due_on).days) for a in overdue],
                "today": today,
                "office": actor.full_name,
            },
        )
    notice = UrgingNotice(unit=unit, created_by=actor, item_count=len(overdue))
    notice.file.save(
        f"urging-{unit.pk}-{today:%Y%m%d}.pdf", ContentFile(write_pdf(html)), save=False
    )
    notice.save()
    for assignment in overdue:
        record_event(assignment.proposal, actor, EventAction.URGED, note=unit.short_name)
    notify(
        unit_people(unit),
        Text(
            gettext_noop("督办机构发来催办通知：贵单位有%(n)s件建议提案逾期未办结。"),
            n=len(overdue),
        ),
        reverse("proposals:urging_notice", args=[notice.pk]),
    )
    return notice
