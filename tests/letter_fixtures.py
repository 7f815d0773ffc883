"""The acceptance collection of issue 14: real reply letters of other localities
(tests/fixtures/letters/*.toml), loaded into replies through the same services a unit's draft goes
through, rendered by replies.letters.render_letter and measured by ../shared/tools/check_letter.py.

A fixture holds the letter as published; see tests/fixtures/letters/README.md for the fields.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from proposals import services
from proposals.models import Meeting
from replies import services as reply_services
from replies.letters import render_letter
from replies.models import Reply
from replies.text import fix_punctuation

from .factories import CategoryFactory, MeetingFactory, MemberFactory, UnitFactory, UserFactory

FIXTURE_DIR = Path(__file__).parent / "fixtures" / "letters"
CHECK_LETTER = Path(__file__).resolve().parents[1].parent / "shared" / "tools" / "check_letter.py"
BODIES = {"人大": "npc", "政协": "cppcc"}
TAG = re.compile(r"<[^>]+>")
CELL_END = re.compile(r"</(td|th|tr|p|li|caption)>", re.IGNORECASE)


@dataclass(frozen=True)
class LetterFixture:
    """One real letter, field by field as its page prints it."""

    slug: str
    source_url: str
    locality: str
    body: str  # 人大 or 政协
    title: str
    salutation: str
    opening: str
    text: str  # the body of the letter: one paragraph a line, a table as simple HTML
    signing_unit: tuple[str, ...]  # every unit of a joint reply (联合行文)
    signed_on: date
    document_number: str = ""
    class_mark: str = ""
    thanks: str = ""
    signer: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    cc_label: str = ""  # 抄送 or 抄报 as printed
    cc: str = ""
    co_units: tuple[str, ...] = ()  # 会办单位 the letter names
    # optional lines as printed (承办负责人, 承办人 with phone, 领导署名), not rendered yet
    lines_before_signature: tuple[str, ...] = ()
    lines_after_date: tuple[str, ...] = ()
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_table(self) -> bool:
        return "<table" in self.text.lower()

    @property
    def is_joint(self) -> bool:
        """Signed by several units, or handled with 会办单位 it names."""
        return len(self.signing_unit) > 1 or bool(self.co_units)

    @property
    def body_lines(self) -> list[str]:
        return [line.strip() for line in self.text.splitlines() if line.strip()]

    def source_text(self) -> str:
        """What the letter must print, for check_letter's count of CJK characters: the
        salutation, opening, body (a table's cells as text), thanks, the signing units and the
        抄送, punctuation fixed as the draft form fixes it."""
        text = CELL_END.sub("\n", self.text)
        text = html.unescape(TAG.sub("", text))
        parts = [self.salutation, self.opening, text, self.thanks, *self.signing_unit, self.cc]
        return "\n".join(fix_punctuation(part) for part in parts if part.strip()) + "\n"


def load_fixture(path: Path) -> LetterFixture:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    known = set(LetterFixture.__dataclass_fields__) - {"slug", "extra"}
    values = {key: value for key, value in data.items() if key in known}
    values["signing_unit"] = tuple(values["signing_unit"])
    for key in ("co_units", "lines_before_signature", "lines_after_date"):
        values[key] = tuple(values.get(key, ()))
    values["signed_on"] = date.fromisoformat(str(values["signed_on"]))
    extra = {key: value for key, value in data.items() if key not in known}
    return LetterFixture(slug=path.stem, extra=extra, **values)


def all_fixtures() -> dict[str, LetterFixture]:
    return {path.stem: load_fixture(path) for path in sorted(FIXTURE_DIR.glob("*.toml"))}


# --- into a reply ----------------------------------------------------------------------------


def _meeting(body: str) -> Meeting:
    code = BODIES[body]
    meeting = Meeting.objects.filter(body=code, name__startswith="样本").first()
    if meeting is not None:
        return meeting
    created = MeetingFactory(
        body=code, name=f"样本{body}会议", short_name=f"样本{body}会议", reply_cc=""
    )
    return cast(Meeting, created)


def reply_from_fixture(fixture: LetterFixture) -> Reply:
    """The fixture as a unit's draft: an item assigned to the (first) signing unit, accepted,
    the draft started and saved with the letter's parts (punctuation fixed as the form does,
    the body through clean_body). The 文号 and 签发人, which the system sets when it sends a
    reply, are set on the returned instance only."""
    meeting = _meeting(fixture.body)
    unit = UnitFactory(name=fixture.signing_unit[0], short_name=fixture.signing_unit[0])
    staff = UserFactory(
        username=f"{fixture.slug}-staff", full_name="承办人", role="unit_staff", unit=unit
    )
    supervisor = UserFactory(
        username=f"{meeting.body}-office",
        full_name="督办",
        role="supervisor",
        supervisor_scope=meeting.body,
    )
    member = MemberFactory(
        username=f"{fixture.slug}-member",
        profile__body=meeting.body,
        profile__submitter_type="deputy" if meeting.body == "npc" else "cppcc_member",
    )
    proposal = services.proposal_create(
        author=member,
        meeting=meeting,
        title=fixture.title[:200],
        body="（样本）",
        category=CategoryFactory(body=meeting.body),
    )
    services.proposal_submit(proposal=proposal, actor=member)
    services.proposal_register(proposal=proposal, actor=supervisor)
    services.proposal_assign(proposal=proposal, actor=supervisor, lead_unit=unit)
    assignment = proposal.assignments.get(role="lead")
    services.assignment_accept(assignment=assignment, actor=staff)
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    codes = [entry.get("code") for entry in meeting.result_classes]
    reply = reply_services.reply_save(
        reply=reply,
        actor=staff,
        version=reply.version,
        title=fix_punctuation(fixture.title),
        salutation=fix_punctuation(fixture.salutation),
        opening=fix_punctuation(fixture.opening),
        body_html="\n".join(fix_punctuation(line) for line in fixture.body_lines),
        thanks=fix_punctuation(fixture.thanks),
        signing_unit="\n".join(fixture.signing_unit),
        signed_on=fixture.signed_on,
        contact_person=fixture.contact_person,
        contact_phone=fixture.contact_phone,
        cc=fix_punctuation(fixture.cc),
        result_class=fixture.class_mark if fixture.class_mark in codes else "",
    )
    reply.document_number = fixture.document_number
    reply.signer_name = fixture.signer
    if fixture.class_mark and fixture.class_mark not in codes:
        reply.result_class = fixture.class_mark  # a label the meeting's classes do not hold
    return reply


# --- rendered and measured ---------------------------------------------------------------------


@dataclass(frozen=True)
class CheckResult:
    returncode: int
    output: str
    pdf: Path
    source: Path

    @property
    def failures(self) -> list[str]:
        """The names of the failed checks (check_letter's last line), e.g. ['28 chars']."""
        last = self.output.strip().splitlines()[-1] if self.output.strip() else ""
        if not last.startswith("FAIL: "):
            return []
        return [name.strip() for name in last.removeprefix("FAIL: ").split(",")]

    @property
    def lost(self) -> int | None:
        """CJK characters of the source missing from the PDF."""
        match = re.search(r"missing from the PDF: (\d+) of", self.output)
        return int(match.group(1)) if match else None

    @property
    def page_count(self) -> int | None:
        match = re.search(r"lines per page: \[([^\]]*)\]", self.output)
        return len(match.group(1).split(",")) if match else None


def check_letter(pdf: Path, source: Path) -> CheckResult:
    run = subprocess.run(
        [sys.executable, str(CHECK_LETTER), str(pdf), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return CheckResult(run.returncode, run.stdout + run.stderr, pdf, source)


def render_and_check(reply: Reply, source_text: str, folder: Path, name: str) -> CheckResult:
    """Render the reply's letter, write the PDF and the source text to `folder`, measure."""
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / f"{name}.pdf"
    pdf.write_bytes(render_letter(reply).content)
    source = folder / f"{name}.txt"
    source.write_text(source_text, encoding="utf-8")
    return check_letter(pdf, source)


def check_fixture(fixture: LetterFixture, folder: Path) -> CheckResult:
    """A fixture through the services, rendered and measured with its text as the source."""
    return render_and_check(
        reply_from_fixture(fixture), fixture.source_text(), folder, fixture.slug
    )


def reply_source_text(reply: Reply) -> str:
    """The printed parts of a stored reply, for check_letter (as LetterFixture.source_text)."""
    from replies.text import body_text

    parts = [reply.salutation, reply.opening, body_text(reply.body_html), reply.thanks]
    parts += [reply.signing_unit, reply.cc]
    return "\n".join(part for part in parts if part.strip()) + "\n"
