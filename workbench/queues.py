"""What waits for each person: the queues of the workbenches and the counts in the navigation.

Each role's queues are querysets over the rows a person acts on (an assignment to sign for, a
draft to sign, a request to decide, a reply to rate …), ordered most urgent first. A page counts
all of a person's queues in ONE query (`count_many`), then reads the first rows of each non-empty
queue, so the number of queries does not grow with the number of items.

Who sees what follows the object permissions: a unit's queues hold only its own rows, a
supervisor's only the bodies they supervise, a member's only the items they lead or co-signed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.models import SupervisorScope, User
from proposals.models import (
    Assignment,
    AssignmentStatus,
    ContactRecord,
    ContactResponse,
    CoOpinion,
    CoOpinionStatus,
    CoSigner,
    CoSignerStatus,
    ExtensionRequest,
    Meeting,
    Proposal,
    ProposalStatus,
    RequestStatus,
    ReturnRequest,
)
from proposals.models.handling import OPEN_ASSIGNMENT, OPEN_ASSIGNMENT_STATUSES
from replies.models import Evaluation, FollowUp, FollowUpStatus, Rating, Reply, ReplyStatus

ROWS_SHOWN = 10  # rows of a queue on the workbench; the rest behind "查看全部"
DEFAULT_DUE_DAYS = 15  # "due within N days" on a unit's workbench unless the person chooses
MAX_DUE_DAYS = 90
EVALUABLE = (ProposalStatus.REPLIED, ProposalStatus.EVALUATED)
# handling has ended: nothing on such an item waits for anybody
ENDED = (ProposalStatus.CLOSED, ProposalStatus.WITHDRAWN)


@dataclass
class Queue:
    """One list of work on a workbench. `rows` is filled for non-empty queues only."""

    key: str
    title: str | Promise
    queryset: QuerySet[Any]
    template: str  # templates/workbench/rows/<template>.html renders the rows
    more_url: str = ""
    empty_text: str | Promise = ""
    in_total: bool = True  # counted in the navigation's total
    always_shown: bool = False  # shown even when empty (else named under "暂无")
    summary: bool = (
        False  # counted only, in the 本单位办理情况 card (a leader's view of staff work)
    )
    count: int = 0
    rows: list[Any] = field(default_factory=list)


def count_many(querysets: Mapping[str, QuerySet[Any]]) -> dict[str, int]:
    """The row count of every queryset, in one query: SELECT (SELECT COUNT(*) FROM (q1)), …"""
    if not querysets:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    for queryset in querysets.values():
        try:
            sql, query_params = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            # a condition that matches nothing (`pk__in=[]`: no meeting's policy has a
            # follow-up class; a supervisor with no body yet) compiles to no SQL at all
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted)")
        params.extend(query_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {key: int(value) for key, value in zip(querysets, row, strict=True)}


@contextmanager
def without_parallel_workers() -> Iterator[None]:
    """Run the queues' statements without PostgreSQL's parallel workers. Each of them reads a
    few hundred index entries at most; starting workers for them (which the planner does for the
    larger tables) cost more than it saved: at 100 000 items the 承办员's workbench took 136 ms at
    p50 with them and 114 ms without (bench/pages.py). Scoped to this transaction (SET LOCAL), so
    the dashboard's large aggregates keep theirs."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        yield


def _later_round_exists(assignment_ref: str) -> Exists:
    """The item has a later handling round than the assignment at `assignment_ref` (so that
    assignment's reply has been superseded by 重新办理)."""
    return Exists(
        Assignment.objects.filter(
            proposal_id=OuterRef("proposal_id"), round__gt=OuterRef(f"{assignment_ref}__round")
        )
    )


