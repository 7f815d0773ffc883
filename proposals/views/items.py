"""Item pages. Each view: fetch with a permission check, validate a form, call one service."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role, User
from replies.views import evaluation_context

from .. import event_visibility, precheck, search, sections, services
from ..files import stored_file_response
from ..filters import ProposalFilter
from ..forms import CoSignerSearchForm, ProposalForm, ReviewForm, ReviewOutcome, WithdrawForm
from ..models import Assignment, CoSignerStatus, Meeting, Proposal, ProposalStatus
from ..permissions import (
    can_edit,
    can_review,
    can_withdraw,
    get_attachment_for_user,
    get_cosigner_for_invitee,
    get_cosigner_for_lead,
    get_proposal_for_review,
    get_proposal_for_user,
)
from ..separators import clauses
from ..services import MERGE_TARGETS
from .common import apply_error, error_text, paginate, posted_ids, redirect_back
from .exports import export_columns_form
from .handling import handling_context


def _list_queryset(user: User) -> QuerySet[Proposal]:
    # the search terms are large and never shown
    return (
        Proposal.objects.for_user(user)
        .select_related("meeting", "category__parent", "lead")
        .defer("search_vector")
    )


# statuses an item can have once assigned, and so in a re-handling round
HANDLED_STATUSES = (
    ProposalStatus.ASSIGNED,
    ProposalStatus.REPLIED,
    ProposalStatus.EVALUATED,
    ProposalStatus.CLOSED,
    ProposalStatus.WITHDRAWN,
)


def mark_rounds(items: Iterable[Proposal]) -> None:
    """Set `handling_round` (2, 3 …) on the items in 重新办理 or re-handled before, for the
    list templates: one query for the page's rows, none when no row was ever assigned."""
    handled = [item for item in items if item.status in HANDLED_STATUSES]
    rounds = Assignment.objects.rounds_above_first(item.pk for item in handled) if handled else {}
    for item in handled:
        item.handling_round = rounds.get(item.pk, 1)  # type: ignore[attr-defined]


@login_required
def proposal_list(request: HttpRequest) -> HttpResponse:
    base = _list_queryset(request.user)  # type: ignore[arg-type]
    item_filter = ProposalFilter(request.GET, queryset=base, request=request)
    page = paginate(request, item_filter.qs)
    query = (request.GET.get("q") or "").strip()
    if query:
        for item in page.object_list:
            item.snippet = search.highlight(item.body, query)
    mark_rounds(page.object_list)
    return render(
        request,
        "proposals/proposal_list.html",
        {
            "filter": item_filter,
            "page": page,
            "capped": search.MAX_RANKED if search.capped(page.object_list) else 0,
            "export_form": export_columns_form(request),
            "title": _("建议提案"),
        },
    )


@role_required(Role.SUPERVISOR)
def review_queue(request: HttpRequest) -> HttpResponse:
    base = _list_queryset(request.user)  # type: ignore[arg-type]
    data = request.GET.copy()
    data.setdefault("status", ProposalStatus.SUBMITTED)
    item_filter = ProposalFilter(data, queryset=base, request=request)
    page = paginate(request, item_filter.qs.order_by("submitted_at", "pk"))
    return render(
        request,
        "proposals/review_queue.html",
        {"filter": item_filter, "page": page, "title": _("立案审查")},
    )


