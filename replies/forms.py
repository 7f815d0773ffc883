from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Disclosure, Reply


class DateInput(forms.DateInput):
    input_type = "date"


class ReplyForm(forms.ModelForm):
    """The draft. `version` is the version the editor loaded, for the conflict check."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    body_html = forms.CharField(
        label=_("正文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=_(
            "每段一行。以“一、”“（一）”“1.”开头的段落按各级标题排版；可粘贴带格式的文字，"
            "只保留段落、标题和加粗。"
        ),
    )

    class Meta:
        model = Reply
        fields = [
            "title",
            "salutation",
            "opening",
            "body_html",
            "thanks",
            "result_class",
            "disclosure",
            "withheld_reason",
            "signing_unit",
            "signed_on",
            "contact_person",
            "contact_phone",
            "cc",
        ]
        widgets = {
            "opening": forms.Textarea(attrs={"rows": 4}),
            "thanks": forms.Textarea(attrs={"rows": 2}),
            "withheld_reason": forms.Textarea(attrs={"rows": 2}),
            "cc": forms.Textarea(attrs={"rows": 2}),
            "signed_on": DateInput,
            "disclosure": forms.RadioSelect,
        }
        help_texts = {"signed_on": _("留空则以发出日期为成文日期。")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        classes = self.instance.proposal.meeting.result_classes
        self.fields["result_class"] = forms.ChoiceField(
            label=_("答复类别（拟）"),
            required=False,
            choices=[
                ("", "—"),
                *[(c["code"], f"{c['label']}：{c['description']}") for c in classes],
            ],
        )
        disclosure = self.fields["disclosure"]
        assert isinstance(disclosure, forms.ChoiceField)
        disclosure.choices = Disclosure.choices
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["body_html"] = self.instance.body_html

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("disclosure") == Disclosure.WITHHELD
            and not (data.get("withheld_reason") or "").strip()
        ):
            self.add_error("withheld_reason", _("不予公开时须写明理由。"))
        return data


class ReviewForm(forms.Form):
    result_class = forms.ChoiceField(label=_("答复类别"))
    comment = forms.CharField(
        label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, reply: Reply, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        classes = reply.proposal.meeting.result_classes
        field = self.fields["result_class"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(c["code"], f"{c['label']}：{c['description']}") for c in classes]
        field.initial = reply.result_class


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("修改意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("退回时请写明修改意见。")},
    )