def _signed_items(user: User) -> QuerySet[Proposal]:
    """Items the member leads or co-signed (confirmed): the items they rate and confirm for.

    One UNION of two index lookups, as in proposals.querysets.member_scope: written as an OR
    (`lead = me OR id IN (co-signed)`), PostgreSQL estimated half of all items and scanned them
    all, in each of the member's queues (bench/pages.py: 40-50 ms a scan at 100 000 items)."""
    items, cosigners = Proposal._meta.db_table, CoSigner._meta.db_table
    signed = RawSQL(
        f'SELECT "id" FROM "{items}" WHERE "lead_id" = %s'
        f' UNION SELECT "proposal_id" FROM "{cosigners}" WHERE "member_id" = %s AND "status" = %s',
        (user.pk, user.pk, CoSignerStatus.CONFIRMED.value),
    )
    return Proposal.objects.filter(pk__in=signed)


def _supervised(user: User, prefix: str) -> Q:
    """The supervisor's bodies, over the item reached by `prefix` ("" for an item itself)."""
    if user.supervisor_scope == SupervisorScope.ALL:
        return Q()
    return Q(**{f"{prefix}meeting__body__in": user.supervised_bodies()})


def follow_up_classes() -> Q:
    """Replies whose class needs a follow-up (落实情况) under their meeting's policy: the class
    entries marked `follow_up`, or B where a policy does not say (replies.services)."""
    condition = Q(pk__in=[])
    for meeting_id, classes in Meeting.objects.values_list("pk", "result_classes"):
        codes = [
            entry.get("code")
            for entry in classes or []
            if isinstance(entry, dict) and entry.get("follow_up", entry.get("code") == "B")
        ]
        if codes:
            condition |= Q(proposal__meeting_id=meeting_id, result_class__in=codes)
    return condition


# --- the queues of each role ---------------------------------------------------------------


def member_queues(user: User, today: date) -> list[Queue]:
    signed = _signed_items(user).values("pk")
    rate = (
        Reply.objects.filter(
            status=ReplyStatus.SENT,
            proposal__in=signed,
            proposal__status__in=EVALUABLE,
            evaluation_until__gte=today,
        )
        .exclude(_later_round_exists("assignment"))
        .exclude(Exists(Evaluation.objects.filter(reply=OuterRef("pk"), evaluator=user)))
        # the row asks for the letter: loaded with the reply, not once per row
        .select_related("proposal", "unit", "assignment", "letter")
        .order_by("evaluation_until", "pk")
    )
    contacts = (
        ContactRecord.objects.filter(
            response=ContactResponse.PENDING, assignment__proposal__in=signed
        )
        .exclude(assignment__status=AssignmentStatus.RETURNED)
        .exclude(assignment__proposal__status__in=ENDED)
        .select_related("assignment__proposal", "assignment__unit")
        .order_by("contacted_on", "pk")
    )
    invitations = (
        CoSigner.objects.filter(
            member=user, status=CoSignerStatus.INVITED, proposal__status=ProposalStatus.DRAFT
        )
        .select_related("proposal__lead", "proposal__meeting")
        .order_by("proposal__meeting__submission_closes_at", "invited_at", "pk")
    )
    mine = (
        _signed_items(user)
        .exclude(status=ProposalStatus.DRAFT)
        .select_related("meeting", "lead")
        .order_by("-updated_at", "-pk")
    )
    drafts = (
        Proposal.objects.filter(lead=user, status=ProposalStatus.DRAFT)
        .select_related("meeting")
        .order_by("-updated_at", "-pk")
    )
    return [
        Queue(
            "invitations",
            _("待确认的联名邀请"),
            invitations,
            "invitations",
            reverse("proposals:invitations"),
            _("没有待确认的联名邀请。"),
        ),
        Queue(
            "rate",
            _("待测评的答复"),
            rate,
            "rate",
            reverse("proposals:list") + "?status=replied",
            _("没有待测评的答复。"),
        ),
        Queue(
            "contacts",
            _("待确认的沟通记录"),
            contacts,
            "contacts",
            "",
            _("没有待确认的沟通记录。"),
        ),
        Queue(
            "drafts",
            _("草稿"),
            drafts,
            "items",
            reverse("proposals:list") + "?status=draft",
            _("没有草稿。"),
            in_total=False,
            always_shown=True,
        ),
        Queue(
            "mine",
            _("我的建议提案"),
            mine,
            "items",
            reverse("proposals:list"),
            _("还没有提交过建议提案。"),
            in_total=False,
            always_shown=True,
        ),
    ]


