"""Handling by units: 交办, 签收, return and extension requests, 会办意见, 答复前沟通.

Same rules as items.py: keyword arguments, row locks, actor and state checks, one event per step
in the same transaction, notices queued after commit, ValidationError in plain Chinese.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.language import Text
from accounts.models import Unit, User
from accounts.notifications import supervisors_of, unit_people

from ..event_visibility import notify_event
from ..models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ContactMethod,
    ContactRecord,
    ContactResponse,
    CoOpinion,
    CoOpinionStatus,
    EventAction,
    ExtensionRequest,
    Proposal,
    ProposalStatus,
    RequestStatus,
    ReturnRequest,
    RoutingDecision,
    RoutingMode,
)
from ..models.handling import OPEN_ASSIGNMENT_STATUSES
from ..separators import enumeration
from .common import local_date, lock_item, lock_proposal, notify_about, record_event, signers

RequestT = TypeVar("RequestT", ReturnRequest, ExtensionRequest)

__all__ = [
    "assignment_accept",
    "co_opinion_decide",
    "co_opinion_save",
    "contact_record_create",
    "contact_record_respond",
    "end_open_assignments",
    "extension_request_create",
    "extension_request_leader_decide",
    "extension_request_supervisor_decide",
    "proposal_assign",
    "return_request_create",
    "return_request_leader_decide",
    "return_request_supervisor_decide",
]


def _require_supervisor_of(proposal: Proposal, actor: User) -> None:
    if proposal.meeting.body not in actor.supervised_bodies():
        raise ValidationError(_("您没有督办这件建议提案的权限。"))


def _require_unit_user(assignment: Assignment, actor: User, *, leader: bool = False) -> None:
    if not actor.is_unit_user or actor.unit_id != assignment.unit_id:
        raise ValidationError(
            _("只有%(unit)s的人员可以办理这项交办。") % {"unit": assignment.unit.name}
        )
    if leader and not actor.is_unit_leader:
        raise ValidationError(_("这一步须由单位负责人审核。"))


def _require_accepted(assignment: Assignment) -> None:
    if assignment.status == AssignmentStatus.ASSIGNED:
        raise ValidationError(_("请先签收这项交办。"))
    if assignment.status not in OPEN_ASSIGNMENT_STATUSES:
        raise ValidationError(_("这项交办已经办结或退回。"))


def _lock_assignment(assignment: Assignment) -> Assignment:
    """The assignment under a row lock, taken after its item's (`lock_item`, which refuses
    once handling ended)."""
    lock_item(assignment.proposal_id)
    return (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("proposal", "proposal__meeting", "unit")
        .get(pk=assignment.pk)
    )


def end_open_assignments(proposal: Proposal, now: datetime) -> list[Assignment]:
    """When the item's handling ends (办结, 撤案), its unfinished assignments end with it: they
    keep their status and get `ended_at`, so that no list, reminder or scorecard counts them as
    open or overdue any more. The caller holds the item's lock. Returns the ended ones."""
    ended = list(Assignment.objects.filter(proposal=proposal).open().select_related("unit"))
    Assignment.objects.filter(pk__in=[assignment.pk for assignment in ended]).update(ended_at=now)
    for assignment in ended:
        assignment.ended_at = now
    return ended


def _unit_list(units: Sequence[Unit]) -> Text:
    """Unit names joined with the reader's list separator."""
    return Text.join([unit.short_name for unit in units])


def _role(assignment: Assignment) -> Any:
    """The assignment's role (主办, 会办, 分办) as a label each reader reads in their language."""
    return AssignmentRole(assignment.role).label


def _create_assignments(
    proposal: Proposal,
    actor: User,
    *,
    round_number: int,
    lead_unit: Unit | None,
    co_units: Sequence[Unit],
    separate_units: Sequence[Unit],
    now: datetime,
) -> list[Assignment]:
    meeting = proposal.meeting
    today = timezone.localdate(now)
    plan = (
        ([(lead_unit, AssignmentRole.LEAD)] if lead_unit else [])
        + [(unit, AssignmentRole.CO) for unit in co_units]
        + [(unit, AssignmentRole.SEPARATE) for unit in separate_units]
    )
    created = []
    for unit, role in plan:
        due = (
            meeting.co_opinion_due_on(today)
            if role == AssignmentRole.CO
            else meeting.reply_due_on(today)
        )
        created.append(
            Assignment(
                proposal=proposal,
                unit=unit,
                role=role,
                round=round_number,
                assigned_at=now,
                assigned_by=actor,
                due_on=due,
                original_due_on=due,
                return_until=meeting.return_window_ends_on(today),
            )
        )
    try:
        with transaction.atomic():
            Assignment.objects.bulk_create(created)
    except IntegrityError as error:
        raise ValidationError(_("同一单位不能重复交办，且每件只能有一个主办单位。")) from error
    for assignment in created:
        notify_about(
            proposal,
            unit_people(assignment.unit),
            Text(
                gettext_noop("已交由贵单位%(role)s，办理期限%(due)s，请及时签收。"),
                role=_role(assignment),
                due=assignment.due_on,
            ),
        )
    return created


