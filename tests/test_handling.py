"""交办 and handling: assignment, acceptance, return and extension requests, co-handling
opinions, contact records, notifications, and who may do what."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from proposals import services
from proposals.models import (
    Assignment,
    AssignmentStatus,
    CalendarDay,
    ContactResponse,
    CoOpinionStatus,
    EventAction,
    ProposalStatus,
    RequestStatus,
)

from .factories import UnitFactory, UserFactory


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


@pytest.fixture
def registered(member, npc_supervisor, npc_meeting, npc_category):
    proposal = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于引导社会组织参与未成年人保护的建议",
        body="正文",
        category=npc_category,
    )
    services.proposal_submit(proposal=proposal, actor=member)
    return services.proposal_register(proposal=proposal, actor=npc_supervisor)


@pytest.fixture
def co_unit(db):
    return UnitFactory(name="共青团杭州市委员会", short_name="团市委")


@pytest.fixture
def co_staff(co_unit):
    return UserFactory(username="tsw_staff", full_name="赵晓燕", role="unit_staff", unit=co_unit)


@pytest.fixture
def co_leader(co_unit):
    return UserFactory(username="tsw_leader", full_name="郑国栋", role="unit_leader", unit=co_unit)


@pytest.fixture
def other_unit(db):
    return UnitFactory(name="杭州市财政局", short_name="市财政局")


@pytest.fixture
def other_staff(other_unit):
    return UserFactory(username="czj_staff", full_name="钱立新", role="unit_staff", unit=other_unit)


@pytest.fixture
def assigned(registered, npc_supervisor, unit, co_unit):
    services.proposal_assign(
        proposal=registered, actor=npc_supervisor, lead_unit=unit, co_units=[co_unit]
    )
    registered.refresh_from_db()
    return registered


@pytest.fixture
def accepted(assigned, unit_staff, co_staff):
    """Both units have signed for their part (签收): handling may begin."""
    services.assignment_accept(assignment=lead_of(assigned), actor=unit_staff)
    services.assignment_accept(assignment=assigned.assignments.get(role="co"), actor=co_staff)
    return assigned


def lead_of(proposal):
    return proposal.assignments.get(role="lead", status__in=["assigned", "accepted"])


@pytest.mark.django_db
class TestAssign:
    def test_lead_and_co_units_get_due_dates_from_the_policy(
        self, registered, npc_supervisor, unit, co_unit, unit_staff, co_staff
    ):
        services.proposal_assign(
            proposal=registered,
            actor=npc_supervisor,
            lead_unit=unit,
            co_units=[co_unit],
            now=at(date(2026, 3, 16)),
        )
        registered.refresh_from_db()
        assert registered.status == ProposalStatus.ASSIGNED
        due = {
            a.unit.short_name: (a.role, a.due_on)
            for a in registered.assignments.select_related("unit")
        }
        assert due == {"市民政局": ("lead", date(2026, 6, 16)), "团市委": ("co", date(2026, 4, 16))}
        event = registered.events.get(action=EventAction.ASSIGNED)
        assert event.note == "主办：市民政局；会办：团市委"
        assert Notification.objects.filter(
            recipient=unit_staff, message__contains="已交由贵单位主办"
        ).exists()
        assert Notification.objects.filter(
            recipient=co_staff, message__contains="已交由贵单位会办"
        ).exists()

    def test_policy_months_are_data(self, registered, npc_supervisor, unit, npc_meeting):
        npc_meeting.reply_months = 2
        npc_meeting.save()
        services.proposal_assign(
            proposal=registered, actor=npc_supervisor, lead_unit=unit, now=at(date(2026, 3, 16))
        )
        assert lead_of(registered).due_on == date(2026, 5, 16)

    def test_separate_units_each_reply(self, registered, npc_supervisor, unit, other_unit):
        services.proposal_assign(
            proposal=registered, actor=npc_supervisor, separate_units=[unit, other_unit]
        )
        assert sorted(registered.assignments.values_list("role", flat=True)) == [
            "separate",
            "separate",
        ]

    @pytest.mark.parametrize(
        ("plan", "message"),
        [
            ({}, "请选择主办单位，或选择分办单位。"),
            ({"co": True}, "会办单位须配合主办单位"),
            ({"lead": True, "separate": True}, "主办和分办不能同时使用"),
            ({"lead": True, "co_is_lead": True}, "同一单位只能承担一种承办方式。"),
        ],
    )
    def test_bad_plans_are_refused(self, registered, npc_supervisor, unit, co_unit, plan, message):
        kwargs = {}
        if plan.get("lead"):
            kwargs["lead_unit"] = unit
        if plan.get("co"):
            kwargs["co_units"] = [co_unit]
        if plan.get("separate"):
            kwargs["separate_units"] = [co_unit]
        if plan.get("co_is_lead"):
            kwargs["co_units"] = [unit]
        with pytest.raises(ValidationError, match=message):
            services.proposal_assign(proposal=registered, actor=npc_supervisor, **kwargs)
        registered.refresh_from_db()
        assert registered.status == ProposalStatus.REGISTERED
        assert not Assignment.objects.exists()

    def test_only_registered_items_and_only_their_body(
        self, registered, npc_supervisor, cppcc_supervisor, unit
    ):
        with pytest.raises(ValidationError, match="没有督办这件建议提案的权限"):
            services.proposal_assign(proposal=registered, actor=cppcc_supervisor, lead_unit=unit)
        services.proposal_assign(proposal=registered, actor=npc_supervisor, lead_unit=unit)
        with pytest.raises(ValidationError, match="不能交办"):
            services.proposal_assign(proposal=registered, actor=npc_supervisor, lead_unit=unit)
        assert Assignment.objects.count() == 1

    def test_batch_assignment_from_the_queue(
        self, login, member, npc_supervisor, npc_meeting, npc_category, unit, co_unit
    ):
        items = []
        for title in ("甲", "乙", "丙"):
            proposal = services.proposal_create(
                author=member, meeting=npc_meeting, title=title, body="x", category=npc_category
            )
            services.proposal_submit(proposal=proposal, actor=member)
            items.append(services.proposal_register(proposal=proposal, actor=npc_supervisor))
        response = login(npc_supervisor).post(
            reverse("proposals:assign_queue"),
            {"items": [items[0].pk, items[2].pk], "lead_unit": unit.pk, "co_units": [co_unit.pk]},
            follow=True,
        )
        assert "已交办 2 件。" in response.content.decode()
        statuses = {
            p.title: p.status
            for p in items[0].__class__.objects.filter(pk__in=[i.pk for i in items])
        }
        assert statuses == {"甲": "assigned", "乙": "registered", "丙": "assigned"}


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_assigning_at_once_leave_one_lead(
    registered, npc_supervisor, unit, other_unit
):
    assert connection.vendor == "postgresql"
    second = UserFactory(username="gov_office", role="supervisor", supervisor_scope="all")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def assign(actor, lead):
        try:
            barrier.wait()
            services.proposal_assign(proposal=registered, actor=actor, lead_unit=lead)
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=assign, args=(npc_supervisor, unit)),
        threading.Thread(target=assign, args=(second, other_unit)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert Assignment.objects.filter(proposal=registered, role="lead").count() == 1
    assert registered.events.filter(action=EventAction.ASSIGNED).count() == 1


@pytest.mark.django_db
class TestWorkspaceAndAccept:
    def test_unit_sees_only_its_assignments(self, login, assigned, unit_staff, other_staff):
        html = login(unit_staff).get(reverse("proposals:unit_workspace")).content.decode()
        assert assigned.title in html and "剩余" in html
        html = login(other_staff).get(reverse("proposals:unit_workspace")).content.decode()
        assert assigned.title not in html

    def test_accept(self, login, assigned, unit_staff):
        assignment = lead_of(assigned)
        login(unit_staff).post(reverse("proposals:assignment_accept", args=[assignment.pk]))
        assignment.refresh_from_db()
        assert (assignment.status, assignment.accepted_by) == (
            AssignmentStatus.ACCEPTED,
            unit_staff,
        )
        with pytest.raises(ValidationError, match="已经签收"):
            services.assignment_accept(assignment=assignment, actor=unit_staff)

    def test_another_unit_gets_404_for_an_assignment_by_url(self, login, assigned, other_staff):
        assignment = lead_of(assigned)
        client = login(other_staff)
        for name in ("return_request", "extension_request", "contact_create", "co_opinion"):
            assert (
                client.get(reverse(f"proposals:{name}", args=[assignment.pk])).status_code == 404
            ), name
        assert (
            client.post(reverse("proposals:assignment_accept", args=[assignment.pk])).status_code
            == 404
        )
        assert client.get(reverse("proposals:detail", args=[assigned.pk])).status_code == 404
        assignment.refresh_from_db()
        assert assignment.status == AssignmentStatus.ASSIGNED

    def test_units_on_the_same_item_see_each_others_part_there_only(
        self,
        login,
        assigned,
        co_staff,
        unit_staff,
        npc_supervisor,
        member,
        npc_meeting,
        npc_category,
        unit,
    ):
        other = services.proposal_create(
            author=member,
            meeting=npc_meeting,
            title="只给民政局的",
            body="x",
            category=npc_category,
        )
        services.proposal_submit(proposal=other, actor=member)
        services.proposal_register(proposal=other, actor=npc_supervisor)
        services.proposal_assign(proposal=other, actor=npc_supervisor, lead_unit=unit)
        client = login(co_staff)
        page = client.get(reverse("proposals:detail", args=[assigned.pk])).content.decode()
        assert "杭州市民政局" in page  # the lead unit's part of the shared item
        assert client.get(reverse("proposals:detail", args=[other.pk])).status_code == 404
        assert "只给民政局的" not in client.get(reverse("proposals:list")).content.decode()


@pytest.mark.django_db
class TestReturn:
    def test_window_across_national_day_2025(self, registered, npc_supervisor, unit, unit_staff):
        services.proposal_assign(
            proposal=registered, actor=npc_supervisor, lead_unit=unit, now=at(date(2025, 9, 26))
        )
        assignment = lead_of(registered)
        # the fifth working day is 10-10; 10-11 (a make-up Saturday) is one day late
        with pytest.raises(ValidationError, match="申请退回的期限已于2025年10月10日截止"):
            services.return_request_create(
                assignment=assignment,
                actor=unit_staff,
                reason="不属于本单位",
                today=date(2025, 10, 11),
            )
        assert not assignment.return_requests.exists()
        request = services.return_request_create(
            assignment=assignment, actor=unit_staff, reason="不属于本单位", today=date(2025, 10, 10)
        )
        assert request.status == RequestStatus.PENDING_LEADER

    def test_an_administrator_holiday_extends_the_window(
        self, registered, npc_supervisor, unit, unit_staff
    ):
        services.proposal_assign(
            proposal=registered, actor=npc_supervisor, lead_unit=unit, now=at(date(2025, 11, 10))
        )
        assignment = lead_of(registered)
        with pytest.raises(ValidationError, match="2025年11月17日截止"):
            services.return_request_create(
                assignment=assignment, actor=unit_staff, reason="x", today=date(2025, 11, 18)
            )
        CalendarDay.objects.create(date=date(2025, 11, 12), is_working_day=False, name="本地假日")
        services.return_request_create(
            assignment=assignment, actor=unit_staff, reason="x", today=date(2025, 11, 18)
        )

    def test_leader_then_supervisor_reassigns(
        self, assigned, co_staff, co_leader, npc_supervisor, other_unit, other_staff
    ):
        co = assigned.assignments.get(role="co")
        request = services.return_request_create(
            assignment=co, actor=co_staff, reason="与本单位职责无关"
        )
        with pytest.raises(ValidationError, match="不在待督办审核状态"):
            services.return_request_supervisor_decide(
                request=request, actor=npc_supervisor, approve=True, new_units=[other_unit]
            )
        services.return_request_leader_decide(request=request, actor=co_leader, approve=True)
        services.return_request_supervisor_decide(
            request=request, actor=npc_supervisor, approve=True, new_units=[other_unit]
        )
        co.refresh_from_db()
        assert co.status == AssignmentStatus.RETURNED
        new = assigned.assignments.get(unit=other_unit)
        assert (new.role, new.status) == ("co", "assigned")
        assert Notification.objects.filter(
            recipient=other_staff, message__contains="已交由贵单位会办"
        ).exists()
        actions = list(assigned.events.values_list("action", flat=True))
        assert actions[-3:] == ["return_requested", "return_leader_approved", "return_approved"]

    def test_refusal_keeps_the_clock_running(
        self, assigned, unit_staff, unit_leader, npc_supervisor
    ):
        lead = lead_of(assigned)
        due = lead.due_on
        request = services.return_request_create(
            assignment=lead, actor=unit_leader, reason="不属于本单位"
        )
        assert (
            request.status == RequestStatus.PENDING_SUPERVISOR
        )  # the leader's own request needs no second look
        with pytest.raises(ValidationError):
            services.return_request_supervisor_decide(
                request=request, actor=npc_supervisor, approve=False, note=" "
            )
        services.return_request_supervisor_decide(
            request=request, actor=npc_supervisor, approve=False, note="属于民政职责，请继续办理"
        )
        lead.refresh_from_db()
        assert (lead.status, lead.due_on) == (AssignmentStatus.ASSIGNED, due)

    def test_returning_the_lead_needs_exactly_one_new_lead(
        self, assigned, unit_leader, npc_supervisor, other_unit
    ):
        request = services.return_request_create(
            assignment=lead_of(assigned), actor=unit_leader, reason="x"
        )
        with pytest.raises(ValidationError, match="请指定一个新的主办单位"):
            services.return_request_supervisor_decide(
                request=request, actor=npc_supervisor, approve=True
            )
        services.return_request_supervisor_decide(
            request=request, actor=npc_supervisor, approve=True, new_units=[other_unit]
        )
        assert lead_of(assigned).unit == other_unit

    def test_staff_may_not_decide_as_leader(self, login, assigned, co_staff):
        request = services.return_request_create(
            assignment=assigned.assignments.get(role="co"), actor=co_staff, reason="x"
        )
        response = login(co_staff).post(
            reverse("proposals:return_decide", args=[request.pk]), {"decision": "approve"}
        )
        assert response.status_code == 403
        request.refresh_from_db()
        assert request.status == RequestStatus.PENDING_LEADER


@pytest.mark.django_db
class TestExtension:
    def test_extension_within_the_cap(
        self, registered, npc_supervisor, unit, unit_staff, unit_leader
    ):
        services.proposal_assign(
            proposal=registered, actor=npc_supervisor, lead_unit=unit, now=at(date(2026, 3, 16))
        )
        lead = lead_of(registered)
        services.assignment_accept(assignment=lead, actor=unit_staff)
        with pytest.raises(ValidationError, match="最晚只能延至2026年9月16日"):
            services.extension_request_create(
                assignment=lead,
                actor=unit_staff,
                reason="涉及多部门",
                requested_due_on=date(2026, 9, 17),
            )
        request = services.extension_request_create(
            assignment=lead,
            actor=unit_staff,
            reason="涉及多部门",
            requested_due_on=date(2026, 9, 16),
        )
        services.extension_request_leader_decide(request=request, actor=unit_leader, approve=True)
        services.extension_request_supervisor_decide(
            request=request, actor=npc_supervisor, approve=True
        )
        lead.refresh_from_db()
        assert (lead.due_on, lead.original_due_on) == (date(2026, 9, 16), date(2026, 6, 16))

    def test_a_co_unit_cannot_ask_for_extension(self, assigned, co_staff):
        with pytest.raises(ValidationError, match="会办单位"):
            services.extension_request_create(
                assignment=assigned.assignments.get(role="co"),
                actor=co_staff,
                reason="x",
                requested_due_on=date(2099, 1, 1),
            )

    def test_form_shows_the_cap_and_refuses_past_it(self, login, accepted, unit_staff):
        assigned = accepted
        lead = lead_of(assigned)
        cap = assigned.meeting.extension_cap_on(timezone.localdate(lead.assigned_at))
        response = login(unit_staff).post(
            reverse("proposals:extension_request", args=[lead.pk]),
            {"requested_due_on": cap.replace(year=cap.year + 1).isoformat(), "reason": "x"},
        )
        assert "延期后的总期限不能超过交办后6个月" in response.content.decode()
        assert not lead.extension_requests.exists()


@pytest.mark.django_db
class TestCoOpinion:
    def test_staff_drafts_leader_sends_lead_unit_sees_it(
        self, login, accepted, co_staff, co_leader, unit_staff, member
    ):
        assigned = accepted
        co = assigned.assignments.get(role="co")
        opinion = services.co_opinion_save(
            assignment=co, actor=co_staff, text="建议加强青少年服务阵地建设。", submit=True
        )
        assert opinion.status == CoOpinionStatus.PENDING_LEADER
        assert (
            "建议加强青少年服务阵地建设"
            not in login(unit_staff)
            .get(reverse("proposals:detail", args=[assigned.pk]))
            .content.decode()
        )
        services.co_opinion_decide(opinion=opinion, actor=co_leader, approve=True)
        co.refresh_from_db()
        assert co.status == AssignmentStatus.OPINION_SENT
        assert (
            "建议加强青少年服务阵地建设"
            in login(unit_staff)
            .get(reverse("proposals:detail", args=[assigned.pk]))
            .content.decode()
        )
        assert Notification.objects.filter(
            recipient=unit_staff, message__contains="收到团市委的会办意见"
        ).exists()
        # the member does not see internal opinions
        assert (
            "建议加强青少年服务阵地建设"
            not in login(member)
            .get(reverse("proposals:detail", args=[assigned.pk]))
            .content.decode()
        )

    def test_leader_sends_back_with_comment(self, accepted, co_staff, co_leader):
        assigned = accepted
        opinion = services.co_opinion_save(
            assignment=assigned.assignments.get(role="co"), actor=co_staff, text="初稿", submit=True
        )
        with pytest.raises(ValidationError):
            services.co_opinion_decide(opinion=opinion, actor=co_leader, approve=False)
        services.co_opinion_decide(
            opinion=opinion, actor=co_leader, approve=False, comment="请补充数据"
        )
        opinion.refresh_from_db()
        assert (opinion.status, opinion.leader_comment) == (CoOpinionStatus.DRAFT, "请补充数据")

    def test_the_lead_unit_cannot_write_a_co_opinion(self, assigned, unit_staff):
        with pytest.raises(ValidationError, match="只有会办单位"):
            services.co_opinion_save(assignment=lead_of(assigned), actor=unit_staff, text="x")


@pytest.mark.django_db
class TestContacts:
    def test_unit_records_member_confirms(self, login, accepted, unit_staff, member):
        assigned = accepted
        record = services.contact_record_create(
            assignment=lead_of(assigned),
            actor=unit_staff,
            method="face_to_face",
            contacted_on=timezone.localdate(),
            participants="何红代表、李文静",
            notes="当面沟通办理思路",
        )
        assert Notification.objects.filter(recipient=member, message__contains="面商").exists()
        login(member).post(
            reverse("proposals:contact_respond", args=[record.pk]), {"answer": "confirm"}
        )
        record.refresh_from_db()
        assert (record.response, record.responded_by) == (ContactResponse.CONFIRMED, member)

    def test_a_dispute_needs_a_comment_and_others_cannot_answer(
        self, login, accepted, unit_staff, member, third_member
    ):
        assigned = accepted
        record = services.contact_record_create(
            assignment=lead_of(assigned),
            actor=unit_staff,
            method="phone",
            contacted_on=timezone.localdate(),
            participants="何红",
            notes="电话沟通",
        )
        assert (
            login(third_member)
            .post(reverse("proposals:contact_respond", args=[record.pk]), {"answer": "confirm"})
            .status_code
            == 404
        )
        login(member).post(
            reverse("proposals:contact_respond", args=[record.pk]), {"answer": "dispute"}
        )
        record.refresh_from_db()
        assert record.response == ContactResponse.PENDING
        login(member).post(
            reverse("proposals:contact_respond", args=[record.pk]),
            {"answer": "dispute", "comment": "并未联系我"},
        )
        record.refresh_from_db()
        assert (record.response, record.response_comment) == (
            ContactResponse.DISPUTED,
            "并未联系我",
        )

    def test_contact_needs_acceptance_first(self, assigned, unit_staff):
        with pytest.raises(ValidationError, match="请先签收"):
            services.contact_record_create(
                assignment=lead_of(assigned),
                actor=unit_staff,
                method="phone",
                contacted_on=timezone.localdate(),
                participants="x",
                notes="x",
            )
        assert not lead_of(assigned).contacts.exists()

    def test_a_future_date_is_refused(self, accepted, unit_staff):
        assigned = accepted
        with pytest.raises(ValidationError, match="不能晚于今天"):
            services.contact_record_create(
                assignment=lead_of(assigned),
                actor=unit_staff,
                method="phone",
                contacted_on=date(2099, 1, 1),
                participants="x",
                notes="x",
            )


@pytest.mark.django_db
class TestNotifications:
    def test_unread_count_and_opening_marks_read(self, login, unit_staff, assigned):
        client = login(unit_staff)
        html = client.get(reverse("workbench:home")).content.decode()
        notice = Notification.objects.get(recipient=unit_staff)
        assert '<span class="badge"' in html and "1 条未读" in html
        response = client.get(reverse("accounts:notification", args=[notice.pk]))
        assert response["Location"] == reverse("proposals:detail", args=[assigned.pk])
        notice.refresh_from_db()
        assert notice.read_at is not None

    def test_someone_elses_notice_is_404(self, login, unit_staff, other_staff, assigned):
        notice = Notification.objects.get(recipient=unit_staff)
        assert (
            login(other_staff).get(reverse("accounts:notification", args=[notice.pk])).status_code
            == 404
        )
        notice.refresh_from_db()
        assert notice.read_at is None

    def test_emails_go_out_after_commit(
        self, registered, npc_supervisor, unit, mailoutbox, django_capture_on_commit_callbacks
    ):
        staff = UserFactory(
            username="mail_staff", role="unit_staff", unit=unit, email="staff@example.gov.cn"
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.proposal_assign(proposal=registered, actor=npc_supervisor, lead_unit=unit)
        assert [m.to for m in mailoutbox] == [["staff@example.gov.cn"]]
        assert "已交由贵单位主办" in mailoutbox[0].subject
        assert Notification.objects.get(recipient=staff).email_status == "sent"
