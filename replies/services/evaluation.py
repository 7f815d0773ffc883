"""满意度测评, 重新办理, 办结 and 落实情况. Same rules as drafting.py."""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.language import Text, render_for
from accounts.models import User
from accounts.notifications import supervisors_of, unit_people
from proposals import workdays
from proposals.event_visibility import notify_event
from proposals.models import Assignment, AssignmentRole, EventAction, Proposal, ProposalStatus
from proposals.services.common import (
    local_date,
    lock_item,
    lock_proposal,
    notify_about,
    record_event,
    require_handling_open,
    signers,
)
from proposals.services.handling import end_open_assignments

from ..models import (
    Evaluation,
    FollowUp,
    FollowUpProgress,
    FollowUpStatus,
    Rating,
    Reply,
    ReplyStatus,
)

EVALUABLE = (ProposalStatus.REPLIED, ProposalStatus.EVALUATED)


def evaluation_window_ends_on(reply: Reply) -> date:
    """Members evaluate within the policy's working days after the reply was sent."""
    sent = timezone.localdate(reply.sent_at) if reply.sent_at else timezone.localdate()
    return workdays.add_working_days(sent, reply.proposal.meeting.evaluation_working_days)


def current_round(proposal: Proposal) -> int:
    return Assignment.objects.filter(proposal=proposal).aggregate(last=Max("round"))["last"] or 1


def round_replies(proposal: Proposal, round_number: int | None = None) -> list[Reply]:
    """The sent replies of the item's latest round (one per replying unit)."""
    round_number = round_number or current_round(proposal)
    return list(
        Reply.objects.filter(
            proposal=proposal,
            assignment__round=round_number,
            assignment__role__in=[AssignmentRole.LEAD, AssignmentRole.SEPARATE],
            status=ReplyStatus.SENT,
        ).select_related("unit", "assignment")
    )


def _require_latest_round(reply: Reply, proposal: Proposal) -> None:
    """Only the replies of the item's latest round are rated: after 重新办理 the earlier round's
    evaluations are history."""
    round_number = Assignment.objects.filter(pk=reply.assignment_id).values_list(
        "round", flat=True
    )[0]
    if round_number != current_round(proposal):
        raise ValidationError(
            _("这份答复之后已重新办理（第%(n)s轮），只能对重新办理后的答复测评。")
            % {"n": current_round(proposal)}
        )


def _ratings_note(work: str, result: str) -> Text:
    return Text(
        gettext_noop("办理工作%(work)s，办理结果%(result)s"),
        work=Rating(work).label,
        result=Rating(result).label,
    )


def _check_ratings(
    work_rating: str, result_rating: str, contacted: bool, face_to_face: bool
) -> None:
    if work_rating not in Rating.values or result_rating not in Rating.values:
        raise ValidationError(_("请对办理工作和办理结果分别作出评价。"))
    if face_to_face and not contacted:
        raise ValidationError({"face_to_face": _("没有联系就不会有当面沟通，请检查。")})


