from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from proposals.models import Meeting

from .jobs import meetings_for
from .models import Edition


class CompilationForm(forms.Form):
    meeting = forms.ModelChoiceField(
        label=_("届次会议"),
        queryset=Meeting.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": _("请选择您督办的会议。")},
    )
    edition = forms.ChoiceField(
        label=_("版本"),
        choices=Edition.choices,
        initial=Edition.PUBLIC,
        error_messages={"invalid_choice": _("请选择公开版或内部版。")},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        # ids of its own: the dashboard's scope form has a `meeting` field too
        kwargs.setdefault("auto_id", "compilation-%s")
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = meetings_for(user)  # type: ignore[attr-defined]
