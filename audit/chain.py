"""Appending to, verifying and purging the hash chain of audit records.

Each record's hash is an HMAC-SHA256 (keyed by AUDIT_CHAIN_KEY, by default the SECRET_KEY) over a
canonical JSON serialisation of all its fields and the previous record's hash. Editing a row
changes its hash; deleting one leaves a gap in the sequence and a previous_hash that matches
nothing. Without the key, someone with write access to the database cannot compute the hashes
that would hide such a change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditRecord, AuditResult

PURGE_ACTION = "audit.purged"
# rows read at a time by verify: the chain may hold millions of rows
VERIFY_CHUNK = 2000


def _key() -> bytes:
    return str(getattr(settings, "AUDIT_CHAIN_KEY", "") or settings.SECRET_KEY).encode()


def _without_nul(value: Any) -> Any:
    """NUL removed from every text: PostgreSQL's text and jsonb cannot hold it, and a detail
    (say, a provider's error typed by an attacker) must never keep the record from being kept."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    return value


def _json_safe(value: Any) -> Any:
    """The detail as the JSON column will give it back (dates and other objects as text)."""
    return _without_nul(json.loads(json.dumps(value, default=str, ensure_ascii=False)))


def canonical(
    *,
    sequence: int,
    created_at: datetime,
    actor_id: int | None,
    actor_username: str,
    address: str | None,
    action: str,
    target: str,
    detail: Any,
    result: str,
    previous_hash: str,
) -> bytes:
    """One record's fields as bytes that do not depend on the database (keys sorted, the time
    in UTC to the microsecond)."""
    fields = {
        "sequence": sequence,
        "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": actor_id,
        "actor_username": actor_username,
        "address": address or "",
        "action": action,
        "target": target,
        "detail": detail,
        "result": result,
        "previous_hash": previous_hash,
    }
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def record_hash(record: AuditRecord) -> str:
    message = canonical(
        sequence=record.sequence,
        created_at=record.created_at,
        actor_id=record.actor_id,
        actor_username=record.actor_username,
        address=record.address,
        action=record.action,
        target=record.target,
        detail=record.detail,
        result=record.result,
        previous_hash=record.previous_hash,
    )
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _locked_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # the migration creates it; a flushed test database may not have it
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def append(
    action: str,
    *,
    actor: Any = None,
    address: str | None = None,
    target: str = "",
    detail: dict[str, Any] | None = None,
    result: str = AuditResult.SUCCESS,
) -> AuditRecord:
    """Add one record at the end of the chain. The chain head row is locked for the rest of the
    transaction, so concurrent appends queue one behind the other instead of forking the chain;
    the time is taken under the lock, so times rise with the sequence."""
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    username = _without_nul(str(getattr(actor, "username", "") or "")) if actor_id else ""
    if result not in AuditResult.values:
        result = AuditResult.FAILURE
    with transaction.atomic():
        head = _locked_head()
        record = AuditRecord(
            sequence=head.last_sequence + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_username=username,
            address=address or None,
            action=_without_nul(action)[:60],
            target=_without_nul(str(target))[:200],
            detail=_json_safe(detail or {}),
            result=result,
            previous_hash=head.last_hash,
        )
        record.hash = record_hash(record)
        record.save(force_insert=True)
        AuditChainHead.objects.filter(pk=1).update(
            last_sequence=record.sequence, last_hash=record.hash
        )
    return record


@dataclass(frozen=True)
class Verification:
    count: int
    broken: AuditRecord | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken is None and not self.reason


def _anchored(first: AuditRecord) -> bool:
    """Whether a purge record vouches for the oldest remaining record: it names the sequence
    and hash of the last record it deleted, which must be just before this one."""
    anchors = AuditRecord.objects.filter(action=PURGE_ACTION, sequence__gte=first.sequence)
    for anchor in anchors.only("detail"):
        detail = anchor.detail or {}
        if (
            detail.get("last_purged_sequence") == first.sequence - 1
            and detail.get("last_purged_hash") == first.previous_hash
        ):
            return True
    return False


def verify() -> Verification:
    """Walk the chain from the oldest record. The first record must start the chain (sequence
    1, no previous hash) or be vouched for by a purge record; every record's hash must match its
    fields and the previous record's hash; sequences must not skip; the newest record must be
    the chain head."""
    count = 0
    previous: AuditRecord | None = None
    last_sequence = 0
    while True:
        chunk = list(
            AuditRecord.objects.filter(sequence__gt=last_sequence).order_by("sequence")[
                :VERIFY_CHUNK
            ]
        )
        if not chunk:
            break
        for record in chunk:
            if previous is None:
                starts = record.sequence == 1 and record.previous_hash == ""
                if not starts and not _anchored(record):
                    return Verification(count, record, "missing_before")
            elif record.sequence != previous.sequence + 1:
                return Verification(count, record, "missing_before")
            elif record.previous_hash != previous.hash:
                return Verification(count, record, "link")
            if record_hash(record) != record.hash:
                return Verification(count, record, "edited")
            previous = record
            count += 1
        last_sequence = chunk[-1].sequence
    head = AuditChainHead.objects.filter(pk=1).first()
    newest = (previous.sequence, previous.hash) if previous is not None else None
    if head is not None and head.last_sequence and newest != (head.last_sequence, head.last_hash):
        return Verification(count, previous, "missing_after")
    return Verification(count)


def purge(keep_days: int, *, now: datetime | None = None) -> AuditRecord | None:
    """Delete the records older than keep_days and append a purge record naming the last one
    deleted (its sequence and hash), from which verify then trusts the oldest remaining record.
    None when nothing was old enough."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    with transaction.atomic():
        _locked_head()  # no append between choosing the rows and anchoring them
        last = AuditRecord.objects.filter(created_at__lt=cutoff).order_by("-sequence").first()
        if last is None:
            return None
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # the append-only trigger (migration 0001) lets this transaction delete
                cursor.execute("SET LOCAL audit.purge = 'on'")
            cursor.execute(
                f"DELETE FROM {AuditRecord._meta.db_table} WHERE sequence <= %s",
                [last.sequence],
            )
            deleted = cursor.rowcount
        return append(
            PURGE_ACTION,
            detail={
                "deleted": deleted,
                "before": cutoff.isoformat(),
                "keep_days": keep_days,
                "last_purged_sequence": last.sequence,
                "last_purged_hash": last.hash,
            },
        )
