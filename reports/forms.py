"""What the report is about: a meeting of the supervisor's bodies, or a year and one of them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Body
from proposals.models import Meeting

from .figures import Scope


class ReportForm(forms.Form):
    meeting = forms.ChoiceField(label=gettext_lazy("届次会议"), required=False)
    year = forms.ChoiceField(label=gettext_lazy("年度"), required=False)
    body = forms.ChoiceField(label=gettext_lazy("所属"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bodies = user.supervised_bodies()
        meetings = Meeting.objects.filter(body__in=bodies).order_by(
            "-year", "body", "-term", "-sitting"
        )
        self.meetings = {str(meeting.pk): meeting for meeting in meetings}
        years = sorted({meeting.year for meeting in self.meetings.values()}, reverse=True)
        meeting_field: forms.ChoiceField = self.fields["meeting"]  # type: ignore[assignment]
        meeting_field.choices = [
            ("", _("按年度生成")),
            *((pk, meeting.short_name) for pk, meeting in self.meetings.items()),
        ]
        year_field: forms.ChoiceField = self.fields["year"]  # type: ignore[assignment]
        year_field.choices = [("", "—"), *((str(y), _("%(y)s年") % {"y": y}) for y in years)]
        body_field: forms.ChoiceField = self.fields["body"]  # type: ignore[assignment]
        body_field.choices = [
            ("", "—"),
            *((code, label) for code, label in Body.choices if code in bodies),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        meeting = self.meetings.get(data.get("meeting") or "")
        if meeting is not None:
            data["scope"] = Scope(meeting=meeting)
            return data
        bodies = [code for code, _label in self.fields["body"].choices if code]  # type: ignore[attr-defined]
        if not data.get("body") and len(bodies) == 1:
            data["body"] = bodies[0]  # a supervisor of one body need not name it
        if not data.get("year") or not data.get("body"):
            raise forms.ValidationError(_("请选择一次会议，或者选择年度和所属（人大或政协）。"))
        data["scope"] = Scope(year=int(data["year"]), body=data["body"])
        return data
