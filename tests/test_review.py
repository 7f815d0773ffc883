"""立案审查: register with gap-free numbers, reject, merge, convert."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from proposals import services
from proposals.models import (
    EventAction,
    Meeting,
    NumberingScope,
    Proposal,
    ProposalStatus,
    RejectionGround,
)

from .factories import MeetingFactory, MemberFactory


@pytest.fixture
def shangcheng_member(db):
    return MemberFactory(
        username="shangcheng",
        full_name="陈立群",
        profile__delegation="上城代表团",
        profile__number_prefix="上城",
    )


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

    def test_numbers_run_across_the_meeting_by_default_whatever_the_prefix(
        self, member, shangcheng_member, npc_supervisor, npc_meeting, npc_category
    ):
        assert npc_meeting.numbering_scope == NumberingScope.MEETING
        for lead, title in ((member, "一"), (shangcheng_member, "二"), (member, "三")):
            item = submitted_item(lead, npc_meeting, npc_category, title)
            services.proposal_register(proposal=item, actor=npc_supervisor)
        numbers = {
            title: (label, prefix, scope)
            for title, label, prefix, scope in Proposal.objects.values_list(
                "title", "number_label", "number_prefix", "number_scope"
            )
        }
        assert numbers == {
            "一": ("萧山1号", "萧山", "meeting"),
            "二": ("上城2号", "上城", "meeting"),
            "三": ("萧山3号", "萧山", "meeting"),
        }

    def test_numbers_per_delegation_prefix_when_the_policy_says_so(
        self,
        member,
        shangcheng_member,
        npc_supervisor,
        npc_meeting,
        npc_category,
    ):
        # given a meeting that numbers each delegation on its own (萧山1号, 上城1号)
        npc_meeting.numbering_scope = NumberingScope.PREFIX
        npc_meeting.save()
        no_prefix = MemberFactory(
            username="jiti", full_name="民盟市委会", profile__number_prefix=""
        )
        leads = [member, shangcheng_member, member, no_prefix, shangcheng_member, member, no_prefix]
        for index, lead in enumerate(leads, start=1):
            item = submitted_item(lead, npc_meeting, npc_category, f"第{index}件")
            services.proposal_register(proposal=item, actor=npc_supervisor)
        numbers = dict(Proposal.objects.values_list("title", "number_label").order_by("pk"))
        # then each prefix has its own gap-free sequence; members without one share theirs
        assert numbers == {
            "第1件": "萧山1号",
            "第2件": "上城1号",
            "第3件": "萧山2号",
            "第4件": "1号",
            "第5件": "上城2号",
            "第6件": "萧山3号",
            "第7件": "2号",
        }
        assert set(Proposal.objects.values_list("number_scope", flat=True)) == {"prefix"}
        # and the event and the notice name the number
        third = Proposal.objects.get(title="第3件")
        assert third.events.get(action=EventAction.REGISTERED).note == "编号：萧山2号"

    def test_the_uniqueness_constraint_holds_per_scope(
        self, member, shangcheng_member, npc_supervisor, npc_meeting, npc_category
    ):
        first = submitted_item(member, npc_meeting, npc_category, "一")
        second = submitted_item(shangcheng_member, npc_meeting, npc_category, "二")
        services.proposal_register(proposal=first, actor=npc_supervisor)
        services.proposal_register(proposal=second, actor=npc_supervisor)
        # across the meeting, 上城 may not also have number 1
        with pytest.raises(IntegrityError), transaction.atomic():
            Proposal.objects.filter(pk=second.pk).update(number=1, number_label="上城1号")
        # per prefix it may, but two 萧山 items may not share one
        Proposal.objects.filter(pk__in=[first.pk, second.pk]).update(number_scope="prefix")
        Proposal.objects.filter(pk=second.pk).update(number=1, number_label="上城1号")
        third = submitted_item(member, npc_meeting, npc_category, "三")
        with pytest.raises(IntegrityError), transaction.atomic():
            Proposal.objects.filter(pk=third.pk).update(
                number=1, number_label="萧山1号", number_prefix="萧山", number_scope="prefix"
            )

    def test_the_numbering_policy_in_plain_words_and_its_checks(self, npc_meeting, cppcc_meeting):
        assert npc_meeting.policy_summary()[-1] == "编号：全会统一编号，各代表团接续排号。"
        npc_meeting.numbering_scope = NumberingScope.PREFIX
        assert npc_meeting.policy_summary()[-1] == (
            "编号：按代表团编号前缀分别编号，每个前缀各自从1号起。"
        )
        npc_meeting.full_clean()
        # per prefix needs the prefix in the number, else two delegations' 1号 look the same
        cppcc_meeting.numbering_scope = NumberingScope.PREFIX
        with pytest.raises(ValidationError) as refused:
            cppcc_meeting.full_clean()
        assert refused.value.message_dict["number_format"] == [
            "按代表团编号前缀分别编号时，编号格式须包含 {prefix}，否则不同代表团会出现相同的编号。"
        ]

    def test_the_numbering_policy_is_fixed_once_items_are_numbered(
        self, member, npc_supervisor, npc_meeting, npc_category
    ):
        meeting = Meeting.objects.get(pk=npc_meeting.pk)
        meeting.numbering_scope = NumberingScope.PREFIX
        meeting.full_clean()  # nothing numbered yet: may change
        services.proposal_register(
            proposal=submitted_item(member, npc_meeting, npc_category), actor=npc_supervisor
        )
        with pytest.raises(ValidationError) as refused:
            meeting.full_clean()
        assert refused.value.message_dict["numbering_scope"] == [
            "本次会议已有立案编号的建议提案，不能再改编号方式，以免编号重复或断号。"
        ]

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
def test_concurrent_registrations_per_prefix_give_each_prefix_gap_free_numbers(
    member, shangcheng_member, npc_supervisor, npc_category
):
    """Ten registrations at once in a meeting that numbers per delegation prefix."""
    assert connection.vendor == "postgresql", "this test needs real row locks"
    meeting = MeetingFactory(
        body="npc", number_format="{prefix}{number}号", numbering_scope=NumberingScope.PREFIX
    )
    leads = [member, shangcheng_member] * 5
    items = [
        submitted_item(lead, meeting, npc_category, f"并发{i}") for i, lead in enumerate(leads)
    ]
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
    numbers = sorted(Proposal.objects.values_list("number_prefix", "number", "number_label"))
    assert numbers == sorted(
        [(prefix, n, f"{prefix}{n}号") for prefix in ("萧山", "上城") for n in range(1, 6)]
    )


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
