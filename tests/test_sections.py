"""Submission sections per meeting (proposals.sections) and the pre-check (proposals.precheck):
sections required per policy, each warning, old single-body items, the item page, export,
portal and search reading every section, joining as a co-signer, the endpoint's permissions."""

from __future__ import annotations

import io
from typing import Any, cast

import pytest
from django.core.exceptions import ValidationError
from openpyxl import load_workbook

from proposals import precheck, search, services
from proposals.models import CoSignerStatus, Meeting, Proposal, ProposalStatus
from proposals.sections import policy_of, stored_sections, validate_policy

from .factories import MeetingFactory, MemberFactory
from .test_portal_search import draft_reply, office, send

pytestmark = pytest.mark.django_db

SUBJECT = "老旧小区加装电梯审批流程繁琐"
REASON = (
    "老旧小区居民以老年人为主，上下楼困难。现行加装电梯审批涉及规划、住建、市场监管等多个部门，" * 2
)
MEASURES = "建议推行加装电梯一窗受理、并联审批，明确审批时限，并设立专项补贴资金。"
TITLE = "关于简化老旧小区加装电梯审批流程的提案"


def texts(**overrides: str) -> dict[str, str]:
    return {"subject": SUBJECT, "reason": REASON, "measures": MEASURES, **overrides}


def post_data(meeting: Any, **overrides: str) -> dict[str, Any]:
    data = {"meeting": meeting.pk, "kind": "proposal", "title": TITLE}
    data.update({f"section_{k}": v for k, v in texts().items()})
    data.update(overrides)
    return data


def warning_codes(result: precheck.Result) -> list[str]:
    return result.warning_codes


class TestPolicy:
    def test_defaults_per_body(self, cppcc_meeting, npc_meeting):
        assert [r["label"] for r in policy_of(cppcc_meeting)] == ["案由", "理由", "办法"]
        assert [r["label"] for r in policy_of(npc_meeting)] == ["内容"]

    def test_a_custom_policy_is_validated(self):
        validate_policy(
            [
                {"key": "background", "label": "背景情况", "required": True, "min_length": 5},
                {"key": "analysis", "label": "问题及分析", "max_length": 3000},
                {"key": "advice", "label": "具体建议", "required": False},
            ]
        )
        for bad in (
            {"sections": "x"},
            [{"key": "a", "label": "甲"}, {"key": "a", "label": "乙"}],
            [{"key": "Bad Key", "label": "甲"}],
            [{"key": "a", "label": ""}],
            [{"key": "a", "label": "甲", "min_length": 10, "max_length": 5}],
            [{"key": "a", "label": "甲", "colour": "red"}],
        ):
            with pytest.raises(ValidationError):
                validate_policy(bad)

    def test_the_meeting_uses_its_own_sections(self, cppcc_member):
        meeting = cast(
            Meeting,
            MeetingFactory(
                body="cppcc",
                term=7,
                sitting=9,
                sections=[
                    {"key": "background", "label": "背景情况", "required": True, "min_length": 2},
                    {"key": "analysis", "label": "问题及分析", "required": True},
                    {"key": "advice", "label": "具体建议", "required": True},
                ],
            ),
        )
        meeting.full_clean()
        result = precheck.precheck(
            user=cppcc_member,
            meeting=meeting,
            title=TITLE,
            texts={"background": "背景", "analysis": ""},
        )
        assert [e.message for e in result.errors] == ["请填写“问题及分析”。", "请填写“具体建议”。"]


