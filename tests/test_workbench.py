"""Workbenches: every role's home page lists what waits for that person, most urgent first, each
row one click from the page where they act; navigation badges count it on every page; notices
open the page where the person acts; the inline actions work from the workbench and come back to
it; nothing of a closed or withdrawn item waits for anybody. And the 重新办理 context: earlier
rounds' evaluations stay on the item page, the new round's editor and letter name what came
before."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Notification, User
from proposals import services, workdays
from proposals.models import (
    Assignment,
    AssignmentStatus,
    CoSigner,
    CoSignerStatus,
    Meeting,
    ProposalStatus,
)
from replies import services as reply_services
from replies.letters import render_letter
from replies.models import ReplyStatus

from .factories import UnitFactory, UserFactory
from .pdf_layout import normalise, plain_text
from .workbench_support import (
    World,
    accept,
    accepted,
    ago,
    assigned,
    assigned_at_for_due_in,
    co_assignment,
    co_opinion,
    contact,
    draft_for,
    drafted,
    extension_request,
    follow_up,
    get_page,
    leader_approves,
    messages,
    new_item,
    queue_count,
    queue_rows,
    rate,
    registered,
    return_request,
    send,
    sent,
    sign,
    submit,
    waiting_titles,
    waits,
)
from .workbench_support import badges as nav_badges

pytestmark = pytest.mark.django_db

HOME = "/"


@pytest.fixture
def w(
    member,
    other_member,
    third_member,
    cppcc_member,
    unit,
    unit_staff,
    unit_leader,
    npc_supervisor,
    cppcc_supervisor,
    npc_meeting,
    cppcc_meeting,
    npc_category,
    cppcc_category,
) -> World:
    co_unit = UnitFactory(name="杭州市财政局", short_name="市财政局")
    other_unit = UnitFactory(name="杭州市教育局", short_name="市教育局")
    return World(
        member=member,
        other_member=other_member,
        third_member=third_member,
        cppcc_member=cppcc_member,
        unit=unit,
        staff=unit_staff,
        leader=unit_leader,
        co_unit=co_unit,
        co_staff=UserFactory(
            username="cz_staff", full_name="孙丽", role="unit_staff", unit=co_unit
        ),
        co_leader=UserFactory(
            username="cz_leader", full_name="钱军", role="unit_leader", unit=co_unit
        ),
        other_unit=other_unit,
        other_staff=UserFactory(
            username="jy_staff", full_name="赵敏", role="unit_staff", unit=other_unit
        ),
        other_leader=UserFactory(
            username="jy_leader", full_name="吴刚", role="unit_leader", unit=other_unit
        ),
        npc=npc_supervisor,
        cppcc=cppcc_supervisor,
        both=UserFactory(
            username="both_office",
            full_name="市政府督查室",
            role="supervisor",
            supervisor_scope="all",
        ),
        meeting=npc_meeting,
        cppcc_meeting=cppcc_meeting,
        categories={"npc": npc_category, "cppcc": cppcc_category},
    )


def as_user(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def workbench(user: User, **params):  # type: ignore[no-untyped-def]
    return get_page(as_user(user), HOME, **params)


def titles(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [row.title for row in rows]


def days_left(day) -> str:  # type: ignore[no-untyped-def]
    return f"剩余 {(day - timezone.localdate()).days} 天"


def long_date(day) -> str:  # type: ignore[no-untyped-def]
    return f"{day.year}年{day.month}月{day.day}日"


# --- unit leader ------------------------------------------------------------------------------


class TestUnitLeader:
    def test_drafts_to_sign_opinions_and_requests_wait_each_linking_to_its_page(self, w):
        # Given: two drafts sent to 周建华 for 签发, the one assigned earlier (due sooner) last
        later = submit(w, drafted(w, "关于加强社区养老服务的建议"))
        sooner = submit(w, drafted(w, "关于完善普惠托育服务的建议", at=ago(20)))
        # ... a co-handling opinion of his unit waiting for his approval
        co = co_assignment(w, "关于统筹城乡低保标准的建议")
        co_opinion(w, co, "建议按财政承受能力分步提高标准。")
        # ... and a return and an extension request of his staff
        returned = return_request(w, accepted(w, "关于调整学区划分的建议"))
        extended = extension_request(w, accepted(w, "关于建设区域养老中心的建议"))

        # When: he opens his workbench
        doc = workbench(w.leader)

        # Then: the drafts wait most urgent first, each opening the reply page where 签发 is
        sign_rows = queue_rows(doc, "sign")
        assert titles(sign_rows) == ["关于完善普惠托育服务的建议", "关于加强社区养老服务的建议"]
        assert [row.href for row in sign_rows] == [
            f"/replies/{sooner.pk}/",
            f"/replies/{later.pk}/",
        ]
        assert "李文静" in sign_rows[0].text and "送签" in sign_rows[0].text
        assert "办理期限 " + long_date(sooner.assignment.due_on) in sign_rows[0].text
        # ... the opinion opens the opinion page, where he approves or sends it back
        [opinion_row] = queue_rows(doc, "opinions")
        assert opinion_row.href == f"/items/assignments/{co.pk}/opinion/"
        assert "李文静 起草" in opinion_row.text
        # ... and each request its decision page
        [return_row] = queue_rows(doc, "returns")
        assert return_row.href == f"/items/returns/{returned.pk}/"
        assert "不属于本单位职责。" in return_row.text
        [extension_row] = queue_rows(doc, "extensions")
        assert extension_row.href == f"/items/extensions/{extended.pk}/"
        previous, wanted = extended.previous_due_on, extended.requested_due_on
        assert f"{long_date(previous)} 申请延至 {long_date(wanted)}" in extension_row.text
        assert [queue_count(doc, key) for key in ("sign", "opinions", "returns", "extensions")] == [
            2,
            1,
            1,
            1,
        ]
        # ... and the navigation counts it all: 5 to approve, nothing else waits
        assert nav_badges(doc) == {"工作台": 5}

    def test_the_units_handling_shows_as_counts_opening_the_lists(self, w):
        # Given: two assignments of 杭州市民政局 to sign for, one overdue, nothing to approve
        assigned(w, "关于加强社区养老服务的建议")
        assigned(w, "关于完善普惠托育服务的建议")
        accepted(w, "关于调整学区划分的建议", at=ago(100))

        # When: the leader opens his workbench
        doc = workbench(w.leader)

        # Then: the staff's queues are counted under 本单位办理情况, each opening its list, with no
        # rows and no 签收 button (signing for is the staff's); his badge stays empty
        summary = doc.find("section", id="unit-summary")
        assert summary is not None
        text = summary.text()
        assert "新交办，待签收 2" in text and "已逾期 1" in text
        links = {a.text().strip(): a.attrs["href"] for a in summary.find_all("a")}
        assert links["新交办，待签收"] == "/items/work/?status=assigned"
        assert links["已逾期"] == "/items/work/?overdue=true"
        assert queue_rows(doc, "accept") == []
        assert nav_badges(doc) == {}

    def test_another_units_leader_and_the_staff_see_none_of_it(self, w):
        # Given: a draft and both kinds of request waiting for 杭州市民政局's leader
        submit(w, drafted(w, "关于加强社区养老服务的建议"))
        return_request(w, accepted(w, "关于调整学区划分的建议"))
        extension_request(w, accepted(w, "关于建设区域养老中心的建议"))
        co_opinion(w, co_assignment(w, "关于统筹城乡低保标准的建议"))

        # Then: 杭州市教育局's leader has nothing waiting, neither listed nor counted
        doc = workbench(w.other_leader)
        assert waiting_titles(doc) == []
        assert nav_badges(doc) == {}
        # ... and 杭州市民政局's staff do not approve: no leader queue on their workbench
        doc = workbench(w.staff)
        for key in ("sign", "opinions", "returns", "extensions"):
            assert queue_rows(doc, key) == [], key
        assert "待签发的答复稿" not in doc.text()
        # ... nor does the leader of the lead unit 杭州市财政局 approve 民政局's opinion
        assert queue_rows(workbench(w.co_leader), "opinions") == []


# --- unit staff -------------------------------------------------------------------------------


class TestUnitStaff:
    def test_assignments_to_sign_for_overdue_and_due_soon(self, w):
        # Given: two new assignments, the earlier one due sooner
        later = assigned(w, "关于加强社区养老服务的建议")
        sooner = assigned(w, "关于完善普惠托育服务的建议", at=ago(3))
        # ... one overdue, one due in ten days, one due in forty days (not soon)
        overdue = accepted(w, "关于整治老旧小区停车的建议", at=ago(100))
        soon = accepted(w, "关于增设社区食堂的建议", at=assigned_at_for_due_in(10))
        accepted(w, "关于推进智慧养老的建议", at=assigned_at_for_due_in(40))

        # When: 李文静 opens her workbench
        doc = workbench(w.staff)

        # Then: the new ones wait for 签收, most urgent first, with the button on the row
        rows = queue_rows(doc, "accept")
        assert titles(rows) == ["关于完善普惠托育服务的建议", "关于加强社区养老服务的建议"]
        assert [row.href for row in rows] == [
            f"/items/{sooner.proposal_id}/",
            f"/items/{later.proposal_id}/",
        ]
        assert rows[0].forms == [(f"/items/assignments/{sooner.pk}/accept/", {"next": HOME})]
        assert "主办" in rows[0].text and days_left(sooner.due_on) in rows[0].text
        # ... the overdue one says by how much, the one due soon how long is left
        [late_row] = queue_rows(doc, "overdue")
        assert late_row.title == "关于整治老旧小区停车的建议"
        late_by = (timezone.localdate() - overdue.due_on).days
        assert late_by > 0 and f"已逾期 {late_by} 天" in late_row.text
        [soon_row] = queue_rows(doc, "due_soon")
        assert soon_row.title == "关于增设社区食堂的建议"
        assert soon_row.href == f"/items/{soon.proposal_id}/"
        assert days_left(soon.due_on) in soon_row.text
        # ... and the navigation counts what she must act on (new and overdue, not due soon)
        assert nav_badges(doc) == {"工作台": 3}

        # When: she widens "due within" to 60 days
        doc = workbench(w.staff, days=60)
        # Then: the one due in forty days is listed too
        assert titles(queue_rows(doc, "due_soon")) == [
            "关于增设社区食堂的建议",
            "关于推进智慧养老的建议",
        ]

    def test_drafts_and_opinions_sent_back_disputed_contacts_and_follow_ups(self, w):
        # Given: a draft the leader sent back with his comment
        draft = submit(w, drafted(w, "关于加强社区养老服务的建议"))
        reply_services.reply_send_back(reply=draft, actor=w.leader, comment="请补充近三年的数据。")
        # ... a co-handling opinion he sent back
        co = co_assignment(w, "关于统筹城乡低保标准的建议")
        opinion = co_opinion(w, co)
        services.co_opinion_decide(
            opinion=opinion, actor=w.leader, approve=False, comment="请写明资金来源。"
        )
        # ... a contact record 何红 disputed
        talked = accepted(w, "关于整治老旧小区停车的建议")
        record = contact(w, talked)
        services.contact_record_respond(
            record=record, actor=w.member, confirm=False, comment="没有接到过电话。"
        )
        # ... a B-class reply with no promise recorded, and one whose promise is due in 5 days
        promised = sent(w, "关于增设社区食堂的建议")
        recorded = sent(w, "关于推进智慧养老的建议")
        follow_up(w, recorded, due_in=5, promise="年底前建成智慧养老平台。")

        # When: 李文静 opens her workbench
        doc = workbench(w.staff)

        # Then: the sent-back draft opens the editor with the leader's comment on the row
        [back] = queue_rows(doc, "sent_back")
        assert back.href == f"/replies/{draft.pk}/edit/"
        assert "退回意见：请补充近三年的数据。" in back.text
        # ... the opinion opens the opinion page with the comment
        [opinion_back] = queue_rows(doc, "opinions_back")
        assert opinion_back.href == f"/items/assignments/{co.pk}/opinion/"
        assert "负责人意见：请写明资金来源。" in opinion_back.text
        # ... the dispute says who disputed and why, and opens the contact on the item page
        [disputed] = queue_rows(doc, "disputed")
        assert disputed.href == f"/items/{talked.proposal_id}/#contact-{record.pk}"
        assert "何红：没有接到过电话。" in disputed.text
        # ... the B-class reply without a promise and the promise due soon open the follow-up
        [promise] = queue_rows(doc, "promises")
        assert (promise.title, promise.href) == (
            "关于增设社区食堂的建议",
            f"/replies/{promised.pk}/follow-up/",
        )
        assert promised.document_number in promise.text
        [due] = queue_rows(doc, "follow_ups")
        assert (due.title, due.href) == (
            "关于推进智慧养老的建议",
            f"/replies/{recorded.pk}/follow-up/",
        )
        assert "年底前建成智慧养老平台。" in due.text and "剩余 5 天" in due.text

        # Then: none of it waits for another unit's staff
        doc = workbench(w.other_staff)
        assert waiting_titles(doc) == [] and nav_badges(doc) == {}

    def test_sign_for_from_the_workbench_and_come_back_to_it(self, w):
        # Given: a new assignment on 李文静's workbench
        assignment = assigned(w, "关于加强社区养老服务的建议")
        client = as_user(w.staff)
        [row] = queue_rows(get_page(client), "accept")
        action, fields = row.forms[0]

        # When: she presses 签收 on the row
        response = client.post(action, fields)

        # Then: she is back on the workbench, the assignment is hers and the row is gone
        assert (response.status_code, response["Location"]) == (302, HOME)
        assignment.refresh_from_db()
        assert (assignment.status, assignment.accepted_by) == (AssignmentStatus.ACCEPTED, w.staff)
        doc = get_page(client)
        assert messages(doc) == ["已签收。"]
        assert queue_rows(doc, "accept") == []

    def test_another_unit_cannot_sign_for_it(self, w):
        assignment = assigned(w, "关于加强社区养老服务的建议")
        response = as_user(w.other_staff).post(
            f"/items/assignments/{assignment.pk}/accept/", {"next": HOME}
        )
        assert response.status_code == 404
        assignment.refresh_from_db()
        assert (assignment.status, assignment.accepted_by) == (AssignmentStatus.ASSIGNED, None)

    def test_a_next_to_another_site_is_not_followed(self, w):
        assignment = assigned(w, "关于加强社区养老服务的建议")
        for target in ("https://evil.example/", "//evil.example/"):
            Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.ASSIGNED)
            response = as_user(w.staff).post(
                f"/items/assignments/{assignment.pk}/accept/", {"next": target}
            )
            assert (response.status_code, response["Location"]) == (302, "/items/work/"), target


# --- supervisor -------------------------------------------------------------------------------


class TestSupervisor:
    def test_review_assign_requests_and_replies_in_review(self, w):
        # Given: two items to review (the one submitted earlier first), one to assign
        later = new_item(w, "关于加强社区养老服务的建议")
        earlier = new_item(w, "关于完善普惠托育服务的建议", submitted_at=ago(5))
        to_assign = registered(w, "关于整治老旧小区停车的建议")
        # ... a return and an extension request that 杭州市民政局's leader approved
        returned = return_request(w, accepted(w, "关于调整学区划分的建议"))
        leader_approves(w, returned)
        extended = extension_request(w, accepted(w, "关于建设区域养老中心的建议"))
        leader_approves(w, extended)
        # ... and a reply its leader signed
        in_review = sign(w, submit(w, drafted(w, "关于增设社区食堂的建议", result_class="A")))

        # When: the 人大 office opens its workbench
        doc = workbench(w.npc)

        # Then: each row opens the page where the office acts
        review = queue_rows(doc, "review")
        assert titles(review) == ["关于完善普惠托育服务的建议", "关于加强社区养老服务的建议"]
        assert [row.href for row in review] == [
            f"/items/{earlier.pk}/review/",
            f"/items/{later.pk}/review/",
        ]
        assert [row.href for row in queue_rows(doc, "assign")] == [f"/items/{to_assign.pk}/assign/"]
        [return_row] = queue_rows(doc, "returns")
        assert return_row.href == f"/items/returns/{returned.pk}/"
        assert "市民政局" in return_row.text and "不属于本单位职责。" in return_row.text
        [extension_row] = queue_rows(doc, "extensions")
        assert extension_row.href == f"/items/extensions/{extended.pk}/"
        [review_row] = queue_rows(doc, "reply_review")
        assert review_row.href == f"/replies/{in_review.pk}/"
        assert "市民政局" in review_row.text and "A类" in review_row.text
        # ... and each is counted on its navigation link
        assert nav_badges(doc) == {
            "工作台": 6,
            "立案审查": 2,
            "待交办": 1,
            "退回与延期": 2,
            "答复审核": 1,
        }

    def test_unsatisfied_replies_with_rating_comment_and_unit(self, w):
        # Given: two replies rated 不满意, the one sent earlier (window closing sooner) last made
        later = sent(w, "关于加强社区养老服务的建议", cosigners=(w.other_member,))
        sooner = sent(w, "关于完善普惠托育服务的建议", at=ago(5))
        rate(later, w.member, comment="补贴标准没有回应。")
        rate(later, w.other_member, work="satisfied", result="basically")
        rate(sooner, w.member, work="unsatisfied", result="unsatisfied", comment="没有沟通。")
        # ... and one rated 满意 (nothing to do about it)
        rate(sent(w, "关于增设社区食堂的建议"), w.member, work="satisfied", result="satisfied")

        # When: the office opens its workbench
        rows = queue_rows(workbench(w.npc), "unsatisfied")

        # Then: the two 不满意 replies, closing window first, with each rating and comment
        assert titles(rows) == ["关于完善普惠托育服务的建议", "关于加强社区养老服务的建议"]
        first, second = rows
        assert first.href == f"/items/{sooner.proposal_id}/#evaluations"
        assert "市民政局" in first.text and sooner.document_number in first.text
        assert "何红：办理工作不满意，办理结果不满意。没有沟通。" in first.text
        assert "何红：办理工作基本满意，办理结果不满意。补贴标准没有回应。" in second.text
        assert "王建国：办理工作满意，办理结果基本满意" in second.text
        # ... with 重新办理 of that reply and 办结 on the row, both coming back here
        assert second.forms == [
            (
                f"/replies/items/{later.proposal_id}/rehandle/",
                {"replies": str(later.pk), "next": HOME},
            ),
            (f"/replies/items/{later.proposal_id}/close/", {"next": HOME}),
        ]

    def test_rehandling_from_the_row_opens_a_new_round_for_that_unit(self, w):
        # Given: a reply of 杭州市民政局 rated 不满意
        reply = sent(w, "关于加强社区养老服务的建议")
        rate(reply, w.member, comment="补贴标准没有回应。")
        client = as_user(w.npc)
        [row] = queue_rows(get_page(client), "unsatisfied")
        action, fields = row.forms[0]

        # When: the office orders 重新办理 from the row with an instruction
        response = client.post(action, {**fields, "note": "请就补贴标准作出具体答复。"})

        # Then: back on the workbench, the reply no longer waits there
        assert (response.status_code, response["Location"]) == (302, HOME)
        doc = get_page(client)
        assert messages(doc) == ["已交承办单位重新办理。"]
        assert queue_rows(doc, "unsatisfied") == []
        # ... a second round for 杭州市民政局, due per the meeting's policy (1 month)
        [round_two] = Assignment.objects.filter(proposal_id=reply.proposal_id, round=2)
        due = workdays.add_months(timezone.localdate(), w.meeting.rehandling_months)
        assert (round_two.unit, round_two.role, round_two.status, round_two.due_on) == (
            w.unit,
            "lead",
            AssignmentStatus.ASSIGNED,
            due,
        )
        # ... which waits for 签收 on the unit's workbench, marked as the second round
        [accept_row] = queue_rows(workbench(w.staff), "accept")
        assert accept_row.title == "关于加强社区养老服务的建议"
        assert "重新办理（第2轮）" in accept_row.text and days_left(due) in accept_row.text

    def test_the_other_bodys_office_cannot_order_rehandling(self, w):
        reply = sent(w, "关于加强社区养老服务的建议")
        rate(reply, w.member)
        response = as_user(w.cppcc).post(
            f"/replies/items/{reply.proposal_id}/rehandle/",
            {"replies": reply.pk, "note": "x", "next": HOME},
        )
        assert response.status_code == 404
        assert not Assignment.objects.filter(proposal_id=reply.proposal_id, round=2).exists()

    def test_closing_from_the_row_is_refused_inside_the_evaluation_window(self, w):
        # Given: a joint item's reply rated 不满意 by 何红; the window is still open for 王建国
        reply = sent(w, "关于加强社区养老服务的建议", cosigners=(w.other_member,))
        rate(reply, w.member)
        client = as_user(w.npc)
        [row] = queue_rows(get_page(client), "unsatisfied")
        action, fields = row.forms[1]

        # When: the office tries to close it from the row
        response = client.post(action, {**fields, "reason": "已作说明。"})

        # Then: back on the workbench with the reason in Chinese, and nothing changed
        assert (response.status_code, response["Location"]) == (302, HOME)
        doc = get_page(client)
        ends = reply_services.evaluation_window_ends_on(reply)
        assert messages(doc) == [f"测评期限到{long_date(ends)}才结束，期间不能办结。"]
        reply.proposal.refresh_from_db()
        assert (reply.proposal.status, reply.proposal.closing_note) == (
            ProposalStatus.REPLIED,
            "",
        )
        assert titles(queue_rows(doc, "unsatisfied")) == ["关于加强社区养老服务的建议"]

    def test_items_past_their_window_are_closed_from_the_row(self, w):
        # Given: a reply sent 60 days ago and never rated (the daily job has not closed it yet),
        # and one rated 不满意 whose window passed too
        reply = sent(w, "关于加强社区养老服务的建议", at=ago(60))
        disputed = sent(w, "关于完善普惠托育服务的建议", at=ago(60))
        rate(disputed, w.member, at=ago(59))
        client = as_user(w.npc)
        doc = get_page(client)
        [row] = queue_rows(doc, "window_passed")
        assert row.href == f"/items/{reply.proposal_id}/#evaluations"
        assert "已答复" in row.text
        # the 不满意 one is decided (重新办理 or 办结) from its own queue, not listed twice
        assert titles(queue_rows(doc, "unsatisfied")) == ["关于完善普惠托育服务的建议"]
        action, fields = row.forms[0]
        assert (action, fields) == (f"/replies/items/{reply.proposal_id}/close/", {"next": HOME})

        # When: without a reason, then with one
        client.post(action, {**fields, "reason": " "})
        assert messages(get_page(client)) == ["请写明办结的理由。"]
        response = client.post(action, {**fields, "reason": "已作说明，条件所限。"})

        # Then: the item is closed with the reason and no longer waits for anybody
        assert (response.status_code, response["Location"]) == (302, HOME)
        reply.proposal.refresh_from_db()
        assert (reply.proposal.status, reply.proposal.closing_note) == (
            ProposalStatus.CLOSED,
            "已作说明，条件所限。",
        )
        doc = get_page(client)
        assert messages(doc) == ["已办结。"]
        assert waiting_titles(doc) == ["关于完善普惠托育服务的建议"]

    def test_overdue_assignments_by_unit(self, w):
        # Given: two overdue assignments of 杭州市民政局, one of 杭州市教育局, one not yet due
        accepted(w, "关于加强社区养老服务的建议", at=ago(100))
        accepted(w, "关于完善普惠托育服务的建议", at=ago(95))
        accepted(w, "关于调整学区划分的建议", unit=w.other_unit, at=ago(120))
        accepted(w, "关于增设社区食堂的建议")

        # When / Then: the office sees the units, most overdue first, each opening the list
        rows = queue_rows(workbench(w.npc), "overdue")
        assert [(row.title, row.href) for row in rows] == [
            ("杭州市民政局", f"/items/?unit={w.unit.pk}&overdue=true"),
            ("杭州市教育局", f"/items/?unit={w.other_unit.pk}&overdue=true"),
        ]
        assert "2 项" in rows[0].text
        assert "1 项" in rows[1].text

    def test_each_office_sees_its_own_body_and_both_offices_both(self, w):
        # Given: work of the 人大 (review, reply in review, 不满意) and of the 政协 (review)
        new_item(w, "关于加强社区养老服务的建议")
        sign(w, submit(w, drafted(w, "关于增设社区食堂的建议")))
        rate(sent(w, "关于完善普惠托育服务的建议"), w.member)
        new_item(w, "关于发展数字经济的提案", lead=w.cppcc_member, meeting=w.cppcc_meeting)

        # Then: the 政协 office sees only its own item, in the list and in the badges
        doc = workbench(w.cppcc)
        assert waiting_titles(doc) == ["关于发展数字经济的提案"]
        assert nav_badges(doc) == {"工作台": 1, "立案审查": 1}
        # ... the 人大 office only the 人大's
        doc = workbench(w.npc)
        assert sorted(waiting_titles(doc)) == sorted(
            ["关于加强社区养老服务的建议", "关于增设社区食堂的建议", "关于完善普惠托育服务的建议"]
        )
        # ... and an office of both bodies all of it
        doc = workbench(w.both)
        assert titles(queue_rows(doc, "review")) == [
            "关于加强社区养老服务的建议",
            "关于发展数字经济的提案",
        ]
        assert nav_badges(doc)["工作台"] == 4


# --- member -----------------------------------------------------------------------------------


class TestMember:
    def test_invitations_replies_to_rate_contacts_and_own_items(self, w):
        # Given: 王建国 invites 何红 to co-sign his draft
        draft = new_item(w, "关于加强河道治理的建议", lead=w.other_member, submit=False)
        invitation = services.cosigner_invite(proposal=draft, actor=w.other_member, member=w.member)
        # ... two replies to rate (the one sent earlier first), one she already rated
        later = sent(w, "关于加强社区养老服务的建议")
        sooner = sent(w, "关于完善普惠托育服务的建议", at=ago(5))
        rate(sent(w, "关于增设社区食堂的建议"), w.member, work="satisfied", result="satisfied")
        # ... a contact the unit recorded and she has not confirmed
        talked = accepted(w, "关于整治老旧小区停车的建议")
        record = contact(w, talked)
        # ... and a draft of her own
        new_item(w, "关于推进垃圾分类的建议", submit=False)

        # When: 何红 opens her workbench
        doc = workbench(w.member)

        # Then: the invitation, with 确认联名 and 谢绝 on the row, coming back here
        [invited] = queue_rows(doc, "invitations")
        assert (invited.title, invited.href) == ("关于加强河道治理的建议", f"/items/{draft.pk}/")
        assert "王建国 领衔" in invited.text
        assert invited.forms == [(f"/items/cosigners/{invitation.pk}/respond/", {"next": HOME})]
        # ... the replies to rate, window closing first, with the days left
        rows = queue_rows(doc, "rate")
        assert titles(rows) == ["关于完善普惠托育服务的建议", "关于加强社区养老服务的建议"]
        assert rows[0].href == f"/items/{sooner.proposal_id}/#evaluate-{sooner.pk}"
        assert days_left(sooner.evaluation_until) in rows[0].text
        assert days_left(later.evaluation_until) in rows[1].text
        assert "市民政局" in rows[1].text and later.document_number in rows[1].text
        # ... the contact to confirm, opening it on the item page
        [to_confirm] = queue_rows(doc, "contacts")
        assert to_confirm.href == f"/items/{talked.proposal_id}/#contact-{record.pk}"
        assert "电话" in to_confirm.text
        # ... her draft and her items with their status
        assert titles(queue_rows(doc, "drafts")) == ["关于推进垃圾分类的建议"]
        mine = {row.title: row.text for row in queue_rows(doc, "mine")}
        assert "已答复" in mine["关于加强社区养老服务的建议"]
        assert "已交办" in mine["关于整治老旧小区停车的建议"]
        # ... and the navigation counts 1 invitation + 2 to rate + 1 contact
        assert nav_badges(doc) == {"工作台": 4, "联名邀请": 1}

    def test_only_signers_see_the_work_of_an_item(self, w):
        # Given: a joint item of 何红 and 王建国 with a reply to rate and a contact to confirm
        reply = sent(w, "关于加强社区养老服务的建议", cosigners=(w.other_member,))
        contact(w, accepted(w, "关于整治老旧小区停车的建议", cosigners=(w.other_member,)))
        # ... and 陈敏 invited to an item but not (yet) a signer
        pending = new_item(w, "关于完善普惠托育服务的建议", submit=False)
        services.cosigner_invite(proposal=pending, actor=w.member, member=w.third_member)

        # Then: the co-signer rates and confirms too
        doc = workbench(w.other_member)
        assert titles(queue_rows(doc, "rate")) == ["关于加强社区养老服务的建议"]
        assert titles(queue_rows(doc, "contacts")) == ["关于整治老旧小区停车的建议"]
        # ... once he has rated, the reply no longer waits for him, still for her
        rate(reply, w.other_member, work="satisfied", result="satisfied")
        assert queue_rows(workbench(w.other_member), "rate") == []
        assert titles(queue_rows(workbench(w.member), "rate")) == ["关于加强社区养老服务的建议"]
        # ... and 陈敏 sees only her invitation, no one else's reply or contact
        doc = workbench(w.third_member)
        assert waiting_titles(doc) == ["关于完善普惠托育服务的建议"]
        assert queue_rows(doc, "mine") == []
        assert nav_badges(doc) == {"工作台": 1, "联名邀请": 1}
        # ... and the 政协 member nothing at all
        doc = workbench(w.cppcc_member)
        assert waiting_titles(doc) == [] and nav_badges(doc) == {}

    def test_confirm_an_invitation_from_the_workbench(self, w):
        draft = new_item(w, "关于加强河道治理的建议", lead=w.other_member, submit=False)
        invitation = services.cosigner_invite(proposal=draft, actor=w.other_member, member=w.member)
        client = as_user(w.member)
        [row] = queue_rows(get_page(client), "invitations")
        action, fields = row.forms[0]

        response = client.post(action, {**fields, "answer": "confirm"})

        assert (response.status_code, response["Location"]) == (302, HOME)
        invitation.refresh_from_db()
        assert invitation.status == CoSignerStatus.CONFIRMED
        doc = get_page(client)
        assert messages(doc) == ["已确认联名。"]
        assert queue_rows(doc, "invitations") == []
        assert "联名邀请" not in nav_badges(doc)

    def test_another_member_cannot_answer_the_invitation(self, w):
        draft = new_item(w, "关于加强河道治理的建议", lead=w.other_member, submit=False)
        invitation = services.cosigner_invite(proposal=draft, actor=w.other_member, member=w.member)
        response = as_user(w.third_member).post(
            f"/items/cosigners/{invitation.pk}/respond/", {"answer": "confirm", "next": HOME}
        )
        assert response.status_code == 404
        assert CoSigner.objects.get(pk=invitation.pk).status == CoSignerStatus.INVITED


# --- closed and withdrawn items ---------------------------------------------------------------


class TestEndedItems:
    def test_nothing_of_a_withdrawn_item_waits_for_anyone(self, w):
        # Given: an item with everything in flight: a draft waiting for 签发, an extension and a
        # return request at the leader, a co-handling opinion at the co unit's leader, a contact
        # waiting for 何红, a new co assignment
        title = "关于加强社区养老服务的建议"
        lead = accepted(w, title, co_units=(w.co_unit,))
        submit(w, draft_for(w, lead))
        extension_request(w, lead)
        return_request(w, lead)
        contact(w, lead)
        co = accept(w, Assignment.objects.get(proposal_id=lead.proposal_id, unit=w.co_unit))
        co_opinion(w, co)
        # ... and another whose draft, extension and return wait for the office
        other = "关于完善普惠托育服务的建议"
        second = accepted(w, other)
        sign(w, submit(w, draft_for(w, second)))
        leader_approves(w, extension_request(w, second))
        leader_approves(w, return_request(w, second))
        assert waits(workbench(w.leader), title) and waits(workbench(w.co_leader), title)
        assert waits(workbench(w.npc), other) and waits(workbench(w.member), title)

        # When: 何红 withdraws both
        for assignment in (lead, second):
            services.proposal_withdraw(
                proposal=assignment.proposal, actor=w.member, reason="问题已经解决。"
            )

        # Then: nothing of them waits for anybody, and nobody's badge counts them
        for person in (w.leader, w.staff, w.co_leader, w.co_staff, w.npc, w.member):
            doc = workbench(person)
            assert waiting_titles(doc) == [], person
            assert nav_badges(doc) == {}, person

    def test_nothing_of_a_closed_item_waits_for_anyone(self, w):
        # Given: a B-class reply with a promise due soon, an extension request that waited at
        # the office while the reply went out, and a contact never confirmed
        title = "关于加强社区养老服务的建议"
        assignment = accepted(w, title)
        contact(w, assignment)
        leader_approves(w, extension_request(w, assignment))
        reply = send(w, draft_for(w, assignment))
        follow_up(w, reply, due_in=5, promise="年底前建成10个社区食堂。")
        # ... and a second B reply with no promise recorded yet
        unpromised = sent(w, "关于完善普惠托育服务的建议")
        assert waits(workbench(w.npc), title) and waits(workbench(w.member), title)
        assert waits(workbench(w.staff), title) and waits(
            workbench(w.staff), "关于完善普惠托育服务的建议"
        )

        # When: 何红 rates both 满意 and the items close by themselves
        for each in (reply, unpromised):
            rate(each, w.member, work="satisfied", result="satisfied")
            each.proposal.refresh_from_db()
            assert each.proposal.status == ProposalStatus.CLOSED

        # Then: nothing of them waits for anybody
        for person in (w.leader, w.staff, w.npc, w.member):
            doc = workbench(person)
            assert waiting_titles(doc) == [], person
            assert nav_badges(doc) == {}, person


# --- navigation badges ------------------------------------------------------------------------


class TestBadges:
    def test_badges_show_the_counts_on_every_page(self, w):
        # Given: two assignments for 杭州市民政局 to sign for and a draft sent back
        assigned(w, "关于加强社区养老服务的建议")
        assigned(w, "关于完善普惠托育服务的建议")
        draft = submit(w, drafted(w, "关于增设社区食堂的建议"))
        reply_services.reply_send_back(reply=draft, actor=w.leader, comment="请补充。")
        # ... an item waiting for review and an invitation for 何红
        new_item(w, "关于整治老旧小区停车的建议")
        invited = new_item(w, "关于加强河道治理的建议", lead=w.other_member, submit=False)
        services.cosigner_invite(proposal=invited, actor=w.other_member, member=w.member)
        # ... and a draft waiting for the leader's 签发
        submit(w, drafted(w, "关于增设公共厕所的建议"))

        # Then: on the item list, not the workbench, each person's badges count their work (the
        # leader's: what waits for approval; the staff's handling is theirs)
        assert nav_badges(get_page(as_user(w.staff), "/items/")) == {"工作台": 3}
        assert nav_badges(get_page(as_user(w.leader), "/items/work/")) == {"工作台": 1}
        assert nav_badges(get_page(as_user(w.npc), "/items/")) == {"工作台": 1, "立案审查": 1}
        assert nav_badges(get_page(as_user(w.member), "/items/")) == {"工作台": 1, "联名邀请": 1}
        # ... and people with nothing waiting have no badge
        for person in (w.other_staff, w.cppcc, w.third_member):
            assert nav_badges(get_page(as_user(person), "/items/")) == {}, person


# --- notices open the page where the person acts ----------------------------------------------


def notice_target(user: User, text: str) -> str:
    """Open (as `user`) their one notice containing `text`; where it leads."""
    [notice] = Notification.objects.filter(recipient=user, message__contains=text)
    response = as_user(user).get(f"/notifications/{notice.pk}/")
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    return str(response["Location"])


class TestNotices:
    def test_the_leaders_notices_open_the_action_page(self, w):
        reply = submit(w, drafted(w, "关于加强社区养老服务的建议"))
        co = co_assignment(w, "关于统筹城乡低保标准的建议")
        co_opinion(w, co)
        returned = return_request(w, accepted(w, "关于调整学区划分的建议"))
        extended = extension_request(w, accepted(w, "关于建设区域养老中心的建议"))

        assert notice_target(w.leader, "答复稿待您签发") == f"/replies/{reply.pk}/"
        assert notice_target(w.leader, "会办意见待您审核") == f"/items/assignments/{co.pk}/opinion/"
        assert notice_target(w.leader, "申请退回，待您审核") == f"/items/returns/{returned.pk}/"
        assert notice_target(w.leader, "申请延期，待您审核") == f"/items/extensions/{extended.pk}/"
        # ... and each page lets him act there
        client = as_user(w.leader)
        page = get_page(client, f"/replies/{reply.pk}/")
        assert page.find("form", action=f"/replies/{reply.pk}/sign/") is not None
        page = get_page(client, f"/items/assignments/{co.pk}/opinion/")
        assert page.find("form", action=f"/items/opinions/{co.co_opinion.pk}/decide/") is not None
        for url in (f"/items/returns/{returned.pk}/", f"/items/extensions/{extended.pk}/"):
            main = get_page(client, url).find("main")
            assert main is not None
            buttons = [button.text() for button in main.find_all("button", type="submit")]
            assert buttons == ["确定"], url

    def test_the_supervisors_notices_open_the_decision_page(self, w):
        returned = return_request(w, accepted(w, "关于调整学区划分的建议"))
        leader_approves(w, returned)
        extended = extension_request(w, accepted(w, "关于建设区域养老中心的建议"))
        leader_approves(w, extended)
        reply = sign(w, submit(w, drafted(w, "关于加强社区养老服务的建议")))

        assert notice_target(w.npc, "申请退回，待督办审核") == f"/items/returns/{returned.pk}/"
        assert notice_target(w.npc, "申请延期，待督办审核") == f"/items/extensions/{extended.pk}/"
        assert notice_target(w.npc, "答复已签发，待督办审核") == f"/replies/{reply.pk}/"

    def test_staffs_sent_back_notices_open_the_editor(self, w):
        reply = submit(w, drafted(w, "关于加强社区养老服务的建议"))
        reply_services.reply_send_back(reply=reply, actor=w.leader, comment="请补充数据。")
        co = co_assignment(w, "关于统筹城乡低保标准的建议")
        services.co_opinion_decide(
            opinion=co_opinion(w, co), actor=w.leader, approve=False, comment="请写明来源。"
        )

        assert (
            notice_target(w.staff, "答复被退回修改：请补充数据。") == f"/replies/{reply.pk}/edit/"
        )
        assert (
            notice_target(w.staff, "会办意见被退回修改") == f"/items/assignments/{co.pk}/opinion/"
        )

    def test_nobody_opens_another_persons_notice(self, w):
        submit(w, drafted(w, "关于加强社区养老服务的建议"))
        [notice] = Notification.objects.filter(recipient=w.leader, message__contains="待您签发")
        assert as_user(w.other_leader).get(f"/notifications/{notice.pk}/").status_code == 404
        notice.refresh_from_db()
        assert notice.read_at is None


# --- 重新办理: what the new round keeps in view ---------------------------------------------------

MEMBER_COMMENT = "答复没有回应托育补贴标准。"
CO_SIGNER_COMMENT = "希望加快建设进度。"
INSTRUCTION = "请就补贴标准作出具体答复。"
CO_OPINION = "建议结合财政预算统筹安排托育补贴。"


@pytest.fixture
def rehandled(w):  # type: ignore[no-untyped-def]
    """A joint item (何红 with 王建国) led by 杭州市民政局 with 杭州市财政局 co-handling: the co
    unit's opinion went to the lead, whose reply (dated a day before it was sent) both members
    rated, 何红 不满意; the office ordered 重新办理 with an instruction."""
    lead = accepted(
        w, "关于扩大普惠托育服务供给的建议", cosigners=(w.other_member,), co_units=(w.co_unit,)
    )
    co = accept(w, Assignment.objects.get(proposal_id=lead.proposal_id, unit=w.co_unit))
    services.co_opinion_save(assignment=co, actor=w.co_leader, text=CO_OPINION, submit=True)
    first = draft_for(w, lead, body="<p>第一轮答复正文：已出台托育机构建设补助办法。</p>")
    letter_day = timezone.localdate() - timedelta(days=1)
    first = reply_services.reply_save(
        reply=first, actor=w.staff, version=first.version, signed_on=letter_day
    )
    first = send(w, first)
    rate(first, w.member, comment=MEMBER_COMMENT)
    rate(first, w.other_member, work="satisfied", result="basically", comment=CO_SIGNER_COMMENT)
    reply_services.proposal_rehandle(
        proposal=first.proposal, actor=w.npc, replies=[first], note=INSTRUCTION
    )
    first.refresh_from_db()
    return first


def evaluations_section(client: Client, proposal_id: int):  # type: ignore[no-untyped-def]
    doc = get_page(client, f"/items/{proposal_id}/")
    section = doc.find("section", id="evaluations")
    assert section is not None
    return section


class TestRehandlingContext:
    def test_the_item_page_keeps_round_ones_evaluations_during_the_new_round(self, w, rehandled):
        heading = f"第1轮（已重新办理） · 杭州市民政局 · {rehandled.document_number}"
        # the unit and the office see both members' ratings and comments, marked as round 1
        for person in (w.staff, w.leader, w.npc):
            section = evaluations_section(as_user(person), rehandled.proposal_id)
            [article] = section.find_all("article")
            text = article.text()
            assert text.startswith(heading), person
            assert "何红：办理工作基本满意，办理结果不满意" in text
            assert MEMBER_COMMENT in text
            assert "王建国：办理工作满意，办理结果基本满意" in text and CO_SIGNER_COMMENT in text
            # ... as history: nobody rates it again or changes it now
            assert section.find("form") is None and "修改" not in text, person
        # 何红 sees her own rating and comment, not her co-signer's
        text = evaluations_section(as_user(w.member), rehandled.proposal_id).text()
        assert heading in text and MEMBER_COMMENT in text
        assert "王建国" not in text and CO_SIGNER_COMMENT not in text
        # another unit does not see the item at all
        assert as_user(w.other_staff).get(f"/items/{rehandled.proposal_id}/").status_code == 404

    def test_the_new_rounds_editor_shows_why_and_what_came_before(self, w, rehandled):
        # Given: 杭州市民政局 signs for the second round and starts the reply
        [round_two] = Assignment.objects.filter(proposal_id=rehandled.proposal_id, round=2)
        accept(w, round_two)
        reply = reply_services.reply_start(assignment=round_two, actor=w.staff)

        # When: 李文静 opens the editor
        doc = get_page(as_user(w.staff), f"/replies/{reply.pk}/edit/")

        # Then: the section on the earlier round shows the instruction, both members'
        # ratings and comments, the earlier reply with its 文号 and the earlier co opinion
        section = doc.find("section", id="earlier-rounds")
        assert section is not None
        text = section.text()
        assert text.startswith("重新办理（第2轮）：代表委员的意见")
        assert INSTRUCTION in text and "人大代表工委于" in text
        assert "何红：办理工作基本满意，办理结果不满意" in text and MEMBER_COMMENT in text
        assert CO_SIGNER_COMMENT in text
        assert f"第1轮答复 · {rehandled.document_number} · B类" in text
        assert "第一轮答复正文：已出台托育机构建设补助办法。" in text
        [opinion] = section.find_all("article", cls="opinion")
        assert opinion.text() == f"第1轮 · 杭州市财政局{CO_OPINION}"
        earlier_link = section.find("a", href=f"/replies/{rehandled.pk}/")
        assert earlier_link is not None and earlier_link.text() == rehandled.document_number

        # Then: the draft's title says 重新办理; its opening names the earlier 文号 and its date
        assert reply.title == "杭州市民政局关于市14届人大3次会议萧山1号建议重新办理情况的答复"
        assert reply.opening == (
            "您在市14届人大3次会议上提出的《关于扩大普惠托育服务供给的建议》（萧山1号），"
            f"我单位已于{long_date(rehandled.signed_on)}以{rehandled.document_number}答复。"
            "根据您的意见，经重新办理，现将有关情况答复如下："
        )

    def test_a_first_rounds_editor_has_no_earlier_round(self, w):
        reply = drafted(w, "关于加强社区养老服务的建议")
        doc = get_page(as_user(w.staff), f"/replies/{reply.pk}/edit/")
        assert doc.find("section", id="earlier-rounds") is None
        assert "重新办理" not in reply.title and "收悉" in reply.opening

    def test_the_new_letter_says_rehandling_and_names_the_earlier_reply(
        self, w, rehandled, tmp_path
    ):
        # Given: the second round's reply, signed and sent with its own 文号
        [round_two] = Assignment.objects.filter(proposal_id=rehandled.proposal_id, round=2)
        accept(w, round_two)
        second = send(
            w, draft_for(w, round_two, body="<p>已明确托育补贴标准。</p>", result_class="A")
        )
        assert second.status == ReplyStatus.SENT
        assert second.document_number != rehandled.document_number

        # When: its letter is rendered
        pdf = tmp_path / "letter.pdf"
        pdf.write_bytes(render_letter(second).content)
        text = normalise(plain_text(pdf))

        # Then: it is the 重新办理 reply, names the earlier reply and carries its own number
        assert normalise(second.title) in text
        assert "重新办理情况的答复" in text
        assert (
            normalise(
                f"我单位已于{long_date(rehandled.signed_on)}以{rehandled.document_number}答复"
            )
            in text
        )
        assert second.document_number in text


# --- query counts -----------------------------------------------------------------------------


def fill_every_queue(w: World, tag: str) -> None:
    """One row in every queue of every role (items titled with `tag`)."""
    # member: an invitation, a reply to rate (also a B promise for the unit), a contact to
    # confirm (and one disputed), a draft
    draft = new_item(w, f"{tag}联名草稿", lead=w.other_member, submit=False)
    services.cosigner_invite(proposal=draft, actor=w.other_member, member=w.member)
    sent(w, f"{tag}待测评")
    talked = accepted(w, f"{tag}沟通")
    contact(w, talked)
    disputed = contact(w, talked)
    services.contact_record_respond(record=disputed, actor=w.member, confirm=False, comment="无")
    new_item(w, f"{tag}我的草稿", submit=False)
    # unit leader: a draft to sign, an opinion, a return and an extension request
    submit(w, drafted(w, f"{tag}待签发"))
    co_opinion(w, co_assignment(w, f"{tag}会办"))
    asked = accepted(w, f"{tag}申请")
    return_request(w, asked)
    extension_request(w, asked)
    # unit staff: to sign for, overdue (of two units), due soon, sent back, follow-up due
    assigned(w, f"{tag}待签收")
    accepted(w, f"{tag}逾期", at=ago(100))
    accepted(w, f"{tag}逾期他局", unit=w.other_unit, at=ago(100))
    accepted(w, f"{tag}将到期", at=assigned_at_for_due_in(10))
    back = submit(w, drafted(w, f"{tag}退回"))
    reply_services.reply_send_back(reply=back, actor=w.leader, comment="请补充。")
    opinion = co_opinion(w, co_assignment(w, f"{tag}会办退回"))
    services.co_opinion_decide(opinion=opinion, actor=w.leader, approve=False, comment="改")
    follow_up(w, sent(w, f"{tag}落实"), due_in=5, promise="年底前完成。")
    # supervisor: review, 交办, requests, reply in review, 不满意, window passed
    new_item(w, f"{tag}待审查")
    new_item(w, f"{tag}政协待审查", lead=w.cppcc_member, meeting=w.cppcc_meeting)
    registered(w, f"{tag}待交办")
    registered(w, f"{tag}政协待交办", lead=w.cppcc_member, meeting=w.cppcc_meeting)
    at_office = accepted(w, f"{tag}督办申请")
    leader_approves(w, return_request(w, at_office))
    leader_approves(w, extension_request(w, at_office))
    sign(w, submit(w, drafted(w, f"{tag}待审核")))
    rate(sent(w, f"{tag}不满意"), w.member, comment="不满意")
    rate(sent(w, f"{tag}过期", at=ago(60)), w.member, at=ago(59))
    sent(w, f"{tag}过期未测评", at=ago(60))


def queries_on_workbench(user: User) -> tuple[int, str]:
    client = as_user(user)
    client.get(HOME)  # the session and the per-process caches warmed up
    with CaptureQueriesContext(connection) as captured:
        response = client.get(HOME)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_each_workbench_asks_a_fixed_number_of_queries(w):
    people = {
        "member": w.member,
        "unit staff": w.staff,
        "unit leader": w.leader,
        "supervisor of one body": w.npc,
        "supervisor of both": w.both,
    }
    # Given: one row in every queue
    fill_every_queue(w, "甲")
    few = {name: queries_on_workbench(person) for name, person in people.items()}
    # When: three rows in every queue
    fill_every_queue(w, "乙")
    fill_every_queue(w, "丙")
    many = {name: queries_on_workbench(person) for name, person in people.items()}
    # Then: the pages show three times the rows with the same queries: the session and the
    # user, the counts of every queue in one query, the first rows of each non-empty queue
    # (with the evaluations of the 不满意 replies), unread notices; a member's page also reads
    # the open meetings of their body, a unit's the follow-up classes of the meetings' policies
    for name, (count, html) in many.items():
        assert "丙" in html and count == few[name][0], (name, few[name][0], count)
    # (+3: the page's statements run with parallel workers off: a savepoint, SET LOCAL, release)
    assert {name: count - 3 for name, (count, _html) in many.items()} == {
        "member": 2 + 1 + 5 + 2 + 1,
        "unit staff": 2 + 1 + 1 + 9 + 1,
        "unit leader": 2 + 1 + 1 + 4 + 1,  # the staff's queues as counts only
        "supervisor of one body": 2 + 1 + 8 + 1 + 1,
        "supervisor of both": 2 + 1 + 8 + 1 + 1,
    }


def test_which_classes_wait_for_a_promise_is_the_meetings_policy(w):
    # Given: a locality whose classes are 甲/乙/丙, none followed up, and a 乙 reply sent
    classes: list[dict[str, object]] = [
        {"code": "甲", "label": "甲类", "description": "已解决"},
        {"code": "乙", "label": "乙类", "description": "正在解决"},
        {"code": "丙", "label": "丙类", "description": "暂不能解决"},
    ]
    Meeting.objects.update(result_classes=classes)
    sent(w, "关于加强社区养老服务的建议", result_class="乙")

    # Then: the unit's workbench shows (a policy with no follow-up class matches no reply) and
    # nothing waits for a promise
    doc = workbench(w.staff)
    assert queue_rows(doc, "promises") == []
    heading = doc.find("h2", id="queues-empty")
    assert heading is not None and heading.parent is not None
    assert "B类答复待登记落实承诺" in heading.parent.text()  # named among the empty queues

    # When: the policy has 乙 followed up
    classes[1]["follow_up"] = True
    Meeting.objects.update(result_classes=classes)

    # Then: the 乙 reply waits for its promise
    assert titles(queue_rows(workbench(w.staff), "promises")) == ["关于加强社区养老服务的建议"]
