from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from proposals.separators import enumeration

from .models import Disclosure, Rating, Reply
from .text import body_for_editing


def class_choice_label(result_class: dict[str, Any]) -> str:
    """A result class as a choice: A类：所提问题已经解决或基本解决."""
    return _("%(label)s：%(description)s") % {
        "label": result_class["label"],
        "description": result_class["description"],
    }


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        # <input type="date"> reads only ISO dates; the locale's 2026/08/31 would show empty
        super().__init__(attrs, format=format or "%Y-%m-%d")


class ReplyForm(forms.ModelForm):
    """The draft. `version` is the version the editor loaded, for the conflict check."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    body_html = forms.CharField(
        label=_("正文"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=_(
            "每段一行。以“一、”“（一）”“1.”开头的段落按各级标题排版；可粘贴带格式的文字，"
            "只保留段落、标题、加粗和表格。从 Word、WPS 粘贴的表格（单元格之间以制表符分隔）"
            "按表格排版。"
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
                *[(c["code"], class_choice_label(c)) for c in classes],
            ],
        )
        disclosure = self.fields["disclosure"]
        assert isinstance(disclosure, forms.ChoiceField)
        disclosure.choices = Disclosure.choices
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["body_html"] = body_for_editing(self.instance.body_html)

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
        field.choices = [(c["code"], class_choice_label(c)) for c in classes]
        field.initial = reply.result_class


class CommentForm(forms.Form):
    comment = forms.CharField(
        label=_("修改意见"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("退回时请写明修改意见。")},
    )


RATING_WIDGET = forms.RadioSelect


class EvaluationForm(forms.Form):
    work_rating = forms.ChoiceField(
        label=_("对办理工作（态度）的评价"),
        choices=Rating.choices,
        widget=RATING_WIDGET,
        error_messages={"required": _("请评价办理工作。")},
    )
    result_rating = forms.ChoiceField(
        label=_("对办理结果的评价"),
        choices=Rating.choices,
        widget=RATING_WIDGET,
        error_messages={"required": _("请评价办理结果。")},
    )
    contacted = forms.BooleanField(label=_("承办单位在答复前与我联系过"), required=False)
    face_to_face = forms.BooleanField(label=_("是当面沟通（面商、座谈或走访）"), required=False)
    comment = forms.CharField(
        label=_("意见和建议"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, confirmed_contacts: Sequence[Any] = (), **kwargs: Any) -> None:
        """`confirmed_contacts`: the contact records of the reply's assignment that this member
        confirmed. They pre-fill 联系过 and 当面沟通 (面商, 座谈 or 走访); the member may change
        both."""
        super().__init__(*args, **kwargs)
        if not confirmed_contacts or self.is_bound:
            return
        self.initial.setdefault("contacted", True)
        self.initial.setdefault(
            "face_to_face", any(contact.is_face_to_face for contact in confirmed_contacts)
        )
        self.fields["contacted"].help_text = _(
            "已按您确认的沟通记录预填：%(contacts)s。如与实际不符，请修改。"
        ) % {
            "contacts": enumeration(
                _("%(method)s（%(date)s）")
                % {
                    "method": contact.get_method_display(),
                    "date": date_format(contact.contacted_on, "DATE_FORMAT"),
                }
                for contact in confirmed_contacts
            )
        }


class PaperEvaluationForm(EvaluationForm):
    evaluator = forms.ModelChoiceField(label=_("测评人"), queryset=User.objects.none())

    def __init__(self, *args: Any, signers: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["evaluator"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(pk__in=[signer.pk for signer in signers])
        self.order_fields(["evaluator"])


class RevisionForm(forms.Form):
    work_rating = forms.ChoiceField(
        label=_("办理工作（态度）"), choices=Rating.choices, widget=RATING_WIDGET
    )
    result_rating = forms.ChoiceField(
        label=_("办理结果"), choices=Rating.choices, widget=RATING_WIDGET
    )
    reason = forms.CharField(
        label=_("修改理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("修改测评须写明理由。")},
    )


class FollowUpForm(forms.Form):
    promise = forms.CharField(
        label=_("承诺解决的事项"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请写明承诺解决的事项。")},
    )
    due_on = forms.DateField(
        label=_("承诺完成日期"),
        widget=DateInput,
        error_messages={"required": _("请选择承诺完成日期。"), "invalid": _("请输入有效的日期。")},
    )


class ProgressForm(forms.Form):
    text = forms.CharField(
        label=_("落实进展"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写落实进展。")},
    )


class DecideFollowUpForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("认定"),
        choices=[("fulfilled", _("已落实")), ("not_fulfilled", _("未落实"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择认定结果。")},
    )
    note = forms.CharField(
        label=_("认定意见"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
