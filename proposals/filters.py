"""List filters over the user's own queryset; dropdowns offer only what the user may see."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from replies.models import Rating

from . import search
from .models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Category,
    Meeting,
    Proposal,
    ProposalKind,
    ProposalStatus,
)
from .models.handling import OPEN_ASSIGNMENT_STATUSES
from .querysets import AssignmentQuerySet


class ProposalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")
    meeting = django_filters.ModelChoiceFilter(label=_("届次会议"), queryset=Meeting.objects.none())
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=ProposalKind.choices)
    category = django_filters.ModelChoiceFilter(label=_("类别"), queryset=Category.objects.none())
    status = django_filters.ChoiceFilter(label=_("状态"), choices=ProposalStatus.choices)
    is_key = django_filters.BooleanFilter(
        label=_("重点"),
        widget=forms.Select(choices=[("", _("全部")), ("true", _("是")), ("false", _("否"))]),
    )
    unit = django_filters.ModelChoiceFilter(
        label=_("承办单位"), queryset=Unit.objects.none(), method="filter_unit"
    )
    role = django_filters.ChoiceFilter(
        label=_("承办方式"), choices=AssignmentRole.choices, method="filter_role"
    )
    result_class = django_filters.CharFilter(
        label=_("答复类别"), method="filter_class", max_length=10
    )
    satisfaction = django_filters.ChoiceFilter(
        label=_("满意度"), choices=Rating.choices, method="filter_satisfaction"
    )
    overdue = django_filters.BooleanFilter(
        label=_("逾期"),
        method="filter_overdue",
        widget=forms.Select(
            choices=[("", _("全部")), ("true", _("已逾期")), ("false", _("未逾期"))]
        ),
    )
    due_within = django_filters.NumberFilter(
        label=_("几天内到期"), method="filter_due_within", min_value=0, max_value=366
    )
    ordering = django_filters.OrderingFilter(
        label=_("排序"),
        fields=(("submitted_at", "submitted_at"), ("number", "number"), ("title", "title")),
        field_labels={
            "submitted_at": _("提交时间（从早到晚）"),
            "-submitted_at": _("提交时间（从晚到早）"),
            "number": _("编号（从小到大）"),
            "-number": _("编号（从大到小）"),
            "title": _("标题（升序）"),
            "-title": _("标题（降序）"),
        },
    )

    class Meta:
        model = Proposal
        fields = ["q", "meeting", "kind", "category", "status", "is_key"]

    # -- handling filters: each is a semi-join on an indexed column of the handling tables --

    def _assignments(self) -> QuerySet[Assignment]:
        found = Assignment.objects.active()
        unit = self.form.cleaned_data.get("unit") if hasattr(self.form, "cleaned_data") else None
        role = self.form.cleaned_data.get("role") if hasattr(self.form, "cleaned_data") else None
        if unit:
            found = found.filter(unit=unit)
        if role:
            found = found.filter(role=role)
        return found

    def filter_unit(
        self, queryset: QuerySet[Proposal], name: str, value: Any
    ) -> QuerySet[Proposal]:
        return (
            queryset.filter(pk__in=self._assignments().values("proposal_id")) if value else queryset
        )

    def filter_role(
        self, queryset: QuerySet[Proposal], name: str, value: str
    ) -> QuerySet[Proposal]:
        if not value or self.form.cleaned_data.get("unit"):
            return queryset  # with a unit, filter_unit already applied both
        return queryset.filter(pk__in=self._assignments().values("proposal_id"))

    def filter_class(
        self, queryset: QuerySet[Proposal], name: str, value: str
    ) -> QuerySet[Proposal]:
        from replies.models import Reply, ReplyStatus

        value = value.strip()
        if not value:
            return queryset
        sent = Reply.objects.filter(status=ReplyStatus.SENT, result_class=value)
        return queryset.filter(pk__in=sent.values("proposal_id"))

    def filter_satisfaction(
        self, queryset: QuerySet[Proposal], name: str, value: str
    ) -> QuerySet[Proposal]:
        from replies.models import Evaluation

        if not value:
            return queryset
        rated = Evaluation.objects.filter(result_rating=value).values("reply__proposal_id")
        return queryset.filter(pk__in=rated)

    def filter_overdue(
        self, queryset: QuerySet[Proposal], name: str, value: bool | None
    ) -> QuerySet[Proposal]:
        if value is None:
            return queryset
        late = Assignment.objects.overdue().values("proposal_id")
        return queryset.filter(pk__in=late) if value else queryset.exclude(pk__in=late)

    def filter_due_within(
        self, queryset: QuerySet[Proposal], name: str, value: Any
    ) -> QuerySet[Proposal]:
        if value in (None, ""):
            return queryset
        return queryset.filter(
            pk__in=Assignment.objects.due_within(int(value)).values("proposal_id")
        )

    def __init__(
        self, data: Any = None, queryset: QuerySet[Proposal] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        base = self.queryset
        # per meeting or category "is there a visible item": a few index probes, where a
        # semi-join would read every visible item (bench/pages.py). A supervisor's meetings
        # and categories are those of their bodies first: asking the other body's categories
        # would read all their items to find none.
        user = getattr(self.request, "user", None) if self.request else None
        meetings = Meeting.objects.all()
        categories = Category.objects.all()
        if getattr(user, "is_supervisor", False):
            meetings = meetings.filter(body__in=user.supervised_bodies())  # type: ignore[union-attr]
            categories = categories.filter(body__in=user.supervised_bodies())  # type: ignore[union-attr]
        self.filters["meeting"].queryset = meetings.filter(
            Exists(base.filter(meeting=OuterRef("pk")))
        )
        self.filters["category"].queryset = categories.filter(
            Exists(base.filter(category=OuterRef("pk")))
        ).select_related("parent")
        if user is not None and (
            getattr(user, "is_supervisor", False) or getattr(user, "is_administrator", False)
        ):
            # the supervisory office works with every unit; units are not confidential
            self.filters["unit"].queryset = Unit.objects.filter(is_active=True)
        else:
            units = (
                Assignment.objects.filter(proposal__in=base.values("pk")).active().values("unit_id")
            )
            self.filters["unit"].queryset = Unit.objects.filter(pk__in=units)

    def filter_text(
        self, queryset: QuerySet[Proposal], name: str, value: str
    ) -> QuerySet[Proposal]:
        value = value.strip()
        if not value:
            return queryset
        # a number (萧山39号) or a member's name, looked up cheaply before the full-text search
        from accounts.models import User

        leads = User.objects.filter(full_name=value).values("pk")
        exact = queryset.filter(lead__in=leads)
        if any(char.isdigit() for char in value):
            exact = queryset.filter(Q(number_label=value) | Q(lead__in=leads))
        if exact.exists():
            return exact
        return search.search(queryset, value, ("title", "body"))


class AssignmentFilter(django_filters.FilterSet):
    """The unit's workspace: its assignments, by meeting, role, status and deadline."""

    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")
    meeting = django_filters.ModelChoiceFilter(
        label=_("届次会议"), field_name="proposal__meeting", queryset=Meeting.objects.none()
    )
    role = django_filters.ChoiceFilter(label=_("承办方式"), choices=AssignmentRole.choices)
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=AssignmentStatus.choices, method="filter_status"
    )
    overdue = django_filters.BooleanFilter(
        label=_("逾期"),
        method="filter_overdue",
        widget=forms.Select(
            choices=[("", _("全部")), ("true", _("已逾期")), ("false", _("未逾期"))]
        ),
    )
    due_within = django_filters.NumberFilter(
        label=_("几天内到期"), method="filter_due_within", min_value=0, max_value=366
    )
    ordering = django_filters.OrderingFilter(
        label=_("排序"),
        fields=(("due_on", "due_on"), ("assigned_at", "assigned_at")),
        field_labels={
            "due_on": _("办理期限（从早到晚）"),
            "-due_on": _("办理期限（从晚到早）"),
            "assigned_at": _("交办时间（从早到晚）"),
            "-assigned_at": _("交办时间（从晚到早）"),
        },
    )

    class Meta:
        model = Assignment
        fields = ["q", "meeting", "role", "status"]

    def __init__(
        self, data: Any = None, queryset: QuerySet[Assignment] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        self.filters["meeting"].queryset = Meeting.objects.filter(
            Exists(self.queryset.filter(proposal__meeting=OuterRef("pk")))
        )

    def filter_text(
        self, queryset: QuerySet[Assignment], name: str, value: str
    ) -> QuerySet[Assignment]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(proposal__title__icontains=value)
            | Q(proposal__number_label__icontains=value)
            | Q(proposal__lead__full_name__icontains=value)
        )

    def filter_status(
        self, queryset: AssignmentQuerySet, name: str, value: str
    ) -> QuerySet[Assignment]:
        if not value:
            return queryset
        if value in OPEN_ASSIGNMENT_STATUSES:
            # 待签收 / 办理中: still running, not ended with its item (办结, 撤案)
            return queryset.filter(status=value).open()
        return queryset.filter(status=value)

    def filter_overdue(
        self, queryset: AssignmentQuerySet, name: str, value: bool | None
    ) -> QuerySet[Assignment]:
        if value is None:
            return queryset
        if value:
            return queryset.overdue()
        return queryset.exclude(pk__in=Assignment.objects.overdue().values("pk"))

    def filter_due_within(
        self, queryset: AssignmentQuerySet, name: str, value: Any
    ) -> QuerySet[Assignment]:
        if value in (None, ""):
            return queryset
        return queryset.due_within(int(value))
