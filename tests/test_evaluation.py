"""满意度测评, 重新办理, 办结 and 落实情况."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from proposals import services
from proposals.models import EventAction, ProposalStatus
from replies import services as reply_services
from replies.models import Evaluation, FollowUp, FollowUpStatus, ReplyStatus

SATISFIED = {
    "work_rating": "satisfied",
    "result_rating": "basically",
    "contacted": True,
    "face_to_face": True,
}
UNSATISFIED = {
    "work_rating": "basically",
    "result_rating": "unsatisfied",
    "contacted": True,
    "face_to_face": False,
}


@pytest.fixture
def joint(
    member, other_member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader
):
    """A joint item (何红 with 王建国) whose reply from 杭州市民政局 has been sent."""
    npc_meeting.supervisor_review_required = False
    npc_meeting.save()
    proposal = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于扩大普惠托育服务供给的建议",
        body="x",
        category=npc_category,
    )
    invitation = services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
    services.cosigner_respond(cosigner=invitation, actor=other_member, accept=True)
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=npc_supervisor)
    services.proposal_assign(proposal=proposal, actor=npc_supervisor, lead_unit=unit)
    reply_round(proposal, unit_staff, unit_leader, result_class="B")
    proposal.refresh_from_db()
    return proposal


def reply_round(proposal, staff, leader, result_class="A"):
    assignment = (
        proposal.assignments.filter(status__in=["assigned", "accepted"]).order_by("-round").first()
    )
    if assignment.status == "assigned":
        services.assignment_accept(assignment=assignment, actor=staff)
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    reply = reply_services.reply_save(
        reply=reply,
        actor=staff,
        version=reply.version,
        body_html="答复正文",
        result_class=result_class,
    )
    reply_services.reply_submit(reply=reply, actor=staff)
    return reply_services.reply_sign(reply=reply, actor=leader)


def the_reply(proposal):
    return reply_services.round_replies(proposal)[0]


@pytest.mark.django_db
class TestEvaluation:
    def test_a_joint_item_closes_only_when_both_signers_answered(self, joint, member, other_member):
        reply = the_reply(joint)
        reply_services.evaluation_submit(reply=reply, actor=member, **SATISFIED)
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.REPLIED  # 王建国 has not answered yet
        reply_services.evaluation_submit(reply=reply, actor=other_member, **SATISFIED)
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.CLOSED
        assert "自动办结" in joint.closing_note

    def test_or_when_the_window_passed(self, joint, member):
        reply = the_reply(joint)
        reply_services.evaluation_submit(reply=reply, actor=member, **SATISFIED)
        assert reply_services.close_items_after_window() == 0  # window still open
        ends = reply_services.evaluation_window_ends_on(reply)
        later = timezone.now() + timedelta(days=(ends - timezone.localdate()).days + 1)
        from unittest import mock

        with mock.patch("django.utils.timezone.now", return_value=later):
            assert reply_services.close_items_after_window() == 1
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.CLOSED

    def test_only_signers_may_evaluate(
        self, login, joint, third_member, unit_staff, npc_supervisor
    ):
        reply = the_reply(joint)
        url = reverse("replies:evaluate", args=[reply.pk])
        data = {
            f"reply{reply.pk}-{k}": v
            for k, v in {"work_rating": "satisfied", "result_rating": "satisfied"}.items()
        }
        assert login(third_member).post(url, data).status_code == 404
        assert login(unit_staff).post(url, data).status_code == 403
        assert login(npc_supervisor).post(url, data).status_code == 403
        with pytest.raises(ValidationError, match="只有领衔人和联名人"):
            reply_services.evaluation_submit(reply=reply, actor=third_member, **SATISFIED)
        assert not Evaluation.objects.exists()

    def test_member_evaluates_in_the_page(self, login, joint, member):
        reply = the_reply(joint)
        page = login(member).get(reverse("proposals:detail", args=[joint.pk])).content.decode()
        assert "满意度测评" in page and "提交测评" in page
        data = {
            f"reply{reply.pk}-work_rating": "satisfied",
            f"reply{reply.pk}-result_rating": "unsatisfied",
            f"reply{reply.pk}-contacted": "on",
            f"reply{reply.pk}-comment": "问题没有解决",
        }
        login(member).post(reverse("replies:evaluate", args=[reply.pk]), data)
        evaluation = Evaluation.objects.get(reply=reply, evaluator=member)
        assert (evaluation.result_rating, evaluation.comment, evaluation.on_paper) == (
            "unsatisfied",
            "问题没有解决",
            False,
        )

    def test_once_given_it_changes_only_by_the_supervisor_with_a_reason(
        self, joint, member, npc_supervisor
    ):
        reply = the_reply(joint)
        evaluation = reply_services.evaluation_submit(reply=reply, actor=member, **UNSATISFIED)
        with pytest.raises(ValidationError, match="已经测评过"):
            reply_services.evaluation_submit(reply=reply, actor=member, **SATISFIED)
        with pytest.raises(ValidationError, match="只有督办机构"):
            reply_services.evaluation_revise(
                evaluation=evaluation,
                actor=member,
                reason="x",
                work_rating="satisfied",
                result_rating="satisfied",
            )
        with pytest.raises(ValidationError, match="须写明理由"):
            reply_services.evaluation_revise(
                evaluation=evaluation,
                actor=npc_supervisor,
                reason="",
                work_rating="satisfied",
                result_rating="satisfied",
            )
        reply_services.evaluation_revise(
            evaluation=evaluation,
            actor=npc_supervisor,
            reason="代表来电更正",
            work_rating="satisfied",
            result_rating="basically",
        )
        evaluation.refresh_from_db()
        assert (evaluation.result_rating, evaluation.revised_by, evaluation.revision_reason) == (
            "basically",
            npc_supervisor,
            "代表来电更正",
        )
        event = joint.events.get(action=EventAction.EVALUATION_REVISED)
        assert "办理结果不满意 → " in event.note and "代表来电更正" in event.note

    def test_a_paper_evaluation_records_who_entered_it(self, joint, other_member, npc_supervisor):
        evaluation = reply_services.evaluation_enter_paper(
            reply=the_reply(joint), actor=npc_supervisor, evaluator=other_member, **SATISFIED
        )
        assert (evaluation.evaluator, evaluation.entered_by, evaluation.on_paper) == (
            other_member,
            npc_supervisor,
            True,
        )
        assert joint.events.filter(
            action=EventAction.EVALUATION_ENTERED, actor=npc_supervisor
        ).exists()

    def test_late_evaluation_is_refused(self, joint, member):
        reply = the_reply(joint)
        late = timezone.now() + timedelta(days=60)
        with pytest.raises(ValidationError, match="测评期限已于"):
            reply_services.evaluation_submit(reply=reply, actor=member, now=late, **SATISFIED)


def checkbox(page: str, name: str) -> bool:
    """Whether the page's checkbox `name` is ticked."""
    tag = re.search(rf'<input type="checkbox" name="{name}"[^>]*>', page)
    assert tag is not None, name
    return " checked" in tag[0]


