"""Reply pages: draft, sign-off, review, letters. Fetch with a permission check, validate a form,
call one service, redirect."""

from __future__ import annotations

import tempfile
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.models import Role, User
from accounts.signals import security_event_send
from proposals.files import stored_file_response
from proposals.models import Meeting
from proposals.permissions import get_assignment_for_unit
from proposals.views.common import (
    apply_error,
    ended_handling_redirect,
    ended_handling_text,
    error_text,
    paginate,
    posted_ids,
    posted_text,
    redirect_back,
)

from . import services
from .archive import meeting_letters, write_letters_zip
from .forms import (
    CommentForm,
    DecideFollowUpForm,
    EvaluationForm,
    FollowUpForm,
    PaperEvaluationForm,
    ProgressForm,
    ReplyForm,
    ReviewForm,
    RevisionForm,
)
from .letters import render_letter
from .models import LetterStatus, Reply, ReplyStatus
from .permissions import get_reply_for_user, replies_for_user
from .text import count_halfwidth_punctuation, fix_punctuation

UNIT_ROLES = (Role.UNIT_STAFF, Role.UNIT_LEADER)
TEXT_FIELDS = ("title", "salutation", "opening", "body_html", "thanks", "cc", "withheld_reason")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def similar_answered(user: User, reply: Reply) -> list[dict[str, Any]]:
    """Earlier items most like this one, with a reply the unit may read: published ones, and the
    unit's own."""
    from proposals import search
    from proposals.models import Proposal

    from .public import published

    readable = published() | Reply.objects.filter(unit_id=reply.unit_id, status=ReplyStatus.SENT)
    answered = Proposal.objects.filter(pk__in=readable.values("proposal_id"))
    # what the list shows and the scoring reads, not whole items
    shown = answered.select_related("meeting").only("title", "body", "meeting__short_name")
    items = search.similar_items(reply.proposal, shown)
    latest: dict[int, Reply] = {}  # each item's latest readable reply, in one query
    for answer in (
        readable.filter(proposal__in=[item.pk for item in items])
        .select_related("unit")
        .order_by("proposal_id", "-sent_at")
    ):
        latest.setdefault(answer.proposal_id, answer)
    return [
        {
            "item": item,
            "reply": latest.get(item.pk),
            "own": item.pk in latest and latest[item.pk].unit_id == reply.unit_id,
        }
        for item in items
    ]


