"""After 交办: the work in progress and the members' verdicts on generated items, in bulk.

`generate.Handling` decides who handles an item and which replies are sent. This module adds
what a year of handling leaves besides, dated by the same clock (today and the meeting's policy),
in shares an office would recognise:

- on running assignments: reply drafts, more of them the nearer the due date, a few waiting for
  签发, some in 督办审核 (where the policy asks for it), some sent back with a comment; co-handling
  opinions being drafted, some waiting for the leader, a few sent back; return requests inside the
  return window (and a few still with the supervisor just after it); extension requests from units
  near or past their due date;
- contacts with the member (答复前沟通) on about half of the replying assignments, always face to
  face where the policy requires it before 签发: most confirmed, recent ones pending, a few
  disputed;
- 满意度测评 of every sent reply by the lead and each confirmed co-signer: most rate within the
  window, about 3 % of the replies disappoint (不满意);
- the item's end, as replies.services.evaluation would leave it: 已测评 once everybody rated,
  办结 at once when all were satisfied or the day after the window when nobody was dissatisfied;
  after a 不满意 the supervisor decides within weeks: 重新办理 (a second round, answered and
  rated once due) or 办结 with a reason, a tenth left undecided;
- 落实情况 of the replies whose class needs one (B by default): recorded within days of the
  reply, decided after the promised date, some still open past it.

Items in draft with pending co-signer invitations come from generate_items. Events: one per
change of the item's status (已测评, 办结, 重新办理 and the new round's replies), not one per
evaluation, contact or request, like the rest of the generator.

It draws from a random generator of its own, so the items, assignments and replies that
`Handling` makes for a seed stay the same as without it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.language import Text
from accounts.models import User
from replies.models import Evaluation, FollowUp, FollowUpStatus, Rating, Reply, ReplyStatus

from .. import workdays
from ..models import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    ContactMethod,
    ContactRecord,
    ContactResponse,
    CoOpinion,
    CoOpinionStatus,
    CoSigner,
    CoSignerStatus,
    EventAction,
    ExtensionRequest,
    Proposal,
    ProposalEvent,
    ProposalStatus,
    RequestStatus,
    ReturnRequest,
)
from ..models.handling import FACE_TO_FACE_METHODS
from ..services.common import note_fields, reply_sent_note

if TYPE_CHECKING:
    from .generate import Batch, Handling, UnitPeople

INSERT_BATCH = 500

# --- shares -----------------------------------------------------------------------------------

RETURN_SHARE = 0.06  # running assignments inside the return window with a request pending
LATE_RETURN_SHARE = 0.02  # window closed in the last 10 days, the supervisor yet to decide
EXTENSION_SHARE = 0.08  # replying units due within 25 days or overdue up to 20: a request pending
CONTACT_SHARE = 0.5  # replying assignments with a contact record (always where required)
STARTED_BASE = 0.15  # a running reply is started: this plus the share of the time gone (≤ 0.9)
# a started reply: being drafted, waiting for 签发, in 督办审核, sent back with a comment
OPEN_REPLY_WEIGHTS = (62, 14, 12, 12)
OPINION_WEIGHTS = (65, 25, 10)  # a started co-handling opinion: draft, with the leader, sent back
RATED_SHARE = 0.85  # a signer rates a reply by the end of the window
DISAPPOINTING_SHARE = 0.03  # replies the signers rate 不满意
UNDECIDED_SHARE = 0.1  # 不满意 items the supervisor has not decided on, long after
REHANDLE_SHARE = 0.6  # the supervisor's decision after a 不满意: 重新办理 (else 办结)
FOLLOW_UP_SHARE = 0.92  # replies needing a follow-up whose promise the unit recorded

CONTACT_WEIGHTS = {
    ContactMethod.FACE_TO_FACE: 40,
    ContactMethod.PHONE: 35,
    ContactMethod.MEETING: 10,
    ContactMethod.VISIT: 10,
    ContactMethod.WRITTEN: 5,
}
CONTACT_NOTES = [
    "就建议所提问题当面听取代表意见，介绍了正在推进的工作和下一步打算。",
    "电话联系代表，沟通了办理思路，代表表示认可。",
    "召开座谈会，邀请代表和相关部门共同研究解决办法。",
    "陪同代表实地走访相关社区，了解群众诉求。",
    "书面征求代表对办理方案的意见。",
]
DISPUTE_COMMENTS = [
    "承办单位只发了短信，没有当面沟通。",
    "记录的沟通时间与实际不符，当天没有联系过我。",
    "沟通中没有涉及建议所提的主要问题。",
]
RETURN_REASONS = [
    "所提事项不属于我单位职责范围，建议调整由市住保房管局主办。",
    "该事项已由区政府统筹负责，建议改交属地办理。",
    "建议内容主要涉及规划审批，请调整承办单位。",
]
EXTENSION_REASONS = [
    "所提问题涉及多个部门，需进一步协调，申请延期一个月答复。",
    "相关政策正在修订，待出台后再作答复。",
    "需开展实地调研并征求基层意见，时间较紧。",
]
SENT_BACK_BY_LEADER = [
    "请补充具体办理措施和完成时限后再送签。",
    "答复未回应建议的第二条，请补充。",
]
SENT_BACK_BY_SUPERVISOR = ["答复内容较为笼统，请结合建议逐条作出回应。"]
OPINION_DRAFT_TEXT = "{unit}拟同意主办单位的办理意见，并在职责范围内配合做好相关工作。"
OPINION_SENT_BACK = "请结合我单位职责补充具体配合措施。"
UNSATISFIED_COMMENTS = [
    "答复内容空泛，没有回应所提的具体问题。",
    "承办单位没有与本人沟通就作出答复。",
    "所提问题多年未解决，答复仍称正在研究。",
]
SATISFIED_COMMENTS = ["感谢承办单位的认真办理。", "希望继续跟踪落实。"]
AUTO_CLOSE_NOTE = "全部答复均被评为满意或基本满意，自动办结。"
WINDOW_CLOSE_NOTE = "测评期限已过，未收到不满意的评价，自动办结。"
SUPERVISOR_CLOSE_NOTE = (
    "经与代表委员和承办单位沟通，问题受客观条件限制暂难解决，已作说明，予以办结。"
)


@dataclass
class Progress:
    """The rows this module adds to one batch, inserted by `Lifecycle.save` after the batch's
    assignments and sent replies (co-handling opinions in progress go to `Batch.opinions`)."""

    open_replies: list[Reply] = field(default_factory=list)
    # the open replies of each item (by index in the batch), whose salutation comes later
    replies_of: dict[int, list[Reply]] = field(default_factory=dict)
    contacts: list[ContactRecord] = field(default_factory=list)
    returns: list[ReturnRequest] = field(default_factory=list)
    extensions: list[ExtensionRequest] = field(default_factory=list)
    evaluations: list[Evaluation] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    # contact methods per assignment (by id(): the rows have no key yet), for the evaluations
    contacted: dict[int, set[str]] = field(default_factory=dict)


def _local_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class Lifecycle:
    """Adds the work in progress and the evaluations to what `Handling` planned (module doc)."""

    def __init__(self, handling: Handling, rng: random.Random) -> None:
        self.handling = handling
        self.rng = rng
        self.now = handling.now
        self.today = handling.today
        self.latest = self.now - timedelta(hours=1)
        self.follow_up_codes: dict[int, set[str]] = {}

    # --- time helpers (with this module's random generator) ----------------------------------

    def _between(self, start: datetime, end: datetime) -> datetime:
        if end <= start:
            return end
        return start + (end - start) * self.rng.random()

    def _end_of(self, day: date) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(17)))

    # --- while an assignment runs -------------------------------------------------------------

    def running(
        self,
        item: Proposal,
        unit_id: int,
        role: str,
        assignment: Assignment,
        co_names: str,
        batch: Batch,
        index: int,
    ) -> None:
        """What one assignment has besides its status: a return or extension request, contacts
        with the member, a reply or opinion in progress."""
        rng = self.rng
        people = self.handling.people[unit_id]
        rows = batch.progress
        running = assignment.status in (AssignmentStatus.ASSIGNED, AssignmentStatus.ACCEPTED)
        requested_return = False
        if running and assignment.return_until is not None:
            past = (self.today - assignment.return_until).days
            if past <= 0 and rng.random() < RETURN_SHARE:
                rows.returns.append(self._return_request(assignment, people, rng.random() < 0.5))
                requested_return = True
            elif 0 < past <= 10 and rng.random() < LATE_RETURN_SHARE:
                rows.returns.append(self._return_request(assignment, people, True))
                requested_return = True
        if role == AssignmentRole.CO:
            if assignment.status == AssignmentStatus.ACCEPTED:
                self._opinion(assignment, people, batch)
            return
        if assignment.status in (AssignmentStatus.ACCEPTED, AssignmentStatus.REPLIED):
            required = item.meeting.contact_required_for(item)
            if required or rng.random() < CONTACT_SHARE:
                rows.contacts.append(self._contact(item, assignment, people, required, rows))
        if assignment.status != AssignmentStatus.ACCEPTED:
            return
        days_left = (assignment.due_on - self.today).days
        if not requested_return and -20 <= days_left <= 25 and rng.random() < EXTENSION_SHARE:
            extension = self._extension_request(item, assignment, people)
            if extension is not None:
                rows.extensions.append(extension)
        assigned_on = timezone.localdate(assignment.assigned_at)
        span = max((assignment.due_on - assigned_on).days, 1)
        elapsed = (self.today - assigned_on).days / span
        if rng.random() < min(0.9, STARTED_BASE + elapsed):
            reply = self._open_reply(item, role, assignment, co_names)
            rows.open_replies.append(reply)
            rows.replies_of.setdefault(index, []).append(reply)

    def _return_request(
        self, assignment: Assignment, people: UnitPeople, with_supervisor: bool
    ) -> ReturnRequest:
        window_end = self._end_of(assignment.return_until or self.today)
        requested = self._between(
            assignment.assigned_at + timedelta(hours=2), min(window_end, self.latest)
        )
        request = ReturnRequest(
            assignment=assignment,
            reason=self.rng.choice(RETURN_REASONS),
            status=RequestStatus.PENDING_LEADER,
            requested_by=people.staff,
            requested_at=requested,
        )
        if with_supervisor:
            request.status = RequestStatus.PENDING_SUPERVISOR
            request.leader = people.leader
            request.leader_note = "同意申请退回。"
            request.leader_decided_at = self._between(requested, self.latest)
        return request

    def _extension_request(
        self, item: Proposal, assignment: Assignment, people: UnitPeople
    ) -> ExtensionRequest | None:
        meeting = item.meeting
        cap = meeting.extension_cap_on(timezone.localdate(assignment.assigned_at))
        wanted = min(cap, workdays.add_months(assignment.due_on, 1))
        if wanted <= assignment.due_on:
            return None
        start = max(assignment.accepted_at or assignment.assigned_at, self.now - timedelta(days=20))
        requested = self._between(start, self.latest)
        request = ExtensionRequest(
            assignment=assignment,
            reason=self.rng.choice(EXTENSION_REASONS),
            status=RequestStatus.PENDING_LEADER,
            requested_by=people.staff,
            requested_at=requested,
            requested_due_on=wanted,
            previous_due_on=assignment.due_on,
        )
        if self.rng.random() < 0.6:
            request.status = RequestStatus.PENDING_SUPERVISOR
            request.leader = people.leader
            request.leader_note = "情况属实，同意延期。"
            request.leader_decided_at = self._between(requested, self.latest)
        return request

    def _contact(
        self,
        item: Proposal,
        assignment: Assignment,
        people: UnitPeople,
        required: bool,
        rows: Progress,
    ) -> ContactRecord:
        rng = self.rng
        if required:
            method = rng.choice(FACE_TO_FACE_METHODS)
        else:
            method = rng.choices(list(CONTACT_WEIGHTS), list(CONTACT_WEIGHTS.values()))[0]
        start = assignment.accepted_at or assignment.assigned_at
        replied = assignment.status == AssignmentStatus.REPLIED
        end = (assignment.ended_at or self.latest) - timedelta(days=1) if replied else self.latest
        when = self._between(start, end)
        contacted_on = timezone.localdate(when)
        if replied:
            weights = (88, 10, 2)
        elif (self.today - contacted_on).days <= 7:
            weights = (30, 68, 2)
        else:
            weights = (80, 12, 8)
        response = rng.choices(
            [ContactResponse.CONFIRMED, ContactResponse.PENDING, ContactResponse.DISPUTED],
            weights,
        )[0]
        record = ContactRecord(
            assignment=assignment,
            method=method,
            contacted_on=contacted_on,
            participants=f"{people.staff.full_name}、{item.lead.full_name}",
            notes=rng.choice(CONTACT_NOTES),
            recorded_by=people.staff,
            recorded_at=min(when + timedelta(hours=3), self.latest),
            response=response,
        )
        if response != ContactResponse.PENDING:
            record.responded_by = item.lead
            record.responded_at = self._between(
                when + timedelta(hours=6), min(when + timedelta(days=7), self.latest)
            )
            if response == ContactResponse.DISPUTED:
                record.response_comment = rng.choice(DISPUTE_COMMENTS)
        rows.contacted.setdefault(id(assignment), set()).add(method)
        return record

    def _opinion(self, assignment: Assignment, people: UnitPeople, batch: Batch) -> None:
        rng = self.rng
        assigned_on = timezone.localdate(assignment.assigned_at)
        elapsed = (self.today - assigned_on).days / max((assignment.due_on - assigned_on).days, 1)
        if rng.random() >= min(0.85, STARTED_BASE + elapsed):
            return
        state = rng.choices(("draft", "pending", "sent_back"), OPINION_WEIGHTS)[0]
        batch.opinions.append(
            CoOpinion(
                assignment=assignment,
                text=OPINION_DRAFT_TEXT.format(unit=assignment.unit.short_name),
                status=(
                    CoOpinionStatus.PENDING_LEADER if state == "pending" else CoOpinionStatus.DRAFT
                ),
                drafted_by=people.staff,
                leader_comment=OPINION_SENT_BACK if state == "sent_back" else "",
            )
        )

    def _open_reply(
        self, item: Proposal, role: str, assignment: Assignment, co_names: str
    ) -> Reply:
        rng = self.rng
        state = rng.choices(("draft", "submitted", "in_review", "sent_back"), OPEN_REPLY_WEIGHTS)[0]
        if state == "in_review" and not item.meeting.supervisor_review_required:
            state = "submitted"
        status = {
            "draft": ReplyStatus.DRAFT,
            "submitted": ReplyStatus.SUBMITTED,
            "in_review": ReplyStatus.IN_REVIEW,
            "sent_back": ReplyStatus.DRAFT,
        }[state]
        reply, _text = self.handling._reply(
            item, assignment.unit, role, assignment, co_names, rng=rng, status=status
        )
        if state == "sent_back":
            by_supervisor = item.meeting.supervisor_review_required and rng.random() < 0.3
            reply.return_comment = rng.choice(
                SENT_BACK_BY_SUPERVISOR if by_supervisor else SENT_BACK_BY_LEADER
            )
        return reply

    # --- after the replies: evaluations, the item's end, follow-ups ---------------------------

    def settle(self, batch: Batch, items: Sequence[Proposal], cosigners: list[CoSigner]) -> None:
        """Rate the sent replies of the batch's answered items, end or re-handle the items, and
        record the follow-ups of the replies that need one. Before the items are inserted."""
        confirmed: dict[int, list[User]] = {}
        for cosigner in cosigners:
            if cosigner.status == CoSignerStatus.CONFIRMED:
                confirmed.setdefault(id(cosigner.proposal), []).append(cosigner.member)
        for index, item in enumerate(items):
            replies = list(batch.replies_of.get(index, []))
            if not replies or item.status != ProposalStatus.REPLIED:
                continue
            signers = [item.lead, *confirmed.get(id(item), [])]
            self._rate_round(item, index, replies, signers, batch, DISAPPOINTING_SHARE)
        for reply in batch.replies:
            self._follow_up(reply, batch.progress)

    def _ratings(self, disappointing: bool) -> tuple[str, str, str]:
        rng = self.rng
        if disappointing:
            result = Rating.UNSATISFIED if rng.random() < 0.8 else Rating.BASICALLY_SATISFIED
            work = (
                Rating.UNSATISFIED
                if rng.random() < 0.4
                else rng.choice([Rating.SATISFIED, Rating.BASICALLY_SATISFIED])
            )
            return work, result, rng.choice(UNSATISFIED_COMMENTS)
        work = Rating.SATISFIED if rng.random() < 0.85 else Rating.BASICALLY_SATISFIED
        result = Rating.SATISFIED if rng.random() < 0.7 else Rating.BASICALLY_SATISFIED
        comment = rng.choice(SATISFIED_COMMENTS) if rng.random() < 0.2 else ""
        return work, result, comment

    def _rate_round(
        self,
        item: Proposal,
        index: int,
        replies: list[Reply],
        signers: list[User],
        batch: Batch,
        disappointing_share: float,
    ) -> None:
        """The signers' evaluations of one round's sent replies, and what follows for the item."""
        rng = self.rng
        rows = batch.progress
        complete = True
        disappointed: list[Reply] = []
        last: datetime | None = None
        window_ends = max(reply.evaluation_until or self.today for reply in replies)
        for reply in replies:
            sent_at = reply.sent_at or self.latest
            sent_on = timezone.localdate(sent_at)
            ends = reply.evaluation_until or self.today
            done = (
                1.0
                if self.today > ends
                else (self.today - sent_on).days / max((ends - sent_on).days, 1)
            )
            closes = min(timezone.make_aware(datetime.combine(ends, time(22))), self.latest)
            disappointing = rng.random() < disappointing_share
            methods = rows.contacted.get(id(reply.assignment), set())
            for signer in signers:
                if rng.random() >= RATED_SHARE * min(1.0, 1.25 * done):
                    complete = False
                    continue
                when = self._between(sent_at + timedelta(hours=2), closes)
                work, result, comment = self._ratings(disappointing)
                rows.evaluations.append(
                    Evaluation(
                        reply=reply,
                        evaluator=signer,
                        work_rating=work,
                        result_rating=result,
                        contacted=bool(methods),
                        face_to_face=bool(methods & set(FACE_TO_FACE_METHODS)),
                        comment=comment,
                        submitted_at=when,
                        entered_by=signer,
                    )
                )
                last = when if last is None else max(last, when)
                if Rating.UNSATISFIED in (work, result) and reply not in disappointed:
                    disappointed.append(reply)
        if complete and last is not None:
            self._event(
                batch, item, item.lead, last, EventAction.EVALUATED, ProposalStatus.EVALUATED
            )
        if not disappointed:
            if complete and last is not None:
                self._close(batch, item, None, last, AUTO_CLOSE_NOTE)
            elif self.today > window_ends:
                day_after = timezone.make_aware(
                    datetime.combine(window_ends + timedelta(days=1), time(1))
                )
                self._close(batch, item, None, min(day_after, self.latest), WINDOW_CLOSE_NOTE)
            return
        # 不满意: the supervisor decides some weeks after the ratings are in (or the window ended)
        start = last if complete and last is not None else self._end_of(window_ends)
        decided = start + timedelta(days=rng.uniform(2, 45))
        if decided > self.latest or rng.random() < UNDECIDED_SHARE:
            return
        supervisor = replies[0].assignment.assigned_by
        if rng.random() < REHANDLE_SHARE:
            self._rehandle(item, index, disappointed, signers, batch, decided, supervisor)
        else:
            self._close(batch, item, supervisor, decided, SUPERVISOR_CLOSE_NOTE)

    def _event(
        self,
        batch: Batch,
        item: Proposal,
        actor: User | None,
        when: datetime,
        action: str,
        to_status: str,
        note: str | Text = "",
    ) -> None:
        batch.events.append(
            ProposalEvent(
                proposal=item,
                actor=actor,
                created_at=when,
                action=action,
                from_status=item.status,
                to_status=to_status,
                **note_fields(note),
            )
        )
        item.status = to_status

    def _close(
        self, batch: Batch, item: Proposal, actor: User | None, when: datetime, note: str
    ) -> None:
        self._event(batch, item, actor, when, EventAction.CLOSED, ProposalStatus.CLOSED, note)
        item.closed_at = when
        item.closing_note = note

    def _rehandle(
        self,
        item: Proposal,
        index: int,
        replies: list[Reply],
        signers: list[User],
        batch: Batch,
        when: datetime,
        supervisor: User,
    ) -> None:
        """重新办理 by the units whose replies disappointed; the round is answered and rated
        once its due date has passed, otherwise it runs."""
        rng = self.rng
        handling = self.handling
        due = workdays.add_months(timezone.localdate(when), item.meeting.rehandling_months)
        units = "、".join(reply.unit.short_name for reply in replies)
        self._event(
            batch,
            item,
            supervisor,
            when,
            EventAction.REHANDLING_ORDERED,
            ProposalStatus.ASSIGNED,
            f"第2轮：{units}，期限{_local_date(due)}",
        )
        sent: list[Reply] = []
        answered = (self.today - due).days > 5
        for earlier in replies:
            unit = earlier.unit
            people = handling.people[unit.pk]
            assignment = Assignment(
                proposal=item,
                unit=unit,
                role=earlier.assignment.role,
                round=2,
                assigned_at=when,
                assigned_by=supervisor,
                due_on=due,
                original_due_on=due,
                status=AssignmentStatus.ASSIGNED,
            )
            batch.assignments.append(assignment)
            if when < self.now - timedelta(days=2):
                assignment.status = AssignmentStatus.ACCEPTED
                assignment.accepted_at = self._between(when, when + timedelta(days=2))
                assignment.accepted_by = people.staff
            if answered and rng.random() < 0.95:
                assignment.status = AssignmentStatus.REPLIED
                ended = self._between(
                    when + timedelta(days=10), min(self._end_of(due), self.latest)
                )
                assignment.ended_at = ended
                reply, text = handling._reply(item, unit, assignment.role, assignment, "", rng=rng)
                batch.replies.append(reply)
                batch.reply_texts.append(text)
                batch.replies_of.setdefault(index, []).append(reply)
                sent.append(reply)
                batch.events.append(
                    ProposalEvent(
                        proposal=item,
                        actor=people.leader,
                        created_at=ended,
                        action=EventAction.REPLY_SENT,
                        **note_fields(reply_sent_note(reply)),
                    )
                )
            else:
                self.running(item, unit.pk, assignment.role, assignment, "", batch, index)
        if len(sent) == len(replies):
            last = max(reply.sent_at or self.latest for reply in sent)
            self._event(
                batch,
                item,
                supervisor,
                last,
                EventAction.REPLY_SENT,
                ProposalStatus.REPLIED,
                Text(gettext_noop("全部承办单位已答复")),
            )
            self._rate_round(item, index, sent, signers, batch, 0.0)

    def _follow_up(self, reply: Reply, rows: Progress) -> None:
        """The unit's record of what a B-class reply promised, and the supervisor's verdict."""
        rng = self.rng
        meeting = reply.proposal.meeting
        codes = self.follow_up_codes.get(meeting.pk)
        if codes is None:
            codes = {
                str(entry.get("code"))
                for entry in meeting.result_classes or []
                if isinstance(entry, dict) and entry.get("follow_up", entry.get("code") == "B")
            }
            self.follow_up_codes[meeting.pk] = codes
        if reply.result_class not in codes or reply.sent_at is None:
            return
        sent_on = timezone.localdate(reply.sent_at)
        age = (self.today - sent_on).days
        if rng.random() >= FOLLOW_UP_SHARE * min(1.0, age / 10):
            return
        people = self.handling.people[reply.unit.pk]
        recorded = self._between(
            reply.sent_at + timedelta(days=1), min(reply.sent_at + timedelta(days=10), self.latest)
        )
        due = sent_on + timedelta(days=rng.randint(60, 540))
        follow_up = FollowUp(
            reply=reply,
            promise=f"按答复所作承诺，于{_local_date(due)}前完成相关工作并书面反馈代表委员。",
            due_on=due,
            recorded_by=people.staff,
            recorded_at=recorded,
        )
        if due < self.today:
            outcome = rng.random()
            if outcome < 0.85:
                follow_up.status = (
                    FollowUpStatus.FULFILLED if outcome < 0.75 else FollowUpStatus.NOT_FULFILLED
                )
                follow_up.decided_by = reply.assignment.assigned_by
                follow_up.decided_at = self._between(
                    self._end_of(due), min(self._end_of(due) + timedelta(days=30), self.latest)
                )
                follow_up.decision_note = (
                    "经核实，承诺事项已落实。"
                    if follow_up.status == FollowUpStatus.FULFILLED
                    else "承诺事项未按期落实，请继续推进。"
                )
        rows.follow_ups.append(follow_up)

    # --- inserting ----------------------------------------------------------------------------

    def save(self, rows: Progress) -> None:
        """Insert the batch's rows, after its assignments and sent replies."""
        Reply.objects.bulk_create(rows.open_replies, batch_size=INSERT_BATCH)
        ContactRecord.objects.bulk_create(rows.contacts, batch_size=INSERT_BATCH)
        ReturnRequest.objects.bulk_create(rows.returns, batch_size=INSERT_BATCH)
        ExtensionRequest.objects.bulk_create(rows.extensions, batch_size=INSERT_BATCH)
        Evaluation.objects.bulk_create(rows.evaluations, batch_size=INSERT_BATCH)
        for follow_up in rows.follow_ups:  # as the closing service leaves them
            if (
                follow_up.status == FollowUpStatus.OPEN
                and follow_up.reply.proposal.status == ProposalStatus.CLOSED
            ):
                follow_up.status = FollowUpStatus.ENDED
        FollowUp.objects.bulk_create(rows.follow_ups, batch_size=INSERT_BATCH)
