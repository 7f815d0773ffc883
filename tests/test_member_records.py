"""履职档案 (member_records): the counts equal counts taken independently from the database, a
member sees only their own record, a supervisor every member of their bodies (filters,
pagination, the audited Excel export), nobody else any, and the pages take a constant number of
queries."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from audit.models import AuditRecord
from member_records import records
from proposals import services
from proposals.models import ContactRecord, CoSigner, Meeting, Proposal
from replies import services as reply_services
from replies.models import Evaluation, Reply

from .factories import MeetingFactory, MemberFactory
from .test_evaluation import SATISFIED, UNSATISFIED, reply_round

ITEM_LED = "关于扩大普惠托育服务供给的建议"
ITEM_OLDER = "关于完善城市慢行交通系统建设的建议"
ITEM_OTHERS = "关于加快推进老旧小区加装电梯工作的建议"
ITEM_DRAFT = "关于引导社会组织参与未成年人保护的建议"
ITEM_CPPCC = "关于加强非物质文化遗产保护的提案"


def _item(author: User, meeting: Meeting, title: str, category: Any, *cosigners: User) -> Proposal:
    item = services.proposal_create(
        author=author, meeting=meeting, title=title, body="x", category=category
    )
    for cosigner in cosigners:
        invitation = services.cosigner_invite(proposal=item, actor=author, member=cosigner)
        services.cosigner_respond(cosigner=invitation, actor=cosigner, accept=True)
    return item


@pytest.fixture
def history(
    member,
    other_member,
    third_member,
    cppcc_member,
    npc_supervisor,
    cppcc_supervisor,
    npc_meeting,
    cppcc_meeting,
    npc_category,
    cppcc_category,
    unit,
    unit_staff,
    unit_leader,
) -> dict[str, Any]:
    """何红 (萧山) leads a joint item with 王建国 (上城) that was registered, assigned,
    contacted (one contact confirmed by 王建国, one disputed by 何红), answered (B) and rated by
    both; she also leads an item of last year's meeting, only submitted, and keeps a draft.
    王建国 leads an item co-signed by 陈敏 that 何红 declined. 刘安泽 (政协) leads a proposal."""
    npc_meeting.supervisor_review_required = False
    npc_meeting.save()
    older = MeetingFactory(body="npc", term=14, sitting=2, year=2025)
    third_member.member_profile.sector = "经济界"
    third_member.member_profile.save()

    led = _item(member, npc_meeting, ITEM_LED, npc_category, other_member)
    services.proposal_submit(proposal=led, actor=member)
    services.proposal_register(proposal=led, actor=npc_supervisor)
    services.proposal_assign(proposal=led, actor=npc_supervisor, lead_unit=unit)
    assignment = led.assignments.get()
    services.assignment_accept(assignment=assignment, actor=unit_staff)
    for notes, who, confirm in (("电话", other_member, True), ("面商", member, False)):
        contact = services.contact_record_create(
            assignment=assignment,
            actor=unit_staff,
            method="phone" if confirm else "meeting",
            contacted_on=timezone.localdate(),
            participants="何红",
            notes=notes,
        )
        services.contact_record_respond(
            record=contact, actor=who, confirm=confirm, comment="" if confirm else "没有见面"
        )
    reply_round(led, unit_staff, unit_leader, result_class="B")
    reply = Reply.objects.get(proposal=led, status="sent")
    reply_services.evaluation_submit(reply=reply, actor=member, **UNSATISFIED)
    reply_services.evaluation_submit(reply=reply, actor=other_member, **SATISFIED)

    older_item = _item(member, older, ITEM_OLDER, npc_category)
    services.proposal_submit(proposal=older_item, actor=member)
    _item(member, npc_meeting, ITEM_DRAFT, npc_category)

    others = _item(other_member, npc_meeting, ITEM_OTHERS, npc_category, third_member)
    declined = services.cosigner_invite(proposal=others, actor=other_member, member=member)
    services.cosigner_respond(cosigner=declined, actor=member, accept=False)
    services.proposal_submit(proposal=others, actor=other_member)

    cppcc_item = _item(cppcc_member, cppcc_meeting, ITEM_CPPCC, cppcc_category)
    services.proposal_submit(proposal=cppcc_item, actor=cppcc_member)
    return {"older": older, "led": led, "others": others}


# --- the counts --------------------------------------------------------------------------------


def independent_counts(member: User, meeting: Meeting | None, year: int | None) -> dict[str, int]:
    """The same counts, taken another way: item ids in Python, one model at a time."""

    def in_scope(item: Proposal) -> bool:
        return (meeting is None or item.meeting_id == meeting.pk) and (
            year is None or item.meeting.year == year
        )

    submitted = [
        p for p in Proposal.objects.select_related("meeting") if p.status != "draft" and in_scope(p)
    ]
    led = {p.pk for p in submitted if p.lead_id == member.pk}
    cosigned = {
        c.proposal_id
        for c in CoSigner.objects.filter(member=member, status="confirmed")
        if c.proposal_id in {p.pk for p in submitted}
    }
    signed = led | cosigned
    scoped = {p.pk for p in Proposal.objects.select_related("meeting") if in_scope(p)}
    contacts = [
        c
        for c in ContactRecord.objects.select_related("assignment")
        if c.responded_by_id == member.pk and c.assignment.proposal_id in scoped
    ]
    return {
        "led": len(led),
        "cosigned": len(cosigned),
        "registered": sum(1 for p in submitted if p.pk in led and p.number is not None),
        "replies_received": sum(
            1 for r in Reply.objects.all() if r.status == "sent" and r.proposal_id in signed
        ),
        "evaluations_given": sum(
            1
            for e in Evaluation.objects.select_related("reply")
            if e.evaluator_id == member.pk and e.reply.proposal_id in scoped
        ),
        "contacts_confirmed": sum(1 for c in contacts if c.response == "confirmed"),
        "contacts_disputed": sum(1 for c in contacts if c.response == "disputed"),
    }


def annotated(member: User, scope: records.Scope) -> dict[str, int]:
    row = records.with_counts(User.objects.filter(pk=member.pk), scope).get()
    return {name: getattr(row, name) for name in records.COUNTS}


@pytest.mark.django_db
def test_counts_equal_independent_counts(
    history, member, other_member, third_member, cppcc_member, npc_meeting
) -> None:
    scopes = [
        records.Scope(),
        records.Scope(meeting=npc_meeting),
        records.Scope(meeting=history["older"]),
        records.Scope(year=2025),
        records.Scope(year=2026),
        records.Scope(meeting=npc_meeting, year=2026),
    ]
    for person in (member, other_member, third_member, cppcc_member):
        for scope in scopes:
            assert annotated(person, scope) == independent_counts(
                person, scope.meeting, scope.year
            ), (person, scope)
    # and the numbers are the story's, not zeros everywhere
    assert annotated(member, records.Scope()) == {
        "led": 2,
        "cosigned": 0,
        "registered": 1,
        "replies_received": 1,
        "evaluations_given": 1,
        "contacts_confirmed": 0,
        "contacts_disputed": 1,
    }
    assert annotated(other_member, records.Scope()) == {
        "led": 1,
        "cosigned": 1,
        "registered": 0,
        "replies_received": 1,
        "evaluations_given": 1,
        "contacts_confirmed": 1,
        "contacts_disputed": 0,
    }
    assert annotated(third_member, records.Scope())["cosigned"] == 1


@pytest.mark.django_db
def test_the_table_per_meeting_adds_up(history, member, npc_meeting) -> None:
    rows = records.meeting_rows(member, Meeting.objects.filter(body="npc"), records.Scope())
    assert [row.meeting for row in rows] == [npc_meeting, history["older"], None]
    for row in rows[:-1]:
        assert row.meeting is not None
        assert row.counts == independent_counts(member, row.meeting, None)
    assert rows[-1].counts == annotated(member, records.Scope())
    only_older = records.meeting_rows(
        member, Meeting.objects.filter(body="npc"), records.Scope(year=2025)
    )
    assert [row.meeting for row in only_older] == [history["older"], None]


# --- a member's own record -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_member_sees_their_own_record(login, history, member) -> None:
    client = login(member)
    page = client.get(reverse("member_records:me")).content.decode()
    assert ITEM_LED in page and ITEM_OLDER in page
    assert ITEM_DRAFT not in page  # a draft is not part of the record
    assert ITEM_OTHERS not in page  # declined: not hers
    assert "B类" in page  # the reply's result class
    assert "有异议" in page and "不满意" in page  # her dispute and her rating
    assert history["led"].lead.member_profile.phone not in page  # no private details shown
    assert client.get(reverse("member_records:record", args=[member.pk])).status_code == 200
    assert client.get(reverse("member_records:list")).url == reverse("member_records:me")


@pytest.mark.django_db
def test_the_record_filters_by_year_and_meeting(login, history, member, npc_meeting) -> None:
    client = login(member)
    page = client.get(reverse("member_records:me"), {"year": "2025"}).content.decode()
    assert ITEM_OLDER in page and ITEM_LED not in page
    page = client.get(reverse("member_records:me"), {"meeting": npc_meeting.pk}).content.decode()
    assert ITEM_LED in page and ITEM_OLDER not in page
    # a meeting of another year: a message, not a 500, and every meeting shown
    response = client.get(reverse("member_records:me"), {"meeting": npc_meeting.pk, "year": 2025})
    assert response.status_code == 200
    assert "所选会议不属于所选年度" in response.content.decode()
    assert client.get(reverse("member_records:me"), {"year": "abc"}).status_code == 200


@pytest.mark.django_db
def test_another_members_record_is_never_reachable(
    login, history, member, other_member, cppcc_member, third_member
) -> None:
    client = login(member)
    for someone in (other_member, cppcc_member, third_member):
        response = client.get(reverse("member_records:record", args=[someone.pk]))
        assert response.status_code == 404
        assert someone.full_name not in response.content.decode()
    assert client.get(reverse("member_records:record", args=[999999])).status_code == 404
    assert client.get(reverse("member_records:export")).status_code == 403
    # the co-signer sees the joint item in their own record, never the lead's other items
    page = login(other_member).get(reverse("member_records:me")).content.decode()
    assert ITEM_LED in page and ITEM_OTHERS in page and ITEM_OLDER not in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["unit_staff", "unit_leader", "administrator"])
def test_units_and_administrators_have_no_access(request, history, member, role) -> None:
    client = Client()
    client.force_login(request.getfixturevalue(role))
    for url in (
        reverse("member_records:list"),
        reverse("member_records:me"),
        reverse("member_records:record", args=[member.pk]),
        reverse("member_records:export"),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.django_db
def test_anonymous_visitors_log_in_first(client, history, member) -> None:
    response = client.get(reverse("member_records:record", args=[member.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- the supervisors' list ---------------------------------------------------------------------


def names(response: Any) -> list[str]:
    return [str(row) for row in response.context["page"].object_list]


@pytest.mark.django_db
def test_a_supervisor_sees_every_member_of_their_body(
    login,
    history,
    member,
    other_member,
    third_member,
    cppcc_member,
    npc_supervisor,
    cppcc_supervisor,
) -> None:
    client = login(npc_supervisor)
    response = client.get(reverse("member_records:list"))
    assert set(names(response)) == {"何红", "王建国", "陈敏"}
    he = next(m for m in response.context["page"].object_list if m.pk == member.pk)
    assert he.led == 2 and he.contacts_disputed == 1
    assert reverse("member_records:record", args=[member.pk]) in response.content.decode()
    page = client.get(reverse("member_records:record", args=[member.pk])).content.decode()
    assert ITEM_LED in page and "何红的履职档案" in page
    assert client.get(reverse("member_records:record", args=[cppcc_member.pk])).status_code == 404
    other = login(cppcc_supervisor)
    assert names(other.get(reverse("member_records:list"))) == ["刘安泽"]
    assert other.get(reverse("member_records:record", args=[member.pk])).status_code == 404


@pytest.mark.django_db
def test_the_list_filters(login, history, npc_supervisor, npc_meeting) -> None:
    client = login(npc_supervisor)
    url = reverse("member_records:list")
    assert names(client.get(url, {"delegation": "上城代表团"})) == ["王建国"]
    assert set(names(client.get(url, {"delegation": "萧山代表团"}))) == {"何红", "陈敏"}
    assert names(client.get(url, {"sector": "经济界"})) == ["陈敏"]
    assert names(client.get(url, {"q": "建国"})) == ["王建国"]
    assert names(client.get(url, {"q": "hehong"})) == ["何红"]
    # the scope narrows the counts, not the members
    rows = client.get(url, {"year": "2025"}).context["page"].object_list
    assert {m.full_name: m.led for m in rows} == {"何红": 1, "王建国": 0, "陈敏": 0}
    rows = client.get(url, {"meeting": npc_meeting.pk}).context["page"].object_list
    assert {m.full_name: m.led for m in rows} == {"何红": 1, "王建国": 1, "陈敏": 0}
    # an unknown delegation or a body not supervised: the form says so, no 500, nobody hidden
    response = client.get(url, {"delegation": "不存在代表团"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.get(url, {"meeting": "x", "year": "1999"})
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_list_is_paginated(login, history, npc_supervisor) -> None:
    for n in range(25):
        MemberFactory(username=f"deputy{n:02d}", full_name=f"代表{n:02d}")
    client = login(npc_supervisor)
    url = reverse("member_records:list")
    first = client.get(url)
    assert len(first.context["page"].object_list) == 20
    assert first.context["page"].paginator.count == 28
    second = client.get(url, {"page": 2})
    assert len(second.context["page"].object_list) == 8
    assert not set(names(first)) & set(names(second))


# --- the export -----------------------------------------------------------------------------


def sheet_rows(response: Any) -> list[tuple[Any, ...]]:
    content = b"".join(response.streaming_content)
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


@pytest.mark.django_db
def test_the_export_has_every_filtered_member_and_is_audited(
    login, history, member, other_member, npc_supervisor
) -> None:
    client = login(npc_supervisor)
    response = client.get(reverse("member_records:export"), {"delegation": "萧山代表团"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "no-store" in response["Cache-Control"]
    rows = sheet_rows(response)
    assert rows[0] == (
        "姓名", "用户名", "所属", "代表团", "界别",
        "领衔", "联名", "领衔立案", "收到答复", "测评", "确认沟通", "异议沟通",
    )  # fmt: skip
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {"何红", "陈敏"}
    counts = independent_counts(member, None, None)
    assert by_name["何红"][:5] == ("何红", "hehong", "人大", "萧山代表团", None)
    assert list(by_name["何红"][5:]) == [counts[name] for name in records.COUNTS]
    assert by_name["陈敏"][4] == "经济界"
    # members' phones and addresses are never exported
    text = repr(rows)
    assert member.member_profile.phone not in text
    record = AuditRecord.objects.get(action="export.member_records")
    assert record.actor == npc_supervisor
    assert record.detail["rows"] == 2
    assert "delegation" in record.detail["query"]

    # every page of the list, not only the first; the scope narrows the counts
    for n in range(25):
        MemberFactory(username=f"deputy{n:02d}", full_name=f"代表{n:02d}")
    rows = sheet_rows(client.get(reverse("member_records:export"), {"year": "2025"}))
    assert len(rows) == 1 + 28
    assert {row[0]: row[5] for row in rows[1:]}["何红"] == 1
    # filters in error: back to the list with the message, no file
    bad = client.get(reverse("member_records:export"), {"delegation": "不存在代表团"})
    assert bad.status_code == 302 and bad.url.startswith(reverse("member_records:list"))


# --- queries --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pages_take_a_constant_number_of_queries(
    login, history, member, npc_supervisor, npc_meeting, npc_category,
    django_assert_max_num_queries,
) -> None:  # fmt: skip
    for n in range(20):
        deputy = MemberFactory(username=f"deputy{n:02d}", full_name=f"代表{n:02d}")
        item = _item(deputy, npc_meeting, f"关于第{n}件事项的建议", npc_category, member)
        services.proposal_submit(proposal=item, actor=deputy)
    supervisor = login(npc_supervisor)
    with django_assert_max_num_queries(12):
        response = supervisor.get(reverse("member_records:list"))
    assert len(response.context["page"].object_list) == 20
    with django_assert_max_num_queries(12):
        supervisor.get(reverse("member_records:export"))
    own = login(member)
    with django_assert_max_num_queries(16):
        response = own.get(reverse("member_records:me"))
    assert len(response.context["items"]) == 22
