"""List filters over the user's own queryset; dropdowns offer only what the user may see."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

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
    ordering = django_filters.OrderingFilter(
        label=_("排序"),
        fields=(("submitted_at", "submitted_at"), ("number", "number"), ("title", "title")),
        field_labels={"submitted_at": _("提交时间"), "number": _("编号"), "title": _("标题")},
    )

    class Meta:
        model = Proposal
        fields = ["q", "meeting", "kind", "category", "status", "is_key"]

    def __init__(
        self, data: Any = None, queryset: QuerySet[Proposal] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        base = self.queryset
        meeting_ids = base.values("meeting_id")
        self.filters["meeting"].queryset = Meeting.objects.filter(pk__in=meeting_ids)
        category_ids = base.filter(category__isnull=False).values("category_id")
        self.filters["category"].queryset = Category.objects.filter(
            pk__in=category_ids
        ).select_related("parent")

    def filter_text(
        self, queryset: QuerySet[Proposal], name: str, value: str
    ) -> QuerySet[Proposal]:
        value = value.strip()
        if not value:
            return queryset
        exact = queryset.filter(Q(number_label=value) | Q(lead__full_name=value))
        if exact.exists():  # a number (萧山39号) or a member's name
            return exact
        return search.search(queryset, value, ("title", "body"))


class AssignmentFilter(django_filters.FilterSet):
    """The unit's workspace: its assignments, by meeting, role, status and deadline."""

    q = django_filters.CharFilter(label=_("关键词"), method="filter_text")
    meeting = django_filters.ModelChoiceFilter(
        label=_("届次会议"), field_name="proposal__meeting", queryset=Meeting.objects.none()
    )
    role = django_filters.ChoiceFilter(label=_("承办方式"), choices=AssignmentRole.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=AssignmentStatus.choices)
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
        field_labels={"due_on": _("办理期限"), "assigned_at": _("交办时间")},
    )

    class Meta:
        model = Assignment
        fields = ["q", "meeting", "role", "status"]

    def __init__(
        self, data: Any = None, queryset: QuerySet[Assignment] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, queryset, **kwargs)
        self.filters["meeting"].queryset = Meeting.objects.filter(
            pk__in=self.queryset.values("proposal__meeting_id")
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

    def filter_overdue(
        self, queryset: QuerySet[Assignment], name: str, value: bool | None
    ) -> QuerySet[Assignment]:
        if value is None:
            return queryset
        overdue = Assignment.objects.overdue().values("pk")
        return queryset.filter(pk__in=overdue) if value else queryset.exclude(pk__in=overdue)

    def filter_due_within(
        self, queryset: QuerySet[Assignment], name: str, value: Any
    ) -> QuerySet[Assignment]:
        if value in (None, ""):
            return queryset
        return queryset.filter(pk__in=Assignment.objects.due_within(int(value)).values("pk"))