def unit_queues(user: User, today: date, due_days: int, *, navigation: bool) -> list[Queue]:
    unit_id = user.unit_id or 0
    # not ended: at 办结 or 撤案 the item's unfinished assignments get `ended_at` (OPEN_ASSIGNMENT)
    assignments = Assignment.objects.filter(unit_id=unit_id, ended_at__isnull=True)
    related = ("proposal__meeting", "proposal__lead")
    to_accept = (
        assignments.filter(status=AssignmentStatus.ASSIGNED)
        .select_related(*related)
        .order_by("due_on", "pk")
    )
    overdue = (
        assignments.filter(OPEN_ASSIGNMENT, due_on__lt=today)
        .select_related(*related)
        .order_by("due_on", "pk")
    )
    due_soon = (
        assignments.filter(
            OPEN_ASSIGNMENT,
            due_on__gte=today,
            due_on__lte=today + timedelta(days=due_days),
        )
        .select_related(*related)
        .order_by("due_on", "pk")
    )
    # signed for and running, due later than the window: still the unit's work, listed last
    later = (
        assignments.filter(
            status=AssignmentStatus.ACCEPTED, due_on__gt=today + timedelta(days=due_days)
        )
        .select_related(*related)
        .order_by("due_on", "pk")
    )
    sent_back = (
        Reply.objects.filter(unit_id=unit_id, status=ReplyStatus.DRAFT)
        .exclude(return_comment="")
        .exclude(proposal__status__in=ENDED)
        .select_related("proposal", "assignment")
        .order_by("assignment__due_on", "pk")
    )
    opinions_back = (
        CoOpinion.objects.filter(assignment__unit_id=unit_id, status=CoOpinionStatus.DRAFT)
        .exclude(leader_comment="")
        .exclude(assignment__proposal__status__in=ENDED)
        .select_related("assignment__proposal")
        .order_by("assignment__due_on", "pk")
    )
    disputed = (
        ContactRecord.objects.filter(
            assignment__unit_id=unit_id,
            response=ContactResponse.DISPUTED,
            assignment__status__in=OPEN_ASSIGNMENT_STATUSES,
            assignment__ended_at__isnull=True,
        )
        .select_related("assignment__proposal", "responded_by")
        .order_by("assignment__due_on", "pk")
    )
    follow_ups = (
        FollowUp.objects.filter(
            reply__unit_id=unit_id,
            status=FollowUpStatus.OPEN,
            due_on__lte=today + timedelta(days=due_days),
        )  # a closed item's follow-up ended with it (status "ended")
        .select_related("reply__proposal")
        .order_by("due_on", "pk")
    )
    # B-class replies of the round being evaluated whose promise is not recorded yet: after 办结
    # nothing is recorded any more, and after 重新办理 the new round's reply promises anew.
    # Which classes need a follow-up is each meeting's policy: one query, on the workbench only
    promises = (
        Reply.objects.none()
        if navigation
        else Reply.objects.filter(
            follow_up_classes(),
            unit_id=unit_id,
            status=ReplyStatus.SENT,
            proposal__status__in=EVALUABLE,
            follow_up__isnull=True,
        )
        .exclude(_later_round_exists("assignment"))
        .select_related("proposal")
        .order_by("sent_at", "pk")
    )
    workspace = reverse("proposals:unit_workspace")
    leader_queues_of = leader_queues(unit_id) if user.is_unit_leader else []
    queues = [*leader_queues_of]
    queues += [
        Queue(
            "accept",
            _("新交办，待签收"),
            to_accept,
            "accept",
            f"{workspace}?status=assigned",
            _("没有待签收的交办。"),
        ),
        Queue(
            "overdue",
            _("已逾期"),
            overdue,
            "assignments",
            f"{workspace}?overdue=true",
            _("没有逾期的交办。"),
        ),
        Queue(
            "due_soon",
            _("%(n)s 天内到期") % {"n": due_days},
            due_soon,
            "assignments",
            f"{workspace}?due_within={due_days}",
            _("近期没有到期的交办。"),
            in_total=False,
        ),
        Queue(
            "later",
            _("办理中（%(n)s 天后到期）") % {"n": due_days},
            later,
            "assignments",
            f"{workspace}?status=accepted",
            _("没有其他正在办理的交办。"),
            in_total=False,
        ),
        Queue(
            "sent_back",
            _("退回修改的答复稿"),
            sent_back,
            "sent_back",
            "",
            _("没有退回修改的答复稿。"),
        ),
        Queue(
            "opinions_back",
            _("退回修改的会办意见"),
            opinions_back,
            "opinions_back",
            "",
            _("没有退回修改的会办意见。"),
        ),
        Queue(
            "disputed",
            _("代表委员有异议的沟通记录"),
            disputed,
            "disputed",
            "",
            _("没有有异议的沟通记录。"),
        ),
        Queue(
            "promises",
            _("B类答复待登记落实承诺"),
            promises,
            "promises",
            "",
            _("没有待登记的落实承诺。"),
            in_total=False,
        ),
        Queue(
            "follow_ups",
            _("落实情况 %(n)s 天内到期") % {"n": due_days},
            follow_ups,
            "follow_ups",
            reverse("replies:follow_ups") + "?status=open",
            _("近期没有到期的落实承诺。"),
        ),
    ]
    if user.is_unit_leader:
        # what waits for the leader is approval; the staff's handling is the unit's, shown to the
        # leader as counts that open the lists (and not in the leader's own badge)
        for queue in queues[len(leader_queues_of) :]:
            queue.summary, queue.in_total = True, False
    return queues


