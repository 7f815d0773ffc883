"""Replies: drafting with versions and conflict checks, punctuation, sign-off, supervisory review,
document numbers, immutability and corrections, letters, downloads and archive."""

from __future__ import annotations

import io
import threading
import zipfile
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from accounts.models import Notification
from proposals import services
from proposals.models import EventAction, ProposalStatus
from replies import services as reply_services
from replies.models import DocumentCounter, Letter, LetterStatus, Reply, ReplyStatus
from replies.tasks import queue_pending_letters, render_letter_task
from replies.text import clean_body, count_halfwidth_punctuation, fix_punctuation

from .factories import UnitFactory, UserFactory


@pytest.fixture
def handled(member, npc_supervisor, npc_meeting, npc_category, unit, unit_staff):
    """A registered item assigned to 杭州市民政局 (lead) and 团市委 (co), signed for by the lead."""
    unit.document_prefix = "杭民函"
    unit.contact_person, unit.contact_phone = "孙华锋", "89586327"
    unit.save()
    npc_meeting.reply_cc = "市人大常委会代表工作委员会，市政府督查室"
    npc_meeting.save()
    proposal = services.proposal_create(
        author=member,
        meeting=npc_meeting,
        title="关于引导社会组织参与未成年人保护的建议",
        body="x",
        category=npc_category,
    )
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=npc_supervisor)
    co_unit = UnitFactory(name="共青团杭州市委员会", short_name="团市委")
    services.proposal_assign(
        proposal=proposal, actor=npc_supervisor, lead_unit=unit, co_units=[co_unit]
    )
    lead = proposal.assignments.get(role="lead")
    services.assignment_accept(assignment=lead, actor=unit_staff)
    proposal.refresh_from_db()
    return proposal


@pytest.fixture
def draft(handled, unit_staff):
    reply = reply_services.reply_start(
        assignment=handled.assignments.get(role="lead"), actor=unit_staff
    )
    return reply_services.reply_save(
        reply=reply,
        actor=unit_staff,
        version=reply.version,
        body_html="一、工作开展情况\n我们认真研究，积极推进。",
        result_class="B",
    )


def send(reply, staff, leader, supervisor, result_class=None):
    reply_services.reply_submit(reply=reply, actor=staff)
    reply = reply_services.reply_sign(reply=reply, actor=leader)
    return reply_services.reply_approve(reply=reply, actor=supervisor, result_class=result_class)