def _check_unit_plan(
    lead_unit: Unit | None, co_units: Sequence[Unit], separate_units: Sequence[Unit]
) -> None:
    if co_units and not lead_unit:
        raise ValidationError(_("会办单位须配合主办单位，请先选择主办单位。"))
    if lead_unit and separate_units:
        raise ValidationError(
            _("主办和分办不能同时使用：请选择一个主办单位（可加会办单位），或选择分办单位。")
        )
    if not lead_unit and not separate_units:
        raise ValidationError(_("请选择主办单位，或选择分办单位。"))
    everyone = ([lead_unit] if lead_unit else []) + list(co_units) + list(separate_units)
    if len({unit.pk for unit in everyone}) != len(everyone):
        raise ValidationError(_("同一单位只能承担一种承办方式。"))
    inactive = [unit.short_name for unit in everyone if not unit.is_active]
    if inactive:
        raise ValidationError(_("以下单位已停用：%(units)s") % {"units": enumeration(inactive)})


@transaction.atomic
def proposal_assign(
    *,
    proposal: Proposal,
    actor: User,
    lead_unit: Unit | None = None,
    co_units: Sequence[Unit] = (),
    separate_units: Sequence[Unit] = (),
    suggestion: Mapping[str, Any] | None = None,
    mode: str = RoutingMode.SINGLE,
    now: datetime | None = None,
) -> list[Assignment]:
    """交办: a registered item goes to one lead unit with any co-handling units, or to several
    separate units that each reply. Due dates come from the meeting's policy.

    `suggestion`: the 智能交办 proposal the supervisor was shown for this item (the record of
    proposals.suggestions.ItemProposal); what was chosen is recorded against it as a
    RoutingDecision (`mode`: single, batch or batch_adopt), in the same transaction."""
    now = now or timezone.now()
    proposal = lock_proposal(proposal)
    _require_supervisor_of(proposal, actor)
    if proposal.status != ProposalStatus.REGISTERED:
        raise ValidationError(
            _("《%(title)s》当前为“%(status)s”，不能交办。")
            % {"title": proposal.title, "status": proposal.get_status_display()}
        )
    _check_unit_plan(lead_unit, co_units, separate_units)
    created = _create_assignments(
        proposal,
        actor,
        round_number=1,
        lead_unit=lead_unit,
        co_units=co_units,
        separate_units=separate_units,
        now=now,
    )
    proposal.status = ProposalStatus.ASSIGNED
    proposal.save(update_fields=["status", "updated_at"])
    parts = []
    if lead_unit:
        parts.append(Text(gettext_noop("主办：%(units)s"), units=lead_unit.short_name))
    if co_units:
        parts.append(Text(gettext_noop("会办：%(units)s"), units=_unit_list(co_units)))
    if separate_units:
        parts.append(Text(gettext_noop("分办：%(units)s"), units=_unit_list(separate_units)))
    plan = Text.join(parts, "semicolon")
    record_event(
        proposal,
        actor,
        EventAction.ASSIGNED,
        from_status=ProposalStatus.REGISTERED,
        to_status=ProposalStatus.ASSIGNED,
        note=plan,
    )
    notify_about(proposal, signers(proposal), Text(gettext_noop("已交办：%(plan)s。"), plan=plan))
    if suggestion is not None:
        _record_routing_decision(
            proposal,
            actor,
            suggestion,
            lead_unit=lead_unit,
            co_units=co_units,
            separate_units=separate_units,
            mode=mode,
            now=now,
        )
    return created


