"""Event notes reach only the people who may read them (proposals/event_visibility.py).

One item goes through every step whose event carries an internal note (退回 and 延期 requests
with the leader's and the office's decisions, a co-handling opinion sent back, a reply sent back
by its unit's leader and by the office, 督办审核 with a changed class, two signers' ratings and a
revision). Then, for each person related to the item, each note must be in the item page, the
notices, the e-mails and the export where that person may read it, and nowhere where not."""

from __future__ import annotations

import importlib
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Notification, User
from accounts.tasks import send_notification_emails
from proposals import services
from proposals.event_visibility import (
    RESTRICTED,
    NoteReaders,
    event_records,
    may_read_note,
    viewer_of,
)
from proposals.models import CoOpinion, EventAction, ProposalEvent
from replies import services as reply_services

from .factories import UnitFactory, UserFactory

DAY = timedelta(days=1)

ROLES = ("lead_member", "cosigner", "lead_unit", "co_unit", "supervisor", "administrator")

# each note (or the part of it that is secret) → the roles that may read it
READERS: dict[str, set[str]] = {
    # 退回 asked by the co-handling unit (团市委): that unit and the office
    "本单位职能不涉及托育服务": {"co_unit", "supervisor"},
    "请先会同主办单位研究": {"co_unit", "supervisor"},
    "再次申请：确无相关职能": {"co_unit", "supervisor"},
    "同意报督办机构调整": {"co_unit", "supervisor"},
    "会办单位职能相关，不同意退回": {"co_unit", "supervisor"},
    # 延期 asked by the lead unit (市民政局): that unit and the office
    "需要实地调研三个街道": {"lead_unit", "supervisor"},
    "调研可以压缩时间完成": {"lead_unit", "supervisor"},
    "财政预算尚未批复": {"lead_unit", "supervisor"},
    "同意报督办机构延期": {"lead_unit", "supervisor"},
    "预算批复不影响答复": {"lead_unit", "supervisor"},
    "须征求区县意见": {"lead_unit", "supervisor"},
    "请于新期限内答复不再延期": {"lead_unit", "supervisor"},
    # a co-handling opinion sent back by that unit's leader: that unit only
    "会办意见请补充托位数据": {"co_unit"},
    # the reply sent back by its unit's leader: that unit only
    "答复稿请补充资金安排": {"lead_unit"},
    # the reply sent back in 督办审核, and the review's comment: the unit and the office
    "答复未回应代表关切": {"lead_unit", "supervisor"},
    "按实际落实情况调整为B类": {"lead_unit", "supervisor"},
    # ratings: the member who gave them, the rated unit, the office, the administrator
    "办理工作满意，办理结果基本满意": {"lead_member", "lead_unit", "supervisor", "administrator"},
    "办理工作基本满意，办理结果不满意": {"cosigner", "lead_unit", "supervisor", "administrator"},
    "纸质测评表誊录有误": {"cosigner", "lead_unit", "supervisor", "administrator"},
}