@transaction.atomic
def evaluation_submit(
    *,
    reply: Reply,
    actor: User,
    work_rating: str,
    result_rating: str,
    contacted: bool,
    face_to_face: bool,
    comment: str = "",
    now: datetime | None = None,
) -> Evaluation:
    """A signer (the lead submitter or a co-signer) rates a sent reply, within the window."""
    now = now or timezone.now()
    proposal = lock_item(reply.proposal_id)
    reply = Reply.objects.select_related("proposal__meeting", "unit").get(pk=reply.pk)
    if actor.pk not in {person.pk for person in signers(proposal)}:
        raise ValidationError(_("只有领衔人和联名人可以对答复进行测评。"))
    if reply.status != ReplyStatus.SENT or proposal.status not in EVALUABLE:
        raise ValidationError(_("这份答复现在不能测评。"))
    _require_latest_round(reply, proposal)
    window_end = evaluation_window_ends_on(reply)
    if timezone.localdate(now) > window_end:
        raise ValidationError(
            _("测评期限已于%(date)s截止，请联系督办机构。") % {"date": local_date(window_end)}
        )
    if Evaluation.objects.filter(reply=reply, evaluator=actor).exists():
        raise ValidationError(_("您已经测评过这份答复；如需修改，请联系督办机构。"))
    _check_ratings(work_rating, result_rating, contacted, face_to_face)
    evaluation = Evaluation.objects.create(
        reply=reply,
        evaluator=actor,
        work_rating=work_rating,
        result_rating=result_rating,
        contacted=contacted,
        face_to_face=face_to_face,
        comment=comment.strip(),
        submitted_at=now,
        entered_by=actor,
    )
    event = record_event(
        proposal,
        actor,
        EventAction.EVALUATED,
        note=Text(
            gettext_noop("%(unit)s：%(ratings)s"),
            unit=reply.unit.short_name,
            ratings=_ratings_note(work_rating, result_rating),
        ),
        unit=reply.unit,
        member=actor,
    )
    told = {"name": actor.full_name, "unit": reply.unit.short_name}
    notify_event(
        event,
        unit_people(reply.unit) + supervisors_of(proposal.meeting.body),
        Text(
            gettext_noop("%(name)s已测评%(unit)s的答复：%(note)s。"),
            **told,
            note=_ratings_note(work_rating, result_rating),
        ),
        Text(gettext_noop("%(name)s已测评%(unit)s的答复。"), **told),
    )
    _after_evaluation(proposal, actor, now)
    return evaluation


@transaction.atomic
def evaluation_enter_paper(
    *,
    reply: Reply,
    actor: User,
    evaluator: User,
    work_rating: str,
    result_rating: str,
    contacted: bool,
    face_to_face: bool,
    comment: str = "",
    now: datetime | None = None,
) -> Evaluation:
    """The supervisory office enters a member's paper form; recorded as entered on paper by it."""
    now = now or timezone.now()
    proposal = lock_item(reply.proposal_id)
    if proposal.meeting.body not in actor.supervised_bodies():
        raise ValidationError(_("您没有督办这件建议提案的权限。"))
    if evaluator.pk not in {person.pk for person in signers(proposal)}:
        raise ValidationError({"evaluator": _("测评人须是这件建议提案的领衔人或联名人。")})
    if reply.status != ReplyStatus.SENT or proposal.status not in EVALUABLE:
        raise ValidationError(_("这份答复现在不能测评。"))
    _require_latest_round(reply, proposal)
    if Evaluation.objects.filter(reply=reply, evaluator=evaluator).exists():
        raise ValidationError(_("%(name)s已经测评过这份答复。") % {"name": evaluator.full_name})
    _check_ratings(work_rating, result_rating, contacted, face_to_face)
    evaluation = Evaluation.objects.create(
        reply=reply,
        evaluator=evaluator,
        work_rating=work_rating,
        result_rating=result_rating,
        contacted=contacted,
        face_to_face=face_to_face,
        comment=comment.strip(),
        submitted_at=now,
        entered_by=actor,
        on_paper=True,
    )
    record_event(
        proposal,
        actor,
        EventAction.EVALUATION_ENTERED,
        note=Text(
            gettext_noop("%(name)s（纸质测评表）：%(note)s"),
            name=evaluator.full_name,
            note=_ratings_note(work_rating, result_rating),
        ),
        unit=reply.unit,
        member=evaluator,
    )
    _after_evaluation(proposal, actor, now)
    return evaluation


@transaction.atomic
def evaluation_revise(
    *,
    evaluation: Evaluation,
    actor: User,
    reason: str,
    work_rating: str,
    result_rating: str,
    comment: str | None = None,
) -> Evaluation:
    """Only a supervisor changes a given evaluation, with a reason that the log keeps; never
    once the item is closed."""
    lock_item(evaluation.reply.proposal_id)
    evaluation = (
        Evaluation.objects.select_for_update(of=("self",))
        .select_related("reply__proposal__meeting", "evaluator")
        .get(pk=evaluation.pk)
    )
    proposal = evaluation.reply.proposal
    if proposal.meeting.body not in actor.supervised_bodies():
        raise ValidationError(_("只有督办机构可以修改测评。"))
    _require_latest_round(evaluation.reply, proposal)
    if not reason.strip():
        raise ValidationError({"reason": _("修改测评须写明理由。")})
    _check_ratings(work_rating, result_rating, evaluation.contacted, evaluation.face_to_face)
    before = _ratings_note(evaluation.work_rating, evaluation.result_rating)
    evaluation.work_rating, evaluation.result_rating = work_rating, result_rating
    if comment is not None:
        evaluation.comment = comment.strip()
    evaluation.revised_by, evaluation.revised_at, evaluation.revision_reason = (
        actor,
        timezone.now(),
        reason.strip(),
    )
    evaluation.save()
    record_event(
        proposal,
        actor,
        EventAction.EVALUATION_REVISED,
        note=Text(
            gettext_noop("%(name)s：%(before)s → %(after)s；理由：%(reason)s"),
            name=evaluation.evaluator.full_name,
            before=before,
            after=_ratings_note(work_rating, result_rating),
            reason=reason.strip(),
        ),
        unit=evaluation.reply.unit,
        member=evaluation.evaluator,
    )
    _after_evaluation(lock_proposal(proposal), actor, timezone.now())
    return evaluation


