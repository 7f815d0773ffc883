"""The filters of the record pages: the scope (meeting or year) and, on the supervisors' list,
body, delegation (代表团), sector (界别) and a name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Body
from proposals.models import Meeting

from .records import MemberFilter, Scope


class ScopeForm(forms.Form):
    """The meeting or year a record is about, among `meetings`."""

    meeting = forms.ChoiceField(label=gettext_lazy("届次会议"), required=False)
    year = forms.ChoiceField(label=gettext_lazy("年度"), required=False)

    def __init__(self, *args: Any, meetings: Sequence[Meeting], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.meetings = {str(meeting.pk): meeting for meeting in meetings}
        years = sorted({meeting.year for meeting in meetings}, reverse=True)
        meeting_field: forms.ChoiceField = self.fields["meeting"]  # type: ignore[assignment]
        meeting_field.choices = [
            ("", _("全部会议")),
            *((pk, meeting.short_name) for pk, meeting in self.meetings.items()),
        ]
        year_field: forms.ChoiceField = self.fields["year"]  # type: ignore[assignment]
        year_field.choices = [
            ("", _("全部年度")),
            *((str(y), _("%(y)s年") % {"y": y}) for y in years),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        meeting = self.meetings.get(data.get("meeting") or "")
        year = int(data["year"]) if data.get("year") else None
        if meeting is not None and year is not None and meeting.year != year:
            raise forms.ValidationError(_("所选会议不属于所选年度。"))
        data["meeting"], data["year"] = meeting, year
        return data

    def scope(self) -> Scope:
        """The chosen scope; all meetings when nothing (valid) was chosen."""
        if not self.is_bound or not self.is_valid():
            return Scope()
        return Scope(self.cleaned_data["meeting"], self.cleaned_data["year"])


class MemberFilterForm(ScopeForm):
    """The supervisors' list: the scope, then whose records."""

    body = forms.ChoiceField(label=gettext_lazy("所属"), required=False)
    delegation = forms.ChoiceField(label=gettext_lazy("代表团"), required=False)
    sector = forms.ChoiceField(label=gettext_lazy("界别"), required=False)
    q = forms.CharField(label=gettext_lazy("姓名"), max_length=60, required=False)

    def __init__(
        self,
        *args: Any,
        meetings: Sequence[Meeting],
        bodies: Sequence[str],
        delegations: Sequence[str],
        sectors: Sequence[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, meetings=meetings, **kwargs)
        body_field: forms.ChoiceField = self.fields["body"]  # type: ignore[assignment]
        body_field.choices = [("", _("全部")), *((b, Body(b).label) for b in bodies)]
        delegation_field: forms.ChoiceField = self.fields["delegation"]  # type: ignore[assignment]
        delegation_field.choices = [("", _("全部代表团")), *((d, d) for d in delegations)]
        sector_field: forms.ChoiceField = self.fields["sector"]  # type: ignore[assignment]
        sector_field.choices = [("", _("全部界别")), *((s, s) for s in sectors)]
        if len(bodies) < 2:
            del self.fields["body"]
        if not delegations:
            del self.fields["delegation"]
        if not sectors:
            del self.fields["sector"]

    def member_filter(self) -> MemberFilter:
        if not self.is_bound or not self.is_valid():
            return MemberFilter()
        data = self.cleaned_data
        return MemberFilter(
            body=data.get("body") or "",
            delegation=data.get("delegation") or "",
            sector=data.get("sector") or "",
            name=(data.get("q") or "").strip(),
        )
