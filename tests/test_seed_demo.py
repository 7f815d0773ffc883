"""`seed_demo` builds the demo from the samples, idempotently, and generates items in bulk."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from accounts.models import Role, User
from proposals.models import CoSignerStatus, Proposal, ProposalEvent, ProposalStatus
from replies.models import Reply


@pytest.mark.django_db
def test_seed_demo_builds_the_sample_items_and_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    counts = (User.objects.count(), Proposal.objects.count(), ProposalEvent.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Proposal.objects.count(), ProposalEvent.objects.count()) == counts

    hangzhou = Proposal.objects.get(title="关于引导社会组织参与未成年人保护的建议")
    assert (hangzhou.lead.full_name, hangzhou.number_label, hangzhou.status) == (
        "何红",
        "萧山39号",
        ProposalStatus.REPLIED,
    )
    chaotian = Proposal.objects.get(title="关于加强全区未成年人关爱保护工作的建议")
    assert chaotian.lead.full_name == "刘安泽"
    assert [
        c.member.full_name for c in chaotian.cosigners.filter(status=CoSignerStatus.CONFIRMED)
    ] == ["徐丽娟"]
    assert "一是要在提高认识上着力" in chaotian.body
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)


@pytest.mark.django_db
def test_demo_logins_work():
    call_command("seed_demo", stdout=io.StringIO())
    for username in [
        "hehong",
        "liuanze",
        "mzj_staff",
        "mzj_leader",
        "npc_office",
        "cppcc_office",
        "admin",
    ]:
        client = Client()
        response = client.post("/login/", {"username": username, "password": "demo1234"})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_every_demo_user_has_an_example_address_and_the_readme_lists_every_login():
    call_command("seed_demo", stdout=io.StringIO())
    users = {user.username: user for user in User.objects.all()}
    assert {username: user.email.split("@")[1] for username, user in users.items()} == {
        username: "example.org" if user.role == Role.MEMBER else "example.gov.cn"
        for username, user in users.items()
    }
    assert all(
        user.email == f"{username}@{user.email.split('@')[1]}" for username, user in users.items()
    )
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Demo logins", 1)[1].split("The demo has", 1)[0]
    logins = {
        login
        for line in table.splitlines()
        if line.startswith("| `")
        for login in re.findall(r"`(\w+)`", line.split("|")[1])
    }
    assert logins == set(users)


@pytest.mark.django_db
def test_seed_demo_generates_items_with_numbers_and_events():
    call_command("seed_demo", stdout=io.StringIO())
    before = set(Proposal.objects.values_list("pk", flat=True))
    call_command("seed_demo", items=300, stdout=io.StringIO())
    generated = Proposal.objects.exclude(pk__in=before)
    assert generated.count() == 300
    registered = generated.filter(status=ProposalStatus.REGISTERED)
    assert registered.exists() and not registered.filter(number__isnull=True).exists()
    # numbers stay unique per meeting and kind (the database constraint would refuse otherwise)
    assert ProposalEvent.objects.filter(proposal__in=generated).count() >= 2 * 300


@pytest.mark.django_db
def test_the_three_sample_letters_are_sent_replies_with_rendered_letters(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    replies = {r.unit.name: r for r in Reply.objects.select_related("unit", "letter")}
    assert set(replies) == {"杭州市民政局", "株洲市民政局", "广元市朝天区民政局"}
    assert replies["株洲市民政局"].document_number == "株民复字〔2020〕11号"
    assert all(
        r.status == "sent" and r.letter.status == "ready" and r.letter.page_count >= 2
        for r in replies.values()
    )
    # the sample text with its punctuation fixed
    assert "我局高度重视，认真研究" in replies["杭州市民政局"].opening
    assert "," not in replies["广元市朝天区民政局"].body_html


@pytest.mark.django_db
def test_no_replies_leaves_the_hangzhou_item_waiting_for_assignment():
    call_command("seed_demo", no_replies=True, stdout=io.StringIO())
    hangzhou = Proposal.objects.get(title="关于引导社会组织参与未成年人保护的建议")
    assert hangzhou.status == ProposalStatus.REGISTERED
    assert not Reply.objects.filter(proposal=hangzhou).exists()
