from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import INDIVIDUAL_SUBMITTER_TYPES, Body, Role, Unit, User

from .models import Category, ContactMethod, Meeting, Proposal, ProposalKind, RejectionGround
from .sections import (
    NPC_DEFAULT,
    SectionRule,
    joined_text,
    length,
    policy_of,
    stored_sections,
    too_long,
)
from .separators import phrases
from .uploads import validate_upload


class ChoiceFieldsMixin:
    fields: dict[str, forms.Field]

    def choice_field(self, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
        return cast(forms.ModelChoiceField, self.fields[name])  # type: ignore[type-arg]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        errors: list[ValidationError] = []
        cleaned: list[UploadedFile] = []
        for upload in files:
            try:
                validate_upload(upload)
            except ValidationError as error:
                errors.append(error)
            else:
                cleaned.append(upload)
        if errors:
            raise ValidationError(errors)
        return cleaned


def categories_in_tree_order(body: str) -> list[Category]:
    """The active categories of a body as the office configured them: each top-level category
    (by `position`, then name) followed by its own children in the same order, depth first.
    A category under an inactive parent is left out with its parent."""
    categories = list(Category.objects.filter(body=body, is_active=True))
    by_pk = {category.pk: category for category in categories}
    children: dict[int | None, list[Category]] = {}
    for category in categories:
        if category.parent_id is not None:
            parent = by_pk.get(category.parent_id)
            if parent is None:  # the parent is inactive: so is the branch
                continue
            category.parent = parent  # for the label, without a query per category
        children.setdefault(category.parent_id, []).append(category)
    ordered: list[Category] = []

    def add_children(parent_id: int | None) -> None:
        for category in sorted(children.get(parent_id, []), key=lambda c: (c.position, c.name)):
            ordered.append(category)
            add_children(category.pk)

    add_children(None)
    return ordered


class CategoryTreeIterator(forms.models.ModelChoiceIterator):
    """Yields the field's categories in tree order (CategoryField.tree) instead of the
    queryset's order."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for category in cast(CategoryField, self.field).tree:
            yield self.choice(category)

    def __len__(self) -> int:
        return len(cast(CategoryField, self.field).tree) + (self.field.empty_label is not None)

    def __bool__(self) -> bool:
        return self.field.empty_label is not None or bool(cast(CategoryField, self.field).tree)


class CategoryField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A body's active categories, offered in the configured tree order (parent, then its
    children); anything else posted is refused."""

    iterator = CategoryTreeIterator

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(Category.objects.none(), *args, **kwargs)
        self.tree: list[Category] = []

    def offer(self, body: str) -> None:
        self.tree = categories_in_tree_order(body)
        self.queryset = Category.objects.filter(pk__in=[category.pk for category in self.tree])
        self.error_messages["invalid_choice"] = _("请从列表中选择%(body)s的类别。") % {
            "body": Body(body).label
        }


def section_help(rule: SectionRule) -> str:
    parts = []
    if rule["min_length"]:
        parts.append(_("至少 %(n)s 字") % {"n": rule["min_length"]})
    parts.append(_("最多 %(n)s 字") % {"n": rule["max_length"]})
    return phrases(parts) + ("" if rule["required"] else _("（选填）"))


def _section_field_name(rules: list[SectionRule], rule: SectionRule) -> str:
    """The form field of a section: `body` for an item of one text, else section_<key>."""
    return "body" if len(rules) == 1 else f"section_{rule['key']}"


class ProposalForm(ChoiceFieldsMixin, forms.Form):
    """The draft form: meeting and kind when new; title, category, body, attachments.

    Everything offered is the author's body's: its kind (人大 → 建议, 政协 → 提案), its meetings
    open for submission and its active categories in their configured order."""

    meeting = forms.ModelChoiceField(label=_("届次会议"), queryset=Meeting.objects.none())
    kind = forms.ChoiceField(label=_("类型"), choices=ProposalKind.choices)
    title = forms.CharField(
        label=_("标题"),
        max_length=100,
        error_messages={
            "required": _("请填写标题。"),
            "max_length": _("标题最多 %(limit_value)d 字（现为 %(show_value)d 字）。"),
        },
    )
    category = CategoryField(label=_("类别"), required=False)
    attachments = MultipleFileField(
        label=_("附件"),
        required=False,
    )

    def __init__(
        self, *args: Any, author: User, proposal: Proposal | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # in the reader's language, so made per form, not when the module is imported
        self.fields["attachments"].help_text = gettext(
            "可上传 PDF、Word、Excel、图片或文本文件，单个不超过 %(size)s MB。"
        ) % {"size": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}
        self.proposal = proposal
        body = author.member_profile.body
        body_label = Body(body).label
        cast(CategoryField, self.fields["category"]).offer(body)
        if proposal is not None:
            # meeting and kind are fixed once the draft exists
            del self.fields["meeting"]
            del self.fields["kind"]
            self.section_meeting: Meeting | None = proposal.meeting
            self._add_section_fields()
            return
        meetings = Meeting.objects.filter(
            body=body, submission_closes_at__gt=timezone.now()
        ).order_by("-year")
        meeting_field = self.choice_field("meeting")
        meeting_field.queryset = meetings
        meeting_field.error_messages["invalid_choice"] = _("请选择%(body)s正在受理的届次会议。") % {
            "body": body_label
        }
        open_meetings = list(meetings[:2])
        if len(open_meetings) == 1:
            meeting_field.initial = open_meetings[0].pk
        kind = ProposalKind.SUGGESTION if body == Body.NPC else ProposalKind.PROPOSAL
        kind_field = cast(forms.ChoiceField, self.fields["kind"])
        kind_field.choices = [(kind.value, kind.label)]
        kind_field.initial = kind.value
        kind_field.error_messages["invalid_choice"] = _("您属于%(body)s，只能提出%(kind)s。") % {
            "body": body_label,
            "kind": kind.label,
        }
        self.section_meeting = self._chosen_meeting(meetings, open_meetings)
        self.format_switched = self._carry_over_sections()
        self._add_section_fields()
        # which meeting's sections this page shows, so that a post under another meeting keeps
        # the texts (see _carry_over_sections)
        self.fields["sections_of"] = forms.IntegerField(
            required=False,
            widget=forms.HiddenInput,
            initial=self.section_meeting.pk if self.section_meeting else None,
        )

    def _chosen_meeting(self, meetings: Any, open_meetings: list[Meeting]) -> Meeting | None:
        """The meeting whose sections the form shows: the one posted, else the one offered."""
        chosen = self.data.get("meeting") if self.is_bound else None
        if chosen and str(chosen).isdigit():
            found = meetings.filter(pk=int(chosen)).first()
            if found is not None:
                return cast(Meeting, found)
        return open_meetings[0] if open_meetings else None

    def _carry_over_sections(self) -> bool:
        """When the member chose another meeting than the one whose sections the page showed,
        move what was typed into the chosen meeting's sections (same key to same key, the rest
        into the first section) so that nothing is lost; True when the format changed, and the
        form then asks the member to check before it saves."""
        if not self.is_bound or self.section_meeting is None:
            return False
        shown_pk = str(self.data.get("sections_of") or "")
        if not shown_pk.isdigit() or int(shown_pk) == self.section_meeting.pk:
            return False
        shown = Meeting.objects.filter(pk=int(shown_pk)).first()
        if shown is None:
            return False
        old_rules, new_rules = list(policy_of(shown)), list(policy_of(self.section_meeting))
        if [(r["key"], r["label"]) for r in old_rules] == [
            (r["key"], r["label"]) for r in new_rules
        ]:
            return False
        typed = {
            rule["key"]: str(self.data.get(_section_field_name(old_rules, rule)) or "").strip()
            for rule in old_rules
        }
        new_keys = {rule["key"] for rule in new_rules}
        leftover = "\n\n".join(text for key, text in typed.items() if key not in new_keys and text)
        data = cast(Any, self.data).copy()  # a QueryDict is immutable
        for index, rule in enumerate(new_rules):
            text = typed.get(rule["key"], "")
            if index == 0 and leftover:
                text = f"{text}\n\n{leftover}" if text else leftover
            data[_section_field_name(new_rules, rule)] = text
        data["sections_of"] = str(self.section_meeting.pk)
        self.data = data
        return any(typed.values())

    def _add_section_fields(self) -> None:
        """One textarea per section of the meeting's policy, before the attachments; one
        section is the field `body` (an item of one text)."""
        rules = policy_of(self.section_meeting) if self.section_meeting else NPC_DEFAULT
        self.section_rules: list[SectionRule] = list(rules)
        attachments = self.fields.pop("attachments")
        for rule in rules:
            name = self.section_field_name(rule)
            self.fields[name] = forms.CharField(
                label=rule["label"],
                required=False,  # missing or short sections block submission, not the draft
                widget=forms.Textarea(
                    attrs={
                        "rows": 18 if len(rules) == 1 else 8,
                        "data-section": rule["key"],
                        "data-min": rule["min_length"],
                        "data-max": rule["max_length"],
                        "data-required": "1" if rule["required"] else "",
                    }
                ),
                help_text=section_help(rule),
            )
            self.fields[name].section_required = rule["required"]  # type: ignore[attr-defined]
        self.fields["attachments"] = attachments

    def section_field_name(self, rule: SectionRule) -> str:
        return _section_field_name(self.section_rules, rule)

    def section_texts(self) -> dict[str, str]:
        """The typed texts by section key (cleaned data, else what was posted)."""
        source = self.cleaned_data if hasattr(self, "cleaned_data") else self.data
        return {
            rule["key"]: str(source.get(self.section_field_name(rule)) or "")
            for rule in self.section_rules
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if getattr(self, "format_switched", False):
            self.add_error(
                None,
                _(
                    "所选会议的提交格式与页面上的不同，已把您填写的内容移入新格式的各部分，"
                    "请核对后再保存。"
                ),
            )
        meeting: Meeting | None = data.get("meeting") or (
            self.proposal.meeting if self.proposal else None
        )
        texts = {
            rule["key"]: str(data.get(self.section_field_name(rule)) or "").strip()
            for rule in self.section_rules
        }
        for rule in self.section_rules:
            n = length(texts[rule["key"]])
            if n > rule["max_length"]:
                self.add_error(self.section_field_name(rule), too_long(rule, n))
        if not any(texts.values()):
            first = self.section_rules[0]
            self.add_error(
                self.section_field_name(first),
                _("请填写正文。")
                if len(self.section_rules) == 1
                else _("请至少填写“%(label)s”。") % {"label": first["label"]},
            )
        if len(self.section_rules) > 1:
            data["sections"] = stored_sections(self.section_rules, texts)
            data["body"] = joined_text(data["sections"])
        else:
            data["sections"] = []
            data["body"] = texts[self.section_rules[0]["key"]]
        body = data["body"]
        if meeting is not None:
            if len(body) > meeting.body_max_chars:
                self.add_error(
                    self.section_field_name(self.section_rules[-1]),
                    _("正文共 %(n)s 字，超过了本次会议 %(max)s 字的上限。")
                    % {"n": len(body), "max": meeting.body_max_chars},
                )
            kind = data.get("kind")
            if kind and kind != meeting.item_kind:
                self.add_error(
                    "kind",
                    _("%(meeting)s只受理%(kind)s。")
                    % {
                        "meeting": meeting.short_name,
                        "kind": ProposalKind(meeting.item_kind).label,
                    },
                )
        if data.get("title") is not None and not data["title"].strip():
            self.add_error("title", _("请填写标题。"))
        return data


class CoSignerSearchForm(forms.Form):
    q = forms.CharField(label=_("姓名、代表团或界别"), max_length=40, required=False)

    def members(self, proposal: Proposal) -> Any:
        """Individual members of the item's body who may co-sign it: active, not the lead, not a
        collective submitter (代表团, 党派, 界别), matched on name, delegation or sector."""
        query = (self.cleaned_data.get("q") or "").strip() if self.is_valid() else ""
        if not query:
            return User.objects.none()
        return (
            User.objects.filter(
                is_active=True,
                role=Role.MEMBER,
                member_profile__body=proposal.meeting.body,
                member_profile__submitter_type__in=INDIVIDUAL_SUBMITTER_TYPES,
            )
            .exclude(pk=proposal.lead_id)
            .filter(
                Q(full_name__icontains=query)
                | Q(member_profile__delegation__icontains=query)
                | Q(member_profile__sector__icontains=query)
            )
            .select_related("member_profile")
            .order_by("full_name")[:20]
        )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("撤案理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请写明撤案理由。")},
    )


class ReviewOutcome:
    REGISTER = "register"
    REJECT = "reject"
    MERGE = "merge"
    CONVERT = "convert"
    CHOICES = [
        (REGISTER, _("立案")),
        (REJECT, _("不予立案")),
        (MERGE, _("并案")),
        (CONVERT, _("转为意见/来信")),
    ]


class MergeTargetField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Proposal) -> str:  # type: ignore[override]
        return _("%(number)s %(title)s（%(lead)s）") % {
            "number": obj.display_number,
            "title": obj.title,
            "lead": obj.lead,
        }


