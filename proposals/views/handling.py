"""Pages of handling: 交办, the unit's workspace, 签收, return and extension requests, 会办意见,
答复前沟通. Each view: fetch with a permission check, validate a form, call one service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role, User
from replies.models import OPEN_REPLY_STATUSES, Reply, ReplyStatus
from replies.permissions import replies_of_visible_item

from .. import services, suggestions
from ..filters import AssignmentFilter, ProposalFilter
from ..forms import (
    AdoptSuggestionsForm,
    AssignForm,
    BatchAssignForm,
    ContactRecordForm,
    ContactResponseForm,
    CoOpinionForm,
    DecisionForm,
    ExtensionDecisionForm,
    ExtensionRequestForm,
    ReturnDecisionForm,
    ReturnRequestForm,
)
from ..models import (
    HANDLING_ENDED_STATUSES,
    Assignment,
    AssignmentRole,
    CoOpinion,
    CoOpinionStatus,
    ExtensionRequest,
    Proposal,
    ProposalStatus,
    RequestStatus,
    ReturnRequest,
    RoutingDecision,
    RoutingMode,
)
from ..permissions import (
    get_assignment_for_unit,
    get_co_opinion_for_leader,
    get_contact_for_signer,
    get_extension_request_for_user,
    get_proposal_for_assignment,
    get_return_request_for_user,
)
from ..services.common import local_date
from .common import (
    apply_error,
    ended_handling_redirect,
    ended_handling_text,
    error_text,
    paginate,
    posted_text,
    redirect_back,
)

UNIT_ROLES = (Role.UNIT_STAFF, Role.UNIT_LEADER)


def _current_user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _assign_kwargs(form: AssignForm) -> dict[str, Any]:
    return {
        "lead_unit": form.cleaned_data["lead_unit"],
        "co_units": list(form.cleaned_data["co_units"]),
        "separate_units": list(form.cleaned_data["separate_units"]),
    }


@role_required(Role.SUPERVISOR)
def assign_queue(request: HttpRequest) -> HttpResponse:
    """Registered items waiting for 交办, each with the 智能交办 proposal; batch assignment of the
    ticked ones by hand, or by taking every proposal that reaches a confidence."""
    user = _current_user(request)
    base = Proposal.objects.for_user(user).filter(status=ProposalStatus.REGISTERED)
    item_filter = ProposalFilter(
        request.GET,
        queryset=base.select_related("meeting", "category__parent", "lead"),
        request=request,
    )
    bodies = user.supervised_bodies()
    action = request.POST.get("action") if request.method == "POST" else None
    adopt_form = AdoptSuggestionsForm(
        request.POST if action == "adopt" else None,
        candidates=base,
        initial={"threshold": _threshold(request)},
    )
    if action == "adopt":
        if adopt_form.is_valid():
            return _adopt_suggestions(request, user, adopt_form, item_filter.qs, bodies)
        form = BatchAssignForm(None, candidates=base)
    else:
        form = BatchAssignForm(request.POST or None, candidates=base)
    if request.method == "POST" and action != "adopt" and form.is_valid():
        items = list(form.cleaned_data["items"])
        shown = suggestions.propose(items, bodies=bodies)
        done, failed = 0, []
        for proposal in items:
            item = shown.get(proposal.pk)
            try:
                services.proposal_assign(
                    proposal=proposal,
                    actor=user,
                    suggestion=item.record() if item else None,
                    mode=RoutingMode.BATCH,
                    **_assign_kwargs(form),
                )
            except ValidationError as error:
                failed.append(
                    _("《%(title)s》：%(error)s")
                    % {"title": proposal.title, "error": error_text(error)}
                )
            else:
                done += 1
        if done:
            messages.success(request, _("已交办 %(n)s 件。") % {"n": done})
        for line in failed:
            messages.error(request, line)
        if not failed:
            return redirect("proposals:assign_queue")
    page = paginate(request, item_filter.qs.order_by("meeting", "number"))
    items = list(page.object_list)
    shown = suggestions.propose(items, bodies=bodies)
    rows = [(p, shown.get(p.pk)) for p in items]
    return render(
        request,
        "proposals/assign_queue.html",
        {
            "filter": item_filter,
            "page": page,
            "rows": rows,
            "form": form,
            "adopt_form": adopt_form,
            "title": _("待交办"),
        },
    )


def _threshold(request: HttpRequest) -> int:
    try:
        value = int(request.GET.get("threshold", ""))
    except ValueError:
        return AdoptSuggestionsForm.DEFAULT_THRESHOLD
    return value if 1 <= value <= 100 else AdoptSuggestionsForm.DEFAULT_THRESHOLD


def _adopt_suggestions(
    request: HttpRequest,
    user: User,
    form: AdoptSuggestionsForm,
    filtered: Any,
    bodies: list[str],
) -> HttpResponse:
    """采用置信度不低于 N% 的建议: every ticked item (or, none ticked, every item of the filter)
    whose proposal reaches N is assigned as proposed, through the same service as by hand; the
    rest stay for a person."""
    threshold = form.cleaned_data["threshold"]
    items = list(form.cleaned_data["items"]) or list(filtered.order_by("meeting", "number"))
    shown = suggestions.propose(items, bodies=bodies)
    done, failed = 0, []
    for proposal in items:
        item = shown.get(proposal.pk)
        if item is None or item.percent < threshold:
            continue
        try:
            services.proposal_assign(
                proposal=proposal,
                actor=user,
                lead_unit=item.lead.unit,
                co_units=[c.unit for c in item.co],
                suggestion=item.record(),
                mode=RoutingMode.BATCH_ADOPT,
            )
        except ValidationError as error:
            failed.append(
                _("《%(title)s》：%(error)s")
                % {"title": proposal.title, "error": error_text(error)}
            )
        else:
            done += 1
    left = len(items) - done
    messages.success(
        request,
        _("已按建议交办 %(done)s 件（置信度不低于 %(n)s%%）；其余 %(left)s 件留待人工交办。")
        % {"done": done, "n": threshold, "left": left},
    )
    for line in failed:
        messages.error(request, line)
    query = request.GET.copy()
    query["threshold"] = str(threshold)
    query.pop("page", None)
    return redirect(f"{request.path}?{query.urlencode()}")


@role_required(Role.SUPERVISOR)
def proposal_assign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    proposal = get_proposal_for_assignment(user, pk)
    if proposal.status != ProposalStatus.REGISTERED:
        messages.info(
            request,
            _("这件建议提案当前为“%(s)s”，不能交办。") % {"s": proposal.get_status_display()},
        )
        return redirect("proposals:detail", pk=pk)
    bodies = user.supervised_bodies()
    if request.method == "POST":
        form = AssignForm(request.POST)
        if form.is_valid():
            shown = suggestions.shown_record(request.POST.get("suggestion", ""), proposal.pk)
            try:
                services.proposal_assign(
                    proposal=proposal,
                    actor=user,
                    suggestion=shown,
                    mode=RoutingMode.SINGLE,
                    **_assign_kwargs(form),
                )
            except ValidationError as error:
                apply_error(form, error)
            else:
                messages.success(request, _("已交办。"))
                return redirect("proposals:detail", pk=pk)
        item = suggestions.propose_one(proposal, bodies=bodies)
        adopted = False
    else:
        item = suggestions.propose_one(proposal, bodies=bodies)
        # the proposal is preselected only when the supervisor asks for it, never silently
        adopted = item is not None and request.GET.get("adopt") == "1"
        initial = (
            {"lead_unit": item.lead.unit.pk, "co_units": [c.unit.pk for c in item.co]}
            if item is not None and adopted
            else None
        )
        form = AssignForm(initial=initial)
    policy = proposal.meeting.policy_summary()
    return render(
        request,
        "proposals/assign_form.html",
        {
            "proposal": proposal,
            "form": form,
            "policy": policy,
            "suggestion": item,
            "adopted": adopted,
            "title": _("交办"),
        },
    )


@role_required(Role.SUPERVISOR)
def routing_accuracy(request: HttpRequest) -> HttpResponse:
    """智能交办准确率: how often the proposed lead unit was taken unchanged, overall and per
    meeting, over the decisions on the items this supervisor may see."""
    user = _current_user(request)
    decisions = RoutingDecision.objects.filter(
        proposal__in=Proposal.objects.for_user(user).values("pk")
    )
    counts = {
        "n": Count("pk"),
        "lead": Count("pk", filter=Q(lead_accepted=True)),
        "full": Count("pk", filter=Q(accepted=True)),
        "batch": Count("pk", filter=Q(mode=RoutingMode.BATCH_ADOPT)),
    }
    per_meeting: list[dict[str, Any]] = [
        dict(row)
        for row in decisions.values("proposal__meeting_id", "proposal__meeting__name")
        .annotate(**counts)
        .order_by("-proposal__meeting_id")
    ]
    overall = {k: sum(row[k] for row in per_meeting) for k in counts}

    def rate(row: dict[str, Any]) -> dict[str, Any]:
        n = row["n"]
        return {
            **row,
            "lead_rate": round(100 * row["lead"] / n, 1) if n else None,
            "full_rate": round(100 * row["full"] / n, 1) if n else None,
        }

    return render(
        request,
        "proposals/routing_accuracy.html",
        {
            "overall": rate(overall),
            "per_meeting": [rate(row) for row in per_meeting],
            "title": _("智能交办准确率"),
        },
    )


@role_required(*UNIT_ROLES)
def unit_workspace(request: HttpRequest) -> HttpResponse:
    """本单位承办: the unit's assignments with deadlines, and what waits for the leader."""
    user = _current_user(request)
    base = (
        Assignment.objects.filter(unit_id=user.unit_id or 0)
        .select_related("proposal", "proposal__meeting", "proposal__lead")
        .defer("proposal__search_vector")  # ~6 KB a row, for SQL only
        .order_by("due_on", "pk")
    )
    data = request.GET.copy()
    if not data:
        data["status"] = ""
    assignment_filter = AssignmentFilter(data, queryset=base)
    page = paginate(request, assignment_filter.qs)
    context: dict[str, Any] = {"filter": assignment_filter, "page": page, "title": _("本单位承办")}
    if user.is_unit_leader:
        pending = {"assignment__unit_id": user.unit_id or 0, "status": RequestStatus.PENDING_LEADER}
        # nothing of a closed or withdrawn item waits for anyone: no step on it is accepted
        ended = {"assignment__proposal__status__in": HANDLING_ENDED_STATUSES}
        related = ("assignment__proposal", "requested_by")
        context["pending_returns"] = (
            ReturnRequest.objects.filter(**pending).exclude(**ended).select_related(*related)
        )
        context["pending_extensions"] = (
            ExtensionRequest.objects.filter(**pending).exclude(**ended).select_related(*related)
        )
        context["pending_replies"] = (
            Reply.objects.filter(unit_id=user.unit_id or 0, status=ReplyStatus.SUBMITTED)
            .exclude(proposal__status__in=HANDLING_ENDED_STATUSES)
            .select_related("proposal", "updated_by")
        )
        context["pending_opinions"] = (
            CoOpinion.objects.filter(
                assignment__unit_id=user.unit_id or 0, status=CoOpinionStatus.PENDING_LEADER
            )
            .exclude(**ended)
            .select_related("assignment__proposal", "drafted_by")
        )
    return render(request, "proposals/unit_workspace.html", context)