def _record_routing_decision(
    proposal: Proposal,
    actor: User,
    suggestion: Mapping[str, Any],
    *,
    lead_unit: Unit | None,
    co_units: Sequence[Unit],
    separate_units: Sequence[Unit],
    mode: str,
    now: datetime,
) -> RoutingDecision:
    proposed_co = [
        {"unit": int(c["unit"]), "confidence": float(c.get("confidence", 0.0))}
        for c in suggestion.get("co", ())
    ]
    proposed_lead = suggestion.get("lead")
    lead_accepted = lead_unit is not None and lead_unit.pk == proposed_lead
    if not lead_accepted and not (
        isinstance(proposed_lead, int) and Unit.objects.filter(pk=proposed_lead).exists()
    ):
        proposed_lead = None  # deleted since it was shown
    chosen_co = sorted(u.pk for u in co_units)
    accepted = (
        lead_accepted and not separate_units and chosen_co == sorted(c["unit"] for c in proposed_co)
    )
    return RoutingDecision.objects.create(
        proposal=proposal,
        proposed_lead_id=proposed_lead,
        proposed_lead_confidence=float(suggestion.get("lead_confidence", 0.0)),
        proposed_co=proposed_co,
        chosen_lead=lead_unit,
        chosen_co=chosen_co,
        chosen_separate=sorted(u.pk for u in separate_units),
        lead_accepted=lead_accepted,
        accepted=accepted,
        mode=mode,
        decided_by=actor,
        decided_at=now,
    )


@transaction.atomic
def assignment_accept(
    *, assignment: Assignment, actor: User, now: datetime | None = None
) -> Assignment:
    """签收: the unit confirms it has received the assignment."""
    assignment = _lock_assignment(assignment)
    _require_unit_user(assignment, actor)
    if assignment.status != AssignmentStatus.ASSIGNED:
        raise ValidationError(_("这项交办已经签收过了。"))
    assignment.status = AssignmentStatus.ACCEPTED
    assignment.accepted_at = now or timezone.now()
    assignment.accepted_by = actor
    assignment.save(update_fields=["status", "accepted_at", "accepted_by"])
    record_event(
        assignment.proposal,
        actor,
        EventAction.ACCEPTED,
        note=Text(
            gettext_noop("%(unit)s（%(role)s）"),
            unit=assignment.unit.short_name,
            role=_role(assignment),
        ),
        unit=assignment.unit,
    )
    return assignment


# --- return (申请退回/调整) -----------------------------------------------------------------


@transaction.atomic
def return_request_create(
    *, assignment: Assignment, actor: User, reason: str, today: date | None = None
) -> ReturnRequest:
    """A unit asks to be relieved of a misassigned item, within the policy's window."""
    today = today or timezone.localdate()
    assignment = _lock_assignment(assignment)
    _require_unit_user(assignment, actor)
    if assignment.status not in OPEN_ASSIGNMENT_STATUSES:
        raise ValidationError(_("这项交办已经办结或退回，不能再申请退回。"))
    meeting = assignment.proposal.meeting
    # computed live: a holiday the administrator enters later still counts
    window_end = meeting.return_window_ends_on(timezone.localdate(assignment.assigned_at))
    if today > window_end:
        raise ValidationError(
            _("申请退回的期限已于%(date)s截止（交办后%(n)s个工作日内），不能再申请。")
            % {"date": local_date(window_end), "n": meeting.return_window_working_days}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("请写明申请退回的理由。")})
    if ReturnRequest.objects.filter(
        assignment=assignment, status__in=["pending_leader", "pending_supervisor"]
    ).exists():
        raise ValidationError(_("已有一项退回申请正在审核。"))
    by_leader = actor.is_unit_leader
    request = ReturnRequest.objects.create(
        assignment=assignment,
        reason=reason.strip(),
        requested_by=actor,
        status=RequestStatus.PENDING_SUPERVISOR if by_leader else RequestStatus.PENDING_LEADER,
        leader=actor if by_leader else None,
        leader_decided_at=timezone.now() if by_leader else None,
    )
    record_event(
        assignment.proposal,
        actor,
        EventAction.RETURN_REQUESTED,
        note=Text(
            gettext_noop("%(unit)s：%(reason)s"),
            unit=assignment.unit.short_name,
            reason=reason.strip(),
        ),
        unit=assignment.unit,
    )
    _notify_request_next(request, assignment, Text(gettext_noop("申请退回")))
    return request