@role_required(Role.MEMBER)
def proposal_create(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ProposalForm(request.POST or None, request.FILES or None, author=user)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.proposal_create(
                author=user,
                meeting=form.cleaned_data["meeting"],
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                category=form.cleaned_data["category"],
                body=form.cleaned_data["body"],
                sections=form.cleaned_data["sections"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("草稿已保存。您可以继续修改、邀请联名人，然后提交。"))
            return redirect("proposals:detail", pk=proposal.pk)
    return render(
        request,
        "proposals/proposal_form.html",
        {"form": form, "title": _("提出建议提案"), **_form_precheck(request, form, None)},
    )


def _form_precheck(request: HttpRequest, form: ProposalForm, proposal: Proposal | None) -> dict:
    """The pre-check of what was posted, shown again with the re-rendered form (the page's
    script refreshes it while the member types)."""
    result = None
    if request.method == "POST" and form.section_meeting is not None:
        result = precheck.precheck(
            user=request.user,
            meeting=form.section_meeting,
            title=str(form.data.get("title") or ""),
            texts=form.section_texts(),
            exclude=proposal.pk if proposal else None,
        )
    return {"precheck": result, "precheck_meeting": form.section_meeting}


@role_required(Role.MEMBER)
def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    proposal = get_proposal_for_user(user, pk, write=True)
    form = ProposalForm(request.POST or None, request.FILES or None, author=user, proposal=proposal)
    texts = sections.texts_of(proposal)
    form.initial = {"title": proposal.title, "category": proposal.category_id}
    for rule in form.section_rules:
        form.initial[form.section_field_name(rule)] = texts.get(rule["key"], "")
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_update_draft(
                proposal=proposal,
                actor=user,
                title=form.cleaned_data["title"],
                category=form.cleaned_data["category"],
                body=form.cleaned_data["body"],
                sections=form.cleaned_data["sections"],
                attachments=form.cleaned_data["attachments"],
            )
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("草稿已保存。"))
            return redirect("proposals:detail", pk=proposal.pk)
    return render(
        request,
        "proposals/proposal_form.html",
        {
            "form": form,
            "proposal": proposal,
            "title": _("修改草稿"),
            **_form_precheck(request, form, proposal),
        },
    )


@login_required
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    proposal = get_proposal_for_user(user, pk)
    cosigners = list(proposal.cosigners.select_related("member", "member__member_profile"))
    my_invitation = next(
        (c for c in cosigners if c.member_id == user.pk and c.status == CoSignerStatus.INVITED),
        None,
    )
    visible = Proposal.objects.for_user(user)
    # 并案 happens at review, so a draft has nothing merged into it
    merged_items = (
        visible.filter(merged_into=proposal).select_related("lead")
        if proposal.status != ProposalStatus.DRAFT
        else []
    )
    merged_into = (
        visible.filter(pk=proposal.merged_into_id).first() if proposal.merged_into_id else None
    )
    is_lead = proposal.lead_id == user.pk
    confirmed = [c for c in cosigners if c.status == CoSignerStatus.CONFIRMED]
    is_signer = is_lead or any(c.member_id == user.pk for c in confirmed)
    handling = handling_context(user, proposal, is_signer=is_signer)
    draft_check = (
        precheck.precheck(
            user=user,
            meeting=proposal.meeting,
            title=proposal.title,
            texts=sections.texts_of(proposal),
            exclude=proposal.pk,
        )
        if is_lead and proposal.status == ProposalStatus.DRAFT
        else None
    )
    context = {
        "proposal": proposal,
        "precheck": draft_check,
        "cosigners": cosigners,
        "confirmed_cosigners": confirmed,
        "attachments": proposal.attachments.all(),
        # each event with only the note this user may read (event_visibility)
        "events": event_visibility.events_for(user, proposal),
        "merged_items": merged_items,
        "merged_into": merged_into,
        "my_invitation": my_invitation,
        "is_lead": is_lead,
        "can_edit": can_edit(user, proposal),
        "can_review": can_review(user, proposal),
        "can_withdraw": can_withdraw(user, proposal),
        # private contact details: to the supervisory office, the handling units and the
        # submitter; never to co-signers, never public
        "show_contacts": user.is_supervisor
        or user.is_administrator
        or user.is_unit_user
        or is_lead,
        "is_signer": is_signer,
        "title": proposal.title,
        **handling,
        **evaluation_context(
            user,
            proposal,
            assignments=handling["assignments"],
            signer_ids={proposal.lead_id, *(c.member_id for c in confirmed)},
            # the handling section lists every sent reply, except to a member who has not
            # signed the item (an invited co-signer)
            replies=handling["replies"] if is_signer or not user.is_member else None,
            contacts=handling["contacts"],
        ),
    }
    return render(request, "proposals/proposal_detail.html", context)


@require_POST
@role_required(Role.MEMBER)
def proposal_submit(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    proposal = get_proposal_for_user(user, pk, write=True)
    # the pre-check again: errors block (the service refuses them too); warnings only once the
    # member has seen them and clicked 「仍然提交」 (the codes they saw are posted back)
    check = precheck.precheck(
        user=user,
        meeting=proposal.meeting,
        title=proposal.title,
        texts=sections.texts_of(proposal),
        exclude=proposal.pk,
    )
    seen = set(request.POST.get("acknowledged", "").split(","))
    if check.errors:
        messages.error(
            request,
            _("提交前检查发现问题，请先修改：%(problems)s")
            % {"problems": clauses(e.message for e in check.errors)},
        )
        return redirect("proposals:detail", pk=pk)
    if not set(check.warning_codes) <= seen:
        messages.warning(request, _("提交前检查有新的提示，请看过后再点“仍然提交”，或先修改。"))
        return redirect("proposals:detail", pk=pk)
    try:
        services.proposal_submit(proposal=proposal, actor=user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已提交，等待立案审查。"))
    return redirect("proposals:detail", pk=pk)


@role_required(Role.MEMBER)
def proposal_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    proposal = get_proposal_for_user(user, pk)
    if not can_withdraw(user, proposal):
        raise PermissionDenied(_("这件建议提案不能撤案。"))
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.proposal_withdraw(
                proposal=proposal, actor=user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("已撤案。"))
            return redirect("proposals:detail", pk=pk)
    return render(
        request, "proposals/withdraw.html", {"form": form, "proposal": proposal, "title": _("撤案")}
    )


@role_required(Role.MEMBER)
def cosigner_invite(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    proposal = get_proposal_for_user(user, pk, write=True)
    if request.method == "POST":
        member_pks = posted_ids(request, "member")
        member = (
            User.objects.filter(
                pk=member_pks[0] if member_pks else 0, role=Role.MEMBER, is_active=True
            )
            .select_related("member_profile")
            .first()
        )
        if member is None:
            messages.error(request, _("请从搜索结果中选择要邀请的代表、委员。"))
        else:
            try:
                services.cosigner_invite(proposal=proposal, actor=user, member=member)
            except ValidationError as error:
                messages.error(request, error_text(error))
            else:
                messages.success(
                    request, _("已邀请%(name)s联名，等待对方确认。") % {"name": member.full_name}
                )
                return redirect("proposals:detail", pk=pk)
    search = CoSignerSearchForm(request.GET or None)
    invited = set(
        proposal.cosigners.filter(
            status__in=[CoSignerStatus.INVITED, CoSignerStatus.CONFIRMED]
        ).values_list("member_id", flat=True)
    )
    return render(
        request,
        "proposals/cosigner_invite.html",
        {
            "proposal": proposal,
            "search": search,
            "results": search.members(proposal),
            "invited": invited,
            "title": _("邀请联名"),
        },
    )


@require_POST
@role_required(Role.MEMBER)
def cosigner_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    cosigner = get_cosigner_for_lead(user, pk)
    try:
        services.cosigner_cancel(cosigner=cosigner, actor=user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, _("已取消对%(name)s的联名邀请。") % {"name": cosigner.member.full_name}
        )
    return redirect("proposals:detail", pk=cosigner.proposal_id)


@require_POST
@role_required(Role.MEMBER)
def cosigner_respond(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    cosigner = get_cosigner_for_invitee(user, pk)
    accept = request.POST.get("answer") == "confirm"
    try:
        services.cosigner_respond(cosigner=cosigner, actor=user, accept=accept)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已确认联名。") if accept else _("已谢绝联名。"))
    return redirect_back(request, "proposals:detail", cosigner.proposal_id)


@role_required(Role.MEMBER)
def invitation_list(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    invitations = user.cosignatures.select_related(
        "proposal", "proposal__lead", "proposal__meeting"
    ).order_by("-invited_at")
    return render(
        request,
        "proposals/invitation_list.html",
        {"page": paginate(request, invitations), "title": _("联名邀请")},
    )


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = get_attachment_for_user(request.user, pk)
    return stored_file_response(
        attachment.file,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


@require_POST
@role_required(Role.MEMBER)
def attachment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    attachment = get_attachment_for_user(user, pk)
    get_proposal_for_user(user, attachment.proposal_id, write=True)
    services.attachment_remove(attachment=attachment, actor=user)
    messages.success(request, _("已删除附件“%(name)s”。") % {"name": attachment.original_name})
    return redirect("proposals:edit", pk=attachment.proposal_id)


@role_required(Role.SUPERVISOR)
def proposal_review(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    proposal = get_proposal_for_review(user, pk)
    if not can_review(user, proposal):
        messages.info(
            request,
            _("这件建议提案已审查，结果为“%(status)s”。")
            % {"status": proposal.get_status_display()},
        )
        return redirect("proposals:detail", pk=pk)
    candidates = (
        Proposal.objects.for_user(user)
        .filter(meeting=proposal.meeting, kind=proposal.kind, status__in=MERGE_TARGETS)
        .exclude(pk=proposal.pk)
        .select_related("lead")
        .order_by("number", "submitted_at")
    )
    form = ReviewForm(request.POST or None, proposal=proposal, merge_candidates=candidates)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            outcome = data["outcome"]
            if outcome == ReviewOutcome.REGISTER:
                services.proposal_register(
                    proposal=proposal,
                    actor=user,
                    is_key=data["is_key"],
                    leading_official=data["leading_official"],
                    supervising_units=data["supervising_units"],
                    category=data["category"],
                    note=data["note"],
                )
            elif outcome == ReviewOutcome.REJECT:
                services.proposal_reject(
                    proposal=proposal,
                    actor=user,
                    ground=data["rejection_ground"],
                    note=data["note"],
                )
            elif outcome == ReviewOutcome.MERGE:
                services.proposal_merge(
                    proposal=proposal, actor=user, into=data["merge_into"], note=data["note"]
                )
            else:
                services.proposal_convert(proposal=proposal, actor=user, note=data["note"])
        except ValidationError as error:
            apply_error(form, error)
        else:
            proposal.refresh_from_db()
            messages.success(
                request,
                _("审查完成：%(status)s %(number)s")
                % {"status": proposal.get_status_display(), "number": proposal.number_label},
            )
            return redirect("proposals:review_queue")
    duplicates = search.similar_items(
        proposal,
        Proposal.objects.for_user(user)
        .filter(meeting=proposal.meeting, kind=proposal.kind)
        .exclude(
            status__in=[ProposalStatus.DRAFT, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN]
        )
        .select_related("lead"),
    )
    context = {
        "proposal": proposal,
        "form": form,
        "duplicates": duplicates,
        "attachments": proposal.attachments.all(),
        "cosigners": proposal.cosigners.filter(status=CoSignerStatus.CONFIRMED).select_related(
            "member"
        ),
        "title": _("立案审查"),
    }
    return render(request, "proposals/review_form.html", context)


@role_required(Role.MEMBER)
def proposal_precheck(request: HttpRequest) -> JsonResponse:
    """The pre-check while writing (static/js/precheck.js, debounced): the member's own draft
    or a new one, for a meeting of their body. POST, so that the text stays out of logs."""
    user: User = request.user  # type: ignore[assignment]
    if request.method != "POST":
        return JsonResponse({"error": _("请用 POST 提交。")}, status=405)
    profile = getattr(user, "member_profile", None)
    item_pk = request.POST.get("proposal", "")
    proposal = None
    if item_pk:
        if not (item_pk.isascii() and item_pk.isdigit() and len(item_pk) <= 18):
            raise Http404
        proposal = get_proposal_for_user(user, int(item_pk), write=True)
        meeting = proposal.meeting
    else:
        meeting_pk = request.POST.get("meeting", "")
        found = (
            Meeting.objects.filter(pk=int(meeting_pk), body=profile.body).first()
            if meeting_pk.isascii()
            and meeting_pk.isdigit()
            and len(meeting_pk) <= 18
            and profile is not None
            else None
        )
        if found is None:
            return JsonResponse({"error": _("请先选择届次会议。")}, status=400)
        meeting = found
    rules = sections.policy_of(meeting)
    names = {rule["key"]: "body" if len(rules) == 1 else f"section_{rule['key']}" for rule in rules}
    texts = {key: request.POST.get(name, "")[:20000] for key, name in names.items()}
    result = precheck.precheck(
        user=user,
        meeting=meeting,
        title=request.POST.get("title", "")[:200],
        texts=texts,
        exclude=proposal.pk if proposal else None,
    )
    data = result.as_json()
    for finding in data["errors"] + data["warnings"]:
        finding["field"] = names.get(finding["key"], finding["key"])
    return JsonResponse(data)