@require_POST
@role_required(*UNIT_ROLES)
def assignment_accept(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    assignment = get_assignment_for_unit(user, pk)
    try:
        services.assignment_accept(assignment=assignment, actor=user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已签收。"))
    return redirect_back(request, "proposals:unit_workspace")


@role_required(*UNIT_ROLES)
def return_request_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    assignment = get_assignment_for_unit(user, pk)
    if ended := ended_handling_redirect(request, assignment.proposal):
        return ended
    meeting = assignment.proposal.meeting
    window_end = meeting.return_window_ends_on(timezone.localdate(assignment.assigned_at))
    form = ReturnRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.return_request_create(
                assignment=assignment, actor=user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("退回申请已提交。"))
            return redirect("proposals:detail", pk=assignment.proposal_id)
    return render(
        request,
        "proposals/unit_request_form.html",
        {
            "assignment": assignment,
            "form": form,
            "title": _("申请退回"),
            "hint": _("交办后 %(n)s 个工作日内可以申请退回，本项截止于 %(date)s。")
            % {"n": meeting.return_window_working_days, "date": local_date(window_end)},
        },
    )


@role_required(*UNIT_ROLES)
def extension_request_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    assignment = get_assignment_for_unit(user, pk)
    if ended := ended_handling_redirect(request, assignment.proposal):
        return ended
    meeting = assignment.proposal.meeting
    cap = meeting.extension_cap_on(timezone.localdate(assignment.assigned_at))
    form = ExtensionRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_request_create(
                assignment=assignment,
                actor=user,
                reason=form.cleaned_data["reason"],
                requested_due_on=form.cleaned_data["requested_due_on"],
            )
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("延期申请已提交。"))
            return redirect("proposals:detail", pk=assignment.proposal_id)
    return render(
        request,
        "proposals/unit_request_form.html",
        {
            "assignment": assignment,
            "form": form,
            "title": _("申请延期"),
            "hint": _("现期限 %(due)s；延期后的总期限不超过交办后 %(n)s 个月，即最晚 %(cap)s。")
            % {
                "due": local_date(assignment.due_on),
                "n": meeting.extension_cap_months,
                "cap": local_date(cap),
            },
        },
    )


def _decide_request(request: HttpRequest, unit_request: Any, *, kind: str) -> HttpResponse:
    """Shared page for the leader's and the supervisor's decision on a return or extension."""
    user = _current_user(request)
    assignment = unit_request.assignment
    at_leader = unit_request.status == RequestStatus.PENDING_LEADER
    at_supervisor = unit_request.status == RequestStatus.PENDING_SUPERVISOR
    may_decide = (at_leader and user.is_unit_leader and user.unit_id == assignment.unit_id) or (
        at_supervisor and assignment.proposal.meeting.body in user.supervised_bodies()
    )
    if may_decide and assignment.proposal.handling_ended:
        # the request stays readable here; it can no longer be decided
        messages.info(request, ended_handling_text(assignment.proposal))
        if request.method == "POST":
            return redirect("proposals:detail", pk=assignment.proposal_id)
        may_decide = False
    if request.method == "POST" and not may_decide:
        raise PermissionDenied(_("这项申请现在不由您审核。"))
    if kind == "return" and at_supervisor:
        # the returning unit and the units already on the item in this round are not offered
        busy = Assignment.objects.filter(
            proposal=assignment.proposal, round=assignment.round
        ).active()
        form: DecisionForm = ReturnDecisionForm(
            request.POST or None,
            exclude_unit_ids=[assignment.unit_id, *busy.values_list("unit_id", flat=True)],
        )
    elif kind == "extension" and at_supervisor:
        form = ExtensionDecisionForm(
            request.POST or None, initial={"granted_due_on": unit_request.requested_due_on}
        )
    else:
        form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        note = form.cleaned_data["note"]
        try:
            if kind == "return" and at_leader:
                services.return_request_leader_decide(
                    request=unit_request, actor=user, approve=form.approve, note=note
                )
            elif kind == "return":
                services.return_request_supervisor_decide(
                    request=unit_request,
                    actor=user,
                    approve=form.approve,
                    note=note,
                    new_units=list(form.cleaned_data.get("new_units") or []),
                )
            elif at_leader:
                services.extension_request_leader_decide(
                    request=unit_request, actor=user, approve=form.approve, note=note
                )
            else:
                services.extension_request_supervisor_decide(
                    request=unit_request,
                    actor=user,
                    approve=form.approve,
                    note=note,
                    granted_due_on=form.cleaned_data.get("granted_due_on"),
                )
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("审核完成。"))
            return redirect("proposals:detail", pk=assignment.proposal_id)
    return render(
        request,
        "proposals/request_decide.html",
        {
            "unit_request": unit_request,
            "assignment": assignment,
            "kind": kind,
            "extension_cap": assignment.proposal.meeting.extension_cap_on(
                timezone.localdate(assignment.assigned_at)
            )
            if kind == "extension"
            else None,
            "form": form if may_decide else None,
            "title": _("退回申请") if kind == "return" else _("延期申请"),
        },
    )


