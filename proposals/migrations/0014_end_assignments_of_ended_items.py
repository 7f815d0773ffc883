"""Items closed (办结) or withdrawn (撤案) before their unfinished assignments were ended with them:
end those assignments now, at the item's closing time (or its last change), so that they stop
counting as open or overdue work (OPEN_ASSIGNMENT)."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def end_assignments(apps, schema_editor):
    Assignment = apps.get_model("proposals", "Assignment")
    Proposal = apps.get_model("proposals", "Proposal")
    ended = Proposal.objects.filter(pk=OuterRef("proposal_id"))
    stale = Assignment.objects.filter(
        status__in=["assigned", "accepted"],
        ended_at__isnull=True,
        proposal__status__in=["closed", "withdrawn"],
    )
    stale.filter(proposal__closed_at__isnull=False).update(
        ended_at=Subquery(ended.values("closed_at")[:1])
    )
    stale.filter(ended_at__isnull=True).update(ended_at=Subquery(ended.values("updated_at")[:1]))


class Migration(migrations.Migration):
    dependencies = [("proposals", "0013_publication_numbering_extension_grant")]

    operations = [migrations.RunPython(end_assignments, migrations.RunPython.noop)]