def _notify_request_next(
    request: ReturnRequest | ExtensionRequest, assignment: Assignment, what: Text
) -> None:
    proposal = assignment.proposal
    # the notice opens the page where the next person decides, not the item page
    kind = "return_decide" if isinstance(request, ReturnRequest) else "extension_decide"
    url = reverse(f"proposals:{kind}", args=[request.pk])
    if request.status == RequestStatus.PENDING_LEADER:
        notify_about(
            proposal,
            unit_people(assignment.unit, leaders_only=True),
            Text(
                gettext_noop("%(unit)s%(what)s，待您审核。"),
                unit=assignment.unit.short_name,
                what=what,
            ),
            url=url,
        )
    elif request.status == RequestStatus.PENDING_SUPERVISOR:
        notify_about(
            proposal,
            supervisors_of(proposal.meeting.body),
            Text(
                gettext_noop("%(unit)s%(what)s，待督办审核。"),
                unit=assignment.unit.short_name,
                what=what,
            ),
            url=url,
        )


def _leader_decide(
    request: ReturnRequest | ExtensionRequest, actor: User, approve: bool, note: str
) -> None:
    _require_unit_user(request.assignment, actor, leader=True)
    if request.status != RequestStatus.PENDING_LEADER:
        raise ValidationError(_("这项申请不在待单位负责人审核状态。"))
    if not approve and not note.strip():
        raise ValidationError({"note": _("不同意时请写明意见。")})
    request.status = (
        RequestStatus.PENDING_SUPERVISOR if approve else RequestStatus.REFUSED_BY_LEADER
    )
    request.leader = actor
    request.leader_note = note.strip()
    request.leader_decided_at = timezone.now()
    request.save(update_fields=["status", "leader", "leader_note", "leader_decided_at"])


def _leader_step(
    model: type[RequestT],
    request: RequestT,
    actor: User,
    approve: bool,
    note: str,
    *,
    events: tuple[str, str],
    what: Text,
    refused: Text,
) -> RequestT:
    """The unit leader's decision on a return or extension request: approved, it goes on to the
    supervisor; refused, the requester is told. `events` is (approved, refused)."""
    lock_item(request.assignment.proposal_id)
    request = (
        model.objects.select_for_update(of=("self",))
        .select_related(
            "assignment",
            "assignment__unit",
            "assignment__proposal",
            "assignment__proposal__meeting",
        )
        .get(pk=request.pk)
    )
    _leader_decide(request, actor, approve, note)
    assignment = request.assignment
    record_event(
        assignment.proposal,
        actor,
        events[0] if approve else events[1],
        note=note.strip(),
        unit=assignment.unit,
    )
    if approve:
        _notify_request_next(request, assignment, what)
    else:
        notify_about(assignment.proposal, [request.requested_by], refused)
    return request


@transaction.atomic
def return_request_leader_decide(
    *, request: ReturnRequest, actor: User, approve: bool, note: str = ""
) -> ReturnRequest:
    """The unit leader approves the return request (it goes to the supervisor) or stops it."""
    return _leader_step(
        ReturnRequest,
        request,
        actor,
        approve,
        note,
        events=(EventAction.RETURN_LEADER_APPROVED, EventAction.RETURN_LEADER_REFUSED),
        what=Text(gettext_noop("申请退回")),
        refused=Text(gettext_noop("退回申请未获单位负责人同意。")),
    )


@transaction.atomic
def return_request_supervisor_decide(
    *,
    request: ReturnRequest,
    actor: User,
    approve: bool,
    note: str = "",
    new_units: Sequence[Unit] = (),
    now: datetime | None = None,
) -> ReturnRequest:
    """The supervisor approves the return and reassigns the part to other units, or refuses it
    (handling goes on and the clock keeps running)."""
    now = now or timezone.now()
    proposal = lock_item(request.assignment.proposal_id)
    request = (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("assignment", "assignment__unit", "assignment__proposal")
        .get(pk=request.pk)
    )
    assignment = _lock_assignment(request.assignment)
    _require_supervisor_of(proposal, actor)
    if request.status != RequestStatus.PENDING_SUPERVISOR:
        raise ValidationError(_("这项申请不在待督办审核状态。"))
    if not approve:
        if not note.strip():
            raise ValidationError({"note": _("不同意退回时请写明理由，承办单位会看到。")})
        request.status = RequestStatus.REFUSED
    else:
        role = assignment.role
        if role == AssignmentRole.LEAD and len(new_units) != 1:
            raise ValidationError({"new_units": _("退回的是主办单位，请指定一个新的主办单位。")})
        if any(unit.pk == assignment.unit_id for unit in new_units):
            raise ValidationError({"new_units": _("不能再交回申请退回的单位。")})
        request.status = RequestStatus.APPROVED
        assignment.status = AssignmentStatus.RETURNED
        assignment.ended_at = now
        assignment.save(update_fields=["status", "ended_at"])
        if new_units:
            _create_assignments(
                proposal,
                actor,
                round_number=assignment.round,
                lead_unit=new_units[0] if role == AssignmentRole.LEAD else None,
                co_units=new_units if role == AssignmentRole.CO else (),
                separate_units=new_units if role == AssignmentRole.SEPARATE else (),
                now=now,
            )
    request.supervisor = actor
    request.supervisor_note = note.strip()
    request.decided_at = now
    request.save(update_fields=["status", "supervisor", "supervisor_note", "decided_at"])
    if approve:
        moved = _unit_list(new_units) if new_units else Text(gettext_noop("不再另行交办"))
        event_note = Text(
            gettext_noop("%(unit)s退回，改由%(new)s%(role)s"),
            unit=assignment.unit.short_name,
            new=moved,
            role=_role(assignment),
        )
        record_event(
            proposal, actor, EventAction.RETURN_APPROVED, note=event_note, unit=assignment.unit
        )
        notify_about(proposal, unit_people(assignment.unit), Text(gettext_noop("退回申请已同意。")))
        notify_about(
            proposal,
            signers(proposal),
            Text(gettext_noop("承办单位调整：%(note)s。"), note=event_note),
        )
    else:
        event = record_event(
            proposal, actor, EventAction.RETURN_REFUSED, note=note.strip(), unit=assignment.unit
        )
        notify_event(
            event,
            unit_people(assignment.unit),
            Text(gettext_noop("退回申请未获同意，请继续办理：%(note)s"), note=note.strip()),
            Text(gettext_noop("退回申请未获同意，请继续办理。")),
        )
    return request


