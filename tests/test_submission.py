"""Writing, co-signing, submitting and withdrawing an item."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import cast

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from proposals import services
from proposals.models import CoSigner, CoSignerStatus, EventAction, Proposal, ProposalStatus

from .factories import CategoryFactory, MeetingFactory, MemberFactory

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ELF_BYTES = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200


def draft_for(member, meeting, category, **kwargs):
    return services.proposal_create(
        author=member,
        meeting=meeting,
        title=kwargs.get("title", "关于引导社会组织参与未成年人保护的建议"),
        body=kwargs.get("body", "建议加大政策扶持。"),
        category=category,
    )


@pytest.mark.django_db
class TestDraftForm:
    def test_member_saves_a_draft_with_an_attachment(
        self, login, member, npc_meeting, npc_category
    ):
        client = login(member)
        response = client.post(
            reverse("proposals:create"),
            {
                "meeting": npc_meeting.pk,
                "kind": "suggestion",
                "title": "关于扩大普惠托育服务供给的建议",
                "category": npc_category.pk,
                "body": "建议加大普惠托育机构建设补贴。",
                "attachments": SimpleUploadedFile(
                    "调研报告.pdf", PDF_BYTES, content_type="application/pdf"
                ),
            },
        )
        proposal = Proposal.objects.get(title="关于扩大普惠托育服务供给的建议")
        assert response.status_code == 302
        assert response["Location"] == reverse("proposals:detail", args=[proposal.pk])
        assert proposal.status == ProposalStatus.DRAFT
        assert proposal.lead == member
        assert [a.original_name for a in proposal.attachments.all()] == ["调研报告.pdf"]
        assert list(proposal.events.values_list("action", flat=True)) == [
            EventAction.CREATED,
            EventAction.ATTACHMENT_ADDED,
        ]

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("title", "", "请填写标题。"),
            ("title", "长" * 101, "标题最多 100 字"),
            ("body", "", "请填写正文。"),
        ],
    )
    def test_bad_fields_are_refused_in_chinese_and_nothing_is_saved(
        self, login, member, npc_meeting, npc_category, field, value, message
    ):
        data = {
            "meeting": npc_meeting.pk,
            "kind": "suggestion",
            "title": "标题",
            "category": npc_category.pk,
            "body": "正文",
        }
        data[field] = value
        response = login(member).post(reverse("proposals:create"), data)
        assert response.status_code == 200
        assert message in response.content.decode()
        assert Proposal.objects.count() == 0

    def test_body_over_the_meetings_limit_is_refused(
        self, login, member, npc_meeting, npc_category
    ):
        npc_meeting.body_max_chars = 50
        npc_meeting.save()
        response = login(member).post(
            reverse("proposals:create"),
            {
                "meeting": npc_meeting.pk,
                "kind": "suggestion",
                "title": "标题",
                "category": npc_category.pk,
                "body": "字" * 51,
            },
        )
        assert "正文共 51 字，超过了本次会议 50 字的上限。" in response.content.decode()
        assert Proposal.objects.count() == 0

    def test_an_executable_renamed_pdf_is_refused_and_nothing_is_saved(
        self, login, member, npc_meeting, npc_category
    ):
        response = login(member).post(
            reverse("proposals:create"),
            {
                "meeting": npc_meeting.pk,
                "kind": "suggestion",
                "title": "标题",
                "category": npc_category.pk,
                "body": "正文",
                "attachments": SimpleUploadedFile(
                    "报告.pdf", ELF_BYTES, content_type="application/pdf"
                ),
            },
        )
        assert response.status_code == 200
        assert "附件“报告.pdf”的内容与扩展名不符" in response.content.decode()
        assert Proposal.objects.count() == 0

    def test_an_attachment_over_the_size_limit_is_refused(
        self, login, member, npc_meeting, npc_category, settings
    ):
        settings.ATTACHMENT_MAX_BYTES = 1024
        big = PDF_BYTES + b"0" * 2048
        response = login(member).post(
            reverse("proposals:create"),
            {
                "meeting": npc_meeting.pk,
                "kind": "suggestion",
                "title": "标题",
                "category": npc_category.pk,
                "body": "正文",
                "attachments": SimpleUploadedFile(
                    "大文件.pdf", big, content_type="application/pdf"
                ),
            },
        )
        assert "超过了 1.0 KB 的上限" in response.content.decode().replace("\xa0", " ")
        assert Proposal.objects.count() == 0

    def test_editing_with_a_bad_attachment_keeps_the_old_text(
        self, login, member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category, title="原标题")
        response = login(member).post(
            reverse("proposals:edit", args=[proposal.pk]),
            {
                "title": "新标题",
                "category": npc_category.pk,
                "body": "新正文",
                "attachments": SimpleUploadedFile("a.docx", b"MZ\x90\x00" + b"\x00" * 100),
            },
        )
        assert response.status_code == 200
        assert "新标题" in response.content.decode()  # the member's typing is shown back, not lost
        proposal.refresh_from_db()
        assert proposal.title == "原标题"
        assert proposal.attachments.count() == 0

    def test_a_member_of_the_other_body_cannot_use_the_meeting(
        self, cppcc_member, npc_meeting, npc_category
    ):
        with pytest.raises(ValidationError, match="不能向"):
            draft_for(cppcc_member, npc_meeting, npc_category)

    def test_only_the_lead_may_edit(self, login, member, other_member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        response = login(other_member).post(
            reverse("proposals:edit", args=[proposal.pk]),
            {"title": "改", "body": "改", "category": npc_category.pk},
        )
        assert response.status_code == 403
        proposal.refresh_from_db()
        assert proposal.title == "关于引导社会组织参与未成年人保护的建议"


def options(page: str, name: str) -> list[tuple[str, str]]:
    """The (value, label) choices of the form's <select name=…>, in page order."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, name
    return [
        (value, html.unescape(label.strip()))
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[1])
    ]


