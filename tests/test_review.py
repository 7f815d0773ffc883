"""立案审查: register with gap-free numbers, reject, merge, convert."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from proposals import services
from proposals.models import EventAction, Proposal, ProposalStatus, RejectionGround

from .factories import MemberFactory


def submitted_item(member, meeting, category, title="关于加快推进社区嵌入式养老服务的建议"):
    proposal = services.proposal_create(
        author=member, meeting=meeting, title=title, body="正文。", category=category
    )
    return services.proposal_submit(proposal=proposal, actor=member)


@pytest.mark.django_db
class TestRegister:
    def test_supervisor_registers_and_the_member_sees_number_and_timeline(
        self, login, member, npc_supervisor, npc_meeting, npc_category
    ):
        proposal = submitted_item(member, npc_meeting, npc_category)
        response = login(npc_supervisor).post(
            reverse("proposals:review", args=[proposal.pk]),
            {
                "outcome": "register",
                "category": npc_category.pk,
                "is_key": "on",
                "leading_official": "张副市长",
                "supervising_units": "市政府督查室",
            },
        )
        assert response.status_code == 302
        proposal.refresh_from_db()
        assert (proposal.status, proposal.number, proposal.number_label) == (
            "registered",
            1,
            "萧山1号",
        )
        assert proposal.is_key and proposal.leading_official == "张副市长"
        page = login(member).get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
        assert "已立案" in page and "萧山1号" in page and "张副市长" in page
        timeline = page.split("办理过程", 1)[1]
        assert (
            timeline.index("创建草稿")
            < timeline.index("<strong>提交</strong>")
            < timeline.index("编号：萧山1号")
        )

    def test_numbers_continue_per_meeting_and_kind(
        self,
        member,
        npc_supervisor,
        npc_meeting,
        npc_category,
        cppcc_member,
        cppcc_supervisor,
        cppcc_meeting,
        cppcc_category,
    ):
        first = submitted_item(member, npc_meeting, npc_category, "一")
        second = submitted_item(member, npc_meeting, npc_category, "二")
        other_body = submitted_item(cppcc_member, cppcc_meeting, cppcc_category, "三")
        services.proposal_register(proposal=first, actor=npc_supervisor)
        services.proposal_register(proposal=other_body, actor=cppcc_supervisor)
        services.proposal_register(proposal=second, actor=npc_supervisor)
        numbers = dict(Proposal.objects.values_list("title", "number_label"))
        assert numbers == {"一": "萧山1号", "二": "萧山2号", "三": "第1号"}

    def test_a_supervisor_of_the_other_body_may_not_review(
        self, login, member, cppcc_supervisor, npc_meeting, npc_category
    ):
        proposal = submitted_item(member, npc_meeting, npc_category)
        response = login(cppcc_supervisor).post(
            reverse("proposals:review", args=[proposal.pk]), {"outcome": "register"}
        )
        assert response.status_code == 404
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.SUBMITTED and proposal.number is None

    def test_a_member_may_not_review_their_own_item(self, login, member, npc_meeting, npc_category):
        proposal = submitted_item(member, npc_meeting, npc_category)
        response = login(member).post(
            reverse("proposals:review", args=[proposal.pk]), {"outcome": "register"}
        )
        assert response.status_code == 403
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.SUBMITTED

    def test_an_item_is_reviewed_once(self, member, npc_supervisor, npc_meeting, npc_category):
        proposal = submitted_item(member, npc_meeting, npc_category)
        services.proposal_register(proposal=proposal, actor=npc_supervisor)
        with pytest.raises(ValidationError, match="不在待审查状态"):
            services.proposal_reject(
                proposal=proposal, actor=npc_supervisor, ground="other", note="x"
            )
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.REGISTERED


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_give_unique_gap_free_numbers(
    member, npc_supervisor, npc_meeting, npc_category
):
    """Eight supervisors' requests register eight items at the same moment."""
    assert connection.vendor == "postgresql", "this test needs real row locks"
    items = [submitted_item(member, npc_meeting, npc_category, f"并发{i}") for i in range(8)]
    barrier = threading.Barrier(len(items))
    errors: list[BaseException] = []

    def register(proposal: Proposal) -> None:
        try:
            barrier.wait()
            services.proposal_register(proposal=proposal, actor=npc_supervisor)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = sorted(Proposal.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 9))


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_registering_the_same_item_number_it_once(
    member, npc_supervisor, npc_meeting, npc_category
):
    proposal = submitted_item(member, npc_meeting, npc_category)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register() -> None:
        try:
            barrier.wait()
            services.proposal_register(
                proposal=Proposal.objects.get(pk=proposal.pk), actor=npc_supervisor
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=register) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert proposal.events.filter(action=EventAction.REGISTERED).count() == 1