class ReviewForm(ChoiceFieldsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("审查结果"), choices=ReviewOutcome.CHOICES, widget=forms.RadioSelect
    )
    category = CategoryField(label=_("类别"), required=False)
    is_key = forms.BooleanField(label=_("列为重点建议提案"), required=False)
    leading_official = forms.CharField(label=_("牵头领导"), max_length=60, required=False)
    supervising_units = forms.CharField(label=_("督办单位"), max_length=200, required=False)
    rejection_ground = forms.ChoiceField(
        label=_("不予立案理由"), choices=[("", "—"), *RejectionGround.choices], required=False
    )
    merge_into = MergeTargetField(label=_("并入"), queryset=Proposal.objects.none(), required=False)
    note = forms.CharField(
        label=_("审查意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("不予立案、并案、转为意见时，代表委员会看到这段说明。"),
    )

    def __init__(
        self, *args: Any, proposal: Proposal, merge_candidates: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        cast(CategoryField, self.fields["category"]).offer(proposal.meeting.body)
        self.fields["category"].initial = proposal.category_id
        self.choice_field("merge_into").queryset = merge_candidates

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if getattr(self, "format_switched", False):
            self.add_error(
                None,
                _(
                    "所选会议的提交格式与页面上的不同，已把您填写的内容移入新格式的各部分，"
                    "请核对后再保存。"
                ),
            )
        outcome = data.get("outcome")
        if outcome == ReviewOutcome.REGISTER and not data.get("category"):
            self.add_error("category", _("立案前请确定类别。"))
        if outcome == ReviewOutcome.REJECT:
            if not data.get("rejection_ground"):
                self.add_error("rejection_ground", _("请选择不予立案的理由。"))
            if not (data.get("note") or "").strip():
                self.add_error("note", _("请写明不予立案的说明，代表委员会看到这段话。"))
        if outcome == ReviewOutcome.MERGE and not data.get("merge_into"):
            self.add_error("merge_into", _("请选择要并入的建议提案。"))
        if outcome == ReviewOutcome.CONVERT and not (data.get("note") or "").strip():
            self.add_error("note", _("请说明转为意见或来信的处理去向。"))
        return data


# --- handling --------------------------------------------------------------------------------


def active_units() -> Any:
    return Unit.objects.filter(is_active=True).order_by("name")


class AssignForm(forms.Form):
    """交办: one lead unit with co-handling units, or several separate units."""

    lead_unit = forms.ModelChoiceField(
        label=_("主办单位"), queryset=Unit.objects.none(), required=False
    )
    co_units = forms.ModelMultipleChoiceField(
        label=_("会办单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    separate_units = forms.ModelMultipleChoiceField(
        label=_("分办单位（各自答复，不设主办）"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("lead_unit", "co_units", "separate_units"):
            cast(forms.ModelChoiceField, self.fields[name]).queryset = active_units()  # type: ignore[type-arg]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if getattr(self, "format_switched", False):
            self.add_error(
                None,
                _(
                    "所选会议的提交格式与页面上的不同，已把您填写的内容移入新格式的各部分，"
                    "请核对后再保存。"
                ),
            )
        if not data.get("lead_unit") and not data.get("separate_units"):
            raise ValidationError(_("请选择主办单位，或选择分办单位。"))
        return data


class BatchAssignForm(AssignForm):
    items = forms.ModelMultipleChoiceField(
        label=_("交办的建议提案"),
        queryset=Proposal.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["items"]).queryset = candidates  # type: ignore[type-arg]
        self.fields["items"].error_messages["required"] = _("请勾选要交办的建议提案。")


class AdoptSuggestionsForm(forms.Form):
    """采用置信度不低于 N% 的建议: the ticked items, or none ticked every item of the filter."""

    DEFAULT_THRESHOLD = 60

    items = forms.ModelMultipleChoiceField(
        label=_("交办的建议提案"),
        queryset=Proposal.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    threshold = forms.IntegerField(
        label=_("置信度不低于（%）"),
        min_value=1,
        max_value=100,
        initial=DEFAULT_THRESHOLD,
        widget=forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
        error_messages={
            "required": _("请填写置信度。"),
            "invalid": _("置信度请填写 1 到 100 之间的整数。"),
            "min_value": _("置信度请填写 1 到 100 之间的整数。"),
            "max_value": _("置信度请填写 1 到 100 之间的整数。"),
        },
    )

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["items"]).queryset = candidates  # type: ignore[type-arg]


class ReturnRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("申请退回的理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("请说明为什么不属于本单位职责，以及建议改由哪个单位办理。"),
        error_messages={"required": _("请写明申请退回的理由。")},
    )


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str | None = None) -> None:
        # <input type="date"> reads only ISO dates; the locale's 2026/08/31 would show empty
        super().__init__(attrs, format=format or "%Y-%m-%d")


class ExtensionRequestForm(forms.Form):
    requested_due_on = forms.DateField(
        label=_("申请延至"),
        widget=DateInput,
        error_messages={
            "required": _("请选择申请延至的日期。"),
            "invalid": _("请输入有效的日期。"),
        },
    )
    reason = forms.CharField(
        label=_("申请延期的理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请写明申请延期的理由。")},
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("审核意见"),
        choices=[("approve", _("同意")), ("refuse", _("不同意"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择同意或不同意。")},
    )
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    @property
    def approve(self) -> bool:
        return bool(self.cleaned_data.get("decision") == "approve")


class ExtensionDecisionForm(DecisionForm):
    """The supervisor's decision on an extension: the date granted, the requested one unless
    changed (it may be earlier, never later)."""

    granted_due_on = forms.DateField(
        label=_("同意延至"),
        widget=DateInput,
        required=False,
        help_text=_("默认为申请的日期，可以改早，不能晚于申请的日期和延期上限。"),
        error_messages={"invalid": _("请输入有效的日期。")},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # an empty date (a cleared field), not an invalid one, which has its own message
        if self.approve and "granted_due_on" in cleaned and cleaned["granted_due_on"] is None:
            self.add_error("granted_due_on", _("同意延期时请填写同意延至的日期。"))
        return cleaned


class ReturnDecisionForm(DecisionForm):
    new_units = forms.ModelMultipleChoiceField(
        label=_("改由以下单位承办"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("退回的是主办单位时须指定一个新的主办单位。"),
    )

    def __init__(self, *args: Any, exclude_unit_ids: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["new_units"])  # type: ignore[type-arg]
        field.queryset = active_units().exclude(pk__in=exclude_unit_ids)


class CoOpinionForm(forms.Form):
    text = forms.CharField(
        label=_("会办意见"),
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 12}),
        error_messages={"required": _("请填写会办意见。")},
    )


class ContactRecordForm(forms.Form):
    method = forms.ChoiceField(label=_("沟通方式"), choices=ContactMethod.choices)
    contacted_on = forms.DateField(
        label=_("沟通日期"),
        widget=DateInput,
        error_messages={"required": _("请选择沟通日期。"), "invalid": _("请输入有效的日期。")},
    )
    participants = forms.CharField(
        label=_("参加人员"),
        max_length=300,
        error_messages={"required": _("请填写参加人员。")},
    )
    notes = forms.CharField(
        label=_("沟通情况"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("请填写沟通情况。")},
    )


class ContactResponseForm(forms.Form):
    comment = forms.CharField(
        label=_("意见"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
