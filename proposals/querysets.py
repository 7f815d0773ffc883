"""Reusable reads. Every list starts from `Proposal.objects.for_user(user)`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

if TYPE_CHECKING:
    from accounts.models import User


class ProposalQuerySet(models.QuerySet[Any]):
    def for_user(self, user: User | Any) -> ProposalQuerySet:
        """Items the user may see at all; anything else is a 404 for them.

        - a member: items they lead, items they are invited to or co-sign, and items merged
          with one of theirs (both submitters see a 并案);
        - a supervisor: every non-draft item of the bodies they supervise;
        - an administrator: every non-draft item;
        - unit users: the items assigned to their unit (assignment arrives with 交办).
        """
        from .models import CoSigner, CoSignerStatus, ProposalStatus

        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.is_administrator:
            return self.exclude(status=ProposalStatus.DRAFT)
        if user.is_supervisor:
            return self.filter(meeting__body__in=user.supervised_bodies()).exclude(
                status=ProposalStatus.DRAFT
            )
        if user.is_member:
            cosigned = CoSigner.objects.filter(
                member=user, status__in=[CoSignerStatus.INVITED, CoSignerStatus.CONFIRMED]
            ).values("proposal_id")
            own = Q(lead=user) | Q(pk__in=cosigned)
            merged_partner = Q(merged_items__lead=user) | Q(merged_into__lead=user)
            merged_ids = self.model.objects.filter(merged_partner).values("pk")
            return self.filter(own | Q(pk__in=merged_ids))
        return self.none()

    def awaiting_review(self) -> ProposalQuerySet:
        from .models import ProposalStatus

        return self.filter(status=ProposalStatus.SUBMITTED)
