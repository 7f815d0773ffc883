"""List filters over the user's own queryset; dropdowns offer only what the user may see."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Category, Meeting, Proposal, ProposalKind, ProposalStatus


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
        return queryset.filter(
            Q(title__icontains=value)
            | Q(number_label__icontains=value)
            | Q(lead__full_name__icontains=value)
            | Q(body__icontains=value)
        )