class TestErrors:
    def test_required_short_and_long_sections(self, cppcc_member, cppcc_meeting):
        result = precheck.precheck(
            user=cppcc_member,
            meeting=cppcc_meeting,
            title=TITLE,
            texts=texts(subject="", reason="太短", measures="办" * 4001),
        )
        assert [e.message for e in result.errors] == [
            "请填写“案由”。",
            "“理由”至少 50 字，现为 2 字。",
            "“办法”最多 4000 字，现为 4001 字。",
        ]

    def test_submission_is_refused_with_a_missing_section(self, cppcc_member, cppcc_meeting):
        rules = policy_of(cppcc_meeting)
        item = services.proposal_create(
            author=cppcc_member,
            meeting=cppcc_meeting,
            title=TITLE,
            body="",
            sections=stored_sections(rules, texts(measures="")),
        )
        with pytest.raises(ValidationError, match="请填写“办法”"):
            services.proposal_submit(proposal=item, actor=cppcc_member)

    def test_the_form_keeps_what_was_typed(self, login, cppcc_member, cppcc_meeting):
        client = login(cppcc_member)
        response = client.post(
            "/items/new/", post_data(cppcc_meeting, section_measures="办" * 4001)
        )
        assert response.status_code == 200
        page = response.content.decode()
        assert "“办法”最多 4000 字，现为 4001 字。" in page
        assert SUBJECT in page and REASON[:20] in page
        assert not Proposal.objects.exists()

    def test_choosing_another_meeting_keeps_what_was_typed(
        self, login, cppcc_member, cppcc_meeting
    ):
        # Given: a second open meeting whose policy has other sections (as 上海 requires)
        other = cast(
            Meeting,
            MeetingFactory(
                body="cppcc",
                term=7,
                sitting=4,
                short_name="市政协七届四次会议",
                sections=[
                    {"key": "background", "label": "背景情况", "required": True},
                    {"key": "reason", "label": "问题及分析", "required": True},
                    {"key": "advice", "label": "具体建议", "required": True},
                ],
            ),
        )
        client = login(cppcc_member)
        # When: the page showed the first meeting's sections and she posts under the second
        response = client.post(
            "/items/new/",
            {**post_data(cppcc_meeting), "meeting": other.pk, "sections_of": cppcc_meeting.pk},
        )
        # Then: nothing is saved, she is told why, and every text is in the new sections
        assert response.status_code == 200
        assert not Proposal.objects.exists()
        page = response.content.decode()
        assert "所选会议的提交格式与页面上的不同" in page
        form = response.context["form"]
        assert [r["label"] for r in form.section_rules] == ["背景情况", "问题及分析", "具体建议"]
        assert form.data["section_reason"] == REASON  # same key, same place
        assert SUBJECT in form.data["section_background"]  # the rest into the first section
        assert MEASURES in form.data["section_background"]
        assert form.data["sections_of"] == str(other.pk)
        # When: she posts the form as it now stands
        again = client.post("/items/new/", {k: form.data[k] for k in form.data})
        # Then: the draft is saved under the second meeting with all the text
        assert again.status_code == 302
        item = Proposal.objects.get()
        assert item.meeting == other
        assert all(part in item.body for part in (SUBJECT, REASON, MEASURES))

    def test_a_draft_saves_with_sections_and_shows_them(self, login, cppcc_member, cppcc_meeting):
        client = login(cppcc_member)
        response = client.post("/items/new/", post_data(cppcc_meeting))
        item = Proposal.objects.get()
        assert response.status_code == 302
        assert [s["label"] for s in item.sections] == ["案由", "理由", "办法"]
        assert SUBJECT in item.body and MEASURES in item.body
        page = client.get(f"/items/{item.pk}/").content.decode()
        assert '<h2 class="section-label">理由</h2>' in page
        assert MEASURES in page
        # the edit form shows each section again
        edit = client.get(f"/items/{item.pk}/edit/").content.decode()
        assert 'name="section_subject"' in edit and SUBJECT in edit