@role_required(Role.UNIT_STAFF, Role.UNIT_LEADER, Role.SUPERVISOR)
def return_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide_request(request, get_return_request_for_user(request.user, pk), kind="return")


@role_required(Role.UNIT_STAFF, Role.UNIT_LEADER, Role.SUPERVISOR)
def extension_request_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide_request(
        request, get_extension_request_for_user(request.user, pk), kind="extension"
    )


@role_required(Role.SUPERVISOR)
def request_queue(request: HttpRequest) -> HttpResponse:
    """Return and extension requests waiting for the supervisory office."""
    user = _current_user(request)
    scope = Q(assignment__proposal__meeting__body__in=user.supervised_bodies()) & ~Q(
        assignment__proposal__status__in=HANDLING_ENDED_STATUSES
    )
    related = ("assignment__proposal", "assignment__unit", "requested_by")
    returns = ReturnRequest.objects.filter(
        scope, status=RequestStatus.PENDING_SUPERVISOR
    ).select_related(*related)
    extensions = ExtensionRequest.objects.filter(
        scope, status=RequestStatus.PENDING_SUPERVISOR
    ).select_related(*related)
    return render(
        request,
        "proposals/request_queue.html",
        {"returns": returns, "extensions": extensions, "title": _("退回与延期申请")},
    )


