"""Hostile text typed into the real forms stays inert everywhere it comes out again: the pages
(escaped, no executable link, template syntax shown, not run), the Excel exports (formulas
neutralised), the reply body (sanitised) and the letter PDF (shown literally)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import User
from proposals.models import (
    Assignment,
    ContactRecord,
    CoOpinion,
    ExtensionRequest,
    Proposal,
    ReturnRequest,
)
from replies.models import Evaluation, Reply, ReplyStatus

from .factories import UnitFactory, UserFactory

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
JS_LINK = '<a href="javascript:alert(2)">点我</a>'
JS_URL = "javascript:alert(3)"
TEMPLATE_VAR = "{{ request }}"
TEMPLATE_TAG = "{% debug %}"
FORMULA = "=cmd|' /C calc'!A0"
PAYLOADS = [SCRIPT, IMG, JS_LINK, JS_URL, TEMPLATE_VAR, TEMPLATE_TAG, FORMULA]
ALL = " ".join(PAYLOADS)  # one line with every payload
TITLE = f"{FORMULA} {SCRIPT} {TEMPLATE_VAR}"  # leads with the formula: the export's first cell
SHORT = f"{IMG}{TEMPLATE_TAG}"  # for 40- to 60-character fields

# What must never reach a page as markup.
RAW_SCRIPT = re.compile(r"<script", re.IGNORECASE)
EVENT_ATTRIBUTE = re.compile(r"<[a-z][^<>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"(href|src|action|formaction)\s*=\s*[\"']?\s*javascript:", re.I)


def assert_inert(html: str, where: str) -> None:
    assert not RAW_SCRIPT.search(html), f"raw <script in {where}"
    assert not EVENT_ATTRIBUTE.search(html), f"event attribute in {where}"
    assert not JAVASCRIPT_URL.search(html), f"javascript: link in {where}"
    # template syntax typed by a user is text, never evaluated
    assert "WSGIRequest" not in html and "sql_queries" not in html, where


def assert_shown_literally(html: str, where: str) -> None:
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, where
    assert TEMPLATE_VAR in html or TEMPLATE_TAG in html, where


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


# the pre-check's warnings, seen: 「仍然提交」 (proposals.precheck)
ACKNOWLEDGED = {"acknowledged": "identity,personal,phone,punctuation,similar,title"}


def post(client: Client, url: str, data: dict[str, Any], expect: int = 302) -> Any:
    response = client.post(url, data)
    assert response.status_code == expect, (url, response.content.decode()[-2000:])
    return response


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def journey(
    member,
    npc_supervisor,
    unit,
    unit_staff,
    unit_leader,
    npc_meeting,
    npc_category,
    django_capture_on_commit_callbacks,
) -> dict[str, Any]:
    """An item taken from draft to a rated reply through the pages, with the payloads typed
    into every free-text field on the way."""
    unit.document_prefix = "杭民函"
    unit.save()
    co_unit: Any = UnitFactory(name="共青团杭州市委员会", short_name="团市委")
    co_staff = UserFactory(username="tsw_staff", role="unit_staff", unit=co_unit)
    co_leader = UserFactory(username="tsw_leader", role="unit_leader", unit=co_unit)
    as_member, as_office = login(member), login(npc_supervisor)
    as_staff, as_leader = login(unit_staff), login(unit_leader)
    as_co_staff, as_co_leader = login(co_staff), login(co_leader)

    post(
        as_member,
        reverse("proposals:create"),
        {
            "meeting": npc_meeting.pk,
            "kind": "suggestion",
            "title": TITLE,
            "category": npc_category.pk,
            "body": f"{ALL}\n第二段 {ALL}",
        },
    )
    item = Proposal.objects.get(title=TITLE)
    post(as_member, reverse("proposals:submit", args=[item.pk]), ACKNOWLEDGED)
    post(
        as_office,
        reverse("proposals:review", args=[item.pk]),
        {
            "outcome": "register",
            "category": npc_category.pk,
            "leading_official": SHORT,
            "supervising_units": ALL,
            "note": ALL,
        },
    )
    post(
        as_office,
        reverse("proposals:assign", args=[item.pk]),
        {"lead_unit": unit.pk, "co_units": [co_unit.pk]},
    )
    lead = Assignment.objects.get(proposal=item, role="lead")
    co = Assignment.objects.get(proposal=item, role="co")
    post(as_staff, reverse("proposals:assignment_accept", args=[lead.pk]), {})
    post(as_co_staff, reverse("proposals:assignment_accept", args=[co.pk]), {})
    # a return request, refused by the leader with a payload note
    post(as_staff, reverse("proposals:return_request", args=[lead.pk]), {"reason": ALL})
    returned = ReturnRequest.objects.get(assignment=lead)
    post(
        as_leader,
        reverse("proposals:return_decide", args=[returned.pk]),
        {"decision": "refuse", "note": ALL},
    )
    post(
        as_staff,
        reverse("proposals:extension_request", args=[lead.pk]),
        {"requested_due_on": (lead.due_on + timedelta(days=10)).isoformat(), "reason": ALL},
    )
    # the co-handling unit's opinion, signed off by its leader
    post(as_co_staff, reverse("proposals:co_opinion", args=[co.pk]), {"text": ALL, "submit": "1"})
    opinion = CoOpinion.objects.get(assignment=co)
    post(
        as_co_leader,
        reverse("proposals:co_opinion_decide", args=[opinion.pk]),
        {"decision": "approve", "comment": ALL},
    )
    # a face-to-face contact, disputed by the member with a payload comment
    post(
        as_staff,
        reverse("proposals:contact_create", args=[lead.pk]),
        {
            "method": "face_to_face",
            "contacted_on": timezone.localdate().isoformat(),
            "participants": ALL,
            "notes": ALL,
        },
    )
    contact = ContactRecord.objects.get(assignment=lead)
    post(
        as_member,
        reverse("proposals:contact_respond", args=[contact.pk]),
        {"answer": "dispute", "comment": ALL},
    )
    # the reply: every text field of the form, the body pasted as HTML
    post(as_staff, reverse("replies:start", args=[lead.pk]), {})
    reply = Reply.objects.get(assignment=lead)
    edit = reverse("replies:edit", args=[reply.pk])
    initial = as_staff.get(edit).context["form"].initial
    data = {k: ("" if v is None else v) for k, v in initial.items()}
    data.update(
        {
            "title": TITLE,
            "salutation": SHORT,
            "opening": ALL,
            "body_html": f"<p>{ALL}</p><p>{SCRIPT}正文{IMG}{JS_LINK}</p>",
            "thanks": ALL,
            "cc": ALL,
            "result_class": "A",
            "disclosure": "public",
            "signing_unit": SHORT,
            "signed_on": "",
            "contact_person": SHORT[:40],
            "contact_phone": "89586327",
            "submit": "1",
        }
    )
    post(as_staff, edit, data)
    post(as_leader, reverse("replies:send_back", args=[reply.pk]), {"comment": ALL})
    data["version"] = Reply.objects.get(pk=reply.pk).version
    post(as_staff, edit, data)
    post(as_leader, reverse("replies:sign", args=[reply.pk]), {})
    # the letter is rendered by a job after the commit: only the letter test runs it
    with django_capture_on_commit_callbacks() as after_commit:
        post(
            as_office,
            reverse("replies:approve", args=[reply.pk]),
            {"result_class": "A", "comment": ALL},
        )
    reply.refresh_from_db()
    assert reply.status == ReplyStatus.SENT
    prefix = f"reply{reply.pk}"
    post(
        as_member,
        reverse("replies:evaluate", args=[reply.pk]),
        {
            f"{prefix}-work_rating": "satisfied",
            f"{prefix}-result_rating": "basically",
            f"{prefix}-comment": ALL,
        },
    )
    return {
        "item": item,
        "lead": lead,
        "co": co,
        "reply": reply,
        "returned": returned,
        "extension": ExtensionRequest.objects.get(assignment=lead),
        "after_commit": after_commit,
        "clients": {
            "member": as_member,
            "office": as_office,
            "staff": as_staff,
            "leader": as_leader,
            "co_staff": as_co_staff,
        },
    }


@pytest.mark.django_db
def test_every_text_reached_the_database_as_typed(journey: dict[str, Any]) -> None:
    item, reply = journey["item"], journey["reply"]
    item.refresh_from_db()
    assert item.title == TITLE and ALL in item.body
    assert (item.leading_official, item.supervising_units) == (SHORT, ALL)
    assert ContactRecord.objects.get(assignment=journey["lead"]).notes == ALL
    assert CoOpinion.objects.get(assignment=journey["co"]).text == ALL
    assert journey["returned"].reason == ALL and journey["extension"].reason == ALL
    assert (reply.title, reply.opening, reply.cc) == (TITLE, ALL, ALL)
    assert Evaluation.objects.get(reply=reply).comment == ALL


@pytest.mark.django_db
def test_pages_show_the_payloads_escaped_and_run_none(journey: dict[str, Any]) -> None:
    item, reply, clients = journey["item"], journey["reply"], journey["clients"]
    detail = reverse("proposals:detail", args=[item.pk])
    showing = {  # pages that show typed text: it must be there, escaped
        ("member", detail),
        ("office", detail),
        ("staff", detail),
        ("leader", detail),
        ("co_staff", detail),
        ("member", reverse("replies:detail", args=[reply.pk])),
        ("staff", reverse("replies:detail", args=[reply.pk])),
        ("office", reverse("proposals:list")),
        ("office", reverse("proposals:list") + "?q=script"),  # the search snippet
        ("staff", reverse("proposals:unit_workspace")),
        ("staff", reverse("proposals:return_decide", args=[journey["returned"].pk])),
        ("staff", reverse("proposals:extension_decide", args=[journey["extension"].pk])),
        ("co_staff", reverse("proposals:co_opinion", args=[journey["co"].pk])),
    }
    other = {  # pages that list the item or its notices
        ("member", reverse("workbench:home")),
        ("member", reverse("accounts:notifications")),
        ("office", reverse("workbench:home")),
        ("office", reverse("proposals:dashboard")),
        ("staff", reverse("workbench:home")),
        ("staff", reverse("accounts:notifications")),
    }
    for role, url in sorted(showing | other):
        html = page(clients[role], url)
        assert_inert(html, f"{role} {url}")
        if (role, url) in showing:
            assert_shown_literally(html, f"{role} {url}")


@pytest.mark.django_db
def test_the_sent_reply_body_is_sanitised(journey: dict[str, Any]) -> None:
    body = journey["reply"].body_html
    assert "<script" not in body and "alert(1)" not in body  # the script and its content go
    assert "<img" not in body and "onerror" not in body
    assert "<a " not in body and "href" not in body
    # what was text stays text: the link's words, the bare URL, the template syntax
    assert "正文点我" in body and JS_URL in body and TEMPLATE_VAR in body and TEMPLATE_TAG in body
    assert re.fullmatch(r"(<p>[^<]*(<b>[^<]*</b>)?[^<]*</p>)+", body), body


@pytest.mark.django_db
def test_the_exports_neutralise_formulas(journey: dict[str, Any]) -> None:
    clients = journey["clients"]
    for role, name in (
        ("office", "proposals:export_items"),
        ("staff", "proposals:export_workspace"),
    ):
        response = clients[role].get(reverse(name))
        assert response.status_code == 200
        sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
        cells = [cell for row in sheet.iter_rows() for cell in row]
        assert all(cell.data_type != "f" for cell in cells), name
        titles = [cell for cell in cells if isinstance(cell.value, str) and FORMULA in cell.value]
        assert titles, name
        for cell in titles:
            assert cell.value == "'" + TITLE and cell.data_type == "s"


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) missing")
def test_the_letter_shows_the_payloads_as_text(journey: dict[str, Any]) -> None:
    reply = journey["reply"]
    for callback in journey["after_commit"]:
        callback()
    response = journey["clients"]["member"].get(reverse("replies:letter", args=[reply.pk]))
    assert response.status_code == 200
    pdf = b"".join(response.streaming_content)
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    flat = re.sub(r"\s+", "", text)
    # the title, opening, 抄送 keep every payload character for character (spaces aside)
    for payload in (SCRIPT, TEMPLATE_VAR, TEMPLATE_TAG, FORMULA, JS_URL):
        assert re.sub(r"\s+", "", payload) in flat, payload
    assert "WSGIRequest" not in text
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf and b"/URI" not in pdf


@pytest.mark.django_db
def test_a_very_long_word_is_saved_submitted_and_found(
    member, npc_supervisor, npc_meeting, npc_category
) -> None:
    """A pasted run of 3000 Latin characters (a key, a base64 blob) once failed the save:
    PostgreSQL refuses a search term over 2047 bytes."""
    blob = "A1" * 1500
    client = login(member)
    post(
        client,
        reverse("proposals:create"),
        {
            "meeting": npc_meeting.pk,
            "kind": "suggestion",
            "title": "长单词",
            "category": npc_category.pk,
            "body": f"附件密钥：{blob}",
        },
    )
    item = Proposal.objects.get(title="长单词")
    post(client, reverse("proposals:submit", args=[item.pk]), ACKNOWLEDGED)
    for query in (blob, "x" * 100_001):
        response = login(npc_supervisor).get(reverse("proposals:list"), {"q": query})
        assert response.status_code == 200
    assert (
        "长单词"
        in login(npc_supervisor).get(reverse("proposals:list"), {"q": blob}).content.decode()
    )