# --- extension (申请延期) -------------------------------------------------------------------


@transaction.atomic
def extension_request_create(
    *, assignment: Assignment, actor: User, reason: str, requested_due_on: date
) -> ExtensionRequest:
    """A lead or separate unit asks for a later due date, never past the policy's cap."""
    assignment = _lock_assignment(assignment)
    _require_unit_user(assignment, actor)
    if assignment.status not in OPEN_ASSIGNMENT_STATUSES:
        raise ValidationError(_("这项交办已经办结或退回，不能申请延期。"))
    if not assignment.gives_reply:
        raise ValidationError(_("会办单位的期限由主办单位协调，不能申请延期。"))
    _require_accepted(assignment)
    if not reason.strip():
        raise ValidationError({"reason": _("请写明申请延期的理由。")})
    meeting = assignment.proposal.meeting
    cap = meeting.extension_cap_on(timezone.localdate(assignment.assigned_at))
    if requested_due_on <= assignment.due_on:
        raise ValidationError(
            {
                "requested_due_on": _("申请的日期须晚于现在的期限%(due)s。")
                % {"due": local_date(assignment.due_on)}
            }
        )
    if requested_due_on > cap:
        raise ValidationError(
            {
                "requested_due_on": _(
                    "延期后的总期限不能超过交办后%(n)s个月，最晚只能延至%(cap)s。"
                )
                % {"n": meeting.extension_cap_months, "cap": local_date(cap)}
            }
        )
    if ExtensionRequest.objects.filter(
        assignment=assignment, status__in=["pending_leader", "pending_supervisor"]
    ).exists():
        raise ValidationError(_("已有一项延期申请正在审核。"))
    by_leader = actor.is_unit_leader
    request = ExtensionRequest.objects.create(
        assignment=assignment,
        reason=reason.strip(),
        requested_by=actor,
        requested_due_on=requested_due_on,
        previous_due_on=assignment.due_on,
        status=RequestStatus.PENDING_SUPERVISOR if by_leader else RequestStatus.PENDING_LEADER,
        leader=actor if by_leader else None,
        leader_decided_at=timezone.now() if by_leader else None,
    )
    record_event(
        assignment.proposal,
        actor,
        EventAction.EXTENSION_REQUESTED,
        note=Text(
            gettext_noop("%(unit)s申请延至%(date)s：%(reason)s"),
            unit=assignment.unit.short_name,
            date=requested_due_on,
            reason=reason.strip(),
        ),
        unit=assignment.unit,
    )
    _notify_request_next(request, assignment, Text(gettext_noop("申请延期")))
    return request


@transaction.atomic
def extension_request_leader_decide(
    *, request: ExtensionRequest, actor: User, approve: bool, note: str = ""
) -> ExtensionRequest:
    """The unit leader approves the extension request (it goes to the supervisor) or stops it."""
    return _leader_step(
        ExtensionRequest,
        request,
        actor,
        approve,
        note,
        events=(EventAction.EXTENSION_LEADER_APPROVED, EventAction.EXTENSION_LEADER_REFUSED),
        what=Text(gettext_noop("申请延期")),
        refused=Text(gettext_noop("延期申请未获单位负责人同意。")),
    )


