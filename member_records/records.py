"""履职档案: what each member did, read from proposals, replies and accounts (never written).

A member's record counts, per meeting (or year):

- items led (领衔): the items they lead that were submitted (drafts are not part of a record);
- items co-signed (联名): confirmed co-signatures of submitted items;
- registered (立案): items they lead that were registered (numbered, as the dashboard counts);
- replies received: sent reply letters (not the superseded ones) of the items they lead or
  co-sign;
- evaluations given: their 满意度测评 of replies, entered by themselves or from their paper form;
- contacts confirmed / disputed: contact records (答复前沟通) they answered, by answer.

Every count is a correlated subquery (or two added up), each found through an index, so the
supervisors' list of members (one row per member) and a member's table per meeting (one row per
meeting) each take one query whatever their size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import Role, User
from proposals.models import (
    ContactRecord,
    ContactResponse,
    CoSigner,
    CoSignerStatus,
    Meeting,
    Proposal,
    ProposalStatus,
)
from replies.models import Evaluation, Reply, ReplyStatus

# the names of the counts, in the order of the pages' and the export's columns
COUNTS = (
    "led",
    "cosigned",
    "registered",
    "replies_received",
    "evaluations_given",
    "contacts_confirmed",
    "contacts_disputed",
)


def count_labels() -> dict[str, str]:
    """The column heading of each count, in the reader's language."""
    return {
        "led": _("领衔"),
        "cosigned": _("联名"),
        "registered": _("领衔立案"),
        "replies_received": _("收到答复"),
        "evaluations_given": _("测评"),
        "contacts_confirmed": _("确认沟通"),
        "contacts_disputed": _("异议沟通"),
    }


class SubqueryCount(Subquery):
    """The number of rows of a queryset, as a correlated subquery (0 when none)."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()


@dataclass(frozen=True)
class Scope:
    """A meeting, or a year, or neither (all meetings)."""

    meeting: Meeting | None = None
    year: int | None = None

    def q(self, meeting_path: str) -> Q:
        condition = Q()
        if self.meeting is not None:
            condition &= Q(**{meeting_path: self.meeting.pk})
        if self.year is not None:
            condition &= Q(**{f"{meeting_path}__year": self.year})
        return condition


def _nested(member: Any) -> Any:
    """`member` seen from one subquery deeper (an OuterRef needs one more level)."""
    return OuterRef(member) if isinstance(member, OuterRef) else member


def _confirmed_cosigner(item_ref: Any, member: Any) -> Exists:
    return Exists(
        CoSigner.objects.filter(proposal=item_ref, member=member, status=CoSignerStatus.CONFIRMED)
    )


def signed_items_q(member: Any, prefix: str = "") -> Q:
    """Items (reached through `prefix`, e.g. "assignment__proposal__") the member leads or
    co-signs (confirmed); `member` is a user's pk or an OuterRef to one."""
    item_ref = OuterRef(prefix.removesuffix("__") or "pk")
    return Q(**{f"{prefix}lead": member}) | Q(_confirmed_cosigner(item_ref, _nested(member)))


# Each count: the parts it adds up, each (its rows for `member`, the path from those rows to
# their meeting); every part is found through an index, with no OR between tables
Part = tuple[QuerySet[Any], str]
CountDefinition = Callable[[Any], list[Part]]


def _led(member: Any) -> list[Part]:
    return [(Proposal.objects.filter(lead=member).exclude(status=ProposalStatus.DRAFT), "meeting")]


def _cosigned(member: Any) -> list[Part]:
    rows = CoSigner.objects.filter(member=member, status=CoSignerStatus.CONFIRMED).exclude(
        proposal__status=ProposalStatus.DRAFT
    )
    return [(rows, "proposal__meeting")]


def _registered(member: Any) -> list[Part]:
    return [(Proposal.objects.filter(lead=member, number__isnull=False), "meeting")]


def _replies(member: Any) -> list[Part]:
    """Sent replies of the items the member leads, and of those they co-sign (a lead is never
    a co-signer of their own item, so the two never count a reply twice)."""
    sent = Reply.objects.filter(status=ReplyStatus.SENT)
    return [
        (sent.filter(proposal__lead=member), "proposal__meeting"),
        (
            sent.filter(
                proposal__cosigners__member=member,
                proposal__cosigners__status=CoSignerStatus.CONFIRMED,
            ),
            "proposal__meeting",
        ),
    ]


def _evaluations(member: Any) -> list[Part]:
    return [(Evaluation.objects.filter(evaluator=member), "reply__proposal__meeting")]


def _contacts(response: str) -> CountDefinition:
    def rows(member: Any) -> list[Part]:
        records = ContactRecord.objects.filter(responded_by=member, response=response)
        return [(records, "assignment__proposal__meeting")]

    return rows


DEFINITIONS: dict[str, CountDefinition] = {
    "led": _led,
    "cosigned": _cosigned,
    "registered": _registered,
    "replies_received": _replies,
    "evaluations_given": _evaluations,
    "contacts_confirmed": _contacts(ContactResponse.CONFIRMED),
    "contacts_disputed": _contacts(ContactResponse.DISPUTED),
}


def _counted(parts: list[Part], condition: Callable[[str], Q]) -> Any:
    """The sum of the parts' counts, each part narrowed by `condition(its meeting path)`."""
    total: Any = None
    for rows, meeting_path in parts:
        count = SubqueryCount(rows.filter(condition(meeting_path)).order_by().values("pk"))
        total = count if total is None else total + count
    return total


# --- who may see whose record ----------------------------------------------------------------


