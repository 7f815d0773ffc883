"""Closed means closed (issue 13, item 3).

After 办结 no step changes the item or any of its parts, and after 撤案 no handling step does;
each service refuses in Chinese and nothing changes. The item's unfinished assignments end with
it and stop counting as open or overdue work. The pages offer no change on a closed item, and
a form page of one says so and goes back to the item page. Before 办结, a member's dispute of a
contact that a signed reply relied on reaches the supervisory office too.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from proposals import dashboards, services
from proposals.models import (
    Assignment,
    AssignmentStatus,
    Attachment,
    ContactRecord,
    CoOpinion,
    CoOpinionStatus,
    CoSigner,
    ExtensionRequest,
    Proposal,
    ProposalEvent,
    ProposalStatus,
    RequestStatus,
    ReturnRequest,
)
from proposals.reminders import collect
from proposals.urging import urging_notice_send
from replies import services as reply_services
from replies.models import (
    Evaluation,
    FollowUp,
    FollowUpProgress,
    FollowUpStatus,
    Letter,
    Reply,
    ReplyStatus,
    ReplyVersion,
)

from .factories import UnitFactory, UserFactory

CLOSED = "这件建议已办结，不能再作任何更改。"
WITHDRAWN = "这件建议已撤案，办理已经终止，不能再作更改。"

SATISFIED = {
    "work_rating": "satisfied",
    "result_rating": "satisfied",
    "contacted": True,
    "face_to_face": False,
}
UNSATISFIED = {
    "work_rating": "basically",
    "result_rating": "unsatisfied",
    "contacted": True,
    "face_to_face": False,
}
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class People:
    member: User  # the lead submitter
    other_member: User  # a confirmed co-signer
    staff: User  # 市民政局, the lead unit
    leader: User
    co_staff: User  # 团市委, co-handling; accepted, its opinion waits for its leader
    co_leader: User
    co2_staff: User  # 市财政局, co-handling; never signed for it, asked to be relieved
    co2_leader: User
    supervisor: User
    administrator: User


@dataclass
class Item:
    """A joint item whose B-class reply has been sent, with a part of every kind still open."""

    proposal: Proposal
    lead: Assignment
    co: Assignment
    co2: Assignment
    contact: ContactRecord  # recorded by the lead unit, not yet confirmed
    opinion: CoOpinion  # 团市委's, waiting for its leader
    return_request: ReturnRequest  # 市财政局's, waiting for its leader
    extension: ExtensionRequest  # the lead unit's, waiting for its leader
    reply: Reply  # sent
    correction: Reply  # a correction of it, still a draft
    follow_up: FollowUp  # the B-class promise, open
    evaluation: Evaluation  # the lead submitter's


@pytest.fixture
def people(member, other_member, unit_staff, unit_leader, npc_supervisor, administrator) -> People:
    co_unit = UnitFactory(name="共青团杭州市委员会", short_name="团市委")
    co2_unit = UnitFactory(name="杭州市财政局", short_name="市财政局")
    return People(
        member=member,
        other_member=other_member,
        staff=unit_staff,
        leader=unit_leader,
        co_staff=UserFactory(username="tsw_staff", role="unit_staff", unit=co_unit),
        co_leader=UserFactory(username="tsw_leader", role="unit_leader", unit=co_unit),
        co2_staff=UserFactory(username="czj_staff", role="unit_staff", unit=co2_unit),
        co2_leader=UserFactory(username="czj_leader", role="unit_leader", unit=co2_unit),
        supervisor=npc_supervisor,
        administrator=administrator,
    )


def registered_item(who: People, meeting, category) -> Proposal:
    proposal = services.proposal_create(
        author=who.member,
        meeting=meeting,
        title="关于扩大普惠托育服务供给的建议",
        body="建议加大普惠托育机构建设补贴。",
        category=category,
        attachments=[SimpleUploadedFile("调研报告.pdf", PDF_BYTES)],
    )
    invitation = services.cosigner_invite(
        proposal=proposal, actor=who.member, member=who.other_member
    )
    services.cosigner_respond(cosigner=invitation, actor=who.other_member, accept=True)
    services.proposal_submit(proposal=proposal, actor=who.member)
    return services.proposal_register(proposal=proposal, actor=who.supervisor)


def assigned_item(who: People, meeting, category) -> Proposal:
    proposal = registered_item(who, meeting, category)
    services.proposal_assign(
        proposal=proposal,
        actor=who.supervisor,
        lead_unit=who.staff.unit,
        co_units=[who.co_staff.unit, who.co2_staff.unit],
    )
    return proposal


def parts(proposal: Proposal) -> tuple[Assignment, Assignment, Assignment]:
    by_unit = {a.unit.short_name: a for a in proposal.assignments.select_related("unit")}
    return by_unit["市民政局"], by_unit["团市委"], by_unit["市财政局"]


def record_contact(assignment: Assignment, staff: User) -> ContactRecord:
    return services.contact_record_create(
        assignment=assignment,
        actor=staff,
        method="phone",
        contacted_on=timezone.localdate(),
        participants="何红代表，李文静",
        notes="电话沟通办理思路。",
    )


def draft_reply(assignment: Assignment, staff: User, result_class: str = "B") -> Reply:
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    return reply_services.reply_save(
        reply=reply,
        actor=staff,
        version=reply.version,
        body_html="<p>已列入明年计划。</p>",
        result_class=result_class,
    )


def build_item(who: People, meeting, category, *, rating: dict[str, Any]) -> Item:
    """Everything up to the sent reply and the lead submitter's rating, parts left open."""
    proposal = assigned_item(who, meeting, category)
    lead, co, co2 = parts(proposal)
    services.assignment_accept(assignment=lead, actor=who.staff)
    services.assignment_accept(assignment=co, actor=who.co_staff)
    contact = record_contact(lead, who.staff)
    opinion = services.co_opinion_save(
        assignment=co, actor=who.co_staff, text="建议统筹共青团资源。", submit=True
    )
    return_request = services.return_request_create(
        assignment=co2, actor=who.co2_staff, reason="不属于本单位职责。"
    )
    extension = services.extension_request_create(
        assignment=lead,
        actor=who.staff,
        reason="需要会同多部门调研。",
        requested_due_on=lead.due_on + timedelta(days=30),
    )
    reply = draft_reply(lead, who.staff)
    reply_services.reply_submit(reply=reply, actor=who.staff)
    reply_services.reply_sign(reply=reply, actor=who.leader)
    reply = reply_services.reply_approve(reply=reply, actor=who.supervisor)
    follow_up = reply_services.follow_up_record(
        reply=reply, actor=who.staff, promise="新建普惠托育机构10家", due_on=date(2030, 12, 31)
    )
    correction = reply_services.reply_correct(reply=reply, actor=who.staff)
    evaluation = reply_services.evaluation_submit(reply=reply, actor=who.member, **rating)
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REPLIED
    return Item(
        proposal=proposal,
        lead=Assignment.objects.get(pk=lead.pk),
        co=Assignment.objects.get(pk=co.pk),
        co2=Assignment.objects.get(pk=co2.pk),
        contact=contact,
        opinion=opinion,
        return_request=return_request,
        extension=extension,
        reply=Reply.objects.get(pk=reply.pk),
        correction=correction,
        follow_up=follow_up,
        evaluation=evaluation,
    )