@transaction.atomic
def extension_request_supervisor_decide(
    *,
    request: ExtensionRequest,
    actor: User,
    approve: bool,
    note: str = "",
    granted_due_on: date | None = None,
) -> ExtensionRequest:
    """The supervisor grants the requested date, or an earlier one (`granted_due_on`), or
    refuses. A granted date is after the current due date, not after the requested date and
    within the policy's cap; it becomes the assignment's due date."""
    lock_item(request.assignment.proposal_id)
    request = (
        ExtensionRequest.objects.select_for_update(of=("self",))
        .select_related(
            "assignment",
            "assignment__unit",
            "assignment__proposal",
            "assignment__proposal__meeting",
        )
        .get(pk=request.pk)
    )
    assignment = _lock_assignment(request.assignment)
    proposal = assignment.proposal
    _require_supervisor_of(proposal, actor)
    if request.status != RequestStatus.PENDING_SUPERVISOR:
        raise ValidationError(_("这项申请不在待督办审核状态。"))
    if approve:
        granted = granted_due_on or request.requested_due_on
        _check_granted_date(request, assignment, granted)
        request.granted_due_on = granted
        assignment.due_on = granted
        assignment.save(update_fields=["due_on"])
    elif not note.strip():
        raise ValidationError({"note": _("不同意延期时请写明理由，承办单位会看到。")})
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    request.supervisor = actor
    request.supervisor_note = note.strip()
    request.decided_at = timezone.now()
    request.save(
        update_fields=["status", "granted_due_on", "supervisor", "supervisor_note", "decided_at"]
    )
    if approve:
        message = Text(
            gettext_noop("%(unit)s延期至%(date)s"),
            unit=assignment.unit.short_name,
            date=assignment.due_on,
        )
        if request.granted_earlier:
            message = Text(
                gettext_noop("%(granted)s（申请延至%(asked)s）"),
                granted=message,
                asked=request.requested_due_on,
            )
        event_note = (
            Text(gettext_noop("%(decision)s：%(note)s"), decision=message, note=note.strip())
            if note.strip()
            else message
        )
        record_event(
            proposal, actor, EventAction.EXTENSION_APPROVED, note=event_note, unit=assignment.unit
        )
        notify_about(
            proposal,
            unit_people(assignment.unit) + signers(proposal),
            Text(gettext_noop("已同意%(m)s。"), m=message),
        )
    else:
        event = record_event(
            proposal, actor, EventAction.EXTENSION_REFUSED, note=note.strip(), unit=assignment.unit
        )
        notify_event(
            event,
            unit_people(assignment.unit),
            Text(gettext_noop("延期申请未获同意：%(note)s"), note=note.strip()),
            Text(gettext_noop("延期申请未获同意。")),
        )
    return request


def _check_granted_date(request: ExtensionRequest, assignment: Assignment, granted: date) -> None:
    """The date the supervisor grants: later than the current due date, no later than the unit
    asked for, and within the policy's cap."""
    meeting = assignment.proposal.meeting
    cap = meeting.extension_cap_on(timezone.localdate(assignment.assigned_at))
    if granted <= assignment.due_on:
        message = _("同意延至的日期须晚于现在的期限%(due)s。") % {
            "due": local_date(assignment.due_on)
        }
    elif granted > request.requested_due_on:
        message = _("同意延至的日期不能晚于承办单位申请的%(asked)s。") % {
            "asked": local_date(request.requested_due_on)
        }
    elif granted > cap:
        message = _("延期后的总期限不能超过交办后%(n)s个月，最晚只能延至%(cap)s。") % {
            "n": meeting.extension_cap_months,
            "cap": local_date(cap),
        }
    else:
        return
    raise ValidationError({"granted_due_on": message})


# --- co-handling opinion (会办意见) ----------------------------------------------------------