@pytest.mark.django_db
class TestDraft:
    def test_defaults_name_the_meeting_the_item_and_the_units(self, draft):
        assert draft.title == "杭州市民政局关于市14届人大3次会议萧山1号建议的答复"
        assert draft.salutation == "何红代表："
        assert "《关于引导社会组织参与未成年人保护的建议》（萧山1号）" in draft.opening
        assert "经我单位主办，团市委会办" in draft.opening
        assert draft.cc == "市人大常委会代表工作委员会，市政府督查室，团市委。"
        assert (draft.contact_person, draft.contact_phone) == ("孙华锋", "89586327")

    def test_joint_item_salutation_names_every_signer(
        self, handled, unit_staff, member, other_member
    ):
        from proposals.models import CoSigner

        CoSigner.objects.create(proposal=handled, member=other_member, status="confirmed")
        reply = reply_services.reply_start(
            assignment=handled.assignments.get(role="lead"), actor=unit_staff
        )
        assert reply.salutation == "何红、王建国代表："

    def test_every_save_keeps_a_version(self, draft, unit_staff):
        reply_services.reply_save(
            reply=draft, actor=unit_staff, version=draft.version, thanks="谢谢！"
        )
        assert list(draft.versions.values_list("number", flat=True)) == [3, 2, 1]
        assert draft.versions.get(number=2).snapshot["thanks"] != "谢谢！"

    def test_a_stale_save_is_refused_and_overwrites_nothing(self, draft, unit_staff, unit_leader):
        loaded = draft.version
        reply_services.reply_save(
            reply=draft, actor=unit_leader, version=loaded, thanks="负责人改的"
        )
        with pytest.raises(reply_services.ReplyConflict, match=r"周建华已于.*保存了新的内容"):
            reply_services.reply_save(
                reply=draft, actor=unit_staff, version=loaded, thanks="承办员改的"
            )
        draft.refresh_from_db()
        assert draft.thanks == "负责人改的"

    def test_conflict_in_the_form_keeps_the_typed_text(self, login, draft, unit_staff, unit_leader):
        form = login(unit_staff).get(reverse("replies:edit", args=[draft.pk])).context["form"]
        data = {k: (v if v is not None else "") for k, v in form.initial.items()}
        data.update(
            {
                "version": draft.version,
                "body_html": "我刚写的正文",
                "signed_on": "",
                "disclosure": "public",
            }
        )
        reply_services.reply_save(
            reply=draft, actor=unit_leader, version=draft.version, thanks="别人先保存"
        )
        response = login(unit_staff).post(
            reverse("replies:edit", args=[draft.pk]), {**data, "save": "1"}
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert "我刚写的正文" in html and "保存了新的内容" in html
        draft.refresh_from_db()
        assert "我刚写的正文" not in draft.body_html

    def test_body_is_sanitised(self, draft, unit_staff):
        reply = reply_services.reply_save(
            reply=draft,
            actor=unit_staff,
            version=draft.version,
            body_html='<p onclick="x">正文<script>alert(1)</script><img src="http://evil/x.png"></p><b>加粗</b>',
        )
        assert reply.body_html == "<p>正文</p><p><b>加粗</b></p>"

    def test_withheld_needs_a_reason(self, draft, unit_staff):
        with pytest.raises(ValidationError, match="不予公开时须写明理由"):
            reply_services.reply_save(
                reply=draft, actor=unit_staff, version=draft.version, disclosure="withheld"
            )

    def test_result_class_comes_from_the_policy(self, draft, unit_staff, npc_meeting):
        with pytest.raises(ValidationError, match="答复类别须为"):
            reply_services.reply_save(
                reply=draft, actor=unit_staff, version=draft.version, result_class="D"
            )
        npc_meeting.result_classes = [
            *npc_meeting.result_classes,
            {"code": "D", "label": "D类", "description": "留作参考"},
        ]
        npc_meeting.save()
        reply_services.reply_save(
            reply=draft, actor=unit_staff, version=draft.version, result_class="D"
        )

    def test_a_co_unit_cannot_reply(self, handled):
        co = handled.assignments.get(role="co")
        staff = UserFactory(username="tsw", role="unit_staff", unit=co.unit)
        with pytest.raises(ValidationError, match="会办单位不直接答复"):
            reply_services.reply_start(assignment=co, actor=staff)


class TestPunctuation:
    @pytest.mark.parametrize(
        ("text", "fixed"),
        [
            ("我局高度重视,认真研究", "我局高度重视，认真研究"),
            ("(一)政策支持:加大投入;好!是否?", "（一）政策支持：加大投入；好！是否？"),
            ("投入1.2亿元,占50%", "投入1.2亿元，占50%"),
            ("共1,000人,10:30开会", "共1,000人，10:30开会"),
            ("Hello, world (test)", "Hello, world (test)"),
            ("(联系人:贺威 联系电话:13795952836)", "（联系人：贺威 联系电话：13795952836）"),
        ],
    )
    def test_fix(self, text, fixed):
        assert fix_punctuation(text) == fixed

    def test_count(self):
        assert count_halfwidth_punctuation("重视,研究:好") == 2

    def test_plain_text_becomes_paragraphs(self):
        assert clean_body("第一段\n\n第二段 <不是标签") == "<p>第一段</p><p>第二段 &lt;不是标签</p>"


@pytest.mark.django_db
class TestWorkflow:
    def test_staff_submits_leader_signs_supervisor_changes_class_and_sends(
        self, draft, unit_staff, unit_leader, npc_supervisor, member, handled
    ):
        reply = send(draft, unit_staff, unit_leader, npc_supervisor, result_class="A")
        assert (reply.status, reply.result_class, reply.signer_name) == (
            ReplyStatus.SENT,
            "A",
            "周建华",
        )
        assert reply.document_number == f"杭民函〔{reply.signed_on.year}〕1号"
        handled.refresh_from_db()
        assert handled.status == ProposalStatus.REPLIED
        assert handled.assignments.get(role="lead").status == "replied"
        actions = list(handled.events.values_list("action", flat=True))
        wanted = [
            "reply_submitted",
            "reply_signed",
            "reply_class_changed",
            "reply_approved",
            "reply_sent",
        ]
        assert [a for a in actions if a in wanted][:5] == wanted
        assert handled.events.get(action=EventAction.REPLY_CLASS_CHANGED).note == "B → A"
        assert Notification.objects.filter(recipient=member, message__contains="已答复").exists()

    def test_staff_cannot_sign(self, draft, unit_staff):
        reply_services.reply_submit(reply=draft, actor=unit_staff)
        with pytest.raises(ValidationError, match="单位负责人签发"):
            reply_services.reply_sign(reply=draft, actor=unit_staff)

    def test_leader_sends_back_with_comments(self, draft, unit_staff, unit_leader):
        reply_services.reply_submit(reply=draft, actor=unit_staff)
        with pytest.raises(ValidationError):
            reply_services.reply_send_back(reply=draft, actor=unit_leader, comment="")
        reply = reply_services.reply_send_back(reply=draft, actor=unit_leader, comment="请补充数据")
        assert (reply.status, reply.return_comment) == (ReplyStatus.DRAFT, "请补充数据")

    def test_sign_off_is_refused_until_a_face_to_face_contact_for_key_items(
        self, draft, unit_staff, unit_leader, handled
    ):
        # (送签 is refused the same way: tests/test_policy_rules.py)
        handled.is_key = True
        handled.save()
        with pytest.raises(ValidationError, match="目前还没有沟通记录。请先当面沟通并记录，再签发"):
            reply_services.reply_sign(reply=draft, actor=unit_leader)
        services.contact_record_create(
            assignment=draft.assignment,
            actor=unit_staff,
            method="phone",
            contacted_on=date.today(),
            participants="何红",
            notes="电话沟通",
        )
        with pytest.raises(ValidationError, match="目前只记录了电话沟通"):
            reply_services.reply_sign(reply=draft, actor=unit_leader)
        draft.refresh_from_db()
        assert draft.status == ReplyStatus.DRAFT
        services.contact_record_create(
            assignment=draft.assignment,
            actor=unit_staff,
            method="face_to_face",
            contacted_on=date.today(),
            participants="何红",
            notes="面商",
        )
        assert (
            reply_services.reply_sign(reply=draft, actor=unit_leader).status
            == ReplyStatus.IN_REVIEW
        )

    def test_without_supervisory_review_signing_sends(
        self, draft, unit_staff, unit_leader, npc_meeting
    ):
        npc_meeting.supervisor_review_required = False
        npc_meeting.save()
        reply_services.reply_submit(reply=draft, actor=unit_staff)
        assert reply_services.reply_sign(reply=draft, actor=unit_leader).status == ReplyStatus.SENT

    def test_a_sent_reply_is_immutable_and_a_correction_keeps_the_number(
        self, draft, unit_staff, unit_leader, npc_supervisor, django_capture_on_commit_callbacks
    ):
        sent = send(draft, unit_staff, unit_leader, npc_supervisor)
        with pytest.raises(ValidationError, match="不能修改"):
            reply_services.reply_save(
                reply=sent, actor=unit_staff, version=sent.version, thanks="改"
            )
        correction = reply_services.reply_correct(reply=sent, actor=unit_staff)
        correction = reply_services.reply_save(
            reply=correction, actor=unit_staff, version=correction.version, thanks="更正后的结束语"
        )
        reply_services.reply_submit(reply=correction, actor=unit_staff)
        with django_capture_on_commit_callbacks(execute=True):
            correction = reply_services.reply_sign(reply=correction, actor=unit_leader)
        sent.refresh_from_db()
        assert (correction.status, correction.document_number) == (
            ReplyStatus.SENT,
            sent.document_number,
        )
        assert sent.status == ReplyStatus.SUPERSEDED
        assert Letter.objects.get(reply=correction).status == LetterStatus.READY
        assert DocumentCounter.objects.get(unit=sent.unit).last_serial == 1


@pytest.mark.django_db(transaction=True)
def test_document_numbers_have_no_gaps_or_duplicates_under_concurrency(
    npc_supervisor, npc_meeting, npc_category, unit, unit_staff, unit_leader, member
):
    assert connection.vendor == "postgresql"
    npc_meeting.supervisor_review_required = False
    npc_meeting.save()
    unit.document_prefix = "杭民函"
    unit.save()
    replies = []
    for i in range(6):
        proposal = services.proposal_create(
            author=member, meeting=npc_meeting, title=f"事项{i}", body="x", category=npc_category
        )
        services.proposal_submit(proposal=proposal, actor=member)
        services.proposal_register(proposal=proposal, actor=npc_supervisor)
        services.proposal_assign(proposal=proposal, actor=npc_supervisor, lead_unit=unit)
        lead = proposal.assignments.get()
        services.assignment_accept(assignment=lead, actor=unit_staff)
        reply = reply_services.reply_start(assignment=lead, actor=unit_staff)
        reply = reply_services.reply_save(
            reply=reply, actor=unit_staff, version=reply.version, body_html="正文", result_class="A"
        )
        replies.append(reply_services.reply_submit(reply=reply, actor=unit_staff))
    barrier = threading.Barrier(len(replies))
    errors: list[BaseException] = []

    def sign(reply: Reply) -> None:
        try:
            barrier.wait()
            reply_services.reply_sign(reply=reply, actor=unit_leader)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sign, args=(reply,)) for reply in replies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    serials = sorted(Reply.objects.values_list("document_serial", flat=True))
    assert serials == [1, 2, 3, 4, 5, 6]