@pytest.fixture
def contacted_joint(
    member, other_member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader
):
    """A joint item whose unit met 何红 face to face (she confirmed), phoned 王建国 (he
    confirmed) and held a 座谈 that 王建国 disputed, then sent its reply."""
    npc_meeting.supervisor_review_required = False
    npc_meeting.save()
    proposal = services.proposal_create(
        author=member, meeting=npc_meeting, title="关于扩大普惠托育服务供给的建议", body="x"
    )
    invitation = services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
    services.cosigner_respond(cosigner=invitation, actor=other_member, accept=True)
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=npc_supervisor, category=npc_category)
    services.proposal_assign(proposal=proposal, actor=npc_supervisor, lead_unit=unit)
    assignment = proposal.assignments.get()
    services.assignment_accept(assignment=assignment, actor=unit_staff)
    today = timezone.localdate()
    for method, who, confirm in [
        ("face_to_face", member, True),
        ("phone", other_member, True),
        ("meeting", other_member, False),
    ]:
        record = services.contact_record_create(
            assignment=assignment,
            actor=unit_staff,
            method=method,
            contacted_on=today,
            participants=who.full_name,
            notes="沟通办理思路。",
        )
        services.contact_record_respond(
            record=record, actor=who, confirm=confirm, comment="" if confirm else "没有开过座谈会"
        )
    reply_round(proposal, unit_staff, unit_leader)
    proposal.refresh_from_db()
    return proposal