@transaction.atomic
def co_opinion_save(
    *, assignment: Assignment, actor: User, text: str, submit: bool = False
) -> CoOpinion:
    """A co-handling unit drafts its opinion; `submit` sends it to the unit leader, or, when the
    leader writes it, straight to the lead unit."""
    assignment = _lock_assignment(assignment)
    _require_unit_user(assignment, actor)
    if assignment.role != AssignmentRole.CO:
        raise ValidationError(_("只有会办单位提出会办意见。"))
    _require_accepted(assignment)
    if not text.strip():
        raise ValidationError({"text": _("请填写会办意见。")})
    opinion = CoOpinion.objects.select_for_update().filter(assignment=assignment).first()
    if opinion is not None and opinion.status == CoOpinionStatus.SENT:
        raise ValidationError(_("会办意见已经送达主办单位，不能再修改。"))
    if (
        opinion is not None
        and opinion.status == CoOpinionStatus.PENDING_LEADER
        and not actor.is_unit_leader
    ):
        raise ValidationError(_("会办意见正在等待单位负责人审核，暂不能修改。"))
    if opinion is None:
        opinion = CoOpinion(assignment=assignment, drafted_by=actor)
    opinion.text = text.strip()
    opinion.status = CoOpinionStatus.DRAFT
    opinion.save()
    if submit:
        if actor.is_unit_leader:
            _co_opinion_send(opinion, assignment, actor)
        else:
            opinion.status = CoOpinionStatus.PENDING_LEADER
            opinion.save(update_fields=["status", "updated_at"])
            record_event(
                assignment.proposal,
                actor,
                EventAction.CO_OPINION_SUBMITTED,
                note=assignment.unit.short_name,
                unit=assignment.unit,
            )
            notify_about(
                assignment.proposal,
                unit_people(assignment.unit, leaders_only=True),
                Text(gettext_noop("%(unit)s会办意见待您审核。"), unit=assignment.unit.short_name),
                url=reverse("proposals:co_opinion", args=[assignment.pk]),
            )
    return opinion


def _co_opinion_send(opinion: CoOpinion, assignment: Assignment, leader: User) -> None:
    now = timezone.now()
    opinion.status = CoOpinionStatus.SENT
    opinion.approved_by = leader
    opinion.sent_at = now
    opinion.save(update_fields=["status", "approved_by", "sent_at", "updated_at"])
    assignment.status = AssignmentStatus.OPINION_SENT
    assignment.ended_at = now
    assignment.save(update_fields=["status", "ended_at"])
    proposal = assignment.proposal
    record_event(
        proposal,
        leader,
        EventAction.CO_OPINION_SENT,
        note=assignment.unit.short_name,
        unit=assignment.unit,
    )
    lead_units = (
        Assignment.objects.filter(
            proposal=proposal, round=assignment.round, role=AssignmentRole.LEAD
        )
        .active()
        .values_list("unit_id", flat=True)
    )
    people = [person for unit_id in lead_units for person in unit_people(unit_id)]
    notify_about(
        proposal,
        people,
        Text(gettext_noop("收到%(unit)s的会办意见。"), unit=assignment.unit.short_name),
    )


@transaction.atomic
def co_opinion_decide(
    *, opinion: CoOpinion, actor: User, approve: bool, comment: str = ""
) -> CoOpinion:
    """The co unit's leader signs the opinion off to the lead unit, or sends it back to staff."""
    lock_item(opinion.assignment.proposal_id)
    opinion = CoOpinion.objects.select_for_update().get(pk=opinion.pk)
    assignment = _lock_assignment(opinion.assignment)
    _require_unit_user(assignment, actor, leader=True)
    if opinion.status != CoOpinionStatus.PENDING_LEADER:
        raise ValidationError(_("会办意见不在待审核状态。"))
    if approve:
        _co_opinion_send(opinion, assignment, actor)
    else:
        if not comment.strip():
            raise ValidationError({"comment": _("退回修改时请写明意见。")})
        opinion.status = CoOpinionStatus.DRAFT
        opinion.leader_comment = comment.strip()
        opinion.save(update_fields=["status", "leader_comment", "updated_at"])
        event = record_event(
            assignment.proposal,
            actor,
            EventAction.CO_OPINION_SENT_BACK,
            note=comment.strip(),
            unit=assignment.unit,
        )
        notify_event(
            event,
            [opinion.drafted_by],
            Text(gettext_noop("会办意见被退回修改：%(c)s"), c=comment.strip()),
            Text(gettext_noop("会办意见被退回修改。")),
            url=reverse("proposals:co_opinion", args=[assignment.pk]),
        )
    return opinion


# --- contact records (答复前沟通) ------------------------------------------------------------