def leader_queues(unit_id: int) -> list[Queue]:
    """What waits for the unit leader's approval, each row opening the page where they act."""
    to_sign = (
        Reply.objects.filter(unit_id=unit_id, status=ReplyStatus.SUBMITTED)
        .exclude(proposal__status__in=ENDED)
        .select_related("proposal", "assignment", "updated_by")
        .order_by("assignment__due_on", "submitted_at", "pk")
    )
    opinions = (
        CoOpinion.objects.filter(assignment__unit_id=unit_id, status=CoOpinionStatus.PENDING_LEADER)
        .exclude(assignment__proposal__status__in=ENDED)
        .select_related("assignment__proposal", "drafted_by")
        .order_by("assignment__due_on", "pk")
    )
    # the rows name the unit (templates/workbench/rows/returns.html, shared with the office)
    related = ("assignment__proposal", "assignment__unit", "requested_by")
    pending = {"assignment__unit_id": unit_id, "status": RequestStatus.PENDING_LEADER}
    returns = (
        ReturnRequest.objects.filter(**pending)
        .exclude(assignment__proposal__status__in=ENDED)
        .select_related(*related)
        .order_by("assignment__return_until", "requested_at", "pk")
    )
    extensions = (
        ExtensionRequest.objects.filter(**pending)
        .exclude(assignment__proposal__status__in=ENDED)
        .select_related(*related)
        .order_by("assignment__due_on", "requested_at", "pk")
    )
    return [
        Queue("sign", _("待签发的答复稿"), to_sign, "sign", "", _("没有待签发的答复稿。")),
        Queue(
            "opinions",
            _("待审核的会办意见"),
            opinions,
            "opinions",
            "",
            _("没有待审核的会办意见。"),
        ),
        Queue(
            "returns",
            _("待审核的退回申请"),
            returns,
            "returns",
            "",
            _("没有待审核的退回申请。"),
        ),
        Queue(
            "extensions",
            _("待审核的延期申请"),
            extensions,
            "extensions",
            "",
            _("没有待审核的延期申请。"),
        ),
    ]