@pytest.fixture
def story(
    member,
    other_member,
    npc_meeting,
    npc_category,
    npc_supervisor,
    administrator,
    unit,
    unit_staff,
    unit_leader,
) -> dict[str, Any]:
    """关于扩大普惠托育服务供给的建议 of 何红 with 王建国, 主办 市民政局, 会办 团市委, through every
    step with an internal note; the reply was sent 60 days ago (so it is on the public portal)."""
    co_unit = UnitFactory(name="共青团杭州市委员会", short_name="团市委")
    co_staff = UserFactory(
        username="tsw_staff", full_name="赵晓燕", role="unit_staff", unit=co_unit
    )
    co_leader = UserFactory(
        username="tsw_leader", full_name="郑国栋", role="unit_leader", unit=co_unit
    )
    people = {
        "lead_member": member,
        "cosigner": other_member,
        "lead_unit": unit_staff,
        "co_unit": co_staff,
        "supervisor": npc_supervisor,
        "administrator": administrator,
    }
    for person in [*people.values(), unit_leader, co_leader]:
        User.objects.filter(pk=person.pk).update(email=f"{person.username}@example.gov.cn")
        person.refresh_from_db()
    npc_meeting.supervisor_review_required = True
    npc_meeting.contact_requirement = "none"
    npc_meeting.save()
    now = timezone.now()
    assigned_at, sent_at = now - 100 * DAY, now - 60 * DAY
    assigned_on = timezone.localdate(assigned_at)

    item = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于扩大普惠托育服务供给的建议",
        body="建议正文。",
        category=npc_category,
    )
    invitation = services.cosigner_invite(proposal=item, actor=member, member=other_member)
    services.cosigner_respond(cosigner=invitation, actor=other_member, accept=True)
    services.proposal_submit(proposal=item, actor=member)
    services.proposal_register(proposal=item, actor=npc_supervisor)
    services.proposal_assign(
        proposal=item, actor=npc_supervisor, lead_unit=unit, co_units=[co_unit], now=assigned_at
    )
    lead = item.assignments.get(role="lead")
    co = item.assignments.get(role="co")
    services.assignment_accept(assignment=lead, actor=unit_staff, now=assigned_at)
    services.assignment_accept(assignment=co, actor=co_staff, now=assigned_at)

    # 退回 by the co-handling unit: refused by its leader; asked again, refused by the office
    first = services.return_request_create(
        assignment=co, actor=co_staff, reason="本单位职能不涉及托育服务", today=assigned_on
    )
    services.return_request_leader_decide(
        request=first, actor=co_leader, approve=False, note="请先会同主办单位研究"
    )
    second = services.return_request_create(
        assignment=co, actor=co_staff, reason="再次申请：确无相关职能", today=assigned_on
    )
    services.return_request_leader_decide(
        request=second, actor=co_leader, approve=True, note="同意报督办机构调整"
    )
    services.return_request_supervisor_decide(
        request=second, actor=npc_supervisor, approve=False, note="会办单位职能相关，不同意退回"
    )

    # 延期 by the lead unit: refused by its leader, refused by the office, then granted
    def ask(reason: str, days: int) -> Any:
        lead.refresh_from_db()
        return services.extension_request_create(
            assignment=lead,
            actor=unit_staff,
            reason=reason,
            requested_due_on=lead.due_on + days * DAY,
        )

    refused = ask("需要实地调研三个街道", 5)
    services.extension_request_leader_decide(
        request=refused, actor=unit_leader, approve=False, note="调研可以压缩时间完成"
    )
    refused = ask("财政预算尚未批复", 5)
    services.extension_request_leader_decide(
        request=refused, actor=unit_leader, approve=True, note="同意报督办机构延期"
    )
    services.extension_request_supervisor_decide(
        request=refused, actor=npc_supervisor, approve=False, note="预算批复不影响答复"
    )
    granted = ask("须征求区县意见", 5)
    services.extension_request_leader_decide(request=granted, actor=unit_leader, approve=True)
    services.extension_request_supervisor_decide(
        request=granted, actor=npc_supervisor, approve=True, note="请于新期限内答复不再延期"
    )

    # the co-handling opinion, sent back once by the co-handling unit's leader
    services.co_opinion_save(assignment=co, actor=co_staff, text="会办意见正文。", submit=True)
    services.co_opinion_decide(
        opinion=CoOpinion.objects.get(assignment=co),
        actor=co_leader,
        approve=False,
        comment="会办意见请补充托位数据",
    )
    services.co_opinion_save(assignment=co, actor=co_staff, text="会办意见修改稿。", submit=True)
    services.co_opinion_decide(
        opinion=CoOpinion.objects.get(assignment=co), actor=co_leader, approve=True
    )

    # the reply: sent back by the unit's leader, then by the office, approved as B类
    lead.refresh_from_db()
    reply = reply_services.reply_start(assignment=lead, actor=unit_staff)
    reply = reply_services.reply_save(
        reply=reply, actor=unit_staff, version=reply.version, body_html="答复正文", result_class="A"
    )
    reply_services.reply_submit(reply=reply, actor=unit_staff)
    reply_services.reply_send_back(reply=reply, actor=unit_leader, comment="答复稿请补充资金安排")
    reply_services.reply_submit(reply=reply, actor=unit_staff)
    reply_services.reply_sign(reply=reply, actor=unit_leader, now=sent_at)
    reply_services.reply_send_back(reply=reply, actor=npc_supervisor, comment="答复未回应代表关切")
    reply_services.reply_submit(reply=reply, actor=unit_staff)
    reply_services.reply_sign(reply=reply, actor=unit_leader, now=sent_at)
    reply = reply_services.reply_approve(
        reply=reply,
        actor=npc_supervisor,
        result_class="B",
        comment="按实际落实情况调整为B类",
        now=sent_at,
    )

    # ratings: 何红 in the system, 王建国 on paper, then revised by the office
    reply_services.evaluation_submit(
        reply=reply,
        actor=member,
        work_rating="satisfied",
        result_rating="basically",
        contacted=True,
        face_to_face=False,
        now=sent_at + DAY,
    )
    paper = reply_services.evaluation_enter_paper(
        reply=reply,
        actor=npc_supervisor,
        evaluator=other_member,
        work_rating="basically",
        result_rating="unsatisfied",
        contacted=True,
        face_to_face=False,
        now=sent_at + DAY,
    )
    reply_services.evaluation_revise(
        evaluation=paper,
        actor=npc_supervisor,
        reason="纸质测评表誊录有误",
        work_rating="unsatisfied",
        result_rating="unsatisfied",
    )
    item.refresh_from_db()
    reply.refresh_from_db()
    return {"item": item, "reply": reply, "people": people}