@role_required(*UNIT_ROLES)
def co_opinion_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    assignment = get_assignment_for_unit(user, pk)
    if assignment.role != AssignmentRole.CO:
        raise PermissionDenied(_("只有会办单位提出会办意见。"))
    handling_open = not assignment.proposal.handling_ended
    if not handling_open:
        # the opinion stays readable here; nothing on it changes any more
        messages.info(request, ended_handling_text(assignment.proposal))
        if request.method == "POST":
            return redirect("proposals:detail", pk=assignment.proposal_id)
    opinion = CoOpinion.objects.filter(assignment=assignment).first()
    form = CoOpinionForm(request.POST or None, initial={"text": opinion.text if opinion else ""})
    if request.method == "POST" and form.is_valid():
        submit = "submit" in request.POST
        try:
            opinion = services.co_opinion_save(
                assignment=assignment, actor=user, text=form.cleaned_data["text"], submit=submit
            )
        except ValidationError as error:
            apply_error(form, error)
        else:
            if opinion.status == CoOpinionStatus.SENT:
                messages.success(request, _("会办意见已送达主办单位。"))
            elif opinion.status == CoOpinionStatus.PENDING_LEADER:
                messages.success(request, _("会办意见已送单位负责人审核。"))
            else:
                messages.success(request, _("会办意见草稿已保存。"))
            return redirect("proposals:detail", pk=assignment.proposal_id)
    lead_assignments = Assignment.objects.filter(
        proposal=assignment.proposal, round=assignment.round, role=AssignmentRole.LEAD
    ).active()
    return render(
        request,
        "proposals/co_opinion_form.html",
        {
            "assignment": assignment,
            "opinion": opinion,
            "form": form,
            "lead_units": [a.unit for a in lead_assignments.select_related("unit")],
            # a pending opinion is decided (sign off / send back), not edited, by the leader
            "can_edit": handling_open
            and assignment.is_open
            and assignment.status == "accepted"
            and (opinion is None or opinion.status == CoOpinionStatus.DRAFT),
            "can_decide": handling_open
            and user.is_unit_leader
            and opinion is not None
            and opinion.status == CoOpinionStatus.PENDING_LEADER,
            "title": _("会办意见"),
        },
    )