def earlier_rounds(reply: Reply) -> dict[str, Any]:
    """What a 重新办理 round's editor keeps in view: why the member was dissatisfied (each
    signer's ratings and comment on this unit's earlier replies), the office's instruction, the
    earlier replies themselves and the earlier rounds' co-handling opinions. Empty in round 1."""
    from proposals.models import CoOpinion, CoOpinionStatus, EventAction, ProposalEvent

    round_number = reply.assignment.round
    if round_number <= 1:
        return {}
    replies = list(
        Reply.objects.filter(
            proposal_id=reply.proposal_id,
            unit_id=reply.unit_id,
            status=ReplyStatus.SENT,
            assignment__round__lt=round_number,
        )
        .select_related("assignment")
        .prefetch_related("evaluations__evaluator")
        .order_by("assignment__round", "pk")
    )
    orders = (
        ProposalEvent.objects.filter(
            proposal_id=reply.proposal_id, action=EventAction.REHANDLING_ORDERED
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")
    )
    opinions = (
        CoOpinion.objects.filter(
            assignment__proposal_id=reply.proposal_id,
            assignment__round__lt=round_number,
            status=CoOpinionStatus.SENT,
        )
        .select_related("assignment__unit")
        .order_by("assignment__round", "sent_at", "pk")
    )
    return {
        "round": round_number,
        "replies": replies,
        "order": orders.first(),
        "co_opinions": list(opinions),
    }


@require_POST
@role_required(*UNIT_ROLES)
def reply_start(request: HttpRequest, assignment_pk: int) -> HttpResponse:
    user = _user(request)
    assignment = get_assignment_for_unit(user, assignment_pk)
    try:
        reply = services.reply_start(assignment=assignment, actor=user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("proposals:detail", pk=assignment.proposal_id)
    return redirect("replies:edit", pk=reply.pk)


@role_required(*UNIT_ROLES)
def reply_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    reply = get_reply_for_user(user, pk, write=True)
    if ended := ended_handling_redirect(request, reply.proposal):
        return ended
    conflict: Reply | None = None
    if request.method == "POST":
        data = request.POST.copy()
        action = next((name for name in ("fix", "submit", "sign") if name in data), "save")
        if action == "fix":
            changed = sum(count_halfwidth_punctuation(data.get(f, "")) for f in TEXT_FIELDS)
            for field in TEXT_FIELDS:
                data[field] = fix_punctuation(data.get(field, ""))
            messages.info(
                request, _("已把 %(n)s 处半角标点改为全角，请检查后保存。") % {"n": changed}
            )
            form = ReplyForm(data, instance=reply)
            form.is_valid()
        else:
            form = ReplyForm(data, instance=reply)
            if form.is_valid():
                fields = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
                try:
                    reply = services.reply_save(
                        reply=reply, actor=user, version=form.cleaned_data["version"], **fields
                    )
                    if action == "submit":
                        services.reply_submit(reply=reply, actor=user)
                    elif action == "sign":
                        services.reply_sign(reply=reply, actor=user)
                except services.ReplyConflict as error:
                    conflict = Reply.objects.get(pk=reply.pk)
                    messages.error(request, error_text(error))
                    # the form keeps the typed text; saving again now takes it knowingly
                    data["version"] = str(conflict.version)
                    form = ReplyForm(data, instance=reply)
                    form.is_valid()
                except ValidationError as error:
                    apply_error(form, error)
                    if action != "save":
                        messages.error(request, error_text(error))
                else:
                    reply.refresh_from_db()
                    done = {
                        "save": _("已保存（第%(v)s版）。") % {"v": reply.version},
                        "submit": _("已送单位负责人签发。"),
                        "sign": _("已签发。"),
                    }[action]
                    messages.success(request, done)
                    if action == "save":
                        return redirect("replies:edit", pk=reply.pk)
                    return redirect("replies:detail", pk=reply.pk)
    else:
        form = ReplyForm(instance=reply)
    halfwidth = sum(count_halfwidth_punctuation(str(form[f].value() or "")) for f in TEXT_FIELDS)
    return render(
        request,
        "replies/reply_form.html",
        {
            "reply": reply,
            "form": form,
            "conflict": conflict,
            "halfwidth": halfwidth,
            "co_opinions": services.co_opinions_for(reply),
            "earlier": earlier_rounds(reply),
            "similar": similar_answered(user, reply),
            "contacts": reply.assignment.contacts.all(),
            "contact_required": reply.proposal.meeting.contact_required_for(reply.proposal),
            # said before the person tries: 送签 and 签发 are refused while this is not empty
            "contact_missing": services.missing_contact(reply),
            "versions": reply.versions.select_related("saved_by")[:10],
            "title": _("撰写答复"),
        },
    )


@role_required(*UNIT_ROLES, Role.SUPERVISOR, Role.MEMBER, Role.ADMINISTRATOR)
def reply_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    reply = get_reply_for_user(user, pk)
    own_unit = user.is_unit_user and user.unit_id == reply.unit_id
    # 办结 or 撤案: the reply is read-only, whatever its status
    changes = own_unit and not reply.proposal.handling_ended
    letter = getattr(reply, "letter", None)
    can_review = (
        user.is_supervisor
        and reply.status == ReplyStatus.IN_REVIEW
        and not reply.proposal.handling_ended
    )
    context: dict[str, Any] = {
        "reply": reply,
        "letter": letter,
        "own_unit": own_unit,
        "can_edit": changes and reply.status == ReplyStatus.DRAFT,
        "can_sign": changes
        and user.is_unit_leader
        and reply.status in (ReplyStatus.DRAFT, ReplyStatus.SUBMITTED),
        "can_send_back_as_leader": changes
        and user.is_unit_leader
        and reply.status == ReplyStatus.SUBMITTED,
        "can_review": can_review,
        "can_preview": (own_unit or user.is_supervisor) and reply.status != ReplyStatus.SENT,
        "can_correct": changes and reply.status == ReplyStatus.SENT,
        # the leader reads why 签发 would be refused before pressing it
        "contact_missing": services.missing_contact(reply)
        if changes
        and user.is_unit_leader
        and reply.status in (ReplyStatus.DRAFT, ReplyStatus.SUBMITTED)
        else "",
        # both forms have a `comment` field: distinct ids keep the page's ids unique
        "review_form": ReviewForm(reply=reply, auto_id="review_%s") if can_review else None,
        "comment_form": CommentForm(auto_id="send_back_%s"),
        "title": reply.title,
    }
    return render(request, "replies/reply_detail.html", context)


@require_POST
@role_required(Role.UNIT_LEADER)
def reply_sign(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    reply = get_reply_for_user(user, pk)
    try:
        services.reply_sign(reply=reply, actor=user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已签发。"))
    return redirect("replies:detail", pk=pk)


@require_POST
@role_required(Role.UNIT_LEADER, Role.SUPERVISOR)
def reply_send_back(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    reply = get_reply_for_user(user, pk)
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(list(form.errors.values()))))
        return redirect("replies:detail", pk=pk)
    try:
        services.reply_send_back(reply=reply, actor=user, comment=form.cleaned_data["comment"])
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已退回修改。"))
    return redirect("replies:detail", pk=pk)


@require_POST
@role_required(Role.SUPERVISOR)
def reply_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    reply = get_reply_for_user(user, pk)
    form = ReviewForm(request.POST, reply=reply)
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(list(form.errors.values()))))
        return redirect("replies:detail", pk=pk)
    try:
        services.reply_approve(
            reply=reply,
            actor=user,
            result_class=form.cleaned_data["result_class"],
            comment=form.cleaned_data["comment"],
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("审核通过，答复已发出。"))
    return redirect("replies:detail", pk=pk)


@require_POST
@role_required(*UNIT_ROLES)
def reply_correct(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    reply = get_reply_for_user(user, pk)
    try:
        correction = services.reply_correct(reply=reply, actor=user)
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("replies:detail", pk=pk)
    messages.success(request, _("已建立更正稿，签发后将替换原答复函。"))
    return redirect("replies:edit", pk=correction.pk)


@role_required(*UNIT_ROLES, Role.SUPERVISOR)
def reply_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The letter of a draft, rendered now, for the leader to see before 签发."""
    user = _user(request)
    reply = get_reply_for_user(user, pk)
    if user.is_unit_user and user.unit_id != reply.unit_id:
        raise Http404(_("没有找到这份答复。"))
    rendered = render_letter(reply, preview=reply.status != ReplyStatus.SENT)
    response = HttpResponse(rendered.content, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="preview.pdf"'
    return response


@role_required(*UNIT_ROLES, Role.SUPERVISOR, Role.MEMBER, Role.ADMINISTRATOR)
def letter_download(request: HttpRequest, pk: int) -> FileResponse:
    user = _user(request)
    reply = get_reply_for_user(user, pk)
    letter = getattr(reply, "letter", None)
    if letter is None or letter.status != LetterStatus.READY:
        raise Http404(_("答复函还在生成，请稍后再下载。"))
    response = stored_file_response(
        letter.file, filename=f"{reply.title}.pdf", content_type="application/pdf"
    )
    security_event_send(
        "letter.downloaded",
        target=f"reply:{reply.pk}",
        detail={"proposal": reply.proposal_id},
        request=request,
    )
    return response


@role_required(Role.SUPERVISOR)
def review_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    replies = (
        replies_for_user(user)
        .filter(status=ReplyStatus.IN_REVIEW)
        .select_related("proposal", "unit")
        .order_by("signed_at", "pk")
    )
    return render(
        request,
        "replies/review_queue.html",
        {"page": paginate(request, replies), "title": _("答复审核")},
    )


@role_required(Role.SUPERVISOR)
def letters_by_meeting(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    meetings = Meeting.objects.filter(body__in=user.supervised_bodies())
    rows = [(meeting, len(meeting_letters(meeting))) for meeting in meetings]
    return render(
        request, "replies/letters_by_meeting.html", {"rows": rows, "title": _("答复函归档")}
    )


@role_required(Role.SUPERVISOR)
def meeting_letters_zip(request: HttpRequest, pk: int) -> FileResponse:
    user = _user(request)
    meeting = get_object_or_404(Meeting, pk=pk)
    if meeting.body not in user.supervised_bodies():
        raise Http404(_("没有找到这次会议。"))
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 - FileResponse closes it
    archived = write_letters_zip(meeting, spool)
    spool.seek(0)
    security_event_send(
        "letter.archive_downloaded",
        target=f"meeting:{meeting.pk}",
        detail={"letters": archived.written, "missing": len(archived.missing)},
        request=request,
    )
    return FileResponse(
        spool,
        as_attachment=True,
        filename=_("%(meeting)s答复函.zip") % {"meeting": meeting.short_name},
    )


# --- 满意度测评, 重新办理, 办结 ------------------------------------------------------------------


def evaluation_context(
    user: User,
    proposal: Any,
    *,
    assignments: list[Any],
    signer_ids: set[int],
    replies: list[Any] | None,
    contacts: list[Any],
) -> dict[str, Any]:
    """The item page's evaluation section for this user (who may already see the item), from
    what the page has loaded: `assignments` (all of the item's), `signer_ids` (the lead and the
    confirmed co-signers), `replies`, the item's replies when they include every sent one
    (None: read them here), and `contacts`, the item's contact records (they pre-fill the
    member's evaluation form)."""
    from django.utils import timezone

    from proposals.models import AssignmentRole, ContactResponse

    from .models import Evaluation

    if not assignments:  # no assignment, no reply
        return {"evaluations": []}
    current = max(assignment.round for assignment in assignments)  # services.current_round
    # every sent reply that is evaluated (not a 会办 unit's), earlier rounds first; the latest
    # round's are the ones that can be evaluated now (services.round_replies)
    if replies is None:
        replies = list(
            Reply.objects.filter(proposal=proposal, status=ReplyStatus.SENT)
            .exclude(assignment__role=AssignmentRole.CO)
            .select_related("unit", "assignment")
        )
    replies = sorted(
        (
            r
            for r in replies
            if r.status == ReplyStatus.SENT and r.assignment.role != AssignmentRole.CO
        ),
        key=lambda r: (r.assignment.round, r.pk),
    )
    if user.is_unit_user:
        # a unit sees the evaluations of its own replies only: another unit's reply would read
        # "尚未测评" to it when it has been rated
        replies = [reply for reply in replies if reply.unit_id == user.unit_id]
    # while a new round is handled (重新办理), the earlier rounds' evaluations stay in view
    latest_ids = {reply.pk for reply in replies if reply.assignment.round == current}
    if not replies:
        return {"evaluations": []}
    for reply in replies:  # all of this item: its meeting's rules without a query per reply
        reply.proposal = proposal
    visible = Evaluation.objects.filter(reply__in=replies).select_related(
        "evaluator", "entered_by", "revised_by"
    )
    if user.is_member:
        visible = visible.filter(evaluator=user)
    elif user.is_unit_user:
        visible = visible.filter(reply__unit_id=user.unit_id or 0)
    elif not (user.is_supervisor or user.is_administrator):
        visible = visible.none()
    by_reply: dict[int, list[Any]] = {}
    for evaluation in visible:
        by_reply.setdefault(evaluation.reply_id, []).append(evaluation)
    # only signers (members) evaluate, and a member's visible evaluations are their own
    mine = set(by_reply) if user.pk in signer_ids and user.is_member else set()
    today = timezone.localdate()
    rows: list[dict[str, Any]] = []
    windows: dict[Any, Any] = {}  # by the day sent: one calendar lookup for replies sent together
    for reply in replies:
        sent_on = timezone.localdate(reply.sent_at) if reply.sent_at else today
        if sent_on not in windows:
            windows[sent_on] = services.evaluation_window_ends_on(reply)
        window_end = windows[sent_on]
        rows.append(
            {
                "reply": reply,
                "window_end": window_end,
                "evaluations": by_reply.get(reply.pk, []),
                "round": reply.assignment.round,
                "latest": reply.pk in latest_ids,  # earlier rounds are history: read only
                "can_evaluate": reply.pk in latest_ids
                and user.pk in signer_ids
                and reply.pk not in mine
                and today <= window_end
                and proposal.status in services.evaluation.EVALUABLE,
                "form": EvaluationForm(
                    prefix=f"reply{reply.pk}",
                    confirmed_contacts=[
                        contact
                        for contact in contacts
                        if contact.assignment_id == reply.assignment_id
                        and contact.response == ContactResponse.CONFIRMED
                        and contact.responded_by_id == user.pk
                    ],
                ),
            }
        )
    supervises = user.is_supervisor and proposal.meeting.body in user.supervised_bodies()
    evaluable = proposal.status in services.evaluation.EVALUABLE
    unsatisfied = [
        row["reply"]
        for row in rows
        if row["reply"].pk in latest_ids
        for e in by_reply.get(row["reply"].pk, [])
        if not e.is_satisfied
    ]
    return {
        "evaluations": rows,
        "can_enter_paper": supervises and evaluable,
        "can_rehandle": supervises and evaluable and bool(unsatisfied),
        "unsatisfied_replies": list(dict.fromkeys(unsatisfied)),
        "can_close": supervises and evaluable,
    }


@require_POST
@role_required(Role.MEMBER)
def evaluation_submit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    reply = get_reply_for_user(user, pk)
    form = EvaluationForm(request.POST, prefix=f"reply{reply.pk}")
    if not form.is_valid():
        messages.error(request, error_text(ValidationError(list(form.errors.values()))))
        return redirect("proposals:detail", pk=reply.proposal_id)
    try:
        services.evaluation_submit(reply=reply, actor=user, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("测评已提交，谢谢！"))
    return redirect("proposals:detail", pk=reply.proposal_id)


@role_required(Role.SUPERVISOR)
def evaluation_paper(request: HttpRequest, pk: int) -> HttpResponse:
    from proposals.services.common import signers

    user = _user(request)
    reply = get_reply_for_user(user, pk)
    if ended := ended_handling_redirect(request, reply.proposal):
        return ended
    form = PaperEvaluationForm(request.POST or None, signers=signers(reply.proposal))
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_enter_paper(reply=reply, actor=user, **form.cleaned_data)
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("已录入纸质测评。"))
            return redirect("proposals:detail", pk=reply.proposal_id)
    return render(
        request,
        "replies/evaluation_form.html",
        {"reply": reply, "form": form, "title": _("录入纸质测评")},
    )


@role_required(Role.SUPERVISOR)
def evaluation_revise(request: HttpRequest, pk: int) -> HttpResponse:
    from .models import Evaluation

    user = _user(request)
    evaluation = get_object_or_404(Evaluation.objects.select_related("reply", "evaluator"), pk=pk)
    reply = get_reply_for_user(user, evaluation.reply_id)
    if ended := ended_handling_redirect(request, reply.proposal):
        return ended
    initial = {"work_rating": evaluation.work_rating, "result_rating": evaluation.result_rating}
    form = RevisionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.evaluation_revise(evaluation=evaluation, actor=user, **form.cleaned_data)
        except ValidationError as error:
            apply_error(form, error)
        else:
            messages.success(request, _("测评已修改，理由已记入办理过程。"))
            return redirect("proposals:detail", pk=reply.proposal_id)
    return render(
        request,
        "replies/evaluation_form.html",
        {"reply": reply, "form": form, "evaluation": evaluation, "title": _("修改测评")},
    )


@require_POST
@role_required(Role.SUPERVISOR)
def proposal_rehandle(request: HttpRequest, pk: int) -> HttpResponse:
    from proposals.permissions import get_proposal_for_user

    user = _user(request)
    proposal = get_proposal_for_user(user, pk)
    chosen = list(
        replies_for_user(user).filter(proposal=proposal, pk__in=posted_ids(request, "replies"))
    )
    try:
        services.proposal_rehandle(
            proposal=proposal, actor=user, replies=chosen, note=posted_text(request, "note")
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已交承办单位重新办理。"))
    return redirect_back(request, "proposals:detail", pk)


@require_POST
@role_required(Role.SUPERVISOR)
def proposal_close(request: HttpRequest, pk: int) -> HttpResponse:
    from proposals.permissions import get_proposal_for_user

    user = _user(request)
    proposal = get_proposal_for_user(user, pk)
    try:
        services.proposal_close(
            proposal=proposal, actor=user, reason=posted_text(request, "reason")
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("已办结。"))
    return redirect_back(request, "proposals:detail", pk)


# --- 落实情况 ----------------------------------------------------------------------------------


@role_required(*UNIT_ROLES, Role.SUPERVISOR, Role.MEMBER, Role.ADMINISTRATOR)
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """The follow-up of a B-class reply: the unit records the promise and posts progress, the
    supervisory office decides; the member reads."""
    from .models import FollowUp

    user = _user(request)
    reply = get_reply_for_user(user, pk)
    record = FollowUp.objects.filter(reply=reply).first()
    own_unit = user.is_unit_user and user.unit_id == reply.unit_id
    supervises = user.is_supervisor and reply.proposal.meeting.body in user.supervised_bodies()
    handling_ended = reply.proposal.handling_ended
    if handling_ended and (own_unit or supervises):
        # the follow-up stays readable; it changes no more (a POST is refused by the service)
        messages.info(request, ended_handling_text(reply.proposal))
    promise_form = FollowUpForm(request.POST if "promise" in request.POST else None)
    progress_form = ProgressForm(request.POST if "text" in request.POST else None)
    decide_form = DecideFollowUpForm(request.POST if "decision" in request.POST else None)
    if request.method == "POST":
        try:
            if "promise" in request.POST and own_unit and promise_form.is_valid():
                services.follow_up_record(reply=reply, actor=user, **promise_form.cleaned_data)
            elif "text" in request.POST and own_unit and record and progress_form.is_valid():
                services.follow_up_post_progress(
                    follow_up=record, actor=user, text=progress_form.cleaned_data["text"]
                )
            elif "decision" in request.POST and supervises and record and decide_form.is_valid():
                services.follow_up_decide(
                    follow_up=record,
                    actor=user,
                    fulfilled=decide_form.cleaned_data["decision"] == "fulfilled",
                    note=decide_form.cleaned_data["note"],
                )
            elif not (own_unit or supervises):
                raise Http404(_("没有找到这份答复。"))
            else:
                raise ValidationError(_("请检查填写的内容。"))
        except ValidationError as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("已保存。"))
            return redirect("replies:follow_up", pk=pk)
    return render(
        request,
        "replies/follow_up.html",
        {
            "reply": reply,
            "record": record,
            "progress": record.progress.select_related("posted_by") if record else [],
            "needs_follow_up": services.needs_follow_up(reply),
            "own_unit": own_unit,
            "supervises": supervises,
            "can_record": own_unit and not handling_ended,
            "can_report": own_unit and not handling_ended,
            "can_decide": supervises and not handling_ended,
            "handling_ended": handling_ended,
            "promise_form": promise_form,
            "progress_form": progress_form,
            "decide_form": decide_form,
            "title": _("落实情况"),
        },
    )


@role_required(*UNIT_ROLES, Role.SUPERVISOR)
def follow_up_list(request: HttpRequest) -> HttpResponse:
    from django.utils import timezone

    from .models import FollowUp, FollowUpStatus

    user = _user(request)
    records = FollowUp.objects.filter(reply__in=replies_for_user(user)).select_related(
        "reply", "reply__proposal", "reply__unit"
    )
    if user.is_unit_user:
        records = records.filter(reply__unit_id=user.unit_id or 0)
    status = request.GET.get("status", "")
    if status in FollowUpStatus.values:
        records = records.filter(status=status)
    today = timezone.localdate()
    if request.GET.get("overdue") == "true":
        records = records.filter(status=FollowUpStatus.OPEN, due_on__lt=today)
    return render(
        request,
        "replies/follow_up_list.html",
        {
            "page": paginate(request, records.order_by("due_on", "pk")),
            "today": today,
            "statuses": FollowUpStatus.choices,
            "title": _("落实情况"),
        },
    )