def item_page(client: Client, user: User, item: Any) -> str:
    client.force_login(user)
    response = client.get(f"/items/{item.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def timeline_of(page: str) -> str:
    match = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert match, "the item page has a timeline"
    return match.group(1)


def export_text(client: Client, url: str) -> str:
    response: Any = client.get(url)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


@pytest.mark.django_db
def test_every_restricted_kind_is_in_the_story(story: dict[str, Any]) -> None:
    """The table below covers every kind whose note is restricted: each one happened."""
    happened = set(
        ProposalEvent.objects.filter(proposal=story["item"]).values_list("action", flat=True)
    )
    assert set(RESTRICTED) <= happened


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_note_reaches_only_who_may_read_it(
    client: Client, story: dict[str, Any], role: str
) -> None:
    person: User = story["people"][role]
    item = story["item"]
    page = item_page(client, person, item)
    timeline = timeline_of(page)
    notices = "\n".join(
        Notification.objects.filter(recipient=person).values_list("message", flat=True)
    )
    mail.outbox.clear()
    send_notification_emails(list(Notification.objects.values_list("pk", flat=True)))
    emails = "\n".join(
        f"{message.subject}\n{message.body}"
        for message in mail.outbox
        if person.email in message.to
    )
    exported = export_text(client, "/items/export.xlsx")
    if person.is_unit_user:
        exported += export_text(client, "/items/work/export.xlsx")
    for note, readers in READERS.items():
        if role in readers:
            assert note in timeline, f"{role} should read “{note}” in the timeline"
        else:
            assert note not in page, f"{role} must not read “{note}” on the item page"
            assert note not in notices, f"{role} must not read “{note}” in a notice"
            assert note not in emails, f"{role} must not read “{note}” in an e-mail"
        # the export carries no event note at all
        assert note not in exported, f"“{note}” must not be in {role}'s export"
    # the timeline still shows every step, without the note where it is hidden
    for label in ("申请退回", "不同意延期", "会办意见退回修改", "答复退回修改", "满意度测评"):
        assert label in timeline
    if role != "administrator":  # nobody tells the administrator about an item's steps
        assert notices and emails, "the role was told about some step"


@pytest.mark.django_db
def test_the_unit_and_the_office_are_told_the_reason_the_member_is_not(
    story: dict[str, Any],
) -> None:
    """A notice quoting a note goes with the note to who may read it: the ratings to the rated
    unit and the office; the leader's send-back comment to the co-handling unit's drafter."""
    people = story["people"]

    def told(role: str) -> str:
        return "\n".join(
            Notification.objects.filter(recipient=people[role]).values_list("message", flat=True)
        )

    assert "办理工作满意，办理结果基本满意" in told("lead_unit")
    assert "办理工作满意，办理结果基本满意" in told("supervisor")
    assert "会办意见请补充托位数据" in told("co_unit")
    assert "会办单位职能相关，不同意退回" in told("co_unit")
    assert "预算批复不影响答复" in told("lead_unit")


@pytest.mark.django_db
def test_the_public_portal_shows_no_event_note(client: Client, story: dict[str, Any]) -> None:
    reply = story["reply"]
    assert reply.publish_on is not None and reply.publish_on <= timezone.localdate()
    pages = [client.get("/public/"), client.get(f"/public/replies/{reply.pk}/")]
    assert pages[1].status_code == 200
    assert story["item"].title in pages[1].content.decode()
    for response in pages:
        text = response.content.decode()
        for note in READERS:
            assert note not in text
    # and the item page itself is not for the public
    assert client.get(f"/items/{story['item'].pk}/").status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_api_records_say_what_the_timeline_says(story: dict[str, Any], role: str) -> None:
    records = event_records(story["people"][role], story["item"])
    notes = "\n".join(record["note"] for record in records)
    for note, readers in READERS.items():
        assert (note in notes) == (role in readers), (role, note)
    actions = {record["action"] for record in records}
    assert set(RESTRICTED) <= actions


@pytest.mark.django_db
def test_a_note_of_an_older_event_without_its_unit_goes_to_the_office_only(
    story: dict[str, Any],
) -> None:
    """Events written before the unit was recorded: the unit it concerned is unknown, so a
    restricted note is read by the office (and, for ratings, the administrator) only."""
    item, people = story["item"], story["people"]
    old_request = ProposalEvent.objects.create(
        proposal=item, action=EventAction.RETURN_REQUESTED, note="团市委：旧的退回理由"
    )
    old_rating = ProposalEvent.objects.create(
        proposal=item, action=EventAction.EVALUATED, note="市民政局：旧的测评"
    )
    all_rated = ProposalEvent.objects.create(
        proposal=item,
        action=EventAction.EVALUATED,
        to_status="evaluated",
        note="全部答复均已测评",
    )
    readers = {
        role
        for role in ROLES
        if may_read_note(viewer_of(people[role], item), old_request)
        and RESTRICTED[old_request.action] == NoteReaders.ITEM_REQUEST
    }
    assert readers == {"supervisor"}
    assert {r for r in ROLES if may_read_note(viewer_of(people[r], item), old_rating)} == {
        "supervisor",
        "administrator",
    }
    assert all(may_read_note(viewer_of(people[r], item), all_rated) for r in ROLES)
    assert not may_read_note(viewer_of(None, item), old_rating)


@pytest.mark.django_db
def test_the_admin_site_shows_the_note_as_the_item_page_does(
    client: Client, story: dict[str, Any]
) -> None:
    """The administrator reads the ratings there, not a unit's 退回 reason (as on the page)."""
    item, administrator = story["item"], story["people"]["administrator"]
    client.force_login(administrator)
    events = ProposalEvent.objects.filter(proposal=item)
    request = events.get(action=EventAction.RETURN_REQUESTED, note__contains="本单位职能")
    rating = events.get(action=EventAction.EVALUATED, member=story["people"]["lead_member"])
    shown = client.get(f"/admin/proposals/proposalevent/{request.pk}/change/")
    assert shown.status_code == 200
    assert "申请退回" in shown.content.decode()
    assert "本单位职能不涉及托育服务" not in shown.content.decode()
    shown = client.get(f"/admin/proposals/proposalevent/{rating.pk}/change/")
    assert "办理工作满意，办理结果基本满意" in shown.content.decode()


@pytest.mark.django_db
def test_the_migration_fills_in_whom_earlier_events_concern(story: dict[str, Any]) -> None:
    """Events written before the unit and member were recorded get them from the step's actor
    or from the request, reply or evaluation the step decided: the same as recorded now."""
    from django.apps import apps

    migration = importlib.import_module("replies.migrations.0012_event_note_subjects")
    recorded = list(
        ProposalEvent.objects.filter(proposal=story["item"], action__in=list(RESTRICTED))
    )
    copies = {
        original.pk: ProposalEvent.objects.create(
            proposal=original.proposal,
            actor=original.actor,
            created_at=original.created_at,
            action=original.action,
            to_status=original.to_status,
            note=original.note,
        )
        for original in recorded
    }
    migration.fill_event_subjects(apps, None)
    for original in recorded:
        copy = ProposalEvent.objects.get(pk=copies[original.pk].pk)
        assert (copy.unit_id, copy.member_id) == (original.unit_id, original.member_id), (
            original.action,
            original.note,
        )
