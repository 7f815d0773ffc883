"""Items: the list with the pages' filters, the detail with its timeline, drafting (with a
precondition against stale writes), co-signing, submission, withdrawal, review (立案审查),
assignment (交办), 办结 and 重新办理."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Role, Unit, User
from proposals import precheck, sections, services
from proposals.filters import ProposalFilter
from proposals.models import Category, Meeting, Proposal
from proposals.permissions import (
    can_withdraw,
    get_cosigner_for_invitee,
    get_cosigner_for_lead,
    get_proposal_for_assignment,
    get_proposal_for_review,
    get_proposal_for_user,
)
from proposals.services.common import lock_proposal
from replies import services as reply_services
from replies.permissions import replies_for_user

from .. import serializers as s
from ..detail import item_detail
from ..preconditions import http_date, item_etag, require_fresh_item
from .base import ApiView
from .docs import ERRORS, ITEM_EXAMPLE, ITEM_FILTERS, ITEM_LIST_EXAMPLE, WRITE_ERRORS

MEMBER = (Role.MEMBER,)
SUPERVISOR = (Role.SUPERVISOR,)


def _detail_response(user: User, proposal: Proposal, code: int = 200) -> Response:
    proposal = get_proposal_for_user(user, proposal.pk)  # fresh, with what the page reads
    data = s.ItemDetailSerializer(item_detail(user, proposal)).data
    response = Response(data, status=code)
    response["ETag"] = item_etag(proposal)
    response["Last-Modified"] = http_date(proposal.updated_at)
    return response


def _content(meeting: Meeting, data: dict[str, Any], current: Proposal | None) -> dict[str, Any]:
    """The text as the draft form turns it into `body` and `sections`: one body for a meeting of
    one section, else the meeting's sections by key (proposals.sections)."""
    rules = sections.policy_of(meeting)
    texts = sections.texts_of(current) if current is not None else {}
    if "sections" in data:
        texts = {**texts, **{str(k): v for k, v in data["sections"].items()}}
    if "body" in data and rules:
        texts[rules[0]["key"]] = data["body"]
    if len(rules) > 1:
        stored = sections.stored_sections(rules, texts)
        return {"body": sections.joined_text(stored), "sections": stored}
    return {"body": (texts.get(rules[0]["key"], "") if rules else "").strip(), "sections": []}


def _category(data: dict[str, Any], current: Category | None) -> Category | None:
    if "category" not in data:
        return current
    if data["category"] is None:
        return None
    category = Category.objects.filter(pk=data["category"], is_active=True).first()
    if category is None:
        raise ValidationError({"category": _("请选择有效的类别。")})
    return category