@pytest.fixture
def category_tree(db):
    """人大's categories as an office set them up: order by `position`, not by name or age;
    an inactive child, and an inactive parent whose children go with it; 政协's own tree."""
    social = CategoryFactory(body="npc", name="社会事业", position=1)
    economy = CategoryFactory(body="npc", name="经济建设", position=0)
    tree = {
        "social": social,
        "economy": economy,
        "health": CategoryFactory(body="npc", name="卫生健康", parent=social, position=2),
        "civil": CategoryFactory(body="npc", name="民政", parent=social, position=0),
        "education": CategoryFactory(body="npc", name="教育", parent=social, position=1),
        "finance": CategoryFactory(body="npc", name="财政金融", parent=economy, position=0),
        "retired": CategoryFactory(
            body="npc", name="已停用", parent=economy, position=1, is_active=False
        ),
    }
    old = CategoryFactory(body="npc", name="旧类别", position=2, is_active=False)
    tree["under_old"] = CategoryFactory(body="npc", name="旧子类", parent=old)
    tree["cppcc"] = CategoryFactory(body="cppcc", name="社会事业")
    return tree


@pytest.mark.django_db
class TestWhatTheDraftFormOffers:
    def test_a_deputy_gets_suggestions_npc_meetings_and_npc_categories_in_tree_order(
        self, login, member, npc_meeting, cppcc_meeting, category_tree
    ):
        MeetingFactory(  # a 人大 meeting whose submission closed
            body="npc",
            sitting=9,
            short_name="市14届人大9次会议",
            submission_closes_at=timezone.now() - timedelta(days=1),
        )
        page = login(member).get(reverse("proposals:create")).content.decode()
        assert options(page, "kind") == [("suggestion", "建议")]
        assert options(page, "meeting") == [
            ("", "---------"),
            (str(npc_meeting.pk), npc_meeting.short_name),
        ]
        assert options(page, "category") == [
            ("", "---------"),
            (str(category_tree["economy"].pk), "经济建设"),
            (str(category_tree["finance"].pk), "经济建设 › 财政金融"),
            (str(category_tree["social"].pk), "社会事业"),
            (str(category_tree["civil"].pk), "社会事业 › 民政"),
            (str(category_tree["education"].pk), "社会事业 › 教育"),
            (str(category_tree["health"].pk), "社会事业 › 卫生健康"),
        ]

    def test_a_cppcc_member_gets_proposals_and_cppcc_meetings_and_categories(
        self, login, cppcc_member, npc_meeting, cppcc_meeting, category_tree
    ):
        page = login(cppcc_member).get(reverse("proposals:create")).content.decode()
        assert options(page, "kind") == [("proposal", "提案")]
        assert options(page, "meeting") == [
            ("", "---------"),
            (str(cppcc_meeting.pk), cppcc_meeting.short_name),
        ]
        assert options(page, "category") == [
            ("", "---------"),
            (str(category_tree["cppcc"].pk), "社会事业"),
        ]

    def test_the_draft_edit_form_offers_the_same_categories(
        self, login, member, npc_meeting, category_tree
    ):
        proposal = draft_for(member, npc_meeting, category_tree["civil"])
        page = login(member).get(reverse("proposals:edit", args=[proposal.pk])).content.decode()
        assert [label for _value, label in options(page, "category")] == [
            "---------",
            "经济建设",
            "经济建设 › 财政金融",
            "社会事业",
            "社会事业 › 民政",
            "社会事业 › 教育",
            "社会事业 › 卫生健康",
        ]
        assert re.search(rf'<option value="{category_tree["civil"].pk}" selected>', page), (
            "the draft's category stays chosen"
        )

    @pytest.mark.parametrize(
        ("posted", "message"),
        [
            ({"kind": "proposal"}, "您属于人大，只能提出建议。"),
            ({"meeting": "cppcc"}, "请选择人大正在受理的届次会议。"),
            ({"category": "cppcc"}, "请从列表中选择人大的类别。"),
            ({"category": "retired"}, "请从列表中选择人大的类别。"),
            ({"category": "under_old"}, "请从列表中选择人大的类别。"),
        ],
    )
    def test_another_bodys_kind_meeting_or_category_is_refused_and_nothing_is_saved(
        self, login, member, npc_meeting, cppcc_meeting, category_tree, posted, message
    ):
        data = {
            "meeting": str(npc_meeting.pk),
            "kind": "suggestion",
            "title": "关于扩大普惠托育服务供给的建议",
            "category": str(category_tree["civil"].pk),
            "body": "建议加大普惠托育机构建设补贴。",
        }
        if "kind" in posted:
            data["kind"] = posted["kind"]
        if "meeting" in posted:
            data["meeting"] = str(cppcc_meeting.pk)
        if "category" in posted:
            data["category"] = str(category_tree[posted["category"]].pk)
        response = login(member).post(reverse("proposals:create"), data)
        assert response.status_code == 200
        page = response.content.decode()
        assert message in page
        assert "关于扩大普惠托育服务供给的建议" in page  # the typed text is kept
        assert Proposal.objects.count() == 0


