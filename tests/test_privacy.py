"""A member never reaches another member's item: not by URL, list, filter, dropdown or search."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from proposals import services
from proposals.models import ProposalEvent

from .factories import CategoryFactory, MeetingFactory


@pytest.fixture
def secret(other_member, npc_meeting, npc_category):
    hidden_category = CategoryFactory(body="npc", name="保密类别")
    proposal = services.proposal_create(
        author=other_member,
        meeting=npc_meeting,
        title="关于秘密养老事项的建议",
        body="不公开的正文",
        category=hidden_category,
        attachments=[SimpleUploadedFile("秘密.pdf", b"%PDF-1.4 secret")],
    )
    return services.proposal_submit(proposal=proposal, actor=other_member)


@pytest.mark.django_db
class TestMemberIsolation:
    def test_by_url(self, login, member, secret):
        client = login(member)
        assert client.get(reverse("proposals:detail", args=[secret.pk])).status_code == 404
        attachment = secret.attachments.get()
        assert client.get(reverse("proposals:attachment", args=[attachment.pk])).status_code == 404

    def test_by_list_filter_and_search(self, login, member, secret, npc_meeting, npc_category):
        own = services.proposal_create(
            author=member,
            meeting=npc_meeting,
            title="关于我的养老建议",
            body="x",
            category=npc_category,
        )
        client = login(member)
        for params in (
            {},
            {"q": "养老"},
            {"q": "秘密"},
            {"status": "submitted"},
            {"category": secret.category_id},
            {"meeting": npc_meeting.pk},
        ):
            html = client.get(reverse("proposals:list"), params).content.decode()
            assert "关于秘密养老事项的建议" not in html, params
        assert own.title in client.get(reverse("proposals:list"), {"q": "养老"}).content.decode()

    def test_filter_dropdowns_offer_only_what_the_member_may_see(self, login, member, secret):
        html = login(member).get(reverse("proposals:list")).content.decode()
        assert "保密类别" not in html
        assert secret.meeting.short_name not in html  # the member has no item in that meeting yet

    def test_the_owner_sees_it(self, login, other_member, secret):
        html = login(other_member).get(reverse("proposals:list"), {"q": "秘密"}).content.decode()
        assert "关于秘密养老事项的建议" in html

    def test_supervisor_of_the_other_body_sees_nothing(self, login, cppcc_supervisor, secret):
        client = login(cppcc_supervisor)
        assert client.get(reverse("proposals:detail", args=[secret.pk])).status_code == 404
        assert (
            "关于秘密养老事项的建议" not in client.get(reverse("proposals:list")).content.decode()
        )
        assert (
            "关于秘密养老事项的建议"
            not in client.get(reverse("proposals:review_queue")).content.decode()
        )

    def test_phone_number_is_shown_to_the_supervisor_not_to_a_cosigner(
        self, login, member, other_member, npc_supervisor, npc_meeting, npc_category
    ):
        proposal = services.proposal_create(
            author=member, meeting=npc_meeting, title="甲", body="x", category=npc_category
        )
        services.cosigner_invite(proposal=proposal, actor=member, member=other_member)
        phone = member.member_profile.phone
        assert (
            phone
            not in login(other_member)
            .get(reverse("proposals:detail", args=[proposal.pk]))
            .content.decode()
        )
        services.proposal_submit(proposal=proposal, actor=member)
        assert (
            phone
            in login(npc_supervisor)
            .get(reverse("proposals:detail", args=[proposal.pk]))
            .content.decode()
        )


@pytest.mark.django_db
class TestEventLog:
    def test_events_cannot_be_changed_or_deleted(self, member, npc_meeting, npc_category):
        proposal = services.proposal_create(
            author=member, meeting=npc_meeting, title="甲", body="x", category=npc_category
        )
        event = proposal.events.get()
        event.note = "篡改"
        with pytest.raises(ValidationError):
            event.save()
        with pytest.raises(ValidationError):
            event.delete()
        with pytest.raises(ValidationError):
            ProposalEvent.objects.filter(pk=event.pk).update(note="篡改")
        with pytest.raises(ValidationError):
            ProposalEvent.objects.all().delete()
        assert ProposalEvent.objects.get(pk=event.pk).note == ""

    def test_the_admin_cannot_edit_events(
        self, login, administrator, member, npc_meeting, npc_category
    ):
        proposal = services.proposal_create(
            author=member, meeting=npc_meeting, title="甲", body="x", category=npc_category
        )
        event = proposal.events.get()
        client = login(administrator)
        url = reverse("admin:proposals_proposalevent_change", args=[event.pk])
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="note"' not in page.content.decode()  # read-only view
        client.post(url, {"note": "篡改"})
        assert (
            client.post(
                reverse("admin:proposals_proposalevent_delete", args=[event.pk]), {"post": "yes"}
            ).status_code
            == 403
        )
        event.refresh_from_db()
        assert event.note == ""

    def test_every_transition_writes_one_event_in_the_same_transaction(
        self, member, npc_supervisor, npc_meeting, npc_category
    ):
        proposal = services.proposal_create(
            author=member, meeting=npc_meeting, title="甲", body="x", category=npc_category
        )
        services.proposal_submit(proposal=proposal, actor=member)
        services.proposal_register(proposal=proposal, actor=npc_supervisor)
        rows = list(
            proposal.events.values_list("action", "actor__username", "from_status", "to_status")
        )
        assert rows == [
            ("created", "hehong", "", "draft"),
            ("submitted", "hehong", "draft", "submitted"),
            ("registered", "npc_office", "submitted", "registered"),
        ]


@pytest.mark.django_db
def test_a_meeting_in_another_body_is_not_offered(login, member, cppcc_meeting, npc_meeting):
    html = login(member).get(reverse("proposals:create")).content.decode()
    assert npc_meeting.short_name in html
    assert cppcc_meeting.short_name not in html


@pytest.mark.django_db
def test_closed_meetings_are_not_offered(login, member):
    from datetime import timedelta

    from django.utils import timezone

    closed = MeetingFactory(
        body="npc",
        short_name="已截止的会议",
        submission_opens_at=timezone.now() - timedelta(days=90),
        submission_closes_at=timezone.now() - timedelta(days=1),
    )
    assert closed.short_name not in login(member).get(reverse("proposals:create")).content.decode()