@require_POST
@role_required(Role.UNIT_LEADER)
def co_opinion_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    opinion = get_co_opinion_for_leader(user, pk)
    if ended := ended_handling_redirect(request, opinion.assignment.proposal):
        return ended
    approve = request.POST.get("decision") == "approve"
    try:
        services.co_opinion_decide(
            opinion=opinion, actor=user, approve=approve, comment=posted_text(request, "comment")
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("会办意见已送达主办单位。") if approve else _("已退回修改。"))
    return redirect("proposals:co_opinion", pk=opinion.assignment_id)


@role_required(*UNIT_ROLES)
def contact_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    assignment = get_assignment_for_unit(user, pk)
    if not assignment.gives_reply:
        raise PermissionDenied(_("答复前沟通由主办或分办单位记录。"))
    if ended := ended_handling_redirect(request, assignment.proposal):
        return ended
    if assignment.status != "accepted":
        messages.info(request, _("这项交办现在不能记录答复前沟通（须已签收、尚未答复）。"))
        return redirect("proposals:detail", pk=assignment.proposal_id)
    form = ContactRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.contact_record_create(assignment=assignment, actor=user, **form.cleaned_data)
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("沟通记录已保存，等待代表委员确认。"))
            return redirect("proposals:detail", pk=assignment.proposal_id)
    return render(
        request,
        "proposals/contact_form.html",
        {"assignment": assignment, "form": form, "title": _("记录答复前沟通")},
    )


