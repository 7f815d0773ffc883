"""The audit page's filters: time range, account, action, result, address."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditRecord, AuditResult


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class AuditRecordFilter(django_filters.FilterSet):
    since = django_filters.DateFilter(label=_("起始日期"), method="filter_since")
    until = django_filters.DateFilter(label=_("截止日期"), method="filter_until")
    actor = django_filters.CharFilter(
        label=_("账号"), field_name="actor_username", lookup_expr="icontains", max_length=150
    )
    action = django_filters.CharFilter(
        label=_("操作"),
        field_name="action",
        lookup_expr="startswith",  # "export" finds every kind of export
        max_length=60,
        help_text=_("如 login、export、user.role_changed"),
    )
    result = django_filters.ChoiceFilter(label=_("结果"), choices=AuditResult.choices)
    address = django_filters.CharFilter(
        label=_("地址"), field_name="address", lookup_expr="startswith", max_length=45
    )

    class Meta:
        model = AuditRecord
        fields: list[str] = []

    # the days are local days (Asia/Shanghai), each taken whole
    def filter_since(self, queryset: QuerySet[Any], name: str, value: date) -> QuerySet[Any]:
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_until(self, queryset: QuerySet[Any], name: str, value: date) -> QuerySet[Any]:
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))