@pytest.mark.django_db
class TestEvaluationFormPrefill:
    def test_contacts_the_member_confirmed_tick_contacted_and_face_to_face(
        self, login, contacted_joint, member
    ):
        reply = the_reply(contacted_joint)
        page = login(member).get(reverse("proposals:detail", args=[contacted_joint.pk]))
        html = page.content.decode()
        assert checkbox(html, f"reply{reply.pk}-contacted")
        assert checkbox(html, f"reply{reply.pk}-face_to_face")
        day = date_format(timezone.localdate(), "Y年n月j日")
        assert f"已按您确认的沟通记录预填：面商（{day}）。如与实际不符，请修改。" in html

    def test_a_confirmed_phone_call_ticks_contacted_only_and_a_disputed_meeting_counts_not(
        self, login, contacted_joint, other_member
    ):
        reply = the_reply(contacted_joint)
        html = (
            login(other_member)
            .get(reverse("proposals:detail", args=[contacted_joint.pk]))
            .content.decode()
        )
        assert checkbox(html, f"reply{reply.pk}-contacted")
        assert not checkbox(html, f"reply{reply.pk}-face_to_face")

    def test_without_confirmed_contacts_nothing_is_ticked(self, login, joint, member):
        reply = the_reply(joint)
        html = login(member).get(reverse("proposals:detail", args=[joint.pk])).content.decode()
        assert not checkbox(html, f"reply{reply.pk}-contacted")
        assert not checkbox(html, f"reply{reply.pk}-face_to_face")
        assert "已按您确认的沟通记录预填" not in html

    def test_the_member_may_still_say_otherwise(self, login, contacted_joint, member):
        reply = the_reply(contacted_joint)
        login(member).post(
            reverse("replies:evaluate", args=[reply.pk]),
            {
                f"reply{reply.pk}-work_rating": "satisfied",
                f"reply{reply.pk}-result_rating": "basically",
                f"reply{reply.pk}-contacted": "on",  # face to face left unticked
            },
        )
        evaluation = Evaluation.objects.get(reply=reply, evaluator=member)
        assert (evaluation.contacted, evaluation.face_to_face) == (True, False)


