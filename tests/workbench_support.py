"""Helpers for the workbench tests: the cast of a city's offices, items moved through the
services into every state a queue lists, and a small reader of the rendered pages.

Everything is built through the services (never by setting a status by hand), so a queue test
sees the rows as a real office would produce them. `at` moves a step into the past where a
deadline or an evaluation window depends on when it happened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

from dateutil.relativedelta import relativedelta
from django.test import Client
from django.utils import timezone

from accounts.models import Unit, User
from proposals import services
from proposals.models import (
    Assignment,
    ContactRecord,
    CoOpinion,
    ExtensionRequest,
    Meeting,
    Proposal,
    ReturnRequest,
)
from replies import services as reply_services
from replies.models import Evaluation, FollowUp, Reply

# --- the cast -------------------------------------------------------------------------------


@dataclass
class World:
    """The people, units and meetings of the workbench tests (tests/conftest.py fixtures plus a
    co-handling unit, an unrelated unit and a supervisor of both bodies)."""

    member: User  # 何红, 人大代表
    other_member: User  # 王建国
    third_member: User  # 陈敏, on nothing
    cppcc_member: User  # 刘安泽, 政协委员
    unit: Unit  # 杭州市民政局
    staff: User  # 李文静
    leader: User  # 周建华
    co_unit: Unit  # 杭州市财政局
    co_staff: User
    co_leader: User
    other_unit: Unit  # 杭州市教育局: none of the items below is theirs
    other_staff: User
    other_leader: User
    npc: User  # 人大代表工委
    cppcc: User  # 政协提案委
    both: User  # a supervisor of both bodies
    meeting: Meeting
    cppcc_meeting: Meeting
    categories: dict[str, Any] = field(default_factory=dict)

    def staff_of(self, unit_id: int) -> User:
        return {self.unit.pk: self.staff, self.co_unit.pk: self.co_staff}.get(
            unit_id, self.other_staff
        )

    def leader_of(self, unit_id: int) -> User:
        return {self.unit.pk: self.leader, self.co_unit.pk: self.co_leader}.get(
            unit_id, self.other_leader
        )

    def supervisor_of(self, proposal: Proposal) -> User:
        return self.npc if proposal.meeting.body == "npc" else self.cppcc


def ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)


def assigned_at_for_due_in(days: int, reply_months: int = 3) -> datetime:
    """An assignment moment whose reply is due about `days` from today (policy: months)."""
    today = timezone.localdate()
    assigned_on = today + timedelta(days=days) - relativedelta(months=reply_months)
    return timezone.now() - timedelta(days=(today - assigned_on).days)


# --- items moved through the services ---------------------------------------------------------


def new_item(
    w: World,
    title: str,
    *,
    lead: User | None = None,
    cosigners: tuple[User, ...] = (),
    meeting: Meeting | None = None,
    submit: bool = True,
    submitted_at: datetime | None = None,
) -> Proposal:
    """An item by `lead` (何红) with confirmed co-signers, submitted unless `submit` is False."""
    lead = lead or w.member
    meeting = meeting or w.meeting
    proposal = services.proposal_create(
        author=lead,
        meeting=meeting,
        title=title,
        body="建议内容。",
        category=w.categories[meeting.body],
    )
    for person in cosigners:
        invitation = services.cosigner_invite(proposal=proposal, actor=lead, member=person)
        services.cosigner_respond(cosigner=invitation, actor=person, accept=True)
    if submit:
        services.proposal_submit(proposal=proposal, actor=lead, now=submitted_at)
    return proposal


def registered(w: World, title: str, **item: Any) -> Proposal:
    proposal = new_item(w, title, **item)
    services.proposal_register(proposal=proposal, actor=w.supervisor_of(proposal))
    return proposal


def assigned(
    w: World,
    title: str,
    *,
    unit: Unit | None = None,
    co_units: tuple[Unit, ...] = (),
    at: datetime | None = None,
    **item: Any,
) -> Assignment:
    """A registered item assigned (at `at`) to `unit` as lead (杭州市民政局 unless said) with
    any co-handling units; returns the lead unit's assignment."""
    proposal = registered(w, title, **item)
    created = services.proposal_assign(
        proposal=proposal,
        actor=w.supervisor_of(proposal),
        lead_unit=unit or w.unit,
        co_units=co_units,
        now=at,
    )
    return created[0]


