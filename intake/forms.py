from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from proposals.models import Meeting


class MeetingForm(forms.Form):
    """The meeting whose template to download (or sheet to upload)."""

    meeting = forms.ModelChoiceField(
        label=_("届次会议"), queryset=Meeting.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["meeting"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Meeting.objects.filter(body__in=user.supervised_bodies())


class UploadForm(MeetingForm):
    file = forms.FileField(
        label=_("Excel 表格（.xlsx）"),
        help_text=_("按导入模板填写；上传后先检查、显示每行的问题，确认无误后才导入。"),
    )
