"""A unit's handling: its assignments, 签收, return and extension requests and their decisions,
答复前沟通 and the member's answer to it, 会办意见 and the leader's decision on it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role, Unit
from proposals import services
from proposals.filters import AssignmentFilter
from proposals.models import Assignment, RequestStatus
from proposals.permissions import (
    get_assignment_for_unit,
    get_co_opinion_for_leader,
    get_contact_for_signer,
    get_extension_request_for_user,
    get_return_request_for_user,
)

from .. import serializers as s
from .base import UNIT_ROLES, ApiView
from .docs import ASSIGNMENT_FILTERS, ERRORS, WRITE_ERRORS


@extend_schema(tags=["handling"])
class AssignmentListView(ApiView, generics.GenericAPIView[Assignment]):
    serializer_class = s.AssignmentSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = AssignmentFilter

    def get_queryset(self) -> QuerySet[Assignment]:
        if getattr(self, "swagger_fake_view", False):  # the schema's look at the model
            return Assignment.objects.none()
        user = self.person
        assignments = Assignment.objects.for_user(user)
        if user.is_unit_user:
            # the unit's own work (the workspace): another unit's part shows on the item only
            assignments = assignments.filter(unit_id=user.unit_id or 0)
        return assignments.select_related("unit")

    @extend_schema(
        summary="交办列表 / Assignments",
        description=(
            "承办单位：本单位的交办（与工作台相同）；督办人员：所督办机构的交办；代表委员："
            "本人建议提案的交办。 / A unit's own assignments; a supervisor's bodies'; a member's"
            " own items'. Filters as in the unit's workspace."
        ),
        parameters=ASSIGNMENT_FILTERS,
        responses={200: s.AssignmentSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _assignment_response(assignment: Assignment) -> Response:
    assignment.refresh_from_db()
    return Response(s.AssignmentSerializer(assignment).data)


@extend_schema(tags=["handling"])
class AssignmentAcceptView(ApiView):
    roles = {"*": UNIT_ROLES}

    @extend_schema(
        summary="签收 / Accept",
        request=None,
        responses={200: s.AssignmentSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = get_assignment_for_unit(self.person, pk)
        services.assignment_accept(assignment=assignment, actor=self.person)
        return _assignment_response(assignment)


@extend_schema(tags=["handling"])
class ReturnRequestCreateView(ApiView):
    roles = {"*": UNIT_ROLES}

    @extend_schema(
        summary="申请退回 / Ask to return",
        description="在退回期限内申请退回交办不当的建议提案。 / Within the return window.",
        request=s.ReasonSerializer,
        responses={201: s.UnitRequestSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = get_assignment_for_unit(self.person, pk)
        data = self.valid(s.ReasonSerializer, request)
        created = services.return_request_create(
            assignment=assignment, actor=self.person, reason=data["reason"]
        )
        return Response(s.UnitRequestSerializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["handling"])
class ExtensionRequestCreateView(ApiView):
    roles = {"*": UNIT_ROLES}

    @extend_schema(
        summary="申请延期 / Ask for an extension",
        request=s.ExtensionRequestSerializer,
        responses={201: s.UnitRequestSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = get_assignment_for_unit(self.person, pk)
        data = self.valid(s.ExtensionRequestSerializer, request)
        created = services.extension_request_create(
            assignment=assignment,
            actor=self.person,
            reason=data["reason"],
            requested_due_on=data["requested_due_on"],
        )
        return Response(s.UnitRequestSerializer(created).data, status=status.HTTP_201_CREATED)


def _decide(view: ApiView, request: Request, unit_request: Any, *, kind: str) -> Response:
    """The page's decision (proposals.views.handling._decide_request): the unit's leader while
    the request waits for them, then the supervisor of the item's body."""
    user = view.person
    assignment = unit_request.assignment
    at_leader = unit_request.status == RequestStatus.PENDING_LEADER
    at_supervisor = unit_request.status == RequestStatus.PENDING_SUPERVISOR
    may_decide = (at_leader and user.is_unit_leader and user.unit_id == assignment.unit_id) or (
        at_supervisor and assignment.proposal.meeting.body in user.supervised_bodies()
    )
    if not may_decide:
        raise PermissionDenied(_("这项申请现在不由您审核。"))
    data = view.valid(s.DecisionSerializer, request)
    approve, note = data["approve"], data["note"]
    if kind == "return" and at_leader:
        services.return_request_leader_decide(
            request=unit_request, actor=user, approve=approve, note=note
        )
    elif kind == "return":
        units = list(Unit.objects.filter(pk__in=data["new_units"], is_active=True))
        services.return_request_supervisor_decide(
            request=unit_request, actor=user, approve=approve, note=note, new_units=units
        )
    elif at_leader:
        services.extension_request_leader_decide(
            request=unit_request, actor=user, approve=approve, note=note
        )
    else:
        services.extension_request_supervisor_decide(
            request=unit_request,
            actor=user,
            approve=approve,
            note=note,
            granted_due_on=data.get("granted_due_on"),
        )
    unit_request.refresh_from_db()
    return Response(s.UnitRequestSerializer(unit_request).data)