def _round_state(proposal: Proposal) -> tuple[bool, bool, bool]:
    """(every signer rated every reply, every given rating satisfied, every window passed)."""
    replies = round_replies(proposal)
    if not replies:
        return False, False, False
    people = {person.pk for person in signers(proposal)}
    evaluations = list(Evaluation.objects.filter(reply__in=replies))
    rated = {(e.reply_id, e.evaluator_id) for e in evaluations}
    complete = all((reply.pk, pk) in rated for reply in replies for pk in people)
    satisfied = all(e.is_satisfied for e in evaluations)
    today = timezone.localdate()
    windows_passed = all(today > evaluation_window_ends_on(reply) for reply in replies)
    return complete, satisfied, windows_passed


def _after_evaluation(proposal: Proposal, actor: User, now: datetime) -> None:
    complete, satisfied, _passed = _round_state(proposal)
    if complete and proposal.status == ProposalStatus.REPLIED:
        proposal.status = ProposalStatus.EVALUATED
        proposal.save(update_fields=["status", "updated_at"])
        record_event(
            proposal,
            actor,
            EventAction.EVALUATED,
            from_status=ProposalStatus.REPLIED,
            to_status=ProposalStatus.EVALUATED,
            note=Text(gettext_noop("全部答复均已测评")),
        )
    if complete and satisfied:
        _close(
            proposal, None, Text(gettext_noop("全部答复均被评为满意或基本满意，自动办结。")), now
        )


def _close(proposal: Proposal, actor: User | None, note: str | Text, now: datetime) -> None:
    """办结 of the locked item: its unfinished assignments (a 会办 unit that never sent its
    opinion) end with it, and their units are told they need do nothing more."""
    from_status = proposal.status
    proposal.status = ProposalStatus.CLOSED
    proposal.closing_note = render_for(note, settings.LANGUAGE_CODE)
    proposal.closed_at = now
    proposal.save(update_fields=["status", "closing_note", "closed_at", "updated_at"])
    # an undecided follow-up (落实情况) ends with the item too: nothing changes after 办结
    FollowUp.objects.filter(reply__proposal=proposal, status=FollowUpStatus.OPEN).update(
        status=FollowUpStatus.ENDED
    )
    for assignment in end_open_assignments(proposal, now):
        notify_about(
            proposal,
            unit_people(assignment.unit),
            Text(
                gettext_noop("已办结，贵单位的%(role)s交办随之结束，无需再办理。"),
                role=AssignmentRole(assignment.role).label,
            ),
        )
    record_event(
        proposal,
        actor,
        EventAction.CLOSED,
        from_status=from_status,
        to_status=ProposalStatus.CLOSED,
        note=note,
    )
    notify_about(proposal, signers(proposal), Text(gettext_noop("已办结：%(note)s"), note=note))