@extend_schema(tags=["items"])
class ItemListView(ApiView, generics.GenericAPIView[Proposal]):
    """建议提案列表与新建草稿 / Items: the list, and new drafts."""

    roles = {"POST": MEMBER}
    serializer_class = s.ItemSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProposalFilter

    def get_queryset(self) -> QuerySet[Proposal]:
        return (
            Proposal.objects.for_user(self.request.user)
            .select_related("meeting", "category__parent", "lead")
            .defer("search_vector")
        )

    @extend_schema(
        summary="建议提案列表 / List items",
        description=(
            "您可以看到的建议提案，筛选条件与列表页相同（放在查询字符串中），按游标分页。"
            " / The items you may see, filtered by the list page's own filters in the query"
            " string, cursor-paginated (newest first)."
        ),
        examples=[ITEM_LIST_EXAMPLE],
        parameters=ITEM_FILTERS,
        responses={200: s.ItemSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        summary="新建草稿 / Create a draft",
        description="代表、委员新建建议提案草稿。 / A member starts a draft.",
        request=s.ItemWriteSerializer,
        responses={201: s.ItemDetailSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "草稿 / Draft",
                request_only=True,
                value={
                    "meeting": 1,
                    "title": "关于扩大普惠托育服务供给的建议",
                    "category": 3,
                    "body": "建议加快建设社区托育服务点，扩大普惠托位供给。",
                },
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.valid(s.ItemWriteSerializer, request)
        meeting = Meeting.objects.filter(pk=data.get("meeting") or 0).first()
        if meeting is None:
            raise ValidationError({"meeting": _("请选择届次会议。")})
        proposal = services.proposal_create(
            author=self.person,
            meeting=meeting,
            title=data["title"],
            category=_category(data, None),
            **_content(meeting, data, None),
        )
        return _detail_response(self.person, proposal, status.HTTP_201_CREATED)


@extend_schema(tags=["items"])
class ItemDetailView(ApiView):
    roles = {"PATCH": MEMBER}

    @extend_schema(
        summary="建议提案详情 / Item detail",
        description=(
            "建议提案及其办理过程、交办、会办意见、沟通记录、答复和测评，与详情页对您显示的相同。"
            "响应带 ETag 和 Last-Modified。 / The item with its timeline and handling as its page"
            " shows them to you; with ETag and Last-Modified headers."
        ),
        responses={200: s.ItemDetailSerializer, **ERRORS},
        examples=[ITEM_EXAMPLE],
    )
    def get(self, request: Request, pk: int) -> Response:
        return _detail_response(self.person, get_proposal_for_user(self.person, pk))

    @extend_schema(
        summary="修改草稿 / Edit a draft",
        description=(
            "领衔人修改草稿。须带 If-Match（读取时的 ETag）或 If-Unmodified-Since；草稿在此之后"
            "被修改过则返回 412，不作修改。 / The lead edits the draft. Send If-Match (the ETag"
            " read) or If-Unmodified-Since; a draft changed since is refused with 412."
        ),
        request=s.ItemWriteSerializer,
        responses={200: s.ItemDetailSerializer, **WRITE_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        user = self.person
        proposal = get_proposal_for_user(user, pk, write=True)
        data = self.valid(s.ItemWriteSerializer, request)
        with transaction.atomic():
            locked = lock_proposal(proposal)
            require_fresh_item(request, locked)
            services.proposal_update_draft(
                proposal=locked,
                actor=user,
                title=data.get("title", locked.title),
                category=_category(data, locked.category),
                **_content(proposal.meeting, data, locked),
            )
        return _detail_response(user, proposal)


@extend_schema(tags=["items"])
class ItemSubmitView(ApiView):
    roles = {"*": MEMBER}

    @extend_schema(
        summary="提交 / Submit",
        description=(
            "领衔人提交草稿。提交前检查与网页相同：有错误时拒绝；有提示时，须在 acknowledged 中"
            "列出看过的提示代码。 / Submit the draft. The pre-check runs as on the page: errors"
            " refuse it; warnings must be acknowledged by their codes."
        ),
        request=s.SubmitSerializer,
        responses={200: s.ItemDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        proposal = get_proposal_for_user(user, pk, write=True)
        data = self.valid(s.SubmitSerializer, request)
        check = precheck.precheck(
            user=user,
            meeting=proposal.meeting,
            title=proposal.title,
            texts=sections.texts_of(proposal),
            exclude=proposal.pk,
        )
        if check.errors:
            raise ValidationError(
                _("提交前检查发现问题，请先修改：") + "；".join(e.message for e in check.errors)
            )
        unseen = set(check.warning_codes) - set(data["acknowledged"])
        if unseen:
            raise ValidationError(
                {
                    "acknowledged": _(
                        "提交前检查有提示，请看过后把提示代码（%(codes)s）列入 acknowledged 再提交，"
                        "或先修改：%(warnings)s"
                    )
                    % {
                        "codes": "、".join(sorted(unseen)),
                        "warnings": "；".join(w.message for w in check.warnings),
                    }
                }
            )
        services.proposal_submit(proposal=proposal, actor=user)
        return _detail_response(user, proposal)


@extend_schema(tags=["items"])
class ItemWithdrawView(ApiView):
    roles = {"*": MEMBER}

    @extend_schema(
        summary="撤案 / Withdraw",
        description="领衔人在答复前书面撤案。 / The lead withdraws the item before a reply.",
        request=s.ReasonSerializer,
        responses={200: s.ItemDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        proposal = get_proposal_for_user(user, pk)
        if not can_withdraw(user, proposal):
            raise PermissionDenied(_("这件建议提案不能撤案。"))
        data = self.valid(s.ReasonSerializer, request)
        services.proposal_withdraw(proposal=proposal, actor=user, reason=data["reason"])
        return _detail_response(user, proposal)


@extend_schema(tags=["co-signers"])
class ItemCosignerInviteView(ApiView):
    roles = {"*": MEMBER}

    @extend_schema(
        summary="邀请联名 / Invite a co-signer",
        description="领衔人邀请同一机构的代表、委员联名。 / The lead invites a member to co-sign.",
        request=s.MemberRefSerializer,
        responses={201: s.CoSignerSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        proposal = get_proposal_for_user(user, pk, write=True)
        data = self.valid(s.MemberRefSerializer, request)
        member = (
            User.objects.filter(pk=data["member"], role=Role.MEMBER, is_active=True)
            .select_related("member_profile")
            .first()
        )
        if member is None:
            raise ValidationError({"member": _("请从搜索结果中选择要邀请的代表、委员。")})
        cosigner = services.cosigner_invite(proposal=proposal, actor=user, member=member)
        return Response(s.CoSignerSerializer(cosigner).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["co-signers"])
class InvitationListView(ApiView, generics.GenericAPIView[Any]):
    roles = {"*": MEMBER}
    serializer_class = s.CoSignerSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return self.person.cosignatures.select_related("proposal", "member")

    @extend_schema(
        summary="我收到的联名邀请 / My co-signing invitations",
        responses={200: s.CoSignerSerializer(many=True), **ERRORS},
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


@extend_schema(tags=["co-signers"])
class InvitationRespondView(ApiView):
    roles = {"*": MEMBER}

    @extend_schema(
        summary="确认或谢绝联名 / Confirm or decline",
        request=s.AnswerSerializer,
        responses={200: s.CoSignerSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        cosigner = get_cosigner_for_invitee(user, pk)
        data = self.valid(s.AnswerSerializer, request)
        cosigner = services.cosigner_respond(cosigner=cosigner, actor=user, accept=data["accept"])
        return Response(s.CoSignerSerializer(cosigner).data)


@extend_schema(tags=["co-signers"])
class InvitationCancelView(ApiView):
    roles = {"*": MEMBER}

    @extend_schema(
        summary="取消联名邀请 / Cancel an invitation",
        request=None,
        responses={200: s.CoSignerSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        cosigner = get_cosigner_for_lead(user, pk)
        services.cosigner_cancel(cosigner=cosigner, actor=user)
        cosigner.refresh_from_db()
        return Response(s.CoSignerSerializer(cosigner).data)


@extend_schema(tags=["review"])
class ItemReviewView(ApiView):
    roles = {"*": SUPERVISOR}

    @extend_schema(
        summary="立案审查 / Review",
        description=(
            "督办人员审查：立案、不予立案（须写理由）、并案或转为意见。 / The supervisor registers,"
            " rejects (with a reason), merges or converts a submitted item."
        ),
        request=s.ReviewSerializer,
        responses={200: s.ItemDetailSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "立案 / Register",
                request_only=True,
                value={"outcome": "register", "is_key": True, "leading_official": "王副市长"},
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        proposal = get_proposal_for_review(user, pk)
        data = self.valid(s.ReviewSerializer, request)
        outcome = data["outcome"]
        if outcome == "register":
            services.proposal_register(
                proposal=proposal,
                actor=user,
                is_key=data["is_key"],
                leading_official=data["leading_official"],
                supervising_units=data["supervising_units"],
                category=_category(data, None) if data.get("category") else None,
                note=data["note"],
            )
        elif outcome == "reject":
            services.proposal_reject(
                proposal=proposal,
                actor=user,
                ground=data.get("rejection_ground") or "",
                note=data["note"],
            )
        elif outcome == "merge":
            into = Proposal.objects.for_user(user).filter(pk=data.get("merge_into") or 0).first()
            if into is None:
                raise ValidationError({"merge_into": _("请选择要并入的建议提案。")})
            services.proposal_merge(proposal=proposal, actor=user, into=into, note=data["note"])
        else:
            services.proposal_convert(proposal=proposal, actor=user, note=data["note"])
        return _detail_response(user, proposal)


def _units(ids: list[int]) -> list[Unit]:
    units = list(Unit.objects.filter(pk__in=ids, is_active=True))
    if len(units) != len(set(ids)):
        raise ValidationError(_("所选承办单位不存在或已停用。"))
    return units


@extend_schema(tags=["review"])
class ItemAssignView(ApiView):
    roles = {"*": SUPERVISOR}

    @extend_schema(
        summary="交办 / Assign",
        description=(
            "督办人员把已立案的建议提案交主办单位（可加会办单位），或交几个分办单位。"
            " / The supervisor assigns a registered item to a lead unit with co-handling units,"
            " or to separate units."
        ),
        request=s.AssignSerializer,
        responses={200: s.ItemDetailSerializer, **WRITE_ERRORS},
        examples=[
            OpenApiExample(
                "主办加会办 / Lead and co-handling",
                request_only=True,
                value={"lead_unit": 2, "co_units": [5], "separate_units": []},
            )
        ],
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        proposal = get_proposal_for_assignment(user, pk)
        data = self.valid(s.AssignSerializer, request)
        lead = _units([data["lead_unit"]])[0] if data.get("lead_unit") else None
        services.proposal_assign(
            proposal=proposal,
            actor=user,
            lead_unit=lead,
            co_units=_units(data["co_units"]),
            separate_units=_units(data["separate_units"]),
        )
        return _detail_response(user, proposal)


@extend_schema(tags=["review"])
class ItemCloseView(ApiView):
    roles = {"*": SUPERVISOR}

    @extend_schema(
        summary="办结 / Close",
        description="督办人员写明理由后办结。 / The supervisor closes the item with a reason.",
        request=s.ReasonSerializer,
        responses={200: s.ItemDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        proposal = get_proposal_for_user(user, pk)
        data = self.valid(s.ReasonSerializer, request)
        reply_services.proposal_close(proposal=proposal, actor=user, reason=data["reason"])
        return _detail_response(user, proposal)


@extend_schema(tags=["review"])
class ItemRehandleView(ApiView):
    roles = {"*": SUPERVISOR}

    @extend_schema(
        summary="重新办理 / Order re-handling",
        description=(
            "代表委员不满意时，督办人员把所选答复的单位交重新办理。 / After a 不满意 rating the"
            " supervisor sends the chosen replies' units a new round."
        ),
        request=s.RehandleSerializer,
        responses={200: s.ItemDetailSerializer, **WRITE_ERRORS},
    )
    def post(self, request: Request, pk: int) -> Response:
        user = self.person
        proposal = get_proposal_for_user(user, pk)
        data = self.valid(s.RehandleSerializer, request)
        chosen = list(replies_for_user(user).filter(proposal=proposal, pk__in=data["replies"]))
        reply_services.proposal_rehandle(
            proposal=proposal, actor=user, replies=chosen, note=data["note"]
        )
        return _detail_response(user, proposal)