class TestWarnings:
    def check(self, member: Any, meeting: Any, title: str = TITLE, **parts: str) -> list[str]:
        return warning_codes(
            precheck.precheck(user=member, meeting=meeting, title=title, texts=texts(**parts))
        )

    def test_a_clean_text_has_no_warning(self, cppcc_member, cppcc_meeting):
        assert self.check(cppcc_member, cppcc_meeting) == []

    def test_title_form(self, cppcc_member, cppcc_meeting, member, npc_meeting):
        assert self.check(cppcc_member, cppcc_meeting, title="加装电梯审批") == ["title"]
        # 政协 writes 提案, 人大 建议
        assert self.check(cppcc_member, cppcc_meeting, title="关于加装电梯的建议") == ["title"]
        npc = precheck.precheck(
            user=member, meeting=npc_meeting, title="关于加装电梯的建议", texts={"content": "内容"}
        )
        assert npc.warning_codes == []

    def test_ascii_punctuation(self, cppcc_member, cppcc_meeting):
        assert self.check(cppcc_member, cppcc_meeting, measures=MEASURES + "一是补贴,二是审批") == [
            "punctuation"
        ]
        # 1,000 and English stay as they are
        assert self.check(cppcc_member, cppcc_meeting, measures=MEASURES + "补贴1,000元") == []

    def test_identity_card_with_its_check_digit(self, cppcc_member, cppcc_meeting):
        assert precheck.is_identity_number("11010519491231002X")
        assert not precheck.is_identity_number("110105194912310021")  # wrong check digit
        assert precheck.is_identity_number("110105491231002")  # the old 15 digits
        found = self.check(cppcc_member, cppcc_meeting, reason=REASON + "身份证11010519491231002X")
        assert found == ["identity"]
        # a long number that fails the checksum is not an identity card
        assert (
            self.check(cppcc_member, cppcc_meeting, reason=REASON + "编号110105194912310021") == []
        )

    def test_phone_numbers(self, cppcc_member, cppcc_meeting):
        assert self.check(cppcc_member, cppcc_meeting, reason=REASON + "联系13805710039") == [
            "phone"
        ]
        assert self.check(cppcc_member, cppcc_meeting, reason=REASON + "电话0571-87654321") == [
            "phone"
        ]

    def test_personal_case(self, cppcc_member, cppcc_meeting):
        assert precheck.personal_case_words("我家的房子被拆，要求赔偿我") == ["我家", "赔偿我"]
        assert self.check(cppcc_member, cppcc_meeting, reason=REASON + "我父亲的退休金") == [
            "personal"
        ]

    def test_similar_items_only_those_the_member_may_see(
        self, cppcc_member, cppcc_meeting, cppcc_supervisor
    ):
        rules = policy_of(cppcc_meeting)
        mine = services.proposal_create(
            author=cppcc_member,
            meeting=cppcc_meeting,
            title="关于老旧小区加装电梯审批流程简化的提案",
            body="",
            sections=stored_sections(rules, texts()),
        )
        services.proposal_submit(proposal=mine, actor=cppcc_member)
        # another member's draft and submitted item on the same subject stay hidden
        other = MemberFactory(username="zhou", full_name="周敏", profile__body="cppcc")
        services.proposal_create(
            author=other,
            meeting=cppcc_meeting,
            title="关于老旧小区加装电梯审批流程优化的提案",
            body="",
            sections=stored_sections(rules, texts()),
        )
        result = precheck.precheck(
            user=cppcc_member, meeting=cppcc_meeting, title=TITLE, texts=texts()
        )
        assert [s.pk for s in result.similar] == [mine.pk]
        assert "similar" in result.warning_codes
        assert result.similar[0].status == "待审查"
        assert result.similar[0].url == f"/items/{mine.pk}/"
        assert (
            precheck.precheck(
                user=MemberFactory(username="li", profile__body="cppcc"),
                meeting=cppcc_meeting,
                title=TITLE,
                texts=texts(),
            ).similar
            == []
        )


class TestEndpoint:
    URL = "/items/precheck/"

    def test_a_member_writing_gets_the_findings(self, login, cppcc_member, cppcc_meeting):
        response = login(cppcc_member).post(
            self.URL, post_data(cppcc_meeting, section_subject="", title="电梯")
        )
        data = response.json()
        assert data["errors"][0]["field"] == "section_subject"
        assert data["warning_codes"] == ["title"]

    def test_who_may_ask(self, client, login, cppcc_member, cppcc_meeting, unit_staff, member):
        assert client.post(self.URL, post_data(cppcc_meeting)).status_code == 302  # login
        assert login(unit_staff).post(self.URL, post_data(cppcc_meeting)).status_code == 403
        # a 人大 deputy cannot check against a 政协 meeting
        assert login(member).post(self.URL, post_data(cppcc_meeting)).status_code == 400

    def test_another_members_draft_is_not_reachable(self, login, cppcc_member, cppcc_meeting):
        other = MemberFactory(username="zhou", full_name="周敏", profile__body="cppcc")
        draft = services.proposal_create(
            author=other, meeting=cppcc_meeting, title=TITLE, body="正文" * 30
        )
        response = login(cppcc_member).post(self.URL, {"proposal": draft.pk, "title": TITLE})
        assert response.status_code == 404


class TestSubmitWithWarnings:
    def test_warnings_need_a_second_click(self, login, cppcc_member, cppcc_meeting):
        rules = policy_of(cppcc_meeting)
        item = services.proposal_create(
            author=cppcc_member,
            meeting=cppcc_meeting,
            title="加装电梯",
            body="",
            sections=stored_sections(rules, texts()),
        )
        client = login(cppcc_member)
        page = client.get(f"/items/{item.pk}/").content.decode()
        assert "仍然提交" in page and "标题宜写成" in page
        client.post(f"/items/{item.pk}/submit/")
        item.refresh_from_db()
        assert item.status == ProposalStatus.DRAFT
        client.post(f"/items/{item.pk}/submit/", {"acknowledged": "title"})
        item.refresh_from_db()
        assert item.status == ProposalStatus.SUBMITTED