@pytest.mark.django_db
class TestLettersAndAccess:
    def test_letter_is_rendered_after_commit_and_downloadable_by_signers_and_units(
        self,
        login,
        draft,
        unit_staff,
        unit_leader,
        npc_supervisor,
        member,
        other_member,
        third_member,
        django_capture_on_commit_callbacks,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            reply = send(draft, unit_staff, unit_leader, npc_supervisor)
        letter = Letter.objects.get(reply=reply)
        assert (
            letter.status == LetterStatus.READY
            and letter.page_count >= 1
            and len(letter.sha256) == 64
        )
        url = reverse("replies:letter", args=[reply.pk])
        for user in (member, unit_staff, npc_supervisor):
            response = login(user).get(url)
            assert response.status_code == 200 and b"".join(response.streaming_content).startswith(
                b"%PDF"
            )
        assert login(third_member).get(url).status_code == 404

    def test_drafts_are_internal_to_the_unit(
        self, login, draft, member, npc_supervisor, unit_staff
    ):
        assert login(member).get(reverse("replies:detail", args=[draft.pk])).status_code == 404
        assert (
            login(npc_supervisor).get(reverse("replies:detail", args=[draft.pk])).status_code == 404
        )
        assert login(unit_staff).get(reverse("replies:detail", args=[draft.pk])).status_code == 200

    def test_another_unit_cannot_reach_a_draft(self, login, draft):
        stranger = UserFactory(
            username="czj", role="unit_staff", unit=UnitFactory(name="杭州市财政局")
        )
        assert login(stranger).get(reverse("replies:edit", args=[draft.pk])).status_code == 404
        assert login(stranger).get(reverse("replies:preview", args=[draft.pk])).status_code == 404

    def test_leader_previews_the_pdf_of_a_draft(self, login, draft, unit_leader):
        response = login(unit_leader).get(reverse("replies:preview", args=[draft.pk]))
        assert response.status_code == 200 and response.content.startswith(b"%PDF")

    def test_failed_and_stuck_renders_are_retried_by_the_sweep(
        self, draft, unit_staff, unit_leader, npc_supervisor
    ):
        reply = send(draft, unit_staff, unit_leader, npc_supervisor)
        letter = Letter.objects.get(reply=reply)
        from datetime import timedelta

        from django.utils import timezone

        Letter.objects.filter(pk=letter.pk).update(
            status=LetterStatus.RENDERING, queued_at=timezone.now() - timedelta(hours=1)
        )
        assert queue_pending_letters() == 1  # eager here: the job runs at once
        letter.refresh_from_db()
        assert letter.status == LetterStatus.READY
        assert (
            render_letter_task.run(letter.pk) == "skipped"
        )  # a ready letter is not rendered twice

    def test_zip_of_a_meetings_letters_in_the_ui_and_by_command(
        self,
        login,
        draft,
        unit_staff,
        unit_leader,
        npc_supervisor,
        npc_meeting,
        cppcc_supervisor,
        tmp_path,
        django_capture_on_commit_callbacks,
    ):
        with django_capture_on_commit_callbacks(execute=True):
            reply = send(draft, unit_staff, unit_leader, npc_supervisor)
        response = login(npc_supervisor).get(reverse("replies:letters_zip", args=[npc_meeting.pk]))
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert [name.endswith(f"{reply.document_number}.pdf") for name in archive.namelist()] == [
            True
        ]
        assert (
            login(cppcc_supervisor)
            .get(reverse("replies:letters_zip", args=[npc_meeting.pk]))
            .status_code
            == 404
        )
        out = tmp_path / "letters.zip"
        call_command("export_letters", meeting=npc_meeting.pk, out=out, stdout=io.StringIO())
        assert len(zipfile.ZipFile(out).namelist()) == 1

        # a letter whose file is gone from the storage is listed, not a server error
        letter = Letter.objects.get(reply=reply)
        letter.file.storage.delete(letter.file.name)
        response = login(npc_supervisor).get(reverse("replies:letters_zip", args=[npc_meeting.pk]))
        assert response.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        assert archive.namelist() == ["缺失的答复函.txt"]
        note = archive.read("缺失的答复函.txt").decode()
        assert reply.document_number in note and "重新生成" in note
        errors = io.StringIO()
        call_command(
            "export_letters", meeting=npc_meeting.pk, out=out, stdout=io.StringIO(), stderr=errors
        )
        assert "1 份答复函的文件已不在存储中" in errors.getvalue()