@require_POST
@role_required(Role.MEMBER)
def contact_respond(request: HttpRequest, pk: int) -> HttpResponse:
    user = _current_user(request)
    record = get_contact_for_signer(user, pk)
    form = ContactResponseForm(request.POST)
    confirm = request.POST.get("answer") == "confirm"
    if form.is_valid():
        try:
            services.contact_record_respond(
                record=record, actor=user, confirm=confirm, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("已确认沟通记录。") if confirm else _("已提出异议。"))
    else:
        messages.error(request, error_text(ValidationError(list(form.errors.values()))))
    return redirect("proposals:detail", pk=record.assignment.proposal_id)


# Before 立案 and 交办 an item has no assignments, and so no replies, opinions or requests.
NOT_YET_HANDLED = (ProposalStatus.DRAFT, ProposalStatus.SUBMITTED)


def handling_context(user: User, proposal: Proposal, *, is_signer: bool) -> dict[str, Any]:
    """What the item page shows of its handling, for this user. The caller has already checked
    that the user may see the item; `is_signer`: the user leads or co-signs it (confirmed)."""
    if proposal.status in NOT_YET_HANDLED:
        return {
            "assignments": [],
            "my_assignments": [],
            "co_opinions": [],
            "contacts": [],
            "return_requests": [],
            "extension_requests": [],
            "can_assign": False,
            "can_respond_to_contacts": False,
            "replies": [],
        }
    role_order = {AssignmentRole.LEAD: 0, AssignmentRole.SEPARATE: 1, AssignmentRole.CO: 2}
    assignments = sorted(
        Assignment.objects.filter(proposal=proposal).select_related("unit"),
        key=lambda a: (a.round, a.status == "returned", role_order[AssignmentRole(a.role)], a.pk),
    )
    today = timezone.localdate()
    my_assignments = [
        assignment
        for assignment in assignments
        if user.is_unit_user and assignment.unit_id == user.unit_id and assignment.is_active
    ]
    my_unit_ids = {assignment.unit_id for assignment in my_assignments}
    is_lead_unit = any(assignment.role == AssignmentRole.LEAD for assignment in my_assignments)
    related = ("assignment__unit", "requested_by")
    request_scope: dict[str, Any] = {"assignment__proposal": proposal}
    if not user.is_supervisor:
        request_scope["assignment__unit_id__in"] = my_unit_ids
    shows_requests = user.is_supervisor or bool(my_unit_ids)
    return_requests = (
        list(ReturnRequest.objects.filter(**request_scope).select_related(*related))
        if shows_requests
        else []
    )
    extension_requests = (
        list(ExtensionRequest.objects.filter(**request_scope).select_related(*related))
        if shows_requests
        else []
    )
    # a unit's people see all of their unit's replies to the item, drafts included
    replies = list(
        replies_of_visible_item(user, proposal, is_signer=is_signer)
        .select_related("unit", "letter", "assignment")
        .order_by("unit__name", "created_at")
    )
    pending = (RequestStatus.PENDING_LEADER, RequestStatus.PENDING_SUPERVISOR)
    pending_returns = {r.assignment_id for r in return_requests if r.status in pending}
    pending_extensions = {r.assignment_id for r in extension_requests if r.status in pending}
    open_reply_assignments = {r.assignment_id for r in replies if r.status in OPEN_REPLY_STATUSES}
    # 办结 or 撤案: nothing on the item changes any more, so no page offers a change
    handling_open = not proposal.handling_ended
    mine: list[dict[str, Any]] = []
    for assignment in my_assignments:
        running = handling_open and assignment.is_open
        handling = running and assignment.status == "accepted" and assignment.gives_reply
        window_end = proposal.meeting.return_window_ends_on(
            timezone.localdate(assignment.assigned_at)
        )
        mine.append(
            {
                "assignment": assignment,
                "can_accept": running and assignment.status == "assigned",
                "can_return": running
                and today <= window_end
                and assignment.pk not in pending_returns,
                "return_window_end": window_end,
                # one request at a time: none while the last one waits for a decision
                "can_extend": handling and assignment.pk not in pending_extensions,
                # contacts come before the reply, while the unit is handling the item
                "can_contact": handling,
                "is_co": assignment.role == AssignmentRole.CO,
                # the co-handling opinion page, to write the opinion while the item is open
                "can_open_co_opinion": handling_open and assignment.role == AssignmentRole.CO,
                "can_reply": handling,
                "open_reply": assignment.pk in open_reply_assignments,
            }
        )
    opinions = CoOpinion.objects.filter(assignment__proposal=proposal).select_related(
        "assignment__unit"
    )
    if user.is_supervisor or is_lead_unit:
        opinions = opinions.filter(status=CoOpinionStatus.SENT) | opinions.filter(
            assignment__unit_id__in=my_unit_ids
        )
    elif my_unit_ids:
        opinions = opinions.filter(assignment__unit_id__in=my_unit_ids)
    else:
        opinions = opinions.none()
    contacts = list(proposal_contacts(proposal)) if assignments else []
    return {
        "assignments": assignments,
        "my_assignments": mine,
        "co_opinions": opinions.order_by("sent_at", "pk"),
        "contacts": contacts,
        "return_requests": return_requests,
        "extension_requests": extension_requests,
        "can_assign": user.is_supervisor and proposal.status == ProposalStatus.REGISTERED,
        # the signers confirm or dispute the unit's contact records while the item is open
        "can_respond_to_contacts": is_signer and handling_open,
        "replies": replies,
    }


def proposal_contacts(proposal: Proposal) -> Any:
    from ..models import ContactRecord

    return ContactRecord.objects.filter(assignment__proposal=proposal).select_related(
        "assignment__unit", "recorded_by", "responded_by"
    )