def members_for_user(user: User | Any) -> QuerySet[User]:
    """The members whose record `user` may open: a supervisor every member of the bodies they
    supervise, a member only themselves, anyone else nobody."""
    members = User.objects.filter(role=Role.MEMBER)
    if not getattr(user, "is_authenticated", False):
        return members.none()
    if user.is_supervisor:
        return members.filter(member_profile__body__in=user.supervised_bodies())
    if user.is_member:
        return members.filter(pk=user.pk)
    return members.none()


def get_member_for_user(user: User, user_id: int) -> User:
    """The member whose record `user` opens; another's, or no such member: 404 (the same page,
    so a member cannot learn who exists)."""
    member = members_for_user(user).select_related("member_profile").filter(pk=user_id).first()
    if member is None:
        raise Http404(_("没有找到这位代表委员的履职档案。"))
    return member


# --- the supervisors' list ------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFilter:
    """The list's filters beyond the scope: body, delegation, sector, a name."""

    body: str = ""
    delegation: str = ""
    sector: str = ""
    name: str = ""

    def apply(self, members: QuerySet[User]) -> QuerySet[User]:
        if self.body:
            members = members.filter(member_profile__body=self.body)
        if self.delegation:
            members = members.filter(member_profile__delegation=self.delegation)
        if self.sector:
            members = members.filter(member_profile__sector=self.sector)
        if self.name:
            members = members.filter(
                Q(full_name__icontains=self.name) | Q(username__icontains=self.name)
            )
        return members


def with_counts(members: QuerySet[User], scope: Scope) -> QuerySet[User]:
    """`members` each annotated with every count of COUNTS within `scope`: one query."""
    annotations = {}
    for name, definition in DEFINITIONS.items():
        annotations[name] = _counted(definition(OuterRef("pk")), scope.q)
    return members.annotate(**annotations)


def member_rows(user: User, scope: Scope, member_filter: MemberFilter) -> QuerySet[User]:
    """The members `user` may see, filtered, each with its counts, in a stable order."""
    members = member_filter.apply(members_for_user(user))
    return with_counts(members.select_related("member_profile"), scope).order_by(
        "member_profile__body",
        "member_profile__delegation",
        "member_profile__sector",
        "full_name",
        "pk",
    )


# --- one member's record ---------------------------------------------------------------------


@dataclass
class MeetingRow:
    meeting: Meeting | None  # None: the total
    counts: dict[str, int]


def meeting_rows(member: User, meetings: QuerySet[Meeting], scope: Scope) -> list[MeetingRow]:
    """The member's counts per meeting of `meetings` in `scope` (meetings where all are zero
    left out), newest first, then the total row: one query."""
    annotations = {}
    for name, definition in DEFINITIONS.items():
        annotations[name] = _counted(
            definition(member.pk), lambda meeting_path: Q(**{meeting_path: OuterRef("pk")})
        )
    in_scope = meetings
    if scope.meeting is not None:
        in_scope = in_scope.filter(pk=scope.meeting.pk)
    if scope.year is not None:
        in_scope = in_scope.filter(year=scope.year)
    result = []
    for meeting in in_scope.annotate(**annotations).order_by("-year", "-pk"):
        counts = {name: getattr(meeting, name) for name in COUNTS}
        if any(counts.values()):
            result.append(MeetingRow(meeting, counts))
    total = {name: sum(row.counts[name] for row in result) for name in COUNTS}
    result.append(MeetingRow(None, total))
    return result


def class_labels(meeting: Meeting) -> dict[str, str]:
    return {
        str(entry.get("code", "")): str(entry.get("label") or entry.get("code", ""))
        for entry in meeting.result_classes or []
    }


def record_items(member: User, scope: Scope) -> list[Proposal]:
    """The member's submitted items (led and co-signed) in `scope`, each with `is_led`, its sent
    replies and their result classes (`result_labels`): two queries."""
    items = (
        Proposal.objects.filter(signed_items_q(member.pk), scope.q("meeting"))
        .exclude(status=ProposalStatus.DRAFT)
        .select_related("meeting")
        .prefetch_related(
            Prefetch(
                "replies",
                queryset=Reply.objects.filter(status=ReplyStatus.SENT)
                .select_related("unit")
                .only("pk", "proposal_id", "unit__short_name", "result_class", "sent_at")
                .order_by("sent_at", "pk"),
                to_attr="sent_replies",
            )
        )
        .order_by("-meeting__year", "-meeting__pk", "number", "pk")
    )
    result = list(items)
    for item in result:
        labels = class_labels(item.meeting)
        item.is_led = item.lead_id == member.pk  # type: ignore[attr-defined]
        classed = [
            reply
            for reply in item.sent_replies  # type: ignore[attr-defined]
            if reply.result_class
        ]
        item.result_labels = [  # type: ignore[attr-defined]
            labels.get(reply.result_class, reply.result_class)
            if len(classed) == 1
            else _("%(label)s（%(unit)s）")
            % {
                "label": labels.get(reply.result_class, reply.result_class),
                "unit": reply.unit.short_name,
            }
            for reply in classed
        ]
    return result


def record_evaluations(member: User, scope: Scope) -> QuerySet[Evaluation]:
    """The evaluations the member gave in `scope`, newest first: one query."""
    return (
        Evaluation.objects.filter(evaluator=member)
        .filter(scope.q("reply__proposal__meeting"))
        .select_related("reply__proposal__meeting", "reply__unit")
        .order_by("-submitted_at", "-pk")
    )


def record_contacts(member: User, scope: Scope) -> QuerySet[ContactRecord]:
    """Contact records (答复前沟通) of the member's items in `scope`, newest first, with who
    answered them: one query."""
    return (
        ContactRecord.objects.filter(
            signed_items_q(member.pk, "assignment__proposal__"),
            scope.q("assignment__proposal__meeting"),
        )
        .select_related("assignment__proposal", "assignment__unit", "responded_by")
        .order_by("-contacted_on", "-pk")
    )