def supervisor_queues(user: User, today: date) -> list[Queue]:
    items = Proposal.objects.filter(_supervised(user, ""))
    review = (
        items.filter(status=ProposalStatus.SUBMITTED)
        .select_related("meeting", "lead")
        .order_by("submitted_at", "pk")
    )
    assign = (
        items.filter(status=ProposalStatus.REGISTERED)
        .select_related("meeting", "lead")
        .order_by("reviewed_at", "pk")
    )
    scope = _supervised(user, "assignment__proposal__")
    related = ("assignment__proposal", "assignment__unit", "requested_by")
    # a request or a reply of an item that was withdrawn or closed meanwhile waits for nobody
    returns = (
        ReturnRequest.objects.filter(scope, status=RequestStatus.PENDING_SUPERVISOR)
        .exclude(assignment__proposal__status__in=ENDED)
        .select_related(*related)
        .order_by("leader_decided_at", "pk")
    )
    extensions = (
        ExtensionRequest.objects.filter(scope, status=RequestStatus.PENDING_SUPERVISOR)
        .exclude(assignment__proposal__status__in=ENDED)
        .select_related(*related)
        .order_by("assignment__due_on", "pk")
    )
    reply_scope = _supervised(user, "proposal__")
    in_review = (
        Reply.objects.filter(reply_scope, status=ReplyStatus.IN_REVIEW)
        .exclude(proposal__status__in=ENDED)
        .select_related("proposal", "unit", "assignment")
        .order_by("signed_at", "pk")
    )
    unsatisfied_evaluations = Evaluation.objects.filter(reply=OuterRef("pk")).filter(
        Q(work_rating=Rating.UNSATISFIED) | Q(result_rating=Rating.UNSATISFIED)
    )
    unsatisfied = (
        Reply.objects.filter(reply_scope, status=ReplyStatus.SENT, proposal__status__in=EVALUABLE)
        .filter(Exists(unsatisfied_evaluations))
        .exclude(_later_round_exists("assignment"))
        .select_related("proposal", "unit", "assignment")
        .prefetch_related(
            Prefetch("evaluations", queryset=Evaluation.objects.select_related("evaluator"))
        )
        .order_by("evaluation_until", "pk")
    )
    open_window = Reply.objects.filter(
        proposal_id=OuterRef("pk"), status=ReplyStatus.SENT, evaluation_until__gte=today
    )
    # an item with a 不满意 answer is decided from the 不满意 queue (重新办理 or 办结): not twice
    unsatisfied_in_item = (
        Reply.objects.filter(proposal_id=OuterRef("pk"), status=ReplyStatus.SENT)
        .filter(Exists(unsatisfied_evaluations))
        .exclude(_later_round_exists("assignment"))
    )
    window_passed = (
        items.filter(status__in=EVALUABLE)
        .exclude(Exists(open_window))
        .exclude(Exists(unsatisfied_in_item))
        .select_related("meeting", "lead")
        .order_by("updated_at", "pk")
    )
    overdue = Assignment.objects.filter(
        OPEN_ASSIGNMENT, _supervised(user, "proposal__"), due_on__lt=today
    )
    item_list = reverse("proposals:list")
    return [
        Queue(
            "review",
            _("待立案审查"),
            review,
            "review",
            reverse("proposals:review_queue"),
            _("没有待审查的建议提案。"),
        ),
        Queue(
            "assign",
            _("待交办"),
            assign,
            "assign",
            reverse("proposals:assign_queue"),
            _("没有待交办的建议提案。"),
        ),
        Queue(
            "returns",
            _("待决定的退回申请"),
            returns,
            "returns",
            reverse("proposals:request_queue"),
            _("没有待决定的退回申请。"),
        ),
        Queue(
            "extensions",
            _("待决定的延期申请"),
            extensions,
            "extensions",
            reverse("proposals:request_queue"),
            _("没有待决定的延期申请。"),
        ),
        Queue(
            "reply_review",
            _("待督办审核的答复"),
            in_review,
            "reply_review",
            reverse("replies:review_queue"),
            _("没有待审核的答复。"),
        ),
        Queue(
            "unsatisfied",
            _("被评为不满意的答复"),
            unsatisfied,
            "unsatisfied",
            f"{item_list}?satisfaction={Rating.UNSATISFIED}",
            _("没有被评为不满意的答复。"),
        ),
        Queue(
            "window_passed",
            _("测评期已过、待办结"),
            window_passed,
            "window_passed",
            "",
            _("没有测评期已过的建议提案。"),
        ),
        Queue(
            "overdue",
            _("逾期的交办（按单位）"),
            overdue,
            "overdue_units",
            f"{item_list}?overdue=true",
            _("没有逾期的交办。"),
            in_total=False,
        ),
    ]