def test_join_as_cosigner_of_a_similar_draft(login, cppcc_member, cppcc_meeting):
    """A similar draft the member is invited to: 「加入联名」 confirms the invitation through the
    co-signer service instead of writing a duplicate."""
    lead = MemberFactory(username="zhou", full_name="周敏", profile__body="cppcc")
    rules = policy_of(cppcc_meeting)
    existing = services.proposal_create(
        author=lead,
        meeting=cppcc_meeting,
        title="关于老旧小区加装电梯审批流程简化的提案",
        body="",
        sections=stored_sections(rules, texts()),
    )
    services.cosigner_invite(proposal=existing, actor=lead, member=cppcc_member)
    response = login(cppcc_member).post("/items/precheck/", post_data(cppcc_meeting))
    (similar,) = response.json()["similar"]
    assert similar["can_join"] and similar["join_url"]
    login(cppcc_member).post(similar["join_url"], {"answer": "confirm"})
    assert existing.cosigners.get().status == CoSignerStatus.CONFIRMED


class TestOldItemsAndReaders:
    def test_an_old_single_body_item_is_shown_and_searched(
        self, login, cppcc_member, cppcc_meeting
    ):
        old = services.proposal_create(
            author=cppcc_member, meeting=cppcc_meeting, title=TITLE, body="旧正文：加装电梯补贴"
        )
        assert old.sections == []
        page = login(cppcc_member).get(f"/items/{old.pk}/").content.decode()
        assert "旧正文：加装电梯补贴" in page and "section-label" not in page
        found = search.search(Proposal.objects.all(), "电梯补贴", ("title", "body"))
        assert list(found) == [old]

    def test_search_finds_the_text_of_any_section(self, cppcc_member, cppcc_meeting):
        item = services.proposal_create(
            author=cppcc_member,
            meeting=cppcc_meeting,
            title=TITLE,
            body="",
            sections=stored_sections(
                policy_of(cppcc_meeting), texts(measures=MEASURES + "并联审批")
            ),
        )
        for words in ("审批流程繁琐", "上下楼困难", "一窗受理"):
            assert list(search.search(Proposal.objects.all(), words, ("title", "body"))) == [item]

    def test_the_export_has_the_sections_with_labels(self, login, cppcc_member, cppcc_meeting):
        services.proposal_create(
            author=cppcc_member,
            meeting=cppcc_meeting,
            title=TITLE,
            body="",
            sections=stored_sections(policy_of(cppcc_meeting), texts()),
        )
        client = login(cppcc_member)
        client.post(
            "/items/export/columns/", {"export-columns": ["title", "text"], "export-query": ""}
        )
        response = client.get("/items/export.xlsx")
        header, row = load_workbook(
            io.BytesIO(b"".join(response.streaming_content))
        ).active.iter_rows(values_only=True)
        assert header == ("标题", "正文")
        assert row[1] == f"案由：{SUBJECT}\n理由：{REASON}\n办法：{MEASURES}"

    def test_the_portal_shows_the_sections(
        self, client, cppcc_member, cppcc_supervisor, cppcc_category
    ):
        meeting = MeetingFactory(body="cppcc", term=7, sitting=8, disclosure_working_days=0)
        item = services.proposal_create(
            author=cppcc_member,
            meeting=meeting,
            title=TITLE,
            body="",
            sections=stored_sections(policy_of(meeting), texts(reason=REASON + "联系13805710039")),
        )
        services.proposal_submit(proposal=item, actor=cppcc_member)
        services.proposal_register(proposal=item, actor=cppcc_supervisor, category=cppcc_category)
        handler = office("zj", "测试市住房和城乡建设局", "市住建局")
        services.proposal_assign(proposal=item, actor=cppcc_supervisor, lead_unit=handler.unit)
        services.assignment_accept(
            assignment=item.assignments.get(role="lead"), actor=handler.staff
        )
        reply = send(
            draft_reply(item, handler, body_html="<p>已研究。</p>"), handler, cppcc_supervisor
        )
        page = client.get(f"/public/replies/{reply.pk}/").content.decode()
        assert '<h3 class="section-label">办法</h3>' in page and MEASURES in page
        assert "13805710039" not in page