@pytest.mark.django_db
class TestOtherOutcomes:
    def test_rejection_needs_a_ground_and_a_text_the_member_sees(
        self, login, member, npc_supervisor, npc_meeting, npc_category
    ):
        proposal = submitted_item(member, npc_meeting, npc_category)
        client = login(npc_supervisor)
        response = client.post(
            reverse("proposals:review", args=[proposal.pk]), {"outcome": "reject"}
        )
        html = response.content.decode()
        assert "请选择不予立案的理由。" in html and "请写明不予立案的说明" in html
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.SUBMITTED
        client.post(
            reverse("proposals:review", args=[proposal.pk]),
            {
                "outcome": "reject",
                "rejection_ground": RejectionGround.PERSONAL_MATTER,
                "note": "属于个人诉求，请通过信访渠道反映。",
            },
        )
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.REJECTED
        page = login(member).get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
        assert (
            "不予立案" in page
            and "涉及个人或家庭私事、具体案件" in page
            and "属于个人诉求，请通过信访渠道反映。" in page
        )

    def test_merge_is_visible_to_both_submitters(
        self, login, member, other_member, npc_supervisor, npc_meeting, npc_category
    ):
        target = submitted_item(
            other_member, npc_meeting, npc_category, "关于引导社会组织参与未成年人保护的建议"
        )
        services.proposal_register(proposal=target, actor=npc_supervisor)
        merged = submitted_item(
            member, npc_meeting, npc_category, "关于加强未成年人关爱保护工作的建议"
        )
        login(npc_supervisor).post(
            reverse("proposals:review", args=[merged.pk]),
            {"outcome": "merge", "merge_into": target.pk, "note": "内容相近"},
        )
        merged.refresh_from_db()
        assert merged.status == ProposalStatus.MERGED and merged.merged_into == target
        # the merged item's lead sees the target, and the target's lead sees the merged item
        assert (
            "关于引导社会组织参与未成年人保护的建议"
            in login(member).get(reverse("proposals:detail", args=[merged.pk])).content.decode()
        )
        assert login(member).get(reverse("proposals:detail", args=[target.pk])).status_code == 200
        target_page = (
            login(other_member).get(reverse("proposals:detail", args=[target.pk])).content.decode()
        )
        assert "关于加强未成年人关爱保护工作的建议" in target_page
        assert target.events.filter(action=EventAction.MERGED).exists()

    def test_merge_into_another_meeting_is_refused(
        self, member, npc_supervisor, npc_meeting, npc_category
    ):
        from .factories import MeetingFactory

        elsewhere = MeetingFactory(body="npc", term=15, sitting=1)
        target = submitted_item(member, elsewhere, npc_category, "甲")
        merged = submitted_item(member, npc_meeting, npc_category, "乙")
        with pytest.raises(ValidationError, match="只能并入同一次会议的同类建议提案"):
            services.proposal_merge(proposal=merged, actor=npc_supervisor, into=target)
        merged.refresh_from_db()
        assert merged.status == ProposalStatus.SUBMITTED

    def test_convert_needs_a_note(self, member, npc_supervisor, npc_meeting, npc_category):
        proposal = submitted_item(member, npc_meeting, npc_category)
        with pytest.raises(ValidationError):
            services.proposal_convert(proposal=proposal, actor=npc_supervisor, note=" ")
        services.proposal_convert(
            proposal=proposal, actor=npc_supervisor, note="转为代表来信，交市民政局研究。"
        )
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.CONVERTED

    def test_review_queue_lists_only_submitted_items_of_the_supervisors_body(
        self,
        login,
        member,
        npc_supervisor,
        npc_meeting,
        npc_category,
        cppcc_member,
        cppcc_meeting,
        cppcc_category,
    ):
        waiting = submitted_item(member, npc_meeting, npc_category, "待审甲")
        done = submitted_item(member, npc_meeting, npc_category, "已审乙")
        services.proposal_register(proposal=done, actor=npc_supervisor)
        submitted_item(cppcc_member, cppcc_meeting, cppcc_category, "政协丙")
        services.proposal_create(
            author=MemberFactory(),
            meeting=npc_meeting,
            title="草稿丁",
            body="x",
            category=npc_category,
        )
        html = login(npc_supervisor).get(reverse("proposals:review_queue")).content.decode()
        assert waiting.title in html
        assert "已审乙" not in html and "政协丙" not in html and "草稿丁" not in html