def queues_for(
    user: User, *, due_days: int = DEFAULT_DUE_DAYS, navigation: bool = False
) -> list[Queue]:
    """The queues of this person's workbench (none for administrators); with `navigation`,
    only those the navigation counts (its total and its badges)."""
    today = timezone.localdate()
    if user.is_member:
        queues = member_queues(user, today)
    elif user.is_unit_user:
        queues = unit_queues(user, today, due_days, navigation=navigation)
    elif user.is_supervisor:
        queues = supervisor_queues(user, today)
    else:
        queues = []
    if navigation:
        queues = [queue for queue in queues if queue.in_total]
    return queues


def nav_counts(user: User, queues: list[Queue] | None = None) -> dict[str, int]:
    """Counts per navigation link and "total" (what waits for action on the workbench), in one
    query. With `queues` already counted (the workbench page), no query at all."""
    if queues is None:
        queues = queues_for(user, navigation=True)
        if not queues:
            return {"total": 0}
        with without_parallel_workers():
            counts = count_many({queue.key: queue.queryset for queue in queues})
        for queue in queues:
            queue.count = counts[queue.key]
    by_key = {queue.key: queue.count for queue in queues}
    result = {"total": sum(queue.count for queue in queues if queue.in_total)}
    if user.is_member:
        result["invitations"] = by_key.get("invitations", 0)
    elif user.is_supervisor:
        result["review"] = by_key.get("review", 0)
        result["assign"] = by_key.get("assign", 0)
        result["requests"] = by_key.get("returns", 0) + by_key.get("extensions", 0)
        result["reply_review"] = by_key.get("reply_review", 0)
    return result


def fill(queues: list[Queue]) -> list[Queue]:
    """Count every queue in one query and read the first rows of the non-empty ones.

    A queue shown by unit ("overdue_units") is read whole, one row per unit, and counted from
    those rows: counting it again in the count query joined every overdue assignment to its item
    a second time (15-30 ms of the supervisor's workbench at 100 000 items, bench/pages.py)."""
    counted = {q.key: q.queryset for q in queues if q.template != "overdue_units"}
    counts = count_many(counted)
    for queue in queues:
        if queue.template == "overdue_units":
            by_unit = list(
                queue.queryset.values("unit_id", "unit__name")
                .annotate(n=Count("pk"))
                .order_by("-n", "unit__name")
            )
            queue.count = sum(row["n"] for row in by_unit)
            queue.rows = by_unit[:ROWS_SHOWN]
            continue
        queue.count = counts[queue.key]
        if queue.count and not queue.summary:
            queue.rows = list(queue.queryset[:ROWS_SHOWN])
    return queues
