"""Replies from the draft to the member's evaluation: start, save (If-Match: the version read),
送签, 签发, send back, 督办审核, 满意度测评; the replies and ratings a person may read."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role
from proposals.permissions import get_assignment_for_unit
from replies import services
from replies.models import Evaluation, Reply
from replies.permissions import evaluations_for_user, get_reply_for_user, replies_for_user

from .. import serializers as s
from ..exceptions import PreconditionFailed, error_text
from ..preconditions import reply_etag, reply_version_from
from .base import UNIT_ROLES, ApiView
from .docs import ERRORS, WRITE_ERRORS


def _reply_response(user: object, pk: int, code: int = 200) -> Response:
    reply = get_reply_for_user(user, pk)
    response = Response(s.ReplyDetailSerializer(_shown(user, reply)).data, status=code)
    response["ETag"] = reply_etag(reply)
    return response


def _shown(user: object, reply: Reply) -> Reply:
    """The send-back comment is the unit's (the reply page shows it to the unit alone)."""
    if not (getattr(user, "is_unit_user", False) and user.unit_id == reply.unit_id):  # type: ignore[attr-defined]
        reply.return_comment = ""
    return reply


@extend_schema(tags=["replies"])
class ReplyListView(ApiView, generics.GenericAPIView[Reply]):
    serializer_class = s.ReplySerializer

    def get_queryset(self) -> QuerySet[Reply]:
        return replies_for_user(self.person).select_related("unit", "letter")

    @extend_schema(
        summary="答复列表 / Replies",
        description=(
            "您可以阅读的答复：承办单位为本单位的（含草稿），督办人员为送审后的，代表委员为本人"
            "建议提案已发出的。 / The replies you may read, as on the pages."
        ),
        responses={200: s.ReplySerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["replies"])
class ReplyStartView(ApiView):
    roles = {"*": UNIT_ROLES}

    @extend_schema(
        summary="开始撰写答复 / Start the reply",
        description="主办或分办单位开始撰写答复（已有草稿时返回该草稿）。 / Opens the draft.",
        request=None,
        responses={201: s.ReplyDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = get_assignment_for_unit(self.person, pk)
        reply = services.reply_start(assignment=assignment, actor=self.person)
        return _reply_response(self.person, reply.pk, status.HTTP_201_CREATED)


@extend_schema(tags=["replies"])
class ReplyDetailView(ApiView):
    roles = {"PATCH": UNIT_ROLES}

    @extend_schema(
        summary="答复详情 / Reply detail",
        description="响应带 ETag（答复版本）。 / With an ETag (the reply's version).",
        responses={200: s.ReplyDetailSerializer, **ERRORS},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _reply_response(self.person, pk)

    @extend_schema(
        summary="保存答复草稿 / Save the draft",
        description=(
            "须带 If-Match（读取时的 ETag）；他人已保存新版本时返回 412，说明与网页相同。"
            " / Send If-Match (the ETag read); a newer save by someone else is refused with 412."
        ),
        request=s.ReplyWriteSerializer,
        responses={200: s.ReplyDetailSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "保存 / Save",
                request_only=True,
                value={
                    "result_class": "B",
                    "body_html": "<p>您提出的关于扩大普惠托育服务供给的建议收悉。现答复如下：……</p>",
                    "contact_person": "李文静",
                    "contact_phone": "0571-85000000",
                },
            )
        ],
    )
    def patch(self, request: Request, pk: int) -> Response:
        reply = get_reply_for_user(self.person, pk, write=True)
        data = self.valid(s.ReplyWriteSerializer, request)
        version = reply_version_from(request, reply)
        try:
            services.reply_save(reply=reply, actor=self.person, version=version, **data)
        except services.ReplyConflict as conflict:
            raise PreconditionFailed(error_text(conflict)) from conflict
        return _reply_response(self.person, pk)


class _ReplyStep(ApiView):
    def reply(self, pk: int) -> Reply:
        return get_reply_for_user(self.person, pk)


@extend_schema(tags=["replies"])
class ReplySubmitView(_ReplyStep):
    roles = {"*": UNIT_ROLES}

    @extend_schema(
        summary="送签 / Send for signing",
        request=None,
        responses={200: s.ReplyDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        reply = get_reply_for_user(self.person, pk, write=True)
        services.reply_submit(reply=reply, actor=self.person)
        return _reply_response(self.person, pk)


@extend_schema(tags=["replies"])
class ReplySignView(_ReplyStep):
    roles = {"*": (Role.UNIT_LEADER,)}

    @extend_schema(
        summary="签发 / Sign",
        description="单位负责人签发；须督办审核的转督办，否则发出。 / The unit leader signs.",
        request=None,
        responses={200: s.ReplyDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        services.reply_sign(reply=self.reply(pk), actor=self.person)
        return _reply_response(self.person, pk)


@extend_schema(tags=["replies"])
class ReplySendBackView(_ReplyStep):
    roles = {"*": (Role.UNIT_LEADER, Role.SUPERVISOR)}

    @extend_schema(
        summary="退回修改 / Send back",
        request=s.CommentSerializer,
        responses={200: s.ReplyDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        reply = self.reply(pk)
        data = self.valid(s.CommentSerializer, request)
        services.reply_send_back(reply=reply, actor=self.person, comment=data["comment"])
        return _reply_response(self.person, pk)


@extend_schema(tags=["replies"])
class ReplyApproveView(_ReplyStep):
    roles = {"*": (Role.SUPERVISOR,)}

    @extend_schema(
        summary="督办审核通过 / Approve",
        description="审核通过后答复发出；可调整答复类别。 / Approve (and re-class); it is sent.",
        request=s.ApproveSerializer,
        responses={200: s.ReplyDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        reply = self.reply(pk)
        data = self.valid(s.ApproveSerializer, request)
        services.reply_approve(
            reply=reply,
            actor=self.person,
            result_class=data["result_class"] or None,
            comment=data["comment"],
        )
        return _reply_response(self.person, pk)


@extend_schema(tags=["evaluations"])
class ReplyEvaluateView(_ReplyStep):
    roles = {"*": (Role.MEMBER,)}

    @extend_schema(
        summary="满意度测评 / Evaluate",
        request=s.EvaluateSerializer,
        responses={201: s.EvaluationSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "满意 / Satisfied",
                request_only=True,
                value={
                    "work_rating": "satisfied",
                    "result_rating": "basically",
                    "contacted": True,
                    "face_to_face": True,
                    "comment": "沟通及时，希望尽快落实。",
                },
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        reply = self.reply(pk)
        data = self.valid(s.EvaluateSerializer, request)
        evaluation = services.evaluation_submit(reply=reply, actor=self.person, **data)
        return Response(s.EvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["evaluations"])
class EvaluationListView(ApiView, generics.GenericAPIView[Evaluation]):
    serializer_class = s.EvaluationSerializer

    def get_queryset(self) -> QuerySet[Evaluation]:
        user = self.person
        return (
            evaluations_for_user(user)
            .filter(reply__in=replies_for_user(user).values("pk"))
            .select_related("evaluator")
        )

    @extend_schema(
        summary="满意度测评列表 / Evaluations",
        description=(
            "代表委员为本人的测评，承办单位为对本单位答复的测评，督办人员为全部。"
            " / A member's own ratings, a unit's replies' ratings, all for supervisors."
        ),
        responses={200: s.EvaluationSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
