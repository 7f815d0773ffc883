"""The security audit trail: the hash chain finds edited and deleted records, appends do not fork
under concurrency, the purge records itself, and logins, exports and downloads are recorded."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.signals import security_event_send
from audit.chain import PURGE_ACTION, append, purge, verify
from audit.models import AppendOnlyError, AuditRecord
from audit.tasks import purge_audit_records

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditRecord.objects.order_by("sequence").values_list("action", flat=True))


def verify_output() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def tamper(sql: str, params: list[object]) -> None:
    """What someone with write access to the database could do: go around the model and, on
    PostgreSQL, switch off the append-only trigger for this transaction's statement."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER audit_record_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER audit_record_append_only")


def three_records() -> list[AuditRecord]:
    user = User.objects.create_user(username="zhou", password="pass-1234", full_name="zhou")
    return [
        append("login", actor=user, address="203.0.113.5", target=f"user:{user.pk}"),
        append("password.changed", actor=user, address="203.0.113.5", detail={"how": "form"}),
        append("logout", actor=user, address="203.0.113.5"),
    ]


# --- the chain -----------------------------------------------------------------------------------


def test_an_intact_chain_verifies_and_says_how_many() -> None:
    three_records()
    assert verify().ok
    assert "OK: 3 audit records verified." in verify_output()


def test_each_record_links_to_the_one_before() -> None:
    first, second, third = three_records()
    assert first.previous_hash == ""
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    assert [first.sequence, second.sequence, third.sequence] == [1, 2, 3]


def test_an_edited_record_is_named_by_verify_audit() -> None:
    _first, second, _third = three_records()
    tamper("UPDATE audit_auditrecord SET address = %s WHERE id = %s", ["198.51.100.1", second.pk])

    with pytest.raises(CommandError) as raised:
        verify_output()
    assert f"record id {second.pk} (sequence 2," in str(raised.value)
    assert "edited" in str(raised.value)


def test_an_edited_detail_is_found_too() -> None:
    _first, second, _third = three_records()
    tamper("UPDATE audit_auditrecord SET detail = %s WHERE id = %s", ['{"how": "sso"}', second.pk])
    assert verify().broken == second


def test_a_deleted_record_is_found_at_the_next_one() -> None:
    _first, second, third = three_records()
    tamper("DELETE FROM audit_auditrecord WHERE id = %s", [second.pk])

    with pytest.raises(CommandError) as raised:
        verify_output()
    assert f"record id {third.pk} (sequence 3," in str(raised.value)
    assert "missing" in str(raised.value)


def test_deleting_the_newest_record_is_found_against_the_chain_head() -> None:
    _first, second, third = three_records()
    tamper("DELETE FROM audit_auditrecord WHERE id = %s", [third.pk])
    result = verify()
    assert (result.broken, result.reason) == (second, "missing_after")
    with pytest.raises(CommandError, match="missing"):
        verify_output()


def test_a_recomputed_hash_without_the_key_does_not_pass(settings) -> None:  # type: ignore[no-untyped-def]
    """Someone who edits a row and recomputes its hash with another key (not AUDIT_CHAIN_KEY) is
    caught."""
    from audit.chain import record_hash

    _first, second, _third = three_records()
    second.address = "198.51.100.1"
    settings.AUDIT_CHAIN_KEY = "a-guess"
    forged = record_hash(second)
    settings.AUDIT_CHAIN_KEY = ""
    tamper(
        "UPDATE audit_auditrecord SET address = %s, hash = %s WHERE id = %s",
        ["198.51.100.1", forged, second.pk],
    )
    assert verify().broken == second


def test_records_refuse_change_and_delete_through_the_orm() -> None:
    first, _second, _third = three_records()
    first.address = "198.51.100.1"
    with pytest.raises(AppendOnlyError):
        first.save()
    with pytest.raises(AppendOnlyError):
        first.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(pk=first.pk).update(result="failure")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.all().delete()
    assert AuditRecord.objects.get(pk=first.pk).address == "203.0.113.5"
    assert AuditRecord.objects.count() == 3


