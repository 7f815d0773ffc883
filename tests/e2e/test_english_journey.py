"""In a real browser: a member and a supervisor switch the interface to English in the header
and walk their main pages; no Chinese is left on any of them except data.

The world of this test is written in English (people, units, the meeting, titles and texts), so
any Chinese character that shows up on a page is interface text that escaped the catalogue. The
only Chinese allowed is the switch back ("中文", named in its own language) and the 文号 of a
reply, which is an official text that stays Chinese.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from playwright.sync_api import Page, expect

from accounts.models import MemberProfile, Role, Unit, User
from proposals import services
from proposals.models import Category, Meeting, Proposal
from replies import services as reply_services
from replies.models import Reply, ReplyStatus

from .journey import FACTORY_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]+")


def person(username: str, name: str, role: str, **fields: Any) -> User:
    """Someone who chose English earlier: the notices of the world's history are in English."""
    user = User.objects.create(
        username=username, full_name=name, role=role, preferences={"language": "en"}, **fields
    )
    user.set_password(FACTORY_PASSWORD)
    user.save()
    return user


def english_world() -> dict[str, Any]:
    """Items in every state a member and a supervisor see on their main pages."""
    now = timezone.now()
    today = timezone.localdate()
    meeting = Meeting.objects.create(
        body="npc",
        term=14,
        sitting=3,
        year=today.year,
        name="Third Session of the Fourteenth City People's Congress",
        short_name="14th Congress, 3rd session",
        session_starts_on=today - timedelta(days=10),
        session_ends_on=today - timedelta(days=6),
        submission_opens_at=now - timedelta(days=20),
        submission_closes_at=now + timedelta(days=30),
        number_format="No. {number}",
        # the meeting's policy is the office's data, written here in English too
        sections=[
            {
                "key": "content",
                "label": "Text",
                "required": True,
                "min_length": 0,
                "max_length": 8000,
            }
        ],
        result_classes=[
            {"code": "A", "label": "Class A", "description": "Solved"},
            {"code": "B", "label": "Class B", "description": "Being solved", "follow_up": True},
            {"code": "C", "label": "Class C", "description": "Cannot be solved for now"},
        ],
    )
    category = Category.objects.create(body="npc", name="Social affairs")
    bureau = Unit.objects.create(name="City Civil Affairs Bureau", short_name="Civil Affairs")
    member = person("alice", "Alice Walker", Role.MEMBER)
    MemberProfile.objects.create(
        user=member,
        body="npc",
        submitter_type="deputy",
        delegation="Riverside delegation",
        number_prefix="",
        phone="13800000001",
    )
    other = person("bob", "Bob Stone", Role.MEMBER)
    MemberProfile.objects.create(
        user=other, body="npc", submitter_type="deputy", delegation="Hill delegation"
    )
    supervisor = person(
        "office", "Congress Liaison Office", Role.SUPERVISOR, supervisor_scope="npc"
    )
    staff = person("clerk", "Carol Clerk", Role.UNIT_STAFF, unit=bureau)
    leader = person("head", "Dan Head", Role.UNIT_LEADER, unit=bureau)

    def item(title: str) -> Proposal:
        return services.proposal_create(
            author=member,
            meeting=meeting,
            title=title,
            body="Build safe crossings near every primary school in the old town. " * 3,
            category=category,
        )

    draft = item("On shaded bus stops")
    services.cosigner_invite(proposal=draft, actor=member, member=other)
    submitted = item("On library opening hours")
    services.proposal_submit(proposal=submitted, actor=member)
    replied = item("On safe school crossings")
    services.proposal_submit(proposal=replied, actor=member)
    services.proposal_register(proposal=replied, actor=supervisor)
    services.proposal_assign(proposal=replied, actor=supervisor, lead_unit=bureau)
    assignment = replied.assignments.get()
    services.assignment_accept(assignment=assignment, actor=staff)
    services.contact_record_create(
        assignment=assignment,
        actor=staff,
        method="face_to_face",
        contacted_on=today,
        participants="Alice Walker, Carol Clerk",
        notes="Walked the crossings together.",
    )
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    reply = reply_services.reply_save(
        reply=reply,
        actor=staff,
        version=reply.version,
        title="Reply of the Civil Affairs Bureau on safe school crossings",
        salutation="Dear Ms Walker,",
        opening="Thank you for your suggestion on safe school crossings.",
        body_html="<p>We will paint new crossings this spring.</p>",
        thanks="Thank you for your support of our work.",
        result_class="B",
    )
    reply_services.reply_submit(reply=reply, actor=staff)
    reply = reply_services.reply_sign(reply=Reply.objects.get(pk=reply.pk), actor=leader)
    if reply.status == ReplyStatus.IN_REVIEW:
        reply_services.reply_approve(reply=reply, actor=supervisor)
    return {
        "member": member,
        "supervisor": supervisor,
        "draft": draft,
        "submitted": submitted,
        "replied": Proposal.objects.get(pk=replied.pk),
        "reply": Reply.objects.get(pk=reply.pk),
    }