def accept(w: World, assignment: Assignment) -> Assignment:
    return services.assignment_accept(assignment=assignment, actor=w.staff_of(assignment.unit_id))


def accepted(w: World, title: str, **kwargs: Any) -> Assignment:
    return accept(w, assigned(w, title, **kwargs))


def co_assignment(w: World, title: str, **kwargs: Any) -> Assignment:
    """杭州市民政局 as the co-handling unit of an item led by 杭州市财政局, signed for."""
    lead = assigned(w, title, unit=w.co_unit, co_units=(w.unit,), **kwargs)
    own = Assignment.objects.get(proposal_id=lead.proposal_id, unit=w.unit)
    return accept(w, own)


def drafted(
    w: World, title: str, *, result_class: str = "B", body: str = "答复正文。", **kwargs: Any
) -> Reply:
    assignment = accepted(w, title, **kwargs)
    return draft_for(w, assignment, result_class=result_class, body=body)


def draft_for(
    w: World, assignment: Assignment, *, result_class: str = "B", body: str = "答复正文。"
) -> Reply:
    staff = w.staff_of(assignment.unit_id)
    reply = reply_services.reply_start(assignment=assignment, actor=staff)
    return reply_services.reply_save(
        reply=reply, actor=staff, version=reply.version, body_html=body, result_class=result_class
    )


def submit(w: World, reply: Reply) -> Reply:
    return reply_services.reply_submit(reply=reply, actor=w.staff_of(reply.unit_id))


def sign(w: World, reply: Reply, *, at: datetime | None = None) -> Reply:
    return reply_services.reply_sign(reply=reply, actor=w.leader_of(reply.unit_id), now=at)


def approve(w: World, reply: Reply, *, at: datetime | None = None) -> Reply:
    return reply_services.reply_approve(reply=reply, actor=w.supervisor_of(reply.proposal), now=at)


def sent(w: World, title: str, *, at: datetime | None = None, **kwargs: Any) -> Reply:
    """A reply of 杭州市民政局 sent (at `at`, the item assigned ten days before): drafted,
    送签, 签发 and, where the meeting asks for it, approved by the office."""
    assigned_on = at - timedelta(days=10) if at is not None else None
    return send(w, drafted(w, title, at=assigned_on, **kwargs), at=at)


def send(w: World, reply: Reply, *, at: datetime | None = None) -> Reply:
    reply = sign(w, submit(w, reply), at=at)
    if reply.status == "in_review":
        reply = approve(w, reply, at=at)
    return reply


def rate(
    reply: Reply,
    who: User,
    *,
    work: str = "basically",
    result: str = "unsatisfied",
    comment: str = "",
    at: datetime | None = None,
) -> Evaluation:
    return reply_services.evaluation_submit(
        reply=reply,
        actor=who,
        work_rating=work,
        result_rating=result,
        contacted=True,
        face_to_face=False,
        comment=comment,
        now=at,
    )


def return_request(w: World, assignment: Assignment, reason: str = "不属于本单位职责。"):
    return services.return_request_create(
        assignment=assignment, actor=w.staff_of(assignment.unit_id), reason=reason
    )


def extension_request(
    w: World, assignment: Assignment, reason: str = "需要会同多部门调研。"
) -> ExtensionRequest:
    return services.extension_request_create(
        assignment=assignment,
        actor=w.staff_of(assignment.unit_id),
        reason=reason,
        requested_due_on=assignment.due_on + timedelta(days=30),
    )


def leader_approves(w: World, request: ReturnRequest | ExtensionRequest) -> None:
    leader = w.leader_of(request.assignment.unit_id)
    if isinstance(request, ReturnRequest):
        services.return_request_leader_decide(request=request, actor=leader, approve=True)
    else:
        services.extension_request_leader_decide(request=request, actor=leader, approve=True)


def co_opinion(w: World, assignment: Assignment, text: str = "建议统筹安排资金。") -> CoOpinion:
    """The co unit's staff send their opinion to the unit leader."""
    return services.co_opinion_save(
        assignment=assignment, actor=w.staff_of(assignment.unit_id), text=text, submit=True
    )