def test_the_database_refuses_update_and_delete_on_postgresql() -> None:
    first, _second, _third = three_records()
    for sql in (
        "UPDATE audit_auditrecord SET result = 'failure' WHERE id = %s",
        "DELETE FROM audit_auditrecord WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [first.pk])
    assert AuditRecord.objects.count() == 3
    assert verify().ok


def test_a_deleted_user_leaves_the_chain_intact() -> None:
    three_records()

    User.objects.filter(username="zhou").delete()
    assert verify().ok
    assert set(AuditRecord.objects.values_list("actor_username", flat=True)) == {"zhou"}


# --- concurrency ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_appending_at_once_do_not_fork_the_chain() -> None:
    """Two threads, each with its own PostgreSQL connection, append 25 records each at once."""
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            start.wait()
            for number in range(25):
                with transaction.atomic():
                    append("test.concurrent", target=f"{name}:{number}")
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    records = list(AuditRecord.objects.order_by("sequence"))
    assert [record.sequence for record in records] == list(range(1, 51))
    assert len({record.previous_hash for record in records}) == 50  # no two after the same one
    assert {record.target.split(":")[0] for record in records} == {"a", "b"}
    assert verify().ok


# --- the purge -----------------------------------------------------------------------------------


def test_the_purge_deletes_old_records_records_itself_and_verify_still_passes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = three_records()
    # a record written 200 days later (the chain takes its time from django.utils.timezone)
    later = timezone.now() + timedelta(days=200)
    monkeypatch.setattr("audit.chain.timezone.now", lambda: later)
    recent = append("login.failed", address="203.0.113.9", result="failure")

    anchor = purge(180)

    assert anchor is not None and anchor.action == PURGE_ACTION
    assert anchor.detail["deleted"] == 3
    assert anchor.detail["last_purged_sequence"] == old[-1].sequence
    assert anchor.detail["last_purged_hash"] == old[-1].hash
    assert actions() == ["login.failed", PURGE_ACTION]
    assert AuditRecord.objects.get(pk=recent.pk).address == "203.0.113.9"
    assert verify_output() == "OK: 2 audit records verified.\n"


def test_the_daily_job_keeps_recent_records_and_records_only_a_real_purge(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AUDIT_KEEP_DAYS = 180
    three_records()
    assert purge_audit_records() == 0
    assert actions() == ["login", "password.changed", "logout"]  # nothing deleted, nothing said


def test_a_second_purge_still_verifies(settings) -> None:  # type: ignore[no-untyped-def]
    three_records()
    first_purge = purge(180, now=timezone.now() + timedelta(days=181))
    assert first_purge is not None
    append("login", address="203.0.113.9")
    second_purge = purge(180, now=timezone.now() + timedelta(days=400))
    assert second_purge is not None
    assert actions() == [PURGE_ACTION]
    assert verify().ok


def test_deleting_old_records_without_the_purge_is_found() -> None:
    first, second, _third = three_records()
    tamper("DELETE FROM audit_auditrecord WHERE id = %s", [first.pk])
    result = verify()
    assert result.broken == second and result.reason == "missing_before"


def test_the_beat_schedule_runs_the_purge_daily(settings) -> None:  # type: ignore[no-untyped-def]
    job = settings.CELERY_BEAT_SCHEDULE["purge-audit-records"]
    assert job == {"task": "audit.tasks.purge_audit_records", "schedule": 86400.0}


# --- what is recorded ----------------------------------------------------------------------------


def test_a_login_and_a_failed_login_are_recorded_with_the_address() -> None:
    user = User.objects.create_user(username="liwen", password="pass-1234", full_name="liwen")
    client = Client()
    client.post("/login/", {"username": "liwen", "password": "wrong"}, REMOTE_ADDR="203.0.113.7")
    client.post(
        "/login/", {"username": "liwen", "password": "pass-1234"}, REMOTE_ADDR="203.0.113.8"
    )
    client.post("/logout/", REMOTE_ADDR="203.0.113.8")

    failed, login, logout = AuditRecord.objects.order_by("sequence")
    assert (failed.action, failed.result, failed.address) == (
        "login.failed",
        "failure",
        "203.0.113.7",
    )
    assert failed.detail == {"username": "liwen"}
    assert failed.actor_id is None
    assert (login.action, login.result, login.address) == ("login", "success", "203.0.113.8")
    assert (login.actor_id, login.actor_username) == (user.pk, "liwen")
    assert (logout.action, logout.actor_username) == ("logout", "liwen")
    assert "pass-1234" not in str(failed.detail) and "wrong" not in str(failed.detail)


def test_a_security_event_is_recorded_with_who_what_and_where(rf) -> None:  # type: ignore[no-untyped-def]
    user = User.objects.create_user(username="sec", password="pass-1234", full_name="sec")
    request = rf.post("/", REMOTE_ADDR="203.0.113.20")
    request.user = user
    security_event_send(
        "otp.enabled", target=f"user:{user.pk}", detail={"device": "totp"}, request=request
    )
    record = AuditRecord.objects.get()
    assert (record.action, record.actor_username, record.address) == (
        "otp.enabled",
        "sec",
        "203.0.113.20",
    )
    assert record.detail == {"device": "totp"}
    assert record.result == "success"


def test_a_nul_character_in_what_is_recorded_is_dropped_and_the_chain_holds(rf) -> None:  # type: ignore[no-untyped-def]
    """An attacker's NUL (say, in an SSO provider's error) cannot keep the record out: PostgreSQL
    text and jsonb cannot hold NUL, so it is removed before the record is hashed and kept."""
    request = rf.get("/", REMOTE_ADDR="203.0.113.21")
    security_event_send(
        "login.sso_refused",
        target="sso:\x00x",
        detail={"provider_error": "\x00bad", "nested": ["a\x00b"]},
        result="failure",
        request=request,
    )
    record = AuditRecord.objects.get()
    assert record.target == "sso:x"
    assert record.detail == {"provider_error": "bad", "nested": ["ab"]}
    assert verify_output().startswith("OK")


# --- exports and letter downloads ------------------------------------------------------------------


def test_an_excel_export_is_recorded_with_its_filter(login, member) -> None:  # type: ignore[no-untyped-def]
    response = login(member).get(reverse("proposals:export_items"), {"status": "submitted"})
    assert response.status_code == 200

    record = AuditRecord.objects.get(action="export.items")
    assert record.actor_id == member.pk
    assert record.address == "127.0.0.1"
    assert record.detail["rows"] == 0
    assert "status=submitted" in record.detail["query"]


@pytest.fixture
def sent_reply(  # type: ignore[no-untyped-def]
    member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader
):
    """A sent reply whose letter is ready (stored directly: rendering is not what is tested)."""
    from django.core.files.base import ContentFile

    from proposals import services
    from replies import services as reply_services
    from replies.models import Letter, LetterStatus

    proposal = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于加装电梯的建议",
        body="x",
        category=npc_category,
    )
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=npc_supervisor)
    services.proposal_assign(proposal=proposal, actor=npc_supervisor, lead_unit=unit, co_units=[])
    lead = proposal.assignments.get(role="lead")
    services.assignment_accept(assignment=lead, actor=unit_staff)
    reply = reply_services.reply_start(assignment=lead, actor=unit_staff)
    reply = reply_services.reply_save(
        reply=reply, actor=unit_staff, version=reply.version, body_html="答复正文", result_class="B"
    )
    reply_services.reply_submit(reply=reply, actor=unit_staff)
    reply = reply_services.reply_sign(reply=reply, actor=unit_leader)
    reply = reply_services.reply_approve(reply=reply, actor=npc_supervisor)
    letter = Letter.objects.get(reply=reply)
    letter.file.save("letter.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    letter.status = LetterStatus.READY
    letter.save()
    return reply


def test_a_letter_download_is_recorded_and_a_refused_one_is_not(  # type: ignore[no-untyped-def]
    login, sent_reply, member, third_member
) -> None:
    url = reverse("replies:letter", args=[sent_reply.pk])
    assert login(third_member).get(url).status_code == 404
    assert not AuditRecord.objects.filter(action="letter.downloaded").exists()

    response = login(member).get(url)
    assert response.status_code == 200

    record = AuditRecord.objects.get(action="letter.downloaded")
    assert (record.actor_username, record.target) == (member.username, f"reply:{sent_reply.pk}")


def test_the_meeting_archive_download_is_recorded(  # type: ignore[no-untyped-def]
    login, sent_reply, npc_supervisor, npc_meeting
) -> None:
    response = login(npc_supervisor).get(reverse("replies:letters_zip", args=[npc_meeting.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)

    record = AuditRecord.objects.get(action="letter.archive_downloaded")
    assert record.target == f"meeting:{npc_meeting.pk}"
    assert record.detail == {"letters": 1, "missing": 0}


def test_production_refuses_to_keep_audit_records_less_than_180_days() -> None:
    from .test_security import run_prod

    refused = run_prod("manage.py", "check", AUDIT_KEEP_DAYS="30")
    assert refused.returncode != 0
    assert "AUDIT_KEEP_DAYS must be at least 180" in refused.stderr
    assert run_prod("manage.py", "check", AUDIT_KEEP_DAYS="365").returncode == 0