@pytest.mark.django_db
class TestRehandlingAndClosing:
    def test_unsatisfied_then_rehandling_round_then_satisfied_closes(
        self, joint, member, other_member, npc_supervisor, unit_staff, unit_leader
    ):
        first = the_reply(joint)
        reply_services.evaluation_submit(reply=first, actor=member, **UNSATISFIED)
        reply_services.evaluation_submit(reply=first, actor=other_member, **SATISFIED)
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.EVALUATED
        with pytest.raises(ValidationError):
            reply_services.proposal_rehandle(proposal=joint, actor=npc_supervisor, replies=[])
        [assignment] = reply_services.proposal_rehandle(
            proposal=joint, actor=npc_supervisor, replies=[first], note="请再研究"
        )
        assert assignment.round == 2
        from proposals.workdays import add_months

        assert assignment.due_on == add_months(
            timezone.localdate(), joint.meeting.rehandling_months
        )
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.ASSIGNED
        second = reply_round(joint, unit_staff, unit_leader)
        assert second.status == ReplyStatus.SENT and second.assignment.round == 2
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.REPLIED
        assert reply_services.round_replies(joint) == [second]
        reply_services.evaluation_submit(reply=second, actor=member, **SATISFIED)
        reply_services.evaluation_submit(reply=second, actor=other_member, **SATISFIED)
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.CLOSED

    def test_after_rehandling_the_earlier_round_is_rated_no_more(
        self, joint, member, other_member, npc_supervisor, unit_staff, unit_leader
    ):
        # Given: 何红 rated round 1 不满意, 王建国 did not rate it; round 2 has been answered
        first = the_reply(joint)
        revised = reply_services.evaluation_submit(reply=first, actor=member, **UNSATISFIED)
        reply_services.proposal_rehandle(proposal=joint, actor=npc_supervisor, replies=[first])
        reply_round(joint, unit_staff, unit_leader)
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.REPLIED
        message = "这份答复之后已重新办理（第2轮），只能对重新办理后的答复测评。"
        # When / Then: rating round 1 online, on paper, or revising its rating is refused
        with pytest.raises(ValidationError, match=message):
            reply_services.evaluation_submit(reply=first, actor=other_member, **SATISFIED)
        with pytest.raises(ValidationError, match=message):
            reply_services.evaluation_enter_paper(
                reply=first, actor=npc_supervisor, evaluator=other_member, **SATISFIED
            )
        with pytest.raises(ValidationError, match=message):
            reply_services.evaluation_revise(
                evaluation=revised,
                actor=npc_supervisor,
                reason="录入有误",
                work_rating="satisfied",
                result_rating="satisfied",
            )
        assert list(
            Evaluation.objects.filter(reply=first).values_list("evaluator_id", "result_rating")
        ) == [(member.pk, "unsatisfied")]

    def test_rehandling_needs_an_unsatisfied_rating(self, joint, member, npc_supervisor):
        reply = the_reply(joint)
        reply_services.evaluation_submit(reply=reply, actor=member, **SATISFIED)
        with pytest.raises(ValidationError, match="不满意的，才能重新办理"):
            reply_services.proposal_rehandle(proposal=joint, actor=npc_supervisor, replies=[reply])

    def test_supervisor_closes_with_a_reason_only_after_the_window(
        self, joint, member, npc_supervisor
    ):
        reply_services.evaluation_submit(reply=the_reply(joint), actor=member, **UNSATISFIED)
        with pytest.raises(ValidationError, match="期间不能办结"):
            reply_services.proposal_close(proposal=joint, actor=npc_supervisor, reason="已尽力")
        ends = reply_services.evaluation_window_ends_on(the_reply(joint))
        from unittest import mock

        later = timezone.now() + timedelta(days=(ends - timezone.localdate()).days + 1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            with pytest.raises(ValidationError, match="请写明办结的理由"):
                reply_services.proposal_close(proposal=joint, actor=npc_supervisor, reason=" ")
            reply_services.proposal_close(
                proposal=joint, actor=npc_supervisor, reason="已作说明，条件所限"
            )
        joint.refresh_from_db()
        assert (joint.status, joint.closing_note) == (ProposalStatus.CLOSED, "已作说明，条件所限")

    def test_a_closed_item_is_read_only(self, login, joint, member, other_member, unit_staff):
        reply = the_reply(joint)
        reply_services.evaluation_submit(reply=reply, actor=member, **SATISFIED)
        reply_services.evaluation_submit(reply=reply, actor=other_member, **SATISFIED)
        joint.refresh_from_db()
        assert joint.status == ProposalStatus.CLOSED
        with pytest.raises(ValidationError):
            services.contact_record_create(
                assignment=reply.assignment,
                actor=unit_staff,
                method="phone",
                contacted_on=timezone.localdate(),
                participants="x",
                notes="x",
            )
        with pytest.raises(ValidationError):
            services.proposal_withdraw(proposal=joint, actor=member, reason="x")
        page = login(member).get(reverse("proposals:detail", args=[joint.pk])).content.decode()
        assert (
            "已办结" in page
            and "提交测评" not in page
            and "撤案" not in page.split("办理过程")[0].split("已办结")[1]
        )


@pytest.mark.django_db
class TestFollowUp:
    def test_b_reply_promise_past_due_is_overdue(self, login, joint, unit_staff, npc_supervisor):
        reply = the_reply(joint)
        follow_up = reply_services.follow_up_record(
            reply=reply,
            actor=unit_staff,
            promise="年底前新建普惠托育机构10家",
            due_on=timezone.localdate() - timedelta(days=1),
        )
        for user in (unit_staff, npc_supervisor):
            html = (
                login(user).get(reverse("replies:follow_ups"), {"overdue": "true"}).content.decode()
            )
            assert joint.title in html and "已逾期 1 天" in html, user
        reply_services.follow_up_post_progress(
            follow_up=follow_up, actor=unit_staff, text="已建成8家"
        )
        reply_services.follow_up_decide(follow_up=follow_up, actor=npc_supervisor, fulfilled=True)
        follow_up.refresh_from_db()
        assert follow_up.status == FollowUpStatus.FULFILLED
        html = (
            login(npc_supervisor)
            .get(reverse("replies:follow_ups"), {"overdue": "true"})
            .content.decode()
        )
        assert joint.title not in html

    def test_only_b_replies_and_only_the_unit_records(
        self,
        joint,
        unit_staff,
        npc_supervisor,
        member,
        npc_meeting,
        npc_category,
        unit,
        unit_leader,
    ):
        with pytest.raises(ValidationError, match="只有答复单位"):
            reply_services.follow_up_record(
                reply=the_reply(joint), actor=npc_supervisor, promise="x", due_on=date(2030, 1, 1)
            )
        proposal = services.proposal_create(
            author=member, meeting=npc_meeting, title="A类的", body="x", category=npc_category
        )
        services.proposal_submit(proposal=proposal, actor=member)
        services.proposal_register(proposal=proposal, actor=npc_supervisor)
        services.proposal_assign(proposal=proposal, actor=npc_supervisor, lead_unit=unit)
        a_reply = reply_round(proposal, unit_staff, unit_leader, result_class="A")
        with pytest.raises(ValidationError, match="B类答复"):
            reply_services.follow_up_record(
                reply=a_reply, actor=unit_staff, promise="x", due_on=date(2030, 1, 1)
            )
        assert not FollowUp.objects.exists()