def contact(w: World, assignment: Assignment, *, on: date | None = None) -> ContactRecord:
    return services.contact_record_create(
        assignment=assignment,
        actor=w.staff_of(assignment.unit_id),
        method="phone",
        contacted_on=on or timezone.localdate(),
        participants="何红代表，李文静",
        notes="电话沟通办理思路。",
    )


def follow_up(w: World, reply: Reply, *, due_in: int, promise: str) -> FollowUp:
    return reply_services.follow_up_record(
        reply=reply,
        actor=w.staff_of(reply.unit_id),
        promise=promise,
        due_on=timezone.localdate() + timedelta(days=due_in),
    )


# --- reading the pages ------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
SPACES = re.compile(r"\s+")


class Node:
    """An element of a parsed page: tag, attributes, children (nodes and text)."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        """The text as a reader sees it, whitespace collapsed."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)

        walk(self)
        return SPACES.sub(" ", "".join(parts)).strip()

    def iter(self) -> Any:
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, *, cls: str = "", **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (not cls or cls in node.classes)
            and all(node.attrs.get(name.rstrip("_")) == value for name, value in attrs.items())
        ]

    def find(self, tag: str | None = None, *, cls: str = "", **attrs: str) -> Node | None:
        found = self.find_all(tag, cls=cls, **attrs)
        return found[0] if found else None


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    return builder.root


def get_page(client: Client, url: str = "/", **params: Any) -> Node:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return parse(response.content.decode())


@dataclass
class Row:
    """One row of a workbench queue: its title link, its text and the forms it offers."""

    title: str
    href: str
    text: str
    forms: list[tuple[str, dict[str, str]]]  # (action, hidden fields)


def queue_section(doc: Node, key: str) -> Node | None:
    return doc.find("section", id=f"queue-{key}")


def queue_rows(doc: Node, key: str) -> list[Row]:
    section = queue_section(doc, key)
    if section is None:
        return []
    rows = []
    for item in section.find_all("li", cls="queue-row"):
        link = item.find("a", cls="queue-title")
        assert link is not None
        forms = [
            (
                form.attrs.get("action", ""),
                {
                    field.attrs["name"]: field.attrs.get("value", "")
                    for field in form.find_all("input", type="hidden")
                    if field.attrs.get("name") != "csrfmiddlewaretoken"
                },
            )
            for form in item.find_all("form")
        ]
        rows.append(Row(link.text(), link.attrs["href"], item.text(), forms))
    return rows


def queue_count(doc: Node, key: str) -> int | None:
    """The count in a queue's heading; None when the queue is not shown (empty ones are only
    named under 以下事项暂无)."""
    section = queue_section(doc, key)
    if section is None:
        return None
    counter = section.find("span", cls="count")
    assert counter is not None
    number = re.match(r"\d+", counter.text().strip())  # "3 项": the unit is for screen readers
    assert number is not None
    return int(number.group())


# queues that show what a person has, not what waits for them
NOT_WAITING = {"mine", "drafts"}


def waits(doc: Node, title: str) -> bool:
    """Whether a row about the item titled `title` waits on this workbench (a request's row
    reads 延期申请：<title>)."""
    return any(title in row for row in waiting_titles(doc))


def waiting_titles(doc: Node) -> list[str]:
    """Titles of every row in the queues of work (a member's own items and drafts left out)."""
    titles = []
    for section in doc.find_all("section", cls="queue-card"):
        key = section.attrs["id"].removeprefix("queue-")
        if key not in NOT_WAITING:
            titles += [row.title for row in queue_rows(doc, key)]
    return titles


def badges(doc: Node) -> dict[str, int]:
    """The count badges of the main navigation (the wide bar), by link text."""
    nav = doc.find("nav", cls="nav-wide")
    assert nav is not None
    found = {}
    for link in nav.find_all("a"):
        badge = link.find("span", cls="badge")
        if badge is None:
            continue
        hidden = badge.find("span", cls="visually-hidden")
        assert hidden is not None and hidden.text() == "项待办"
        number = badge.text().removesuffix("项待办").strip()
        name = link.text().replace(badge.text(), "").strip()
        found[name] = int(number)
    return found


def messages(doc: Node) -> list[str]:
    box = doc.find("ul", cls="messages")
    return [item.text() for item in box.find_all("li")] if box else []
