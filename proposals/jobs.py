"""What the background jobs with a progress bar share (the items export, the paper-items import):
noticing a job that stalled and queueing it again.

A job row has `status`, `done`, `heartbeat_at` and `created_at`; its task claims the row before it
works, so queueing a job twice never runs it twice at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class StallPolicy:
    waiting: str  # the status of a job queued and not yet started
    running: str  # the status of a job a worker is on
    waiting_too_long: timedelta  # queued but never started: the broker lost it
    running_too_long: timedelta  # no progress for this long: the worker died


def requeue_if_stalled(job: Any, policy: StallPolicy, queue: Callable[[int], None]) -> bool:
    """Queue `job` again when it stalled; True when this call did it. The reset is conditional on
    the row being as read, so of two pages that see the same stalled job only one queues it."""
    now = timezone.now()
    last_seen = job.heartbeat_at or job.created_at
    if job.status == policy.waiting:
        stalled = last_seen < now - policy.waiting_too_long
    elif job.status == policy.running:
        stalled = last_seen < now - policy.running_too_long
    else:
        return False
    if not stalled:
        return False
    reset = (
        type(job)
        .objects.filter(pk=job.pk, status=job.status, heartbeat_at=job.heartbeat_at)
        .update(status=policy.waiting, done=0, heartbeat_at=now)
    )
    if not reset:  # someone else moved it on meanwhile
        return False
    pk = job.pk
    transaction.on_commit(lambda: queue(pk))
    return True