@transaction.atomic
def proposal_close(
    *, proposal: Proposal, actor: User, reason: str, now: datetime | None = None
) -> Proposal:
    """办结 by the supervisor, with a reason, once the evaluation window has passed (or every
    signer has rated every reply)."""
    now = now or timezone.now()
    proposal = lock_proposal(proposal)
    if proposal.meeting.body not in actor.supervised_bodies():
        raise ValidationError(_("您没有督办这件建议提案的权限。"))
    require_handling_open(proposal)
    if proposal.status not in EVALUABLE:
        raise ValidationError(
            _("建议提案当前为“%(s)s”，不能办结。") % {"s": proposal.get_status_display()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("请写明办结的理由。")})
    complete, _satisfied, passed = _round_state(proposal)
    if not (complete or passed):
        ends = max(evaluation_window_ends_on(reply) for reply in round_replies(proposal))
        raise ValidationError(
            _("测评期限到%(date)s才结束，期间不能办结。") % {"date": local_date(ends)}
        )
    _close(proposal, actor, reason.strip(), now)
    return proposal


def close_items_after_window(now: datetime | None = None) -> int:
    """Close the items whose evaluation window passed with no 不满意 among the answers given."""
    now = now or timezone.now()
    closed = 0
    for proposal_id in Proposal.objects.filter(status__in=EVALUABLE).values_list("pk", flat=True):
        with transaction.atomic():
            proposal = (
                Proposal.objects.select_for_update(of=("self",))
                .select_related("meeting")
                .get(pk=proposal_id)
            )
            if proposal.status not in EVALUABLE:
                continue
            _complete, satisfied, passed = _round_state(proposal)
            if passed and satisfied:
                _close(
                    proposal,
                    None,
                    Text(gettext_noop("测评期限已过，未收到不满意的评价，自动办结。")),
                    now,
                )
                closed += 1
    return closed


@transaction.atomic
def proposal_rehandle(
    *,
    proposal: Proposal,
    actor: User,
    replies: list[Reply],
    note: str = "",
    now: datetime | None = None,
) -> list[Assignment]:
    """重新办理 after 不满意: a new round for the units whose replies are chosen, due per policy."""
    now = now or timezone.now()
    proposal = lock_proposal(proposal)
    if proposal.meeting.body not in actor.supervised_bodies():
        raise ValidationError(_("您没有督办这件建议提案的权限。"))
    require_handling_open(proposal)
    if proposal.status not in EVALUABLE:
        raise ValidationError(
            _("建议提案当前为“%(s)s”，不能重新办理。") % {"s": proposal.get_status_display()}
        )
    latest = round_replies(proposal)
    chosen = [reply for reply in latest if reply.pk in {r.pk for r in replies}]
    if not chosen:
        raise ValidationError({"replies": _("请选择需要重新办理的答复。")})
    ratings = Evaluation.objects.filter(reply__in=latest).values_list(
        "work_rating", "result_rating"
    )
    if not any(Rating.UNSATISFIED in pair for pair in ratings):
        raise ValidationError(_("只有代表委员评为不满意的，才能重新办理。"))
    round_number = current_round(proposal) + 1
    due = workdays.add_months(timezone.localdate(now), proposal.meeting.rehandling_months)
    created = [
        Assignment.objects.create(
            proposal=proposal,
            unit=reply.unit,
            role=reply.assignment.role,
            round=round_number,
            assigned_at=now,
            assigned_by=actor,
            due_on=due,
            original_due_on=due,
        )
        for reply in chosen
    ]
    from_status = proposal.status
    proposal.status = ProposalStatus.ASSIGNED
    proposal.save(update_fields=["status", "updated_at"])
    units = Text.join([reply.unit.short_name for reply in chosen])
    record_event(
        proposal,
        actor,
        EventAction.REHANDLING_ORDERED,
        from_status=from_status,
        to_status=ProposalStatus.ASSIGNED,
        note=Text.join(
            [
                Text(
                    gettext_noop("第%(n)s轮：%(units)s，期限%(due)s"),
                    n=round_number,
                    units=units,
                    due=due,
                )
            ]
            + ([note.strip()] if note.strip() else []),
            "semicolon",
        ),
    )
    for reply in chosen:
        notify_about(
            proposal,
            unit_people(reply.unit),
            Text(gettext_noop("代表委员不满意，请重新办理，期限%(due)s。"), due=due),
        )
    notify_about(
        proposal, signers(proposal), Text(gettext_noop("已交%(units)s重新办理。"), units=units)
    )
    return created


# --- 落实情况 ----------------------------------------------------------------------------------


def needs_follow_up(reply: Reply) -> bool:
    for entry in reply.proposal.meeting.result_classes:
        if entry.get("code") == reply.result_class:
            return bool(entry.get("follow_up", reply.result_class == "B"))
    return False


