"""Reusable reads. Every list starts from `Proposal.objects.for_user(user)`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models.expressions import RawSQL
from django.utils import timezone

if TYPE_CHECKING:
    from accounts.models import User


def member_scope(user_id: int) -> RawSQL:
    """The pks of the items a member may see, as one UNION of index lookups: items they lead,
    items they are invited to or co-sign, and 并案 both ways (items merged into one of theirs,
    and the items theirs were merged into).

    Written in SQL because it is in nearly every query of a member's pages: an OR of these made
    PostgreSQL scan every item (and join the table to itself twice), and the same UNION built
    with the ORM took ~1.2 ms of Python to compile each time, several times a page
    (bench/load.py). tests/test_member_scope.py checks who sees what."""
    from .models import CoSigner, CoSignerStatus, Proposal

    items, cosigners = Proposal._meta.db_table, CoSigner._meta.db_table
    sql = (
        f'SELECT "id" FROM "{items}" WHERE "lead_id" = %s'
        f' UNION SELECT "proposal_id" FROM "{cosigners}"'
        '  WHERE "member_id" = %s AND "status" IN (%s, %s)'
        f' UNION SELECT merged."id" FROM "{items}" merged'
        f'  JOIN "{items}" target ON merged."merged_into_id" = target."id"'
        '  WHERE target."lead_id" = %s'
        f' UNION SELECT "merged_into_id" FROM "{items}"'
        '  WHERE "lead_id" = %s AND "merged_into_id" IS NOT NULL'
    )
    params = (user_id, user_id, CoSignerStatus.INVITED.value, CoSignerStatus.CONFIRMED.value)
    return RawSQL(sql, (*params, user_id, user_id))


class ProposalQuerySet(models.QuerySet[Any]):
    def for_user(self, user: User | Any) -> ProposalQuerySet:
        """Items the user may see at all; anything else is a 404 for them.

        - a member: items they lead, items they are invited to or co-sign, and items merged
          with one of theirs (both submitters see a 并案);
        - a supervisor: every non-draft item of the bodies they supervise;
        - an administrator: every non-draft item;
        - unit users: the items their unit is handling (an assignment not returned); a unit sees
          another unit's part only on an item both handle.
        """
        from accounts.models import SupervisorScope

        from .models import ProposalStatus

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_administrator:
            return self.exclude(status=ProposalStatus.DRAFT)
        if user.is_supervisor:
            visible = self.exclude(status=ProposalStatus.DRAFT)
            if user.supervisor_scope == SupervisorScope.ALL:  # every body: no join needed
                return visible
            return visible.filter(meeting__body__in=user.supervised_bodies())
        if user.is_member:
            return self.filter(pk__in=member_scope(user.pk))
        if user.is_unit_user and user.unit_id:
            from .models import Assignment

            handled = Assignment.objects.filter(unit_id=user.unit_id).active().values("proposal_id")
            return self.filter(pk__in=handled)
        return self.none()

    def awaiting_review(self) -> ProposalQuerySet:
        from .models import ProposalStatus

        return self.filter(status=ProposalStatus.SUBMITTED)


class AssignmentQuerySet(models.QuerySet[Any]):
    def active(self) -> AssignmentQuerySet:
        """Not returned: the unit still has a part in handling the item."""
        from .models import AssignmentStatus

        return self.exclude(status=AssignmentStatus.RETURNED)

    def open(self) -> AssignmentQuerySet:
        """Still running: not yet replied, sent an opinion or returned, and not ended with its
        item (办结, 撤案)."""
        from .models.handling import OPEN_ASSIGNMENT

        return self.filter(OPEN_ASSIGNMENT)

    def overdue(self, today: date | None = None) -> AssignmentQuerySet:
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def due_within(self, days: int, today: date | None = None) -> AssignmentQuerySet:
        today = today or timezone.localdate()
        return self.open().filter(due_on__gte=today, due_on__lte=today + timedelta(days=days))

    def rounds_above_first(self, proposal_ids: Any) -> dict[int, int]:
        """{item id: its latest handling round} for those of the items that are being or
        were re-handled (重新办理: round 2 or later). One query over the given items only
        (a list page's rows), answered from the (proposal, …) constraint indexes."""
        from django.db.models import Max

        rows = (
            self.filter(proposal_id__in=list(proposal_ids), round__gt=1)
            .active()
            .order_by()
            .values_list("proposal_id")
            .annotate(latest=Max("round"))
        )
        return dict(rows)

    def for_user(self, user: User | Any) -> AssignmentQuerySet:
        """Assignments the user may see: a unit user those of items their unit handles (so the
        other units' parts of a shared item too); supervisors those of their bodies; members
        those of their own items."""
        from .models import Proposal

        if not getattr(user, "is_authenticated", False):
            return self.none()
        # drafts have no assignments, so a supervisor's scope is a join on the meeting's body:
        # the planner can then start from the few rows a page wants (overdue, due soon)
        # instead of hashing every visible item (bench/pages.py)
        if user.is_administrator:
            return self.all()
        if user.is_supervisor:
            from accounts.models import SupervisorScope

            if user.supervisor_scope == SupervisorScope.ALL:
                return self.all()
            return self.filter(proposal__meeting__body__in=user.supervised_bodies())
        return self.filter(proposal__in=Proposal.objects.for_user(user).values("pk"))


class WithoutSearchVector(models.Manager[Any]):
    """A default manager that leaves the search terms in the database: a vector is ~6 KB that
    PostgreSQL decompresses and sends with every item read, and only SQL uses it (search,
    similar items). `.only()` and `.values()` still choose their own columns."""

    def get_queryset(self) -> models.QuerySet[Any]:
        return super().get_queryset().defer("search_vector")


ProposalManager = WithoutSearchVector.from_queryset(ProposalQuerySet)
