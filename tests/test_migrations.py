"""Data migrations do what they say on data of the schema they were written for."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

# the other apps stay at their latest state; only proposals moves
OTHERS = [("accounts", "0005_unit_document_number_format_and_letter_lines")]
BEFORE = [("proposals", "0013_publication_numbering_extension_grant"), *OTHERS]
AFTER = [("proposals", "0014_end_assignments_of_ended_items"), *OTHERS]


@pytest.fixture(autouse=True)
def latest_schema_afterwards():
    """Each test moves the schema back; the tests after it need the latest one again."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_unfinished_assignments_of_ended_items_end_with_them():
    # Given: the schema before the migration, with an item closed and one withdrawn before the
    # closing service ended their unfinished assignments, and one item still in handling
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Meeting = apps.get_model("proposals", "Meeting")
    Proposal = apps.get_model("proposals", "Proposal")
    Assignment = apps.get_model("proposals", "Assignment")
    User = apps.get_model("accounts", "User")
    Unit = apps.get_model("accounts", "Unit")
    now = timezone.now()
    closed_at = now - timedelta(days=30)
    office = User.objects.create(
        username="office", full_name="督办", role="supervisor", supervisor_scope="npc"
    )
    member = User.objects.create(username="member", full_name="代表", role="member")
    unit = Unit.objects.create(name="测试市民政局", short_name="市民政局")
    meeting = Meeting.objects.create(
        body="npc",
        term=1,
        sitting=1,
        year=2026,
        name="会议",
        short_name="会议",
        session_starts_on=now.date(),
        session_ends_on=now.date(),
        submission_opens_at=now - timedelta(days=90),
        submission_closes_at=now,
    )

    def item(status: str, **fields: object) -> Any:
        return Proposal.objects.create(
            meeting=meeting,
            kind="suggestion",
            title=status,
            body="x",
            lead=member,
            status=status,
            **fields,
        )

    def assignment(proposal: Any, status: str, **fields: object) -> Any:
        return Assignment.objects.create(
            proposal=proposal,
            unit=unit,
            role="co",
            status=status,
            assigned_by=office,
            due_on=now.date(),
            original_due_on=now.date(),
            **fields,
        )

    closed = item("closed", closed_at=closed_at)
    withdrawn = item("withdrawn")
    running = item("assigned")
    open_of_closed = assignment(closed, "accepted")
    replied_of_closed = assignment(
        closed, "replied", round=2, ended_at=closed_at - timedelta(days=5)
    )
    open_of_withdrawn = assignment(withdrawn, "assigned")
    open_of_running = assignment(running, "accepted")

    # When: the migration runs
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)

    # Then: the ended items' unfinished assignments end at the closing (or the last change),
    # the rest stays as it was
    ended = dict(Assignment.objects.values_list("pk", "ended_at"))
    assert ended[open_of_closed.pk] == closed_at
    assert ended[replied_of_closed.pk] == closed_at - timedelta(days=5)
    assert ended[open_of_withdrawn.pk] == Proposal.objects.get(pk=withdrawn.pk).updated_at
    assert ended[open_of_running.pk] is None


@pytest.mark.django_db(transaction=True)
def test_open_follow_ups_of_closed_items_end_with_them():
    # Given: the schema before the migration, with a closed item's follow-up still open, a
    # decided one, and an open one of an item still in evaluation
    before = [("replies", "0010_workbench_indexes"), ("proposals", "0015_workbench_indexes")]
    after = [("replies", "0011_follow_up_ended"), ("proposals", "0015_workbench_indexes")]
    executor = MigrationExecutor(connection)
    executor.migrate([*before, *OTHERS])
    apps = executor.loader.project_state([*before, *OTHERS]).apps
    Meeting = apps.get_model("proposals", "Meeting")
    Proposal = apps.get_model("proposals", "Proposal")
    Assignment = apps.get_model("proposals", "Assignment")
    Reply = apps.get_model("replies", "Reply")
    FollowUp = apps.get_model("replies", "FollowUp")
    User = apps.get_model("accounts", "User")
    Unit = apps.get_model("accounts", "Unit")
    now = timezone.now()
    staff = User.objects.create(username="staff", full_name="承办员", role="member")
    member = User.objects.create(username="member", full_name="代表", role="member")
    unit = Unit.objects.create(name="测试市民政局", short_name="市民政局")
    meeting = Meeting.objects.create(
        body="npc",
        term=1,
        sitting=1,
        year=2026,
        name="会议",
        short_name="会议",
        session_starts_on=now.date(),
        session_ends_on=now.date(),
        submission_opens_at=now - timedelta(days=90),
        submission_closes_at=now,
    )

    def follow_up(item_status: str, status: str) -> Any:
        proposal = Proposal.objects.create(
            meeting=meeting,
            kind="suggestion",
            title=item_status,
            body="x",
            lead=member,
            status=item_status,
        )
        assignment = Assignment.objects.create(
            proposal=proposal,
            unit=unit,
            role="lead",
            status="replied",
            assigned_by=staff,
            due_on=now.date(),
            original_due_on=now.date(),
        )
        reply = Reply.objects.create(
            assignment=assignment,
            proposal=proposal,
            unit=unit,
            status="sent",
            result_class="B",
            title="答复",
            salutation="代表：",
            opening="收悉。",
            signing_unit=unit.name,
            created_by=staff,
            updated_by=staff,
        )
        return FollowUp.objects.create(
            reply=reply, promise="年底前完成", due_on=now.date(), recorded_by=staff, status=status
        )

    frozen = follow_up("closed", "open")
    decided = follow_up("closed", "fulfilled")
    running = follow_up("evaluated", "open")

    # When: the migration runs
    MigrationExecutor(connection).migrate([*after, *OTHERS])

    # Then: only the closed item's open follow-up ended
    status = dict(FollowUp.objects.values_list("pk", "status"))
    assert (status[frozen.pk], status[decided.pk], status[running.pk]) == (
        "ended",
        "fulfilled",
        "open",
    )