def close(item: Item, who: People) -> None:
    """办结 by the supervisory office once the evaluation window has passed."""
    ends = reply_services.evaluation_window_ends_on(item.reply)
    later = timezone.now() + timedelta(days=(ends - timezone.localdate()).days + 1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        reply_services.proposal_close(
            proposal=item.proposal, actor=who.supervisor, reason="已作说明，列入计划"
        )
    item.proposal.refresh_from_db()
    assert item.proposal.status == ProposalStatus.CLOSED


@pytest.fixture
def open_item(people, npc_meeting, npc_category) -> Item:
    return build_item(people, npc_meeting, npc_category, rating=UNSATISFIED)


@pytest.fixture
def closed_item(open_item, people) -> Item:
    close(open_item, people)
    return open_item


TRACKED = (
    Proposal,
    CoSigner,
    Attachment,
    Assignment,
    ReturnRequest,
    ExtensionRequest,
    CoOpinion,
    ContactRecord,
    Reply,
    ReplyVersion,
    Letter,
    Evaluation,
    FollowUp,
    FollowUpProgress,
    ProposalEvent,
    Notification,
)


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table a step on an item writes to."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in TRACKED}


def refused(step: Callable[[], object], message: str) -> None:
    """The step raises exactly `message` and leaves every row as it was."""
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        step()
    assert caught.value.messages == [message]
    assert snapshot() == before


# --- every service refuses on a closed item ---------------------------------------------------

Step = Callable[[Item, People], object]


def as_pending_at_supervisor(request: ReturnRequest | ExtensionRequest, who: People) -> None:
    """The unit's leader passed the request on before 办结 (set by hand: an assignment has one
    pending request at a time, and the item needs one at each stage)."""
    leader = User.objects.get(unit_id=request.assignment.unit_id, role="unit_leader")
    type(request).objects.filter(pk=request.pk).update(
        status=RequestStatus.PENDING_SUPERVISOR, leader=leader
    )
    request.refresh_from_db()


def correction_as(status: str) -> Step:
    """The correction in another state (set by hand: a closed item keeps what was open)."""

    def prepare(item: Item, who: People) -> None:
        Reply.objects.filter(pk=item.correction.pk).update(status=status)
        item.correction.refresh_from_db()

    return prepare


def nothing(item: Item, who: People) -> None:
    return None


CLOSED_STEPS: dict[str, tuple[Step, Step]] = {
    # handling by units (proposals/services/handling.py)
    "签收": (
        nothing,
        lambda i, w: services.assignment_accept(assignment=i.co2, actor=w.co2_staff),
    ),
    "申请退回": (
        nothing,
        lambda i, w: services.return_request_create(
            assignment=i.co, actor=w.co_staff, reason="不属于本单位职责。"
        ),
    ),
    "退回申请·负责人审核": (
        nothing,
        lambda i, w: services.return_request_leader_decide(
            request=i.return_request, actor=w.co2_leader, approve=True
        ),
    ),
    "退回申请·督办审核": (
        lambda i, w: as_pending_at_supervisor(i.return_request, w),
        lambda i, w: services.return_request_supervisor_decide(
            request=i.return_request, actor=w.supervisor, approve=False, note="请继续办理。"
        ),
    ),
    "申请延期": (
        nothing,
        lambda i, w: services.extension_request_create(
            assignment=i.lead,
            actor=w.staff,
            reason="再调研。",
            requested_due_on=i.lead.due_on + timedelta(days=40),
        ),
    ),
    "延期申请·负责人审核": (
        nothing,
        lambda i, w: services.extension_request_leader_decide(
            request=i.extension, actor=w.leader, approve=True
        ),
    ),
    "延期申请·督办审核": (
        lambda i, w: as_pending_at_supervisor(i.extension, w),
        lambda i, w: services.extension_request_supervisor_decide(
            request=i.extension, actor=w.supervisor, approve=True
        ),
    ),
    "会办意见·保存": (
        nothing,
        lambda i, w: services.co_opinion_save(
            assignment=i.co, actor=w.co_leader, text="改过的意见。"
        ),
    ),
    "会办意见·签发": (
        nothing,
        lambda i, w: services.co_opinion_save(
            assignment=i.co, actor=w.co_leader, text="改过的意见。", submit=True
        ),
    ),
    "会办意见·负责人审核": (
        nothing,
        lambda i, w: services.co_opinion_decide(opinion=i.opinion, actor=w.co_leader, approve=True),
    ),
    "记录答复前沟通": (
        nothing,
        lambda i, w: record_contact(i.lead, w.staff),
    ),
    "确认沟通记录": (
        nothing,
        lambda i, w: services.contact_record_respond(
            record=i.contact, actor=w.member, confirm=True
        ),
    ),
    "对沟通记录有异议": (
        nothing,
        lambda i, w: services.contact_record_respond(
            record=i.contact, actor=w.other_member, confirm=False, comment="没有打过电话。"
        ),
    ),
    # replies (replies/services/drafting.py)
    "撰写答复": (
        nothing,
        lambda i, w: reply_services.reply_start(assignment=i.lead, actor=w.staff),
    ),
    "保存答复": (
        nothing,
        lambda i, w: reply_services.reply_save(
            reply=i.correction, actor=w.staff, version=i.correction.version, body_html="<p>改</p>"
        ),
    ),
    "送签": (nothing, lambda i, w: reply_services.reply_submit(reply=i.correction, actor=w.staff)),
    "签发": (nothing, lambda i, w: reply_services.reply_sign(reply=i.correction, actor=w.leader)),
    "负责人退回修改": (
        correction_as(ReplyStatus.SUBMITTED),
        lambda i, w: reply_services.reply_send_back(
            reply=i.correction, actor=w.leader, comment="再改改。"
        ),
    ),
    "督办退回修改": (
        correction_as(ReplyStatus.IN_REVIEW),
        lambda i, w: reply_services.reply_send_back(
            reply=i.correction, actor=w.supervisor, comment="再改改。"
        ),
    ),
    "督办审核通过": (
        correction_as(ReplyStatus.IN_REVIEW),
        lambda i, w: reply_services.reply_approve(reply=i.correction, actor=w.supervisor),
    ),
    "更正": (
        lambda i, w: Reply.objects.filter(pk=i.correction.pk).delete(),
        lambda i, w: reply_services.reply_correct(reply=i.reply, actor=w.staff),
    ),
    # evaluation, re-handling, closing (replies/services/evaluation.py)
    "测评": (
        nothing,
        lambda i, w: reply_services.evaluation_submit(
            reply=i.reply, actor=w.other_member, **SATISFIED
        ),
    ),
    "录入纸质测评": (
        nothing,
        lambda i, w: reply_services.evaluation_enter_paper(
            reply=i.reply, actor=w.supervisor, evaluator=w.other_member, **SATISFIED
        ),
    ),
    "修改测评": (
        nothing,
        lambda i, w: reply_services.evaluation_revise(
            evaluation=i.evaluation,
            actor=w.supervisor,
            reason="代表来电更正。",
            work_rating="satisfied",
            result_rating="satisfied",
        ),
    ),
    "重新办理": (
        nothing,
        lambda i, w: reply_services.proposal_rehandle(
            proposal=i.proposal, actor=w.supervisor, replies=[i.reply]
        ),
    ),
    "再次办结": (
        nothing,
        lambda i, w: reply_services.proposal_close(
            proposal=i.proposal, actor=w.supervisor, reason="再办结一次"
        ),
    ),
    # 落实情况
    "登记落实承诺": (
        lambda i, w: FollowUp.objects.filter(pk=i.follow_up.pk).delete(),
        lambda i, w: reply_services.follow_up_record(
            reply=i.reply, actor=w.staff, promise="新建10家", due_on=date(2030, 12, 31)
        ),
    ),
    "报送落实进展": (
        nothing,
        lambda i, w: reply_services.follow_up_post_progress(
            follow_up=i.follow_up, actor=w.staff, text="已建成8家"
        ),
    ),
    "认定落实情况": (
        nothing,
        lambda i, w: reply_services.follow_up_decide(
            follow_up=i.follow_up, actor=w.supervisor, fulfilled=True
        ),
    ),
}


@pytest.mark.django_db
class TestServicesRefuseOnAClosedItem:
    @pytest.mark.parametrize("name", list(CLOSED_STEPS))
    def test_step_is_refused_and_nothing_changes(self, closed_item, people, name):
        prepare, step = CLOSED_STEPS[name]
        prepare(closed_item, people)
        refused(lambda: step(closed_item, people), CLOSED)

    @pytest.mark.parametrize(
        ("name", "message"),
        [
            ("撤案", "状态为“已办结”的建议提案不能撤案。"),
            ("修改", "已提交的建议提案不能再修改。"),
            ("删除附件", "已提交的建议提案不能再修改。"),
            ("邀请联名", "已提交的建议提案不能再修改。"),
            ("取消联名", "已提交的建议提案不能再修改。"),
            ("交办", "《关于扩大普惠托育服务供给的建议》当前为“已办结”，不能交办。"),
            ("立案", "这件建议提案当前为“已办结”，不在待审查状态。"),
        ],
    )
    def test_the_items_own_content_stays_as_it_was(
        self, closed_item, people, npc_category, name, message
    ):
        proposal, who = closed_item.proposal, people
        steps: dict[str, Callable[[], object]] = {
            "撤案": lambda: services.proposal_withdraw(
                proposal=proposal, actor=who.member, reason="不再需要"
            ),
            "修改": lambda: services.proposal_update_draft(
                proposal=proposal, actor=who.member, title="改", body="改", category=npc_category
            ),
            "删除附件": lambda: services.attachment_remove(
                attachment=proposal.attachments.get(), actor=who.member
            ),
            "邀请联名": lambda: services.cosigner_invite(
                proposal=proposal, actor=who.member, member=UserFactory(role="member")
            ),
            "取消联名": lambda: services.cosigner_cancel(
                cosigner=proposal.cosigners.get(), actor=who.member
            ),
            "交办": lambda: services.proposal_assign(
                proposal=proposal, actor=who.supervisor, lead_unit=who.co_staff.unit
            ),
            "立案": lambda: services.proposal_register(proposal=proposal, actor=who.supervisor),
        }
        refused(steps[name], message)

    def test_nothing_of_the_item_is_overdue_so_nothing_is_urged(self, closed_item, people):
        Assignment.objects.filter(proposal=closed_item.proposal).update(
            due_on=timezone.localdate() - timedelta(days=3)
        )
        refused(
            lambda: urging_notice_send(unit=people.co_staff.unit, actor=people.supervisor),
            "共青团杭州市委员会没有逾期未办结的建议提案。",
        )


@pytest.mark.django_db
class TestAStepRacingWithClosing:
    """办结 holds the item's row lock: a step that started meanwhile waits, then is refused."""

    @pytest.mark.django_db(transaction=True)
    def test_an_opinion_sent_while_the_item_closes_is_refused(
        self, people, npc_meeting, npc_category
    ):
        assert connection.vendor == "postgresql"
        item = build_item(people, npc_meeting, npc_category, rating=SATISFIED)
        closing_holds_the_lock = threading.Event()
        let_closing_commit = threading.Event()
        outcome: list[str] = []

        def close_by_the_last_rating() -> None:
            try:
                with transaction.atomic():
                    # the co-signer's rating completes a satisfied round: 自动办结
                    reply_services.evaluation_submit(
                        reply=item.reply, actor=people.other_member, **SATISFIED
                    )
                    closing_holds_the_lock.set()
                    let_closing_commit.wait(10)
            finally:
                connection.close()

        def send_the_opinion() -> None:
            try:
                services.co_opinion_decide(
                    opinion=item.opinion, actor=people.co_leader, approve=True
                )
                outcome.append("sent")
            except ValidationError as error:
                outcome.extend(error.messages)
            finally:
                connection.close()

        closing = threading.Thread(target=close_by_the_last_rating)
        closing.start()
        assert closing_holds_the_lock.wait(10)
        opinion = threading.Thread(target=send_the_opinion)
        opinion.start()
        time.sleep(0.5)  # the opinion's step is now waiting for the item's lock
        assert outcome == []
        let_closing_commit.set()
        closing.join(10)
        opinion.join(10)
        assert outcome == [CLOSED]
        item.opinion.refresh_from_db()
        assert item.opinion.status == CoOpinionStatus.PENDING_LEADER
        assert Proposal.objects.get(pk=item.proposal.pk).status == ProposalStatus.CLOSED


# --- unfinished assignments end with the item ------------------------------------------------


def overdue_targets(today: date) -> set[str]:
    return {due.target for due in collect(today) if due.kind.startswith("overdue")}


@pytest.mark.django_db
class TestUnfinishedAssignmentsEndWithTheItem:
    def test_closing_ends_them_and_they_are_no_longer_open_or_overdue(
        self, open_item, people, login
    ):
        item, who = open_item, people
        today = timezone.localdate()
        # as if both co units had let their deadline pass (set by hand: only their dates move)
        Assignment.objects.filter(pk__in=[item.co.pk, item.co2.pk]).update(
            due_on=today - timedelta(days=3)
        )
        late = {item.co.pk, item.co2.pk}
        scope = Assignment.objects.for_user(who.supervisor)
        assert set(Assignment.objects.overdue().values_list("pk", flat=True)) == late
        assert set(Assignment.objects.open().values_list("pk", flat=True)) == late
        assert [row.short_name for row in dashboards.overdue_by_unit(scope)] == [
            "团市委",  # 共青团杭州市委员会, by name
            "市财政局",
        ]
        assert overdue_targets(today) == {f"assignment:{pk}" for pk in late}
        workspace = reverse("proposals:unit_workspace")
        assert item.proposal.title in (
            login(who.co_staff).get(workspace, {"overdue": "true"}).content.decode()
        )
        assert item.proposal.title in (
            login(who.co_staff).get(workspace, {"status": "accepted"}).content.decode()
        )

        close(item, who)

        lead, co, co2 = parts(item.proposal)
        closed_at = item.proposal.closed_at
        assert (co.status, co.ended_at) == (AssignmentStatus.ACCEPTED, closed_at)
        assert (co2.status, co2.ended_at) == (AssignmentStatus.ASSIGNED, closed_at)
        assert (lead.status, lead.ended_at) == (AssignmentStatus.REPLIED, item.lead.ended_at)
        assert (co.status_label, co2.status_label, lead.status_label) == (
            "办理终止",
            "办理终止",
            "已答复",
        )
        assert not Assignment.objects.overdue().exists()
        assert not Assignment.objects.open().exists()
        assert dashboards.overdue_by_unit(scope) == []
        assert overdue_targets(today) == set()
        page = login(who.co_staff).get(workspace, {"overdue": "true"}).content.decode()
        assert item.proposal.title not in page and "没有符合条件的交办。" in page
        page = login(who.co_staff).get(workspace, {"status": "accepted"}).content.decode()
        assert item.proposal.title not in page  # 办理中 lists what is still running
        page = login(who.co_staff).get(workspace).content.decode()
        assert item.proposal.title in page and "办理终止" in page
        for person in (who.co_staff, who.co_leader, who.co2_staff, who.co2_leader):
            assert list(
                Notification.objects.filter(
                    recipient=person, message__contains="随之结束"
                ).values_list("message", flat=True)
            ) == [
                "《关于扩大普惠托育服务供给的建议》已办结，贵单位的会办交办随之结束，无需再办理。"
            ]

    def test_no_reminder_to_report_on_a_closed_items_follow_up(self, open_item, people):
        item, today = open_item, timezone.localdate()
        # the promise falls due in a week (set by hand: recorded with a far date above)
        FollowUp.objects.filter(pk=item.follow_up.pk).update(due_on=today + timedelta(days=7))
        target = f"followup:{item.follow_up.pk}"
        assert [due.target for due in collect(today) if due.kind == "follow_up"] == [target]
        close(item, people)
        assert [due.target for due in collect(today) if due.kind == "follow_up"] == []

    def test_an_undecided_follow_up_ends_with_the_item(self, open_item, people, login):
        item = open_item
        assert FollowUp.objects.get(pk=item.follow_up.pk).status == FollowUpStatus.OPEN
        close(item, people)
        # the promise is kept as recorded, marked as ended with the item, and no list counts it
        # as open work any more
        follow_up = FollowUp.objects.get(pk=item.follow_up.pk)
        assert (follow_up.status, follow_up.promise) == (
            FollowUpStatus.ENDED,
            "新建普惠托育机构10家",
        )
        assert follow_up.get_status_display() == "随件办结（未认定）"
        assert not FollowUp.objects.filter(status=FollowUpStatus.OPEN).exists()
        page = login(people.supervisor).get(reverse("replies:follow_ups")).content.decode()
        assert '<td data-label="状态">随件办结（未认定）</td>' in page  # the row, not the filter

    def test_a_closed_items_pending_requests_and_drafts_wait_for_nobody(
        self, closed_item, people, login
    ):
        item, who = closed_item, people
        Reply.objects.filter(pk=item.correction.pk).update(status=ReplyStatus.SUBMITTED)
        as_pending_at_supervisor(item.extension, who)
        for leader in (who.co_leader, who.co2_leader, who.leader):
            page = login(leader).get(reverse("proposals:unit_workspace")).content.decode()
            assert "待我审核" not in page, leader
        page = login(who.supervisor).get(reverse("proposals:request_queue")).content.decode()
        assert item.proposal.title not in page

    def test_withdrawal_ends_them_too(self, people, npc_meeting, npc_category, login):
        who = people
        proposal = assigned_item(who, npc_meeting, npc_category)
        lead, _co, _co2 = parts(proposal)
        services.assignment_accept(assignment=lead, actor=who.staff)
        Assignment.objects.filter(proposal=proposal).update(
            due_on=timezone.localdate() - timedelta(days=1)
        )
        assert Assignment.objects.overdue().count() == 3

        services.proposal_withdraw(proposal=proposal, actor=who.member, reason="问题已解决")

        assert not Assignment.objects.overdue().exists()
        ended = {
            (a.unit.short_name, a.status, a.ended_at is not None, a.status_label)
            for a in Assignment.objects.filter(proposal=proposal).select_related("unit")
        }
        assert ended == {
            ("市民政局", AssignmentStatus.ACCEPTED, True, "办理终止"),
            ("团市委", AssignmentStatus.ASSIGNED, True, "办理终止"),
            ("市财政局", AssignmentStatus.ASSIGNED, True, "办理终止"),
        }
        assert overdue_targets(timezone.localdate()) == set()


@pytest.mark.django_db
class TestServicesRefuseHandlingOnAWithdrawnItem:
    @pytest.fixture
    def withdrawn(self, people, npc_meeting, npc_category):
        who = people
        proposal = assigned_item(who, npc_meeting, npc_category)
        lead, co, co2 = parts(proposal)
        services.assignment_accept(assignment=lead, actor=who.staff)
        services.assignment_accept(assignment=co, actor=who.co_staff)
        contact = record_contact(lead, who.staff)
        reply = draft_reply(lead, who.staff)
        services.proposal_withdraw(proposal=proposal, actor=who.member, reason="问题已解决")
        return {"lead": lead, "co": co, "co2": co2, "contact": contact, "reply": reply}

    @pytest.mark.parametrize(
        "name",
        [
            "签收",
            "申请退回",
            "申请延期",
            "会办意见",
            "记录沟通",
            "确认沟通",
            "撰写答复",
            "保存答复",
        ],
    )
    def test_handling_step_is_refused(self, withdrawn, people, name):
        parts_, who = withdrawn, people
        steps: dict[str, Callable[[], object]] = {
            "签收": lambda: services.assignment_accept(
                assignment=parts_["co2"], actor=who.co2_staff
            ),
            "申请退回": lambda: services.return_request_create(
                assignment=parts_["co"], actor=who.co_staff, reason="不属于本单位职责。"
            ),
            "申请延期": lambda: services.extension_request_create(
                assignment=parts_["lead"],
                actor=who.staff,
                reason="再调研。",
                requested_due_on=parts_["lead"].due_on + timedelta(days=30),
            ),
            "会办意见": lambda: services.co_opinion_save(
                assignment=parts_["co"], actor=who.co_staff, text="意见", submit=True
            ),
            "记录沟通": lambda: record_contact(parts_["lead"], who.staff),
            "确认沟通": lambda: services.contact_record_respond(
                record=parts_["contact"], actor=who.member, confirm=True
            ),
            "撰写答复": lambda: reply_services.reply_start(
                assignment=parts_["lead"], actor=who.staff
            ),
            "保存答复": lambda: reply_services.reply_save(
                reply=parts_["reply"],
                actor=who.staff,
                version=parts_["reply"].version,
                body_html="<p>改</p>",
            ),
        }
        refused(steps[name], WITHDRAWN)


# --- the pages offer nothing ----------------------------------------------------------------


def main_of(html: str) -> str:
    return html.split('<main id="main">', 1)[1].split("</main>", 1)[0]


def change_links(item: Item) -> list[str]:
    """Every page from which the item or one of its parts would be changed."""
    links = [
        reverse(name, args=[item.proposal.pk])
        for name in ("proposals:edit", "proposals:withdraw", "proposals:cosigner_invite")
    ]
    links += [reverse("proposals:review", args=[item.proposal.pk])]
    links += [reverse("proposals:assign", args=[item.proposal.pk])]
    for assignment in (item.lead, item.co, item.co2):
        links += [
            reverse(name, args=[assignment.pk])
            for name in (
                "proposals:return_request",
                "proposals:extension_request",
                "proposals:co_opinion",
                "proposals:contact_create",
            )
        ]
    for reply in (item.reply, item.correction):
        links += [
            reverse(name, args=[reply.pk]) for name in ("replies:edit", "replies:evaluate_paper")
        ]
    links += [reverse("replies:evaluation_revise", args=[item.evaluation.pk])]
    return links


def offers(html: str, item: Item) -> list[str]:
    """The ways a page offers to change something: forms, and links to the pages of change."""
    main = main_of(html)
    found = re.findall(r"<form[^>]*>", main)
    found += [link for link in change_links(item) if f'href="{link}"' in main]
    return found


ROLES = (
    "member",
    "other_member",
    "staff",
    "leader",
    "co_staff",
    "co_leader",
    "co2_staff",
    "supervisor",
    "administrator",
)


@pytest.mark.django_db
class TestPagesOfferNothing:
    @pytest.mark.parametrize("role", ROLES)
    def test_the_item_reply_and_follow_up_pages(self, closed_item, people, login, role):
        item = closed_item
        client = login(getattr(people, role))
        pages = [reverse("proposals:detail", args=[item.proposal.pk])]
        if role not in ("co_staff", "co_leader", "co2_staff"):  # no reply of theirs to read
            pages += [
                reverse("replies:detail", args=[item.reply.pk]),
                reverse("replies:follow_up", args=[item.reply.pk]),
            ]
        if role in ("staff", "leader"):
            pages += [reverse("replies:detail", args=[item.correction.pk])]
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            assert offers(response.content.decode(), item) == [], page
        detail = client.get(pages[0]).content.decode()
        assert "已办结" in detail and "已作说明，列入计划" in detail

    @pytest.mark.parametrize(
        ("role", "offered"),
        [
            ("member", "contact_respond"),
            ("co_staff", "co_opinion"),
            ("co_leader", "co_opinion"),
            ("co2_staff", "assignment_accept"),
            ("supervisor", "close"),
        ],
    )
    def test_before_closing_the_same_pages_offer_the_steps(
        self, open_item, people, login, role, offered
    ):
        """The check above can fail: on the open item it finds what each role may do."""
        html = login(getattr(people, role)).get(
            reverse("proposals:detail", args=[open_item.proposal.pk])
        )
        assert offers(html.content.decode(), open_item) != []
        urls = {
            "contact_respond": reverse("proposals:contact_respond", args=[open_item.contact.pk]),
            "extension_request": reverse("proposals:extension_request", args=[open_item.lead.pk]),
            "co_opinion": reverse("proposals:co_opinion", args=[open_item.co.pk]),
            "assignment_accept": reverse("proposals:assignment_accept", args=[open_item.co2.pk]),
            "close": reverse("replies:close", args=[open_item.proposal.pk]),
        }
        assert urls[offered] in html.content.decode()

    @pytest.mark.parametrize(
        ("role", "page"),
        [
            ("co_staff", "return_request"),
            ("staff", "extension_request"),
            ("staff", "contact_create"),
            ("staff", "reply_edit"),
            ("supervisor", "evaluate_paper"),
            ("supervisor", "evaluation_revise"),
        ],
    )
    def test_a_form_page_says_the_item_is_closed_and_goes_back(
        self, closed_item, people, login, role, page
    ):
        item = closed_item
        urls = {
            "return_request": reverse("proposals:return_request", args=[item.co.pk]),
            "extension_request": reverse("proposals:extension_request", args=[item.lead.pk]),
            "contact_create": reverse("proposals:contact_create", args=[item.lead.pk]),
            "reply_edit": reverse("replies:edit", args=[item.correction.pk]),
            "evaluate_paper": reverse("replies:evaluate_paper", args=[item.reply.pk]),
            "evaluation_revise": reverse("replies:evaluation_revise", args=[item.evaluation.pk]),
        }
        client = login(getattr(people, role))
        response = client.get(urls[page])
        assert response.status_code == 302
        assert response["Location"] == reverse("proposals:detail", args=[item.proposal.pk])
        shown = client.get(response["Location"]).content.decode()
        assert f'<li class="msg-info">{CLOSED}</li>' in shown

    @pytest.mark.parametrize("role", ["co_staff", "co_leader"])
    def test_the_co_opinion_reads_but_is_neither_edited_nor_decided(
        self, closed_item, people, login, role
    ):
        item = closed_item
        url = reverse("proposals:co_opinion", args=[item.co.pk])
        client = login(getattr(people, role))
        page = client.get(url).content.decode()
        assert "建议统筹共青团资源。" in page and "待单位负责人审核" in page
        assert f'<li class="msg-info">{CLOSED}</li>' in page
        assert "<form" not in main_of(page)
        before = snapshot()
        response = client.post(url, {"text": "改过的意见。", "submit": "1"})
        assert response.status_code == 302
        assert response["Location"] == reverse("proposals:detail", args=[item.proposal.pk])
        decide = reverse("proposals:co_opinion_decide", args=[item.opinion.pk])
        if role == "co_leader":
            response = client.post(decide, {"decision": "approve"})
            assert response["Location"] == reverse("proposals:detail", args=[item.proposal.pk])
        assert snapshot() == before

    @pytest.mark.parametrize(
        ("role", "which"),
        [("co2_leader", "return"), ("leader", "extension"), ("supervisor", "extension")],
    )
    def test_a_pending_request_reads_but_is_not_decided(
        self, closed_item, people, login, role, which
    ):
        item, who = closed_item, people
        if role == "supervisor":
            as_pending_at_supervisor(item.extension, who)
        request = item.return_request if which == "return" else item.extension
        url = reverse(f"proposals:{which}_decide", args=[request.pk])
        client = login(getattr(who, role))
        page = client.get(url).content.decode()
        assert request.reason in page
        assert f'<li class="msg-info">{CLOSED}</li>' in page
        assert "<form" not in main_of(page)
        before = snapshot()
        response = client.post(url, {"decision": "approve", "note": ""})
        assert response.status_code == 302
        assert response["Location"] == reverse("proposals:detail", args=[item.proposal.pk])
        assert snapshot() == before

    def test_posting_a_contact_answer_changes_nothing(self, closed_item, people, login):
        item = closed_item
        before = snapshot()
        response = login(people.member).post(
            reverse("proposals:contact_respond", args=[item.contact.pk]),
            {"answer": "confirm", "comment": ""},
            follow=True,
        )
        assert f'<li class="msg-error">{CLOSED}</li>' in response.content.decode()
        assert snapshot() == before


@pytest.mark.django_db
class TestExtensionButtonWhileARequestIsPending:
    def test_hidden_while_pending_offered_again_once_decided(
        self, people, npc_meeting, npc_category, login
    ):
        who = people
        proposal = assigned_item(who, npc_meeting, npc_category)
        lead, _co, _co2 = parts(proposal)
        services.assignment_accept(assignment=lead, actor=who.staff)
        detail = reverse("proposals:detail", args=[proposal.pk])
        button = reverse("proposals:extension_request", args=[lead.pk])
        assert button in login(who.staff).get(detail).content.decode()
        request = services.extension_request_create(
            assignment=lead,
            actor=who.staff,
            reason="需要调研。",
            requested_due_on=lead.due_on + timedelta(days=30),
        )
        assert button not in login(who.staff).get(detail).content.decode()
        assert button not in login(who.leader).get(detail).content.decode()
        services.extension_request_leader_decide(
            request=request, actor=who.leader, approve=False, note="不必延期。"
        )
        assert button in login(who.staff).get(detail).content.decode()


# --- a disputed contact behind a signed reply ------------------------------------------------


@pytest.mark.django_db
class TestDisputeOfAContactASignedReplyReliedOn:
    def reach(self, who: People, meeting, category, stage: str) -> tuple[Proposal, ContactRecord]:
        proposal = assigned_item(who, meeting, category)
        lead, _co, _co2 = parts(proposal)
        services.assignment_accept(assignment=lead, actor=who.staff)
        contact = record_contact(lead, who.staff)
        if stage != "none":
            reply = draft_reply(lead, who.staff)
            if stage in ("submitted", "in_review", "sent"):
                reply_services.reply_submit(reply=reply, actor=who.staff)
            if stage in ("in_review", "sent"):
                reply_services.reply_sign(reply=reply, actor=who.leader)
            if stage == "sent":
                reply_services.reply_approve(reply=reply, actor=who.supervisor)
        return proposal, contact

    @pytest.mark.parametrize(
        ("stage", "supervisor_told"),
        [
            ("none", False),
            ("draft", False),
            ("submitted", False),  # 送签, not yet 签发
            ("in_review", True),
            ("sent", True),
        ],
    )
    def test_the_supervisor_is_told_only_once_a_reply_was_signed(
        self, people, npc_meeting, npc_category, stage, supervisor_told
    ):
        who = people
        proposal, contact = self.reach(who, npc_meeting, npc_category, stage)
        Notification.objects.all().delete()

        services.contact_record_respond(
            record=contact, actor=who.other_member, confirm=False, comment="没有打过电话。"
        )

        told = list(
            Notification.objects.filter(recipient=who.supervisor).values_list("message", "url")
        )
        expected = [
            (
                "《关于扩大普惠托育服务供给的建议》王建国对市民政局"
                f"{timezone.localdate():%Y年%-m月%-d日}的电话沟通记录有异议，"
                "该单位的答复已签发：没有打过电话。",
                reverse("proposals:detail", args=[proposal.pk]),
            )
        ]
        assert told == (expected if supervisor_told else [])
        # the unit is told either way
        assert Notification.objects.filter(
            recipient=who.staff, message__endswith="王建国对沟通记录有异议。"
        ).exists()

    def test_a_confirmation_does_not_go_to_the_supervisor(self, people, npc_meeting, npc_category):
        who = people
        _proposal, contact = self.reach(who, npc_meeting, npc_category, "in_review")
        Notification.objects.all().delete()
        services.contact_record_respond(record=contact, actor=who.member, confirm=True)
        assert not Notification.objects.filter(recipient=who.supervisor).exists()