def login_and_switch(page: Page, username: str, *, switch: bool = True) -> None:
    page.goto("/login/")
    if switch:
        page.get_by_role("button", name="English").click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(FACTORY_PASSWORD)
    page.get_by_role("button", name=re.compile("^(Log in|Sign in)$")).click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def chinese_left(page: Page, allowed: list[str]) -> list[str]:
    text = page.locator("body").inner_text()
    for word in allowed:
        text = text.replace(word, "")
    titles = page.evaluate(
        "() => [...document.querySelectorAll('[title],[aria-label],[placeholder]')]"
        ".map(e => [e.title, e.getAttribute('aria-label'), e.placeholder].join(' '))"
    )
    for extra in [*titles, page.title()]:
        for word in allowed:
            extra = (extra or "").replace(word, "")
        text += " " + (extra or "")
    return CJK.findall(text)


def walk(page: Page, paths: list[str], allowed: list[str]) -> None:
    problems = {}
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, (path, response and response.status)
        expect(page.locator("html")).to_have_attribute("lang", "en")
        found = chinese_left(page, allowed)
        if found:
            problems[path] = found
    assert not problems, f"Chinese UI text left on English pages: {problems}"


def test_a_member_and_a_supervisor_walk_their_pages_in_english(page: Page) -> None:
    world = english_world()
    reply: Reply = world["reply"]
    allowed = [
        "中文",  # the switch back, named in its own language
        reply.document_number,  # 文号: an official text
        # the letter as it is printed: its date stays Chinese
        date_format(reply.signed_on, "Y年n月j日") if reply.signed_on else "",
        # the pre-check's advice quotes the Chinese form an item's title takes
        "关于……的建议",
        "关于加快老旧小区加装电梯的建议",
    ]

    draft, submitted, replied = world["draft"], world["submitted"], world["replied"]
    login_and_switch(page, "alice")
    walk(
        page,
        [
            reverse("workbench:home"),
            reverse("proposals:list"),
            reverse("proposals:create"),
            reverse("proposals:invitations"),
            reverse("proposals:detail", args=[draft.pk]),
            reverse("proposals:edit", args=[draft.pk]),
            reverse("proposals:detail", args=[submitted.pk]),
            reverse("proposals:detail", args=[replied.pk]),
            reverse("replies:detail", args=[reply.pk]),
            reverse("accounts:notifications"),
        ],
        allowed,
    )
    page.get_by_role("button", name="Log out").click()

    # the browser keeps the visitor's choice after logging out: the login page is in English
    login_and_switch(page, "office", switch=False)
    walk(
        page,
        [
            reverse("workbench:home"),
            reverse("proposals:list"),
            reverse("proposals:review_queue"),
            reverse("proposals:review", args=[submitted.pk]),
            reverse("proposals:assign_queue"),
            reverse("proposals:request_queue"),
            reverse("replies:review_queue"),
            reverse("proposals:dashboard"),
            reverse("proposals:scorecards"),
            reverse("proposals:urging"),
            reverse("replies:letters"),
            reverse("replies:follow_ups"),
            reverse("intake:index"),
            reverse("proposals:detail", args=[replied.pk]),
            reverse("replies:detail", args=[reply.pk]),
            reverse("accounts:notifications"),
        ],
        allowed,
    )
    # and back to Chinese with one click
    page.get_by_role("button", name="中文").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
