"""Rules read as offices read them: the publication day of a 同意公开 reply and its latest day,
an extension granted to an earlier date than requested, and 送签 refused like 签发 while a
required face-to-face contact is missing."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from proposals import services, workdays
from proposals.models import (
    Assignment,
    ContactRequirement,
    EventAction,
    ExtensionRequest,
    Proposal,
    RequestStatus,
)
from replies import services as reply_services
from replies.models import Reply, ReplyStatus
from replies.public import published

from .factories import MeetingFactory


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def local(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def item(member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff) -> Proposal:
    """A registered item assigned on 2026-03-16 to 杭州市民政局 as lead unit, signed for."""
    proposal = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于加快推进社区嵌入式养老服务的建议",
        body="正文",
        category=npc_category,
    )
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=npc_supervisor)
    services.proposal_assign(
        proposal=proposal, actor=npc_supervisor, lead_unit=unit, now=at(date(2026, 3, 16))
    )
    services.assignment_accept(assignment=lead_of(proposal), actor=unit_staff)
    proposal.refresh_from_db()
    return proposal


def lead_of(proposal: Proposal) -> Assignment:
    return proposal.assignments.get(role="lead")


def draft_of(proposal: Proposal, staff, **fields) -> Reply:
    reply = reply_services.reply_start(assignment=lead_of(proposal), actor=staff)
    return reply_services.reply_save(
        reply=reply,
        actor=staff,
        version=reply.version,
        body_html="一、工作开展情况\n我们认真研究，积极推进。",
        result_class="B",
        **fields,
    )


def send_on(reply: Reply, day: date, staff, leader, supervisor) -> Reply:
    """送签, 签发 and 督办审核 on `day`: the reply is sent that day."""
    reply_services.reply_submit(reply=reply, actor=staff)
    reply_services.reply_sign(reply=reply, actor=leader, now=at(day))
    return reply_services.reply_approve(reply=reply, actor=supervisor, now=at(day))


# --- 1. the publication day ------------------------------------------------------------------


@pytest.mark.django_db
class TestPublicationDay:
    def test_the_working_day_after_sending_across_national_day_2025(self):
        # given the default policy: published the working day after sending, at the latest 20
        meeting: Any = MeetingFactory()
        assert (meeting.publication_working_days, meeting.disclosure_working_days) == (1, 20)
        # then a reply sent on Friday 26 September is published on Sunday 28 September, a
        # make-up working day (调休) for the National Day holiday
        assert meeting.publication_on(date(2025, 9, 26)) == date(2025, 9, 28)
        # and one sent on Tuesday 30 September waits for the holiday (1-8 October) to end
        assert meeting.publication_on(date(2025, 9, 30)) == date(2025, 10, 9)
        # the latest day counts the make-up Saturday 11 October as a working day too
        assert meeting.publication_latest_on(date(2025, 9, 26)) == date(2025, 10, 30)
        assert meeting.publication_latest_on(date(2025, 9, 30)) == date(2025, 11, 4)

    def test_the_day_and_the_latest_day_are_policy(self):
        meeting: Any = MeetingFactory(publication_working_days=0, disclosure_working_days=5)
        assert meeting.publication_on(date(2025, 9, 30)) == date(2025, 9, 30)
        # 9, 10, 11 (a make-up Saturday), 13, 14 October
        assert meeting.publication_latest_on(date(2025, 9, 30)) == date(2025, 10, 14)
        meeting.publication_working_days = 3
        assert meeting.publication_on(date(2025, 9, 30)) == date(2025, 10, 11)

    def test_the_publication_day_may_not_be_after_the_latest_day(self):
        meeting: Any = MeetingFactory(publication_working_days=21, disclosure_working_days=20)
        with pytest.raises(ValidationError) as refused:
            meeting.full_clean()
        assert refused.value.message_dict["publication_working_days"] == [
            "公开日（发出后第21个工作日）不能晚于公开最迟期限（发出后20个工作日内）。"
        ]
        # a policy stored that way anyway (a script, an old row) never publishes past the latest
        assert meeting.publication_on(date(2025, 9, 30)) == date(2025, 11, 4)

    def test_the_policy_in_plain_words(self):
        meeting: Any = MeetingFactory()
        assert (
            "同意公开的答复于发出后的下一个工作日在公开平台公开，最迟不超过发出后 20 个工作日。"
            in (meeting.policy_summary())
        )
        meeting.publication_working_days, meeting.disclosure_working_days = 0, 10
        assert "同意公开的答复于发出当天在公开平台公开，最迟不超过发出后 10 个工作日。" in (
            meeting.policy_summary()
        )
        meeting.publication_working_days = 5
        assert (
            "同意公开的答复于发出后第 5 个工作日在公开平台公开，最迟不超过发出后 10 个工作日。"
            in (meeting.policy_summary())
        )

    def test_a_reply_sent_before_the_holiday_is_published_on_the_make_up_day(
        self, item, unit_staff, unit_leader, npc_supervisor
    ):
        # when the reply is sent on Friday 26 September 2025
        reply = send_on(
            draft_of(item, unit_staff), date(2025, 9, 26), unit_staff, unit_leader, npc_supervisor
        )
        # then the portal shows it from Sunday 28 September, not 20 working days later
        assert (reply.status, reply.publish_on, reply.publish_by) == (
            ReplyStatus.SENT,
            date(2025, 9, 28),
            date(2025, 10, 30),
        )
        assert reply not in published(today=date(2025, 9, 27))
        assert reply in published(today=date(2025, 9, 28))

    def test_a_reply_sent_on_the_eve_of_the_holiday_waits_for_it_to_end(
        self, item, unit_staff, unit_leader, npc_supervisor
    ):
        reply = send_on(
            draft_of(item, unit_staff), date(2025, 9, 30), unit_staff, unit_leader, npc_supervisor
        )
        assert (reply.publish_on, reply.publish_by) == (date(2025, 10, 9), date(2025, 11, 4))
        assert reply not in published(today=date(2025, 10, 8))
        assert reply in published(today=date(2025, 10, 9))

    def test_a_withheld_reply_has_no_publication_day(
        self, item, unit_staff, unit_leader, npc_supervisor
    ):
        draft = draft_of(item, unit_staff, disclosure="withheld", withheld_reason="涉及在办案件")
        reply = send_on(draft, date(2025, 9, 26), unit_staff, unit_leader, npc_supervisor)
        assert (reply.publish_on, reply.publish_by) == (None, None)
        assert reply not in published(today=date(2026, 1, 1))

    def test_a_correction_keeps_the_original_days(
        self, item, unit_staff, unit_leader, npc_supervisor
    ):
        original = send_on(
            draft_of(item, unit_staff), date(2025, 9, 26), unit_staff, unit_leader, npc_supervisor
        )
        correction = reply_services.reply_correct(reply=original, actor=unit_staff)
        # sent today, months later (a correction is sent when signed): it is public from the
        # original's day
        reply_services.reply_submit(reply=correction, actor=unit_staff)
        correction = reply_services.reply_sign(reply=correction, actor=unit_leader)
        assert (correction.status, correction.publish_on, correction.publish_by) == (
            ReplyStatus.SENT,
            date(2025, 9, 28),
            date(2025, 10, 30),
        )


@pytest.mark.django_db
class TestPublicationShown:
    def test_a_published_reply_says_when_on_its_page_and_the_item_page(
        self, login, item, member, npc_supervisor, unit_staff, unit_leader
    ):
        reply = send_on(
            draft_of(item, unit_staff), date(2025, 9, 26), unit_staff, unit_leader, npc_supervisor
        )
        for person in (member, npc_supervisor, unit_staff):
            client = login(person)
            page = client.get(reverse("replies:detail", args=[reply.pk])).content.decode()
            assert "已于2025年9月28日在公开平台公开" in page
            assert reverse("portal:reply", args=[reply.pk]) in page
            item_page = client.get(reverse("proposals:detail", args=[item.pk])).content.decode()
            assert "已于2025年9月28日在公开平台公开" in item_page

    def test_a_reply_sent_today_says_when_it_will_be_published_and_the_latest_day(
        self, login, item, member, npc_supervisor, unit_staff, unit_leader
    ):
        today = timezone.localdate()
        reply = send_on(draft_of(item, unit_staff), today, unit_staff, unit_leader, npc_supervisor)
        day, latest = workdays.add_working_days(today, 1), workdays.add_working_days(today, 20)
        wanted = f"将于{local(day)}在公开平台公开（最迟{local(latest)}）"
        for person in (member, npc_supervisor, unit_leader):
            client = login(person)
            page = client.get(reverse("replies:detail", args=[reply.pk])).content.decode()
            assert wanted in page
            assert reverse("portal:reply", args=[reply.pk]) not in page
            item_page = client.get(reverse("proposals:detail", args=[item.pk])).content.decode()
            assert wanted in item_page

    def test_a_withheld_reply_gives_its_reason_to_those_who_see_it_and_nobody_else(
        self, login, item, member, other_member, npc_supervisor, unit_staff, unit_leader
    ):
        draft = draft_of(item, unit_staff, disclosure="withheld", withheld_reason="涉及在办案件")
        reply = send_on(draft, timezone.localdate(), unit_staff, unit_leader, npc_supervisor)
        for person in (member, npc_supervisor, unit_staff):
            client = login(person)
            page = client.get(reverse("replies:detail", args=[reply.pk])).content.decode()
            assert "不予公开：涉及在办案件" in page and "在公开平台公开" not in page
            item_page = client.get(reverse("proposals:detail", args=[item.pk])).content.decode()
            assert "不予公开：涉及在办案件" in item_page
        # a member who did not sign the item sees neither the reply nor the reason
        response = login(other_member).get(reverse("replies:detail", args=[reply.pk]))
        assert response.status_code == 404
        assert "涉及在办案件" not in response.content.decode()

    def test_the_admin_meeting_form_offers_the_publication_day(self, login, administrator):
        page = login(administrator).get(reverse("admin:proposals_meeting_add")).content.decode()
        assert 'name="publication_working_days"' in page
        assert 'name="disclosure_working_days"' in page
        assert 'name="numbering_scope"' in page
        assert "答复公开日（发出后第几个工作日）" in page and "答复公开最迟期限（工作日）" in page


# --- 2. an extension granted earlier than requested ------------------------------------------


@pytest.fixture
def extension(item, unit_staff, unit_leader) -> ExtensionRequest:
    """The lead unit (due 2026-06-16, cap 2026-09-16) asks to 2026-08-31; its leader agrees."""
    request = services.extension_request_create(
        assignment=lead_of(item),
        actor=unit_staff,
        reason="涉及多部门协调",
        requested_due_on=date(2026, 8, 31),
    )
    return services.extension_request_leader_decide(
        request=request, actor=unit_leader, approve=True
    )


def assert_undecided(extension: ExtensionRequest) -> None:
    extension.refresh_from_db()
    assert (extension.status, extension.granted_due_on, extension.supervisor_id) == (
        RequestStatus.PENDING_SUPERVISOR,
        None,
        None,
    )
    assignment = Assignment.objects.get(pk=extension.assignment_id)
    assert assignment.due_on == date(2026, 6, 16)
    proposal = assignment.proposal
    assert not proposal.events.filter(
        action__in=[EventAction.EXTENSION_APPROVED, EventAction.EXTENSION_REFUSED]
    ).exists()
    assert not Notification.objects.filter(message__contains="已同意").exists()


@pytest.mark.django_db
class TestExtensionGrantedEarlier:
    def test_the_decision_page_offers_the_requested_date_and_shows_the_cap(
        self, login, extension, npc_supervisor
    ):
        page = login(npc_supervisor).get(reverse("proposals:extension_decide", args=[extension.pk]))
        html = page.content.decode()
        assert '<input type="date" name="granted_due_on" value="2026-08-31"' in html
        assert "2026年9月16日" in html  # 延期上限

    def test_granted_earlier_than_requested(
        self, login, extension, npc_supervisor, unit_staff, member
    ):
        # when the supervisor grants 31 July instead of the 31 August asked for
        response = login(npc_supervisor).post(
            reverse("proposals:extension_decide", args=[extension.pk]),
            {"decision": "approve", "granted_due_on": "2026-07-31", "note": "请抓紧办理"},
        )
        assert response.status_code == 302
        # then the assignment is due on the granted date and the request keeps both dates
        extension.refresh_from_db()
        assert (extension.status, extension.requested_due_on, extension.granted_due_on) == (
            RequestStatus.APPROVED,
            date(2026, 8, 31),
            date(2026, 7, 31),
        )
        lead = Assignment.objects.get(pk=extension.assignment_id)
        assert (lead.due_on, lead.original_due_on) == (date(2026, 7, 31), date(2026, 6, 16))
        event = lead.proposal.events.get(action=EventAction.EXTENSION_APPROVED)
        assert event.note == "市民政局延期至2026年7月31日（申请延至2026年8月31日）：请抓紧办理"
        wanted = "已同意市民政局延期至2026年7月31日（申请延至2026年8月31日）。"
        for person in (unit_staff, member):
            assert Notification.objects.get(
                recipient=person, message__contains="已同意"
            ).message == (f"《{lead.proposal.title}》{wanted}")
        # and the request's page shows what was asked and what was granted
        page = login(unit_staff).get(reverse("proposals:extension_decide", args=[extension.pk]))
        html = page.content.decode()
        assert "2026年8月31日" in html and "同意延至" in html and "2026年7月31日" in html

    def test_granted_as_requested_by_default(self, extension, npc_supervisor):
        services.extension_request_supervisor_decide(
            request=extension, actor=npc_supervisor, approve=True
        )
        extension.refresh_from_db()
        assert extension.granted_due_on == date(2026, 8, 31)
        assert Assignment.objects.get(pk=extension.assignment_id).due_on == date(2026, 8, 31)
        event = extension.assignment.proposal.events.get(action=EventAction.EXTENSION_APPROVED)
        assert event.note == "市民政局延期至2026年8月31日"

    @pytest.mark.parametrize(
        ("granted", "message"),
        [
            (date(2026, 9, 1), "同意延至的日期不能晚于承办单位申请的2026年8月31日。"),
            (date(2026, 6, 16), "同意延至的日期须晚于现在的期限2026年6月16日。"),
            (date(2026, 5, 1), "同意延至的日期须晚于现在的期限2026年6月16日。"),
        ],
    )
    def test_refused_when_later_than_requested_or_not_after_the_due_date(
        self, login, extension, npc_supervisor, granted, message
    ):
        response = login(npc_supervisor).post(
            reverse("proposals:extension_decide", args=[extension.pk]),
            {"decision": "approve", "granted_due_on": granted.isoformat()},
        )
        assert response.status_code == 200
        assert message in response.content.decode()
        assert_undecided(extension)

    def test_refused_past_the_cap(self, extension, npc_supervisor, npc_meeting):
        # given the office shortened the cap to 5 months after the unit asked
        npc_meeting.extension_cap_months = 5
        npc_meeting.save()
        for granted in (None, date(2026, 8, 17)):
            with pytest.raises(ValidationError) as refused:
                services.extension_request_supervisor_decide(
                    request=extension,
                    actor=npc_supervisor,
                    approve=True,
                    granted_due_on=granted,
                )
            assert refused.value.message_dict == {
                "granted_due_on": ["延期后的总期限不能超过交办后5个月，最晚只能延至2026年8月16日。"]
            }
            assert_undecided(extension)
        # the cap itself may be granted
        services.extension_request_supervisor_decide(
            request=extension, actor=npc_supervisor, approve=True, granted_due_on=date(2026, 8, 16)
        )
        assert Assignment.objects.get(pk=extension.assignment_id).due_on == date(2026, 8, 16)

    def test_clearing_the_date_is_refused_with_a_message(self, login, extension, npc_supervisor):
        response = login(npc_supervisor).post(
            reverse("proposals:extension_decide", args=[extension.pk]),
            {"decision": "approve", "granted_due_on": ""},
        )
        assert "同意延期时请填写同意延至的日期。" in response.content.decode()
        assert_undecided(extension)

    def test_only_the_supervisor_of_the_body_grants(
        self, login, extension, unit_leader, cppcc_supervisor
    ):
        data = {"decision": "approve", "granted_due_on": "2026-07-31"}
        url = reverse("proposals:extension_decide", args=[extension.pk])
        assert login(unit_leader).post(url, data).status_code == 403
        assert login(cppcc_supervisor).post(url, data).status_code == 404
        with pytest.raises(ValidationError, match="没有督办"):
            services.extension_request_supervisor_decide(
                request=extension,
                actor=cppcc_supervisor,
                approve=True,
                granted_due_on=date(2026, 7, 31),
            )
        assert_undecided(extension)


# --- 3. 送签 refused like 签发 ----------------------------------------------------------------


def record_contact(proposal: Proposal, staff, method: str):
    return services.contact_record_create(
        assignment=lead_of(proposal),
        actor=staff,
        method=method,
        contacted_on=timezone.localdate(),
        participants="何红",
        notes="沟通情况",
    )


def assert_still_draft(reply: Reply) -> None:
    reply.refresh_from_db()
    assert reply.status == ReplyStatus.DRAFT and reply.submitted_at is None
    assert not reply.proposal.events.filter(action=EventAction.REPLY_SUBMITTED).exists()


MISSING_KEY = "本件是重点建议，须在答复前与代表委员当面沟通（面商、座谈或走访），"


@pytest.mark.django_db
class TestSubmitRefusedLikeSign:
    @pytest.mark.parametrize(
        ("requirement", "is_key", "message"),
        [
            (ContactRequirement.KEY_ITEMS, True, MISSING_KEY + "目前还没有沟通记录。"),
            (
                ContactRequirement.ALL_ITEMS,
                False,
                "按本次会议的规定，建议须在答复前与代表委员当面沟通（面商、座谈或走访），"
                "目前还没有沟通记录。",
            ),
            (ContactRequirement.KEY_ITEMS, False, ""),
            (ContactRequirement.NONE, True, ""),
        ],
    )
    def test_per_policy_and_key_item(
        self, item, unit_staff, npc_meeting, requirement, is_key, message
    ):
        npc_meeting.contact_requirement = requirement
        npc_meeting.save()
        Proposal.objects.filter(pk=item.pk).update(is_key=is_key)
        draft = draft_of(item, unit_staff)
        if message:
            with pytest.raises(ValidationError) as refused:
                reply_services.reply_submit(reply=draft, actor=unit_staff)
            assert refused.value.messages == [message + "请先当面沟通并记录，再送签。"]
            assert_still_draft(draft)
        else:
            submitted = reply_services.reply_submit(reply=draft, actor=unit_staff)
            assert submitted.status == ReplyStatus.SUBMITTED

    def test_a_phone_contact_is_not_face_to_face(self, item, unit_staff):
        Proposal.objects.filter(pk=item.pk).update(is_key=True)
        draft = draft_of(item, unit_staff)
        record_contact(item, unit_staff, "phone")
        record_contact(item, unit_staff, "written")
        with pytest.raises(ValidationError) as refused:
            reply_services.reply_submit(reply=draft, actor=unit_staff)
        assert refused.value.messages == [
            MISSING_KEY + "目前只记录了电话、书面沟通。请先当面沟通并记录，再送签。"
        ]
        assert_still_draft(draft)
        record_contact(item, unit_staff, "visit")
        assert reply_services.reply_submit(reply=draft, actor=unit_staff).status == (
            ReplyStatus.SUBMITTED
        )

    def test_a_contact_the_member_disputed_does_not_count(self, item, unit_staff, member):
        Proposal.objects.filter(pk=item.pk).update(is_key=True)
        draft = draft_of(item, unit_staff)
        contact = record_contact(item, unit_staff, "face_to_face")
        services.contact_record_respond(
            record=contact, actor=member, confirm=False, comment="没有见面，只通了电话"
        )
        with pytest.raises(ValidationError) as refused:
            reply_services.reply_submit(reply=draft, actor=unit_staff)
        assert refused.value.messages == [
            MISSING_KEY + "面商记录代表委员有异议，不算当面沟通。请先当面沟通并记录，再送签。"
        ]
        assert_still_draft(draft)
        # a face-to-face contact the member has not answered yet counts
        record_contact(item, unit_staff, "meeting")
        assert reply_services.reply_submit(reply=draft, actor=unit_staff).status == (
            ReplyStatus.SUBMITTED
        )

    def test_sign_is_refused_when_the_member_disputes_after_submission(
        self, login, item, unit_staff, unit_leader, member
    ):
        # given a key item's draft sent for 签发 after a 面商
        Proposal.objects.filter(pk=item.pk).update(is_key=True)
        contact = record_contact(item, unit_staff, "face_to_face")
        draft = reply_services.reply_submit(reply=draft_of(item, unit_staff), actor=unit_staff)
        # when the member disputes the 面商 before the leader signs
        services.contact_record_respond(
            record=contact, actor=member, confirm=False, comment="没有见面"
        )
        # then 签发 is refused, saying what is missing, and the draft waits unsigned
        with pytest.raises(ValidationError) as refused:
            reply_services.reply_sign(reply=draft, actor=unit_leader)
        assert refused.value.messages == [
            MISSING_KEY + "面商记录代表委员有异议，不算当面沟通。请先当面沟通并记录，再签发。"
        ]
        draft.refresh_from_db()
        assert (draft.status, draft.signed_by_id, draft.signed_at) == (
            ReplyStatus.SUBMITTED,
            None,
            None,
        )
        assert not item.events.filter(action=EventAction.REPLY_SIGNED).exists()
        # and the reply's page tells the leader before they press 签发
        page = login(unit_leader).get(reverse("replies:detail", args=[draft.pk])).content.decode()
        assert "面商记录代表委员有异议，不算当面沟通。请先当面沟通并记录，再签发。" in page

    def test_a_leader_signing_a_draft_directly_is_refused_as_signing(
        self, item, unit_staff, unit_leader
    ):
        Proposal.objects.filter(pk=item.pk).update(is_key=True)
        draft = draft_of(item, unit_staff)
        with pytest.raises(ValidationError) as refused:
            reply_services.reply_sign(reply=draft, actor=unit_leader)
        assert refused.value.messages == [
            MISSING_KEY + "目前还没有沟通记录。请先当面沟通并记录，再签发。"
        ]
        assert_still_draft(draft)
        record_contact(item, unit_staff, "face_to_face")
        assert reply_services.reply_sign(reply=draft, actor=unit_leader).status == (
            ReplyStatus.IN_REVIEW
        )

    def test_the_editor_says_so_before_the_person_tries(self, login, item, unit_staff):
        Proposal.objects.filter(pk=item.pk).update(is_key=True)
        draft = draft_of(item, unit_staff)
        record_contact(item, unit_staff, "phone")
        client = login(unit_staff)
        page = client.get(reverse("replies:edit", args=[draft.pk])).content.decode()
        assert MISSING_KEY + "目前只记录了电话沟通。请先当面沟通并记录，再送签。" in page
        assert reverse("proposals:contact_create", args=[lead_of(item).pk]) in page
        # and pressing 送签 anyway keeps the text and says the same
        form = {
            "version": draft.version,
            "title": draft.title,
            "salutation": draft.salutation,
            "opening": draft.opening,
            "body_html": "二、下一步打算\n继续推进。",
            "thanks": draft.thanks,
            "result_class": "B",
            "disclosure": "public",
            "signing_unit": draft.signing_unit,
            "submit": "1",
        }
        response = client.post(reverse("replies:edit", args=[draft.pk]), form)
        assert response.status_code == 200
        assert "目前只记录了电话沟通。请先当面沟通并记录，再送签。" in response.content.decode()
        draft.refresh_from_db()
        assert draft.status == ReplyStatus.DRAFT
        assert "继续推进" in draft.body_html  # saved before 送签 was refused

    def test_the_editor_says_nothing_when_nothing_is_missing(self, login, item, unit_staff):
        # not a key item, and the policy asks only for key ones
        draft = draft_of(item, unit_staff, signed_on=date(2026, 8, 31))
        page = login(unit_staff).get(reverse("replies:edit", args=[draft.pk])).content.decode()
        assert "请先当面沟通并记录" not in page
        # (a saved date is given to the date input as it reads it, not as 2026/08/31)
        assert 'name="signed_on" value="2026-08-31"' in page