@transaction.atomic
def contact_record_create(
    *,
    assignment: Assignment,
    actor: User,
    method: str,
    contacted_on: date,
    participants: str,
    notes: str,
) -> ContactRecord:
    """A replying unit records a contact with the member before the reply."""
    assignment = _lock_assignment(assignment)
    _require_unit_user(assignment, actor)
    if not assignment.gives_reply:
        raise ValidationError(_("答复前沟通由主办或分办单位记录。"))
    if not assignment.is_active:
        raise ValidationError(_("这项交办已经退回。"))
    if assignment.status == AssignmentStatus.ASSIGNED:
        raise ValidationError(_("请先签收，再记录答复前沟通。"))
    if assignment.status != AssignmentStatus.ACCEPTED:
        raise ValidationError(_("这项交办已经答复，答复前沟通应记在正在办理的一轮。"))
    if contacted_on > timezone.localdate():
        raise ValidationError({"contacted_on": _("沟通日期不能晚于今天。")})
    if contacted_on < timezone.localdate(assignment.assigned_at):
        raise ValidationError({"contacted_on": _("沟通日期不能早于交办日期。")})
    if not participants.strip() or not notes.strip():
        raise ValidationError(_("请填写参加人员和沟通情况。"))
    record = ContactRecord.objects.create(
        assignment=assignment,
        method=method,
        contacted_on=contacted_on,
        participants=participants.strip(),
        notes=notes.strip(),
        recorded_by=actor,
    )
    proposal = assignment.proposal
    record_event(
        proposal,
        actor,
        EventAction.CONTACT_RECORDED,
        note=Text(
            gettext_noop("%(unit)s%(method)s（%(date)s）"),
            unit=assignment.unit.short_name,
            method=ContactMethod(record.method).label,
            date=contacted_on,
        ),
    )
    notify_about(
        proposal,
        signers(proposal),
        Text(
            gettext_noop("%(unit)s记录了一次%(method)s沟通，请确认。"),
            unit=assignment.unit.short_name,
            method=ContactMethod(record.method).label,
        ),
    )
    return record


@transaction.atomic
def contact_record_respond(
    *, record: ContactRecord, actor: User, confirm: bool, comment: str = ""
) -> ContactRecord:
    """The member confirms the contact happened as recorded, or disputes it. A dispute of a
    contact that a signed reply of the assignment relied on (签发: in review or sent) also goes
    to the supervisory office, which reviews that reply or decides on the member's verdict."""
    lock_item(record.assignment.proposal_id)
    record = (
        ContactRecord.objects.select_for_update(of=("self",))
        .select_related(
            "assignment",
            "assignment__proposal",
            "assignment__proposal__meeting",
            "assignment__unit",
        )
        .get(pk=record.pk)
    )
    proposal = record.assignment.proposal
    if actor.pk not in {signer.pk for signer in signers(proposal)}:
        raise ValidationError(_("只有领衔人和联名人可以确认沟通记录。"))
    if record.response != ContactResponse.PENDING:
        raise ValidationError(_("这条沟通记录已经确认过了。"))
    if not confirm and not comment.strip():
        raise ValidationError({"comment": _("有异议时请写明情况。")})
    record.response = ContactResponse.CONFIRMED if confirm else ContactResponse.DISPUTED
    record.response_comment = comment.strip()
    record.responded_by = actor
    record.responded_at = timezone.now()
    record.save(update_fields=["response", "response_comment", "responded_by", "responded_at"])
    record_event(
        proposal,
        actor,
        EventAction.CONTACT_CONFIRMED if confirm else EventAction.CONTACT_DISPUTED,
        note=comment.strip(),
    )
    notify_about(
        proposal,
        unit_people(record.assignment.unit),
        Text(
            gettext_noop("%(name)s确认了沟通记录。")
            if confirm
            else gettext_noop("%(name)s对沟通记录有异议。"),
            name=actor.full_name,
        ),
    )
    if not confirm and _signed_reply_relied_on(record):
        notify_about(
            proposal,
            supervisors_of(proposal.meeting.body),
            Text(
                gettext_noop(
                    "%(name)s对%(unit)s%(date)s的%(method)s沟通记录有异议，该单位的答复已签发：%(comment)s"
                ),
                name=actor.full_name,
                unit=record.assignment.unit.short_name,
                date=record.contacted_on,
                method=ContactMethod(record.method).label,
                comment=comment.strip(),
            ),
        )
    return record


def _signed_reply_relied_on(record: ContactRecord) -> bool:
    """Has a reply of the record's assignment been signed (签发) — in review, sent, or sent and
    since corrected? Then the reply went out on the strength of contacts like this one."""
    from replies.models import Reply, ReplyStatus

    return Reply.objects.filter(
        assignment_id=record.assignment_id,
        status__in=[ReplyStatus.IN_REVIEW, ReplyStatus.SENT, ReplyStatus.SUPERSEDED],
    ).exists()