@transaction.atomic
def follow_up_record(*, reply: Reply, actor: User, promise: str, due_on: date) -> FollowUp:
    """The unit records what a B-class reply promised and by when, while the item is open."""
    lock_item(reply.proposal_id)
    reply = (
        Reply.objects.select_for_update(of=("self",))
        .select_related("proposal__meeting", "unit")
        .get(pk=reply.pk)
    )
    if not actor.is_unit_user or actor.unit_id != reply.unit_id:
        raise ValidationError(_("只有答复单位可以登记落实承诺。"))
    if reply.status != ReplyStatus.SENT or not needs_follow_up(reply):
        raise ValidationError(_("只有已发出的B类答复需要登记落实情况。"))
    if FollowUp.objects.filter(reply=reply).exists():
        raise ValidationError(_("这份答复已经登记了落实承诺。"))
    if not promise.strip():
        raise ValidationError({"promise": _("请写明承诺解决的事项。")})
    follow_up = FollowUp.objects.create(
        reply=reply, promise=promise.strip(), due_on=due_on, recorded_by=actor
    )
    record_event(
        reply.proposal,
        actor,
        EventAction.FOLLOW_UP_RECORDED,
        note=Text(gettext_noop("承诺%(date)s前落实"), date=due_on),
    )
    return follow_up


@transaction.atomic
def follow_up_post_progress(*, follow_up: FollowUp, actor: User, text: str) -> FollowUpProgress:
    """The unit reports progress on its promise, while the item is open."""
    lock_item(follow_up.reply.proposal_id)
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("reply__proposal", "reply__unit")
        .get(pk=follow_up.pk)
    )
    if not actor.is_unit_user or actor.unit_id != follow_up.reply.unit_id:
        raise ValidationError(_("只有答复单位可以报送落实进展。"))
    if follow_up.status != FollowUpStatus.OPEN:
        raise ValidationError(_("落实情况已经认定。"))
    if not text.strip():
        raise ValidationError({"text": _("请填写落实进展。")})
    progress = FollowUpProgress.objects.create(
        follow_up=follow_up, text=text.strip(), posted_by=actor
    )
    proposal = follow_up.reply.proposal
    record_event(proposal, actor, EventAction.FOLLOW_UP_PROGRESS, note=text.strip()[:200])
    notify_about(
        proposal,
        supervisors_of(proposal.meeting.body) + signers(proposal),
        Text(gettext_noop("答复单位报送了落实进展。")),
    )
    return progress


@transaction.atomic
def follow_up_decide(
    *, follow_up: FollowUp, actor: User, fulfilled: bool, note: str = ""
) -> FollowUp:
    """The supervisory office marks the promise fulfilled or not, while the item is open."""
    lock_item(follow_up.reply.proposal_id)
    follow_up = (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("reply__proposal__meeting")
        .get(pk=follow_up.pk)
    )
    proposal = follow_up.reply.proposal
    if proposal.meeting.body not in actor.supervised_bodies():
        raise ValidationError(_("您没有督办这件建议提案的权限。"))
    if follow_up.status != FollowUpStatus.OPEN:
        raise ValidationError(_("落实情况已经认定。"))
    if not fulfilled and not note.strip():
        raise ValidationError({"note": _("认定未落实时请写明情况。")})
    follow_up.status = FollowUpStatus.FULFILLED if fulfilled else FollowUpStatus.NOT_FULFILLED
    follow_up.decided_by, follow_up.decided_at, follow_up.decision_note = (
        actor,
        timezone.now(),
        note.strip(),
    )
    follow_up.save()
    record_event(
        proposal,
        actor,
        EventAction.FOLLOW_UP_DECIDED,
        note=Text(
            gettext_noop("%(status)s %(note)s") if note.strip() else gettext_noop("%(status)s"),
            status=FollowUpStatus(follow_up.status).label,
            note=note.strip(),
        ),
    )
    notify_about(
        proposal,
        unit_people(follow_up.reply.unit) + signers(proposal),
        Text(gettext_noop("落实情况认定为：%(s)s。"), s=FollowUpStatus(follow_up.status).label),
    )
    return follow_up