@extend_schema(tags=["handling"])
class ReturnRequestDecideView(ApiView):
    roles = {"*": (Role.UNIT_LEADER, Role.SUPERVISOR)}

    @extend_schema(
        summary="审核退回申请 / Decide a return request",
        request=s.DecisionSerializer,
        responses={200: s.UnitRequestSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        unit_request = get_return_request_for_user(self.person, pk)
        return _decide(self, request, unit_request, kind="return")


@extend_schema(tags=["handling"])
class ExtensionRequestDecideView(ApiView):
    roles = {"*": (Role.UNIT_LEADER, Role.SUPERVISOR)}

    @extend_schema(
        summary="审核延期申请 / Decide an extension request",
        request=s.DecisionSerializer,
        responses={200: s.UnitRequestSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        unit_request = get_extension_request_for_user(self.person, pk)
        return _decide(self, request, unit_request, kind="extension")


@extend_schema(tags=["handling"])
class ContactCreateView(ApiView):
    roles = {"*": UNIT_ROLES}

    @extend_schema(
        summary="记录答复前沟通 / Record a contact",
        request=s.ContactCreateSerializer,
        responses={201: s.ContactSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "面商 / Face to face",
                request_only=True,
                value={
                    "method": "face_to_face",
                    "contacted_on": "2026-03-02",
                    "participants": "何红代表，市民政局李文静",
                    "notes": "当面听取意见，介绍社区托育服务点建设计划。",
                },
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = get_assignment_for_unit(self.person, pk)
        data = self.valid(s.ContactCreateSerializer, request)
        record = services.contact_record_create(assignment=assignment, actor=self.person, **data)
        return Response(s.ContactSerializer(record).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["handling"])
class ContactRespondView(ApiView):
    roles = {"*": (Role.MEMBER,)}

    @extend_schema(
        summary="确认沟通记录 / Confirm or dispute a contact",
        request=s.ContactAnswerSerializer,
        responses={200: s.ContactSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        record = get_contact_for_signer(self.person, pk)
        data = self.valid(s.ContactAnswerSerializer, request)
        record = services.contact_record_respond(
            record=record, actor=self.person, confirm=data["confirm"], comment=data["comment"]
        )
        record.refresh_from_db()
        return Response(s.ContactSerializer(record).data)


@extend_schema(tags=["handling"])
class CoOpinionSaveView(ApiView):
    roles = {"*": UNIT_ROLES}

    @extend_schema(
        summary="撰写会办意见 / Write the co-handling opinion",
        request=s.CoOpinionWriteSerializer,
        responses={200: s.CoOpinionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        assignment = get_assignment_for_unit(self.person, pk)
        data = self.valid(s.CoOpinionWriteSerializer, request)
        opinion = services.co_opinion_save(
            assignment=assignment, actor=self.person, text=data["text"], submit=data["submit"]
        )
        opinion.refresh_from_db()
        return Response(s.CoOpinionSerializer(opinion).data)


@extend_schema(tags=["handling"])
class CoOpinionDecideView(ApiView):
    roles = {"*": (Role.UNIT_LEADER,)}

    @extend_schema(
        summary="审核会办意见 / Decide the co-handling opinion",
        request=s.OpinionDecisionSerializer,
        responses={200: s.CoOpinionSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        opinion = get_co_opinion_for_leader(self.person, pk)
        data = self.valid(s.OpinionDecisionSerializer, request)
        opinion = services.co_opinion_decide(
            opinion=opinion, actor=self.person, approve=data["approve"], comment=data["comment"]
        )
        opinion.refresh_from_db()
        return Response(s.CoOpinionSerializer(opinion).data)
