"""Notifications (one's own) and the public portal's disclosed replies (anonymous, read-only,
exactly what the portal shows: published replies with members' contact details hidden)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Notification
from replies.models import LetterStatus, Reply
from replies.portal import PortalFilter
from replies.public import (
    _private_values,
    private_values_of,
    public_copy,
    public_item_text,
    published,
)
from replies.redact import redact_text

from .. import serializers as s
from .base import ApiView
from .docs import ERRORS, PORTAL_FILTERS


@extend_schema(tags=["notifications"])
class NotificationListView(ApiView, generics.GenericAPIView[Notification]):
    serializer_class = s.NotificationSerializer

    def get_queryset(self) -> QuerySet[Notification]:
        return Notification.objects.filter(recipient=self.person)

    @extend_schema(
        summary="我的通知 / My notifications",
        responses={200: s.NotificationSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["notifications"])
class NotificationReadView(ApiView):
    @extend_schema(
        summary="标为已读 / Mark as read",
        request=None,
        responses={200: s.NotificationSerializer, **ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        notice = Notification.objects.filter(pk=pk, recipient=self.person).first()
        if notice is None:
            raise Http404(_("没有找到这条通知。"))
        Notification.objects.filter(pk=notice.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        notice.refresh_from_db()
        return Response(s.NotificationSerializer(notice).data)


@extend_schema(tags=["notifications"])
class NotificationReadAllView(ApiView):
    @extend_schema(
        summary="全部标为已读 / Mark all as read",
        request=None,
        responses={200: s.ReadCountSerializer, **ERRORS},
    )
    def post(self, request: Request) -> Response:
        count = Notification.objects.filter(recipient=self.person, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return Response({"marked": count})


def _portal_queryset() -> QuerySet[Reply]:
    return (
        published()
        .select_related("proposal", "proposal__meeting", "proposal__category__parent", "unit")
        .defer("proposal__search_vector")
    )


@extend_schema(tags=["public"])
class PublicReplyListView(generics.GenericAPIView[Reply]):
    permission_classes = [AllowAny]
    serializer_class = s.PublicReplySerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = PortalFilter

    def get_queryset(self) -> QuerySet[Reply]:
        return _portal_queryset()

    @extend_schema(
        summary="公开的答复 / Disclosed replies",
        description=(
            "公开平台上的答复，无需登录；筛选条件与公开平台相同；代表委员的电话、地址已隐去。"
            " / The public portal's replies, no login; the portal's filters; members' phone"
            " numbers and addresses hidden."
        ),
        auth=[],
        parameters=PORTAL_FILTERS,
        responses={200: s.PublicReplySerializer(many=True), 429: ERRORS[429]},
    )
    def get(self, request: Request) -> Response:
        page: Any = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        private = private_values_of(page)
        rows = [public_copy(reply, private[reply.proposal_id], fields=("title",)) for reply in page]
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


@extend_schema(tags=["public"])
class PublicReplyDetailView(ApiView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="公开的答复详情 / A disclosed reply",
        auth=[],
        responses={200: s.PublicReplyDetailSerializer, 404: ERRORS[404], 429: ERRORS[429]},
    )
    def get(self, request: Request, pk: int) -> Response:
        reply = _portal_queryset().filter(pk=pk).first()
        if reply is None:
            raise Http404(_("没有找到这份公开的答复。"))
        private = _private_values(reply)
        public = public_copy(reply, private)
        letter = getattr(reply, "letter", None)
        public.item_title = redact_text(reply.proposal.title, private)  # type: ignore[attr-defined]
        public.item_text = public_item_text(reply, private)  # type: ignore[attr-defined]
        public.letter_url = (  # type: ignore[attr-defined]
            reverse("portal:letter", args=[reply.pk])
            if letter is not None and letter.status == LetterStatus.READY
            else ""
        )
        return Response(s.PublicReplyDetailSerializer(public).data)