@pytest.mark.django_db
class TestCoSigners:
    def test_invitee_confirms_and_counts(self, member, other_member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        invitation = services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        services.cosigner_respond(cosigner=invitation, actor=other_member, accept=True)
        services.proposal_submit(proposal=proposal, actor=member)
        invitation.refresh_from_db()
        assert invitation.status == CoSignerStatus.CONFIRMED

    def test_a_declined_invitation_does_not_count(
        self, member, other_member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category)
        invitation = services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        services.cosigner_respond(cosigner=invitation, actor=other_member, accept=False)
        services.proposal_submit(proposal=proposal, actor=member)
        assert not proposal.cosigners.filter(status=CoSignerStatus.CONFIRMED).exists()

    def test_a_confirmation_after_the_deadline_is_refused_and_does_not_count(
        self, member, other_member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category)
        invitation = services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        too_late = npc_meeting.submission_closes_at + timedelta(minutes=1)
        with pytest.raises(ValidationError, match=r"联名确认已于 .* 截止，本次确认不计入"):
            services.cosigner_respond(
                cosigner=invitation, actor=other_member, accept=True, now=too_late
            )
        invitation.refresh_from_db()
        assert invitation.status == CoSignerStatus.INVITED
        assert not proposal.events.filter(action=EventAction.COSIGNER_CONFIRMED).exists()

    def test_unanswered_invitations_lapse_on_submission(
        self, member, other_member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category)
        invitation = services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        services.proposal_submit(proposal=proposal, actor=member)
        invitation.refresh_from_db()
        assert invitation.status == CoSignerStatus.LAPSED
        submitted = proposal.events.get(action=EventAction.SUBMITTED)
        assert "王建国" in submitted.note
        with pytest.raises(ValidationError, match="已经提交"):
            services.cosigner_respond(cosigner=invitation, actor=other_member, accept=True)

    def test_lead_cancels_an_invitation_and_the_invitee_loses_sight(
        self, login, member, other_member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category)
        invitation = services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        assert (
            login(other_member).get(reverse("proposals:detail", args=[proposal.pk])).status_code
            == 200
        )
        response = login(member).post(reverse("proposals:cosigner_cancel", args=[invitation.pk]))
        assert response.status_code == 302
        invitation.refresh_from_db()
        assert invitation.status == CoSignerStatus.CANCELLED
        assert (
            login(other_member).get(reverse("proposals:detail", args=[proposal.pk])).status_code
            == 404
        )

    def test_only_members_of_the_same_body_can_be_invited(
        self, member, cppcc_member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category)
        with pytest.raises(ValidationError, match="只能邀请同一人大的代表、委员联名"):
            services.cosigner_invite(proposal=proposal, actor=member, member=cppcc_member)
        assert not CoSigner.objects.exists()

    def test_invitation_search_finds_only_the_same_body(
        self, login, member, other_member, cppcc_member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category)
        client = login(member)
        html = client.get(
            reverse("proposals:cosigner_invite", args=[proposal.pk]), {"q": "王"}
        ).content.decode()
        assert "王建国" in html
        html = client.get(
            reverse("proposals:cosigner_invite", args=[proposal.pk]), {"q": "刘安泽"}
        ).content.decode()
        assert "刘安泽" not in html.split("<table", 1)[1]

    def test_the_search_offers_individual_active_members_of_the_body_only(
        self, login, member, npc_meeting, npc_category
    ):
        # 何红 (the lead) is of 萧山代表团; so are these, and a 政协 member of a 萧山 sector
        MemberFactory(username="chenxiao", full_name="陈晓", profile__delegation="萧山代表团")
        MemberFactory(username="lixs", full_name="李小山", profile__delegation="上城代表团")
        MemberFactory(
            username="xiaoshan",
            full_name="萧山代表团",
            profile__submitter_type="delegation",
            profile__delegation="萧山代表团",
        )
        MemberFactory(
            username="left",
            full_name="萧一帆",
            is_active=False,
            profile__delegation="萧山代表团",
        )
        MemberFactory(
            username="cppcc_xs",
            full_name="萧政协",
            profile__body="cppcc",
            profile__submitter_type="cppcc_member",
            profile__sector="萧山工商界",
        )
        proposal = draft_for(member, npc_meeting, npc_category)
        page = (
            login(member)
            .get(reverse("proposals:cosigner_invite", args=[proposal.pk]), {"q": "萧"})
            .content.decode()
        )
        rows = re.findall(r"<tr><td>([^<]*)</td><td[^>]*>([^<]*)</td>", page.split("<tbody>", 1)[1])
        assert rows == [("陈晓", "萧山代表团")]

    @pytest.mark.parametrize(
        ("who", "message"),
        [
            ("delegation", "萧山代表团是代表团，不能作为联名人；请邀请代表、委员本人联名。"),
            ("party", "民进市委是党派，不能作为联名人；请邀请代表、委员本人联名。"),
            ("inactive", "只能邀请同一人大的代表、委员联名。"),
            ("cppcc", "只能邀请同一人大的代表、委员联名。"),
            ("lead", "领衔人不能邀请自己联名。"),
        ],
    )
    def test_the_service_refuses_anyone_but_an_individual_active_member_of_the_body(
        self, member, npc_meeting, npc_category, cppcc_member, who, message
    ):
        invitee = {
            "delegation": lambda: MemberFactory(
                username="xiaoshan",
                full_name="萧山代表团",
                profile__submitter_type="delegation",
            ),
            "party": lambda: MemberFactory(
                username="minjin", full_name="民进市委", profile__submitter_type="party"
            ),
            "inactive": lambda: MemberFactory(username="left", is_active=False),
            "cppcc": lambda: cppcc_member,
            "lead": lambda: member,
        }[who]()
        proposal = draft_for(member, npc_meeting, npc_category)
        with pytest.raises(ValidationError) as refused:
            services.cosigner_invite(proposal=proposal, actor=member, member=invitee)
        assert refused.value.messages == [message]
        assert not CoSigner.objects.exists()
        assert not proposal.events.filter(action=EventAction.COSIGNER_INVITED).exists()

    def test_inviting_a_collective_account_through_the_page_is_refused(
        self, login, member, npc_meeting, npc_category
    ):
        delegation = cast(
            User,
            MemberFactory(
                username="xiaoshan", full_name="萧山代表团", profile__submitter_type="delegation"
            ),
        )
        proposal = draft_for(member, npc_meeting, npc_category)
        response = login(member).post(
            reverse("proposals:cosigner_invite", args=[proposal.pk]),
            {"member": delegation.pk},
            follow=True,
        )
        assert "萧山代表团是代表团，不能作为联名人" in response.content.decode()
        assert not CoSigner.objects.exists()

    def test_someone_else_cannot_answer_an_invitation(
        self, login, member, other_member, third_member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category)
        invitation = services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        response = login(third_member).post(
            reverse("proposals:cosigner_respond", args=[invitation.pk]), {"answer": "confirm"}
        )
        assert response.status_code == 404
        invitation.refresh_from_db()
        assert invitation.status == CoSignerStatus.INVITED


@pytest.mark.django_db
class TestSubmission:
    def test_submission_inside_the_window(self, login, member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        response = login(member).post(reverse("proposals:submit", args=[proposal.pk]), follow=True)
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.SUBMITTED
        assert proposal.submitted_at is not None
        assert "已提交，等待立案审查。" in response.content.decode()

    def test_submission_after_the_window_is_refused_with_the_date(
        self, login, member, npc_meeting, npc_category
    ):
        proposal = draft_for(member, npc_meeting, npc_category)
        npc_meeting.submission_closes_at = timezone.now() - timedelta(hours=1)
        npc_meeting.save()
        response = login(member).post(reverse("proposals:submit", args=[proposal.pk]), follow=True)
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.DRAFT
        closes = timezone.localtime(npc_meeting.submission_closes_at)
        assert f"已于 {closes.year}年{closes.month}月{closes.day}日" in response.content.decode()
        assert "截止提交" in response.content.decode()

    def test_submission_before_the_window_is_refused(self, member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        with pytest.raises(ValidationError, match="现在还不能提交"):
            services.proposal_submit(
                proposal=proposal,
                actor=member,
                now=npc_meeting.submission_opens_at - timedelta(days=1),
            )

    def test_phase_records_during_or_between_sessions(self, member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        proposal = services.proposal_submit(proposal=proposal, actor=member)
        assert proposal.phase == "between"  # the fixture's session ended six days ago

    def test_submitting_twice_is_refused(self, member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        services.proposal_submit(proposal=proposal, actor=member)
        with pytest.raises(ValidationError, match="已提交的建议提案不能再修改"):
            services.proposal_submit(proposal=proposal, actor=member)
        assert proposal.events.filter(action=EventAction.SUBMITTED).count() == 1

    def test_a_cosigner_cannot_submit(self, login, member, other_member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        response = login(other_member).post(reverse("proposals:submit", args=[proposal.pk]))
        assert response.status_code == 403
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.DRAFT


@pytest.mark.django_db
class TestWithdrawal:
    def test_lead_withdraws_with_a_reason(self, login, member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        services.proposal_submit(proposal=proposal, actor=member)
        client = login(member)
        response = client.post(reverse("proposals:withdraw", args=[proposal.pk]), {"reason": ""})
        assert "请写明撤案理由。" in response.content.decode()
        client.post(reverse("proposals:withdraw", args=[proposal.pk]), {"reason": "问题已解决"})
        proposal.refresh_from_db()
        assert proposal.status == ProposalStatus.WITHDRAWN
        assert proposal.withdrawal_reason == "问题已解决"
        event = proposal.events.get(action=EventAction.WITHDRAWN)
        assert (event.from_status, event.to_status, event.actor) == (
            "submitted",
            "withdrawn",
            member,
        )

    def test_a_draft_cannot_be_withdrawn(self, login, member, npc_meeting, npc_category):
        proposal = draft_for(member, npc_meeting, npc_category)
        assert (
            login(member).get(reverse("proposals:withdraw", args=[proposal.pk])).status_code == 403
        )
