"""English throughout (issue 17): a complete catalogue, a switch remembered per person, and the
official texts (letters, 文号, the portal, the 催办通知) that stay Chinese whatever the reader chose."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.language import Text, msgid_of, user_language
from accounts.models import Notification, User
from proposals.models import AssignmentRole, EventAction, ProposalStatus

from .factories import ProposalFactory

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff01-\uff5e]")
PLACEHOLDER = re.compile(r"%\(\w+\)[sdf]|%[sdf]|\{\w*\}")

# Messages whose English must quote Chinese, because it is what the user types into a Chinese
# official text or sheet (the msgid's start, and why).
QUOTES_CHINESE = {
    "如：株民复字": "a unit's 文号 prefix is typed in Chinese",
    "{year} 为年份": "文号 formats are typed in Chinese",
    "说明：留空为待审查": "the import sheet's review column takes these Chinese words",
    "方头括号，如【A】": "the mark printed on the Chinese letter",
    "标题宜写成“关于……的": "the title of a Chinese item is written in this Chinese form",
    "每段一行。以“一、”": "the Chinese heading marks a reply's paragraphs start with",
}


def po_entries(path: Path) -> list[dict[str, object]]:
    """The entries of a .po file (msgctxt, msgid, msgid_plural, msgstr[n], flags), parsed
    without a third-party library."""
    entries: list[dict[str, object]] = []
    current: dict[str, object] = {}
    field = ""

    def unquote(text: str) -> str:
        return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")

    def finish() -> None:
        if "msgid" in current:
            entries.append(dict(current))
        current.clear()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            field = ""
            continue
        if line.startswith("#,"):
            current["flags"] = line[2:].strip()
            continue
        if line.startswith("#~"):
            current["obsolete"] = True
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            current[field] = str(current[field]) + _unescape(line)
            continue
        key, _, value = line.partition(" ")
        field = key
        current[field] = _unescape(value)
    finish()
    return [entry for entry in entries if not entry.get("obsolete") and entry["msgid"] != ""]


def _unescape(quoted: str) -> str:
    body = quoted[1:-1]
    return re.sub(
        r"\\(.)",
        lambda m: {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}.get(m.group(1), m.group(1)),
        body,
    )


def translations(entry: dict[str, object]) -> list[str]:
    if "msgid_plural" in entry:
        return [str(v) for k, v in entry.items() if k.startswith("msgstr[")]
    return [str(entry.get("msgstr", ""))]


# --- the catalogue ---------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="gettext (msgfmt) not installed")
def test_msgfmt_reports_every_message_translated() -> None:
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(PO)],
        capture_output=True,
        text=True,
        check=True,
    )
    report = result.stderr.strip()
    assert "untranslated" not in report, report
    assert "fuzzy" not in report, report
    assert re.fullmatch(r"\d+ translated messages?\.", report), report


def test_every_translation_is_english_and_keeps_its_placeholders() -> None:
    entries = po_entries(PO)
    assert len(entries) > 1000
    problems = []
    for entry in entries:
        msgid = str(entry["msgid"])
        for text in translations(entry):
            if not text:
                problems.append(f"empty: {msgid}")
                continue
            quotes = any(msgid.startswith(start) for start in QUOTES_CHINESE)
            if CJK.search(text) and not quotes:
                problems.append(f"Chinese left in {text!r} ({msgid})")
            expected = set(PLACEHOLDER.findall(msgid))
            if "msgid_plural" in entry:  # a singular may name its count or not
                plural = set(PLACEHOLDER.findall(str(entry["msgid_plural"])))
                if not (expected <= set(PLACEHOLDER.findall(text)) <= expected | plural):
                    problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
            elif sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(msgid)):
                problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    assert not problems, "\n".join(problems[:30])


def test_the_compiled_catalogue_is_the_source_catalogue() -> None:
    """The .mo that the site loads says what the .po says (compile with `make messages`)."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = []
    for entry in po_entries(PO):
        msgid = str(entry["msgid"])
        context = entry.get("msgctxt")
        if "msgid_plural" in entry:
            got = compiled.ngettext(msgid, str(entry["msgid_plural"]), 1)
        elif context:
            got = compiled.pgettext(str(context), msgid)
        else:
            got = compiled.gettext(msgid)
        if got != translations(entry)[0]:
            stale.append(msgid)
    assert not stale, f"locale/en .mo is stale for {len(stale)} messages, e.g. {stale[:3]}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext (xgettext) not installed")
def test_every_message_of_the_source_is_in_the_catalogue(tmp_path: Path) -> None:
    """makemessages over a copy of the code finds no message the catalogue lacks."""
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(
        ".venv", "node_modules", "var", "media", "__pycache__", ".git", "tests", "bench"
    )
    shutil.copytree(ROOT, copy, ignore=ignore, symlinks=True)
    subprocess.run(
        [
            str(Path(settings.BASE_DIR) / ".venv" / "bin" / "python")
            if (Path(settings.BASE_DIR) / ".venv" / "bin" / "python").exists()
            else "python",
            "manage.py",
            "makemessages",
            "-l",
            "en",
            "--no-location",
            "--no-obsolete",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "HOME": str(tmp_path),
        },
    )
    have = {(e.get("msgctxt"), e["msgid"]) for e in po_entries(PO)}
    found = {(e.get("msgctxt"), e["msgid"]) for e in po_entries(copy / PO.relative_to(ROOT))}
    new = sorted(str(msgid) for _context, msgid in found - have)
    assert not new, f"{len(new)} messages are not in locale/en: {new[:10]}"


