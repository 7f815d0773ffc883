"""The reminder sweep: offsets before each deadline, escalation after, once and only once."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Notification
from proposals import services
from proposals.models import EventAction, Reminder, ReminderKind
from proposals.reminders import send_reminders
from replies import services as reply_services

from .factories import UnitFactory, UserFactory


def at(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, 9))


ASSIGNED_ON = date(2026, 3, 2)  # due 2026-06-02 for the reply, 2026-04-02 for a co-opinion


@pytest.fixture
def assigned(member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader):
    proposal = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于扩大普惠托育服务供给的建议",
        body="x",
        category=npc_category,
    )
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=npc_supervisor)
    co = UnitFactory(name="共青团杭州市委员会", short_name="团市委")
    UserFactory(username="tsw", role="unit_staff", unit=co)
    services.proposal_assign(
        proposal=proposal, actor=npc_supervisor, lead_unit=unit, co_units=[co], now=at(ASSIGNED_ON)
    )
    for assignment in proposal.assignments.all():
        services.assignment_accept(assignment=assignment, actor=assignment.unit.staff.first())
    return proposal


def reminders(kind: str, target: str | None = None) -> list[tuple[str, str]]:
    rows = Reminder.objects.filter(kind=kind)
    if target:
        rows = rows.filter(target=target)
    return sorted(rows.values_list("recipient__username", "period"))


@pytest.mark.django_db
class TestOffsets:
    @pytest.mark.parametrize("offset", [15, 7, 3, 1])
    def test_reply_reminder_at_each_offset(self, assigned, offset):
        due = assigned.assignments.get(role="lead").due_on
        send_reminders(today=due - timedelta(days=offset))
        assert reminders(ReminderKind.REPLY) == [("leader", str(offset)), ("staff", str(offset))]

    def test_no_reminder_between_offsets(self, assigned):
        due = assigned.assignments.get(role="lead").due_on
        send_reminders(today=due - timedelta(days=20))
        assert reminders(ReminderKind.REPLY) == []

    def test_a_late_sweep_catches_up_with_the_latest_offset_only(self, assigned):
        due = assigned.assignments.get(role="lead").due_on
        send_reminders(today=due - timedelta(days=6))  # the 7-day sweep did not run
        assert reminders(ReminderKind.REPLY) == [("leader", "7"), ("staff", "7")]
        send_reminders(today=due - timedelta(days=5))
        assert reminders(ReminderKind.REPLY) == [("leader", "7"), ("staff", "7")]

    def test_offsets_are_policy(self, assigned, npc_meeting):
        npc_meeting.reminder_offsets = [10]
        npc_meeting.save()
        due = assigned.assignments.get(role="lead").due_on
        send_reminders(today=due - timedelta(days=7))
        assert reminders(ReminderKind.REPLY) == [("leader", "10"), ("staff", "10")]

    def test_a_policy_offset_beyond_a_month_is_honoured(self, assigned, npc_meeting):
        npc_meeting.reminder_offsets = [45, 7]
        npc_meeting.save()
        due = assigned.assignments.get(role="lead").due_on
        send_reminders(today=due - timedelta(days=40))
        assert reminders(ReminderKind.REPLY) == [("leader", "45"), ("staff", "45")]

    def test_co_opinion_reminder_goes_to_the_co_unit(self, assigned):
        due = assigned.assignments.get(role="co").due_on
        send_reminders(today=due - timedelta(days=3))
        assert reminders(ReminderKind.CO_OPINION) == [("tsw", "3")]

    def test_reminders_arrive_as_notices(self, assigned, unit_staff):
        due = assigned.assignments.get(role="lead").due_on
        send_reminders(today=due - timedelta(days=1))
        notice = Notification.objects.filter(
            recipient=unit_staff, message__contains="还有1天"
        ).get()
        assert notice.url.endswith(f"/items/{assigned.pk}/")


@pytest.mark.django_db
class TestEscalation:
    def test_overdue_escalates_daily_to_the_leader_and_weekly_to_the_supervisor(self, assigned):
        lead = assigned.assignments.get(role="lead")
        due = lead.due_on  # 2026-06-02, a Tuesday
        target = f"assignment:{lead.pk}"
        for day in range(1, 9):
            send_reminders(today=due + timedelta(days=day))
        leader_days = [
            period
            for user, period in reminders(ReminderKind.OVERDUE_LEADER, target)
            if user == "leader"
        ]
        assert len(leader_days) == 8
        weeks = [
            period
            for user, period in reminders(ReminderKind.OVERDUE_SUPERVISOR, target)
            if user == "npc_office"
        ]
        assert weeks == ["2026-W23", "2026-W24"]
        assert ("staff", (due + timedelta(days=1)).isoformat()) not in reminders(
            ReminderKind.OVERDUE_LEADER
        )

    def test_a_replied_assignment_is_no_longer_chased(
        self, assigned, unit_staff, unit_leader, npc_supervisor
    ):
        lead = assigned.assignments.get(role="lead")
        reply = reply_services.reply_start(assignment=lead, actor=unit_staff)
        reply = reply_services.reply_save(
            reply=reply, actor=unit_staff, version=reply.version, body_html="x", result_class="A"
        )
        reply_services.reply_submit(reply=reply, actor=unit_staff)
        reply = reply_services.reply_sign(reply=reply, actor=unit_leader)
        reply_services.reply_approve(reply=reply, actor=npc_supervisor)
        send_reminders(today=lead.due_on + timedelta(days=3))
        assert reminders(ReminderKind.OVERDUE_LEADER) == []


@pytest.mark.django_db
class TestOnce:
    def test_running_the_sweep_twice_adds_nothing(self, assigned):
        today = assigned.assignments.get(role="lead").due_on - timedelta(days=7)
        first = send_reminders(today=today)
        notices = Notification.objects.count()
        second = send_reminders(today=today)
        assert first["delivered"] == first["recorded"] > 0
        assert second == {"recorded": 0, "delivered": 0}
        assert Notification.objects.count() == notices

    def test_a_sweep_that_dies_mid_batch_sends_that_batch_once_later(self, assigned, monkeypatch):
        from proposals import reminders as module
        from proposals.models import ReminderStatus

        today = assigned.assignments.get(role="lead").due_on - timedelta(days=7)
        total = module.record(module.collect(today))
        assert total >= 2
        notices_before = Notification.objects.count()
        calls = {"n": 0}
        original = module._notify_batch

        def die_in_second_batch(ids):
            calls["n"] += 1
            if calls["n"] > 1:
                original(ids)  # the notices are written, then the worker dies before the commit
                raise RuntimeError("worker died")
            return original(ids)

        monkeypatch.setattr(module, "_notify_batch", die_in_second_batch)
        with pytest.raises(RuntimeError):
            module.deliver(batch=1)
        monkeypatch.undo()
        assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 1
        assert Notification.objects.count() - notices_before == 1  # the dead batch rolled back
        assert module.deliver() == total - 1
        assert module.deliver() == 0
        assert Notification.objects.count() - notices_before == total  # each exactly once
        assert not Reminder.objects.exclude(status=ReminderStatus.SENT).exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_send_each_reminder_once(assigned):
    assert connection.vendor == "postgresql"
    today = assigned.assignments.get(role="lead").due_on - timedelta(days=3)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(send_reminders(today=today))
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r["delivered"] for r in results) == Reminder.objects.count() > 0
    assert Notification.objects.filter(message__contains="还有3天").count() == 2  # staff, leader


@pytest.mark.django_db
class TestUrgingNotice:
    def test_supervisor_sends_a_pdf_of_the_units_overdue_items(
        self, login, assigned, npc_supervisor, unit, unit_staff
    ):
        from proposals.models import EventAction, UrgingNotice

        lead = assigned.assignments.get(role="lead")
        assigned.assignments.filter(pk=lead.pk).update(
            due_on=timezone.localdate() - timedelta(days=4)
        )
        response = login(npc_supervisor).post(f"/items/urging/{unit.pk}/send/", follow=True)
        assert "已向杭州市民政局发出催办通知（1件）" in response.content.decode()
        notice = UrgingNotice.objects.get()
        assert notice.item_count == 1 and notice.file.read().startswith(b"%PDF")
        assert assigned.events.filter(action=EventAction.URGED).exists()
        message = Notification.objects.get(recipient=unit_staff, message__contains="催办通知")
        pdf = login(unit_staff).get(message.url)
        assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
        other = UserFactory(
            username="czj", role="unit_staff", unit=UnitFactory(name="杭州市财政局")
        )
        assert login(other).get(message.url).status_code == 404

    def test_a_notice_is_read_only_by_supervisors_of_its_items_and_its_unit(
        self, login, assigned, npc_supervisor, cppcc_supervisor, unit, unit_staff
    ):
        from proposals.models import UrgingNotice

        lead = assigned.assignments.get(role="lead")
        assigned.assignments.filter(pk=lead.pk).update(
            due_on=timezone.localdate() - timedelta(days=4)
        )
        login(npc_supervisor).post(f"/items/urging/{unit.pk}/send/")
        notice = UrgingNotice.objects.get()
        url = f"/items/urging/notices/{notice.pk}.pdf"
        assert url in login(npc_supervisor).get("/items/urging/").content.decode()
        both = UserFactory(username="gov", role="supervisor", supervisor_scope="all")
        pdf = login(both).get(url)
        assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
        # the 政协 office does not read a notice listing 人大 items, nor see it listed
        other_body = login(cppcc_supervisor)
        refused = other_body.get(url)
        assert refused.status_code == 404 and b"%PDF" not in refused.content
        assert url not in other_body.get("/items/urging/").content.decode()
        assert login(unit_staff).get(url).status_code == 200

    def test_nothing_overdue_nothing_sent(self, assigned, npc_supervisor, unit):
        from django.core.exceptions import ValidationError

        from proposals.models import UrgingNotice
        from proposals.urging import urging_notice_send

        assigned.assignments.update(due_on=timezone.localdate() + timedelta(days=10))
        with pytest.raises(ValidationError, match="没有逾期未办结"):
            urging_notice_send(unit=unit, actor=npc_supervisor)
        assert not UrgingNotice.objects.exists()

    def test_only_supervisors(self, login, assigned, unit, unit_leader, member):
        from proposals.models import UrgingNotice

        notices = Notification.objects.count()
        refused = login(unit_leader).post(f"/items/urging/{unit.pk}/send/")
        assert refused.status_code == 403 and "没有权限" in refused.content.decode()
        assert not UrgingNotice.objects.exists()  # nothing generated, nobody told
        assert Notification.objects.count() == notices
        assert not assigned.events.filter(action=EventAction.URGED).exists()
        listing = login(member).get("/items/urging/")
        assert listing.status_code == 403 and unit.name not in listing.content.decode()


# --- SMS through the HTTP gateway backend ----------------------------------------------------


@pytest.fixture
def gateway(settings):
    """A gateway on loopback that records what it is sent; the first message to 13900000002
    is answered 503 (a gateway hiccup)."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from accounts.sms import backend

    received: list[dict] = []
    failed: set[str] = set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body["authorization"] = self.headers["Authorization"]
            received.append(body)
            hiccup = body["phone"] == "13900000002" and body["phone"] not in failed
            failed.add(body["phone"])
            self.send_response(503 if hiccup else 200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.SMS_BACKEND = "accounts.sms.HttpSMSBackend"
    settings.SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_GATEWAY_TOKEN = "secret-token"
    backend.cache_clear()
    yield received
    server.shutdown()
    backend.cache_clear()


@pytest.mark.django_db
def test_reminders_reach_the_sms_gateway_and_a_failed_message_is_retried(
    assigned, unit_staff, unit_leader, gateway, django_capture_on_commit_callbacks
):
    type(unit_staff).objects.filter(pk=unit_staff.pk).update(mobile="13900000001")
    type(unit_leader).objects.filter(pk=unit_leader.pk).update(mobile="13900000002")
    due = assigned.assignments.get(role="lead").due_on
    with django_capture_on_commit_callbacks(execute=True):
        send_reminders(today=due - timedelta(days=3))
    texts = [(m["phone"], m["text"]) for m in gateway if "还有3天" in m["text"]]
    # the staff member's message once; the leader's twice: refused (503), then sent again
    assert sorted(phone for phone, _ in texts) == ["13900000001", "13900000002", "13900000002"]
    assert all(m["authorization"] == "Bearer secret-token" for m in gateway)