# --- the switch ------------------------------------------------------------------------------


def english(client: Client, next_url: str = "/") -> Any:
    return client.post(reverse("accounts:language"), {"language": "en", "next": next_url})


def test_the_switch_is_remembered_with_the_account(login, member: User, client: Client) -> None:
    page = login(member).get(reverse("proposals:list"))
    assert 'lang="zh-hans"' in page.content.decode()
    response = english(client, reverse("proposals:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("proposals:list")
    member.refresh_from_db()
    assert member.preferences["language"] == "en"
    # another browser: no cookie, the account remembers
    other = Client()
    other.force_login(member)
    page = other.get(reverse("proposals:list")).content.decode()
    assert 'lang="en"' in page
    assert "中文</button>" in page  # the way back, named in its own language
    assert user_language(member) == "en"


def test_a_visitor_choice_is_kept_in_a_cookie_and_accept_language_is_ignored(
    client: Client,
) -> None:
    login_page = reverse("accounts:login")
    page = client.get(login_page, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert 'lang="zh-hans"' in page
    english(client, login_page)
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get(login_page).content.decode()
    assert 'lang="en"' in page
    assert "Log in" in page or "Sign in" in page


def test_a_choice_made_before_signing_in_is_kept_with_the_account(
    client: Client, member: User
) -> None:
    english(client, reverse("accounts:login"))
    client.force_login(member)
    client.get(reverse("proposals:list"))
    member.refresh_from_db()
    assert member.preferences["language"] == "en"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "0", ""]
)
def test_the_switch_only_goes_back_to_this_site(client: Client, target: str) -> None:
    response = english(client, target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_an_unknown_language_falls_back_to_chinese(login, member: User, client: Client) -> None:
    login(member)
    client.post(reverse("accounts:language"), {"language": "xx", "next": "/"})
    member.refresh_from_db()
    assert member.preferences["language"] == "zh-hans"


def test_the_switch_needs_post(client: Client) -> None:
    assert client.get(reverse("accounts:language")).status_code == 405


# --- what each reader reads in their own language -------------------------------------------


def test_a_text_is_rendered_in_the_readers_language() -> None:
    text = Text(
        "%(unit)s申请延至%(date)s：%(reason)s",
        unit="市民政局",
        date=date(2026, 3, 5),
        reason="需要协调",
    )
    assert text.render_in("zh-hans") == "市民政局申请延至2026年3月5日：需要协调"
    in_english = text.render_in("en")
    assert "2026" in in_english and "市民政局" in in_english and "申请" not in in_english
    again = Text.from_json(text.to_json())
    assert again.render_in("zh-hans") == text.render_in("zh-hans")
    joined = Text.join([AssignmentRole.LEAD.label, AssignmentRole.CO.label])
    assert joined.render_in("zh-hans") == "主办、会办"
    assert joined.render_in("en") != joined.render_in("zh-hans")
    assert not CJK.search(joined.render_in("en"))
    assert msgid_of(AssignmentRole.LEAD.label) == "主办"


def test_history_notes_and_notices_follow_each_readers_language(
    login, client: Client, member: User, npc_supervisor: User, npc_meeting
) -> None:
    from proposals import services

    member.preferences = {"language": "en"}
    member.save(update_fields=["preferences"])
    proposal: Any = ProposalFactory(
        lead=member, meeting=npc_meeting, status=ProposalStatus.SUBMITTED
    )
    with translation.override("zh-hans"):  # the supervisor works in Chinese
        services.proposal_register(proposal=proposal, actor=npc_supervisor, number=7)
    proposal.refresh_from_db()
    event = proposal.events.get(action=EventAction.REGISTERED)
    assert event.note.startswith("编号：")  # the office's language, for exports and search
    notice = Notification.objects.get(recipient=member)
    data = notice.message.replace(proposal.title, "").replace(proposal.number_label, "")
    assert not CJK.search(data), notice.message
    page = login(member).get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert "编号：" not in page
    with translation.override("en"):
        assert event.localized_note() in page
    # the supervisor, in Chinese, reads the same note in Chinese
    page = Client()
    page.force_login(npc_supervisor)
    text = page.get(reverse("proposals:detail", args=[proposal.pk])).content.decode()
    assert event.note in text


def test_letters_and_their_prefilled_text_stay_chinese_for_an_english_drafter(
    unit_staff: User, npc_supervisor: User, npc_meeting
) -> None:
    from proposals.models import Assignment
    from replies.services.drafting import default_content

    proposal: Any = ProposalFactory(meeting=npc_meeting, status=ProposalStatus.ASSIGNED)
    assignment = Assignment.objects.create(
        proposal=proposal,
        unit=unit_staff.unit,
        role=AssignmentRole.LEAD,
        assigned_by=npc_supervisor,
        due_on=date(2027, 1, 1),
        original_due_on=date(2027, 1, 1),
    )
    with translation.override("en"):
        content = default_content(assignment)
    prefilled = " ".join(str(value) for value in content.values())
    assert CJK.search(prefilled)
    assert "Dear" not in prefilled and "Thank" not in prefilled


@pytest.mark.django_db
def test_the_portal_stays_chinese(client: Client) -> None:
    english(client)
    page = client.get(reverse("portal:index")).content.decode()
    assert CJK.search(page)
    assert 'lang="zh-Hans"' in page
