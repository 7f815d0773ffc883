"""智能交办 in the product: the deployment's units and earlier assignments fed to `routing`'s model,
and its proposals for items (a lead unit, co-handling units, confidences and reasons).

`routing` knows nothing of the database; this module reads it (proposals → routing, never back).
Labels are the units' primary keys; the examples are earlier items with the unit that led them
(their lead assignment, not returned) and their co-handling units; each unit's duties are its own
text (`Unit.duties`) or, when empty, the shipped duties of the unit type its name contains
(株洲市民政局 → 民政局); a unit with neither is proposed from the history alone.

The model is built once per process and rebuilt when the units or the assignments change. A
fitted model answers as it is for settings.ROUTING_RECHECK_SECONDS; then the active units and one
aggregate of the assignments (two queries) are compared with its key, and a change is refitted in
a background thread while the fitted model keeps answering (at 100 000 items a fit takes seconds:
no page waits for it). With no model yet, a page waits ROUTING_FIRST_FIT_WAIT_SECONDS for the
first fit and otherwise shows no proposals until it is done. Nothing here may break a page: any
error is logged and the caller gets no proposal.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import connections
from django.db.models import Count, Max, Q

from accounts.models import Unit
from routing.datasets import load_duties
from routing.model import Example, Router, clean

from .models import Assignment, AssignmentRole, AssignmentStatus, Proposal

logger = logging.getLogger(__name__)

# how many earlier items vote for the co-handling units, and the smoothing of that vote: one
# similar item (similarity s) that had a unit as co-handler gives it s / (s + CO_SMOOTHING)
CO_NEIGHBOURS = 8
CO_SMOOTHING = 0.5
# a unit other than the lead is proposed as co-handler from its duties when it took at least this
# share of the duties' vote and this confidence in the lead ranking
CO_DUTY_SHARE = 0.25
CO_DUTY_CONFIDENCE = 0.2
# co-handling units shown: at most this many, each with at least this confidence
CO_MAX = 3
CO_MIN_CONFIDENCE = 0.25
REASONS = 3
# a title with less subject matter than this (characters left after the boilerplate 关于……的建议,
# 加强, 进一步, 有关工作 … is removed) is weak evidence whatever it matched: the model's shares are
# relative among the units, so 关于进一步做好有关工作的建议 would otherwise reach 70 % on 做好
# alone; its confidences are scaled by chars / MIN_SUBJECT_CHARS (ranking unchanged)
MIN_SUBJECT_CHARS = 4
SIGNING_SALT = "proposals.suggestions.shown"


# --- the units' duties ---------------------------------------------------------------------


@lru_cache(maxsize=1)
def _shipped() -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The shipped duties per unit type, and (name, unit type) for every type name and alias,
    longest first (the longest name contained in a unit's name wins)."""
    data = load_duties()
    names = sorted(data.aliases.items(), key=lambda kv: len(kv[0]), reverse=True)
    return data.duties, [(n, t) for n, t in names if len(n) >= 2]


def unit_type_of(name: str) -> str | None:
    """The shipped unit type whose name or an alias the unit's name contains, or None."""
    _, names = _shipped()
    for alias, unit_type in names:
        if alias in name:
            return unit_type
    return None


def duties_of(unit: Unit) -> str:
    """The unit's own duties text, else the shipped duties of its type, else ''."""
    own = (unit.duties or "").strip()
    if own:
        return own
    unit_type = unit_type_of(unit.name)
    if unit_type is None:
        return ""
    return _shipped()[0].get(unit_type, "")


# --- what is shown ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SimilarItem:
    """An earlier item like this one, with the units that handled it."""

    pk: int
    title: str
    lead: str  # the lead unit's short name
    co: tuple[str, ...]
    similarity: float


@dataclass(frozen=True)
class UnitProposal:
    unit: Unit
    confidence: float  # 0..1
    similar: tuple[SimilarItem, ...] = ()
    duty_phrases: tuple[str, ...] = ()

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


@dataclass(frozen=True)
class ItemProposal:
    proposal_pk: int
    lead: UnitProposal
    co: tuple[UnitProposal, ...] = ()

    @property
    def percent(self) -> int:
        """The proposal's confidence, as shown and as the batch threshold compares it."""
        return self.lead.percent

    def record(self) -> dict[str, Any]:
        """What was proposed, as stored with the decision (RoutingDecision)."""
        return {
            "proposal": self.proposal_pk,
            "lead": self.lead.unit.pk,
            "lead_confidence": round(self.lead.confidence, 4),
            "co": [{"unit": c.unit.pk, "confidence": round(c.confidence, 4)} for c in self.co],
        }

    def signed(self) -> str:
        """The record signed, for the form that showed it to post back."""
        return signing.dumps(self.record(), salt=SIGNING_SALT)


def shown_record(token: str, proposal_pk: int) -> dict[str, Any] | None:
    """The record a form showed (see ItemProposal.signed), if the token is genuine and for this
    item; else None (nothing was shown, or it was tampered with)."""
    if not token:
        return None
    try:
        record = signing.loads(token, salt=SIGNING_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(record, dict) or record.get("proposal") != proposal_pk:
        return None
    return record


# --- the fitted model --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Earlier:
    title: str
    body: str
    lead: int
    co: tuple[int, ...]


@dataclass
class _Fitted:
    key: tuple[Any, ...]
    router: Router
    units: dict[int, Unit]
    earlier: dict[int, _Earlier] = field(default_factory=dict)
    checked_at: float = field(default_factory=time.monotonic)  # when the key was last compared


_lock = threading.Lock()
_fitted: _Fitted | None = None


def _key(units: Sequence[Unit]) -> tuple[Any, ...]:
    """What the model depends on: the active units with their names and duties, and the
    assignments (how many, how many not returned, the latest)."""
    signature = hashlib.sha256()
    for u in units:
        signature.update(f"{u.pk}\x1f{u.name}\x1f{u.short_name}\x1f{u.duties}\x1e".encode())
    agg = Assignment.objects.filter(role__in=(AssignmentRole.LEAD, AssignmentRole.CO)).aggregate(
        n=Count("pk"),
        active=Count("pk", filter=~Q(status=AssignmentStatus.RETURNED)),
        last=Max("pk"),
    )
    return (signature.hexdigest(), agg["n"], agg["active"], agg["last"])


def _examples(units: Mapping[int, Unit]) -> dict[int, _Earlier]:
    """Earlier items with the unit that led them (the last round's lead) and their co units."""
    rows = (
        Assignment.objects.exclude(status=AssignmentStatus.RETURNED)
        .filter(role__in=(AssignmentRole.LEAD, AssignmentRole.CO))
        .order_by("proposal_id", "round", "pk")
        .values_list("proposal_id", "proposal__title", "proposal__meeting__body", "unit_id", "role")
    )
    titles: dict[int, tuple[str, str]] = {}
    leads: dict[int, int] = {}
    co: dict[int, list[int]] = defaultdict(list)
    for pk, title, body, unit_id, role in rows.iterator(chunk_size=5000):
        if unit_id not in units:  # inactive units are not proposed
            continue
        titles[pk] = (title, body)
        if role == AssignmentRole.LEAD:
            leads[pk] = unit_id
        elif unit_id not in co[pk]:
            co[pk].append(unit_id)
    return {
        pk: _Earlier(
            titles[pk][0], titles[pk][1], lead, tuple(u for u in co.get(pk, ()) if u != lead)
        )
        for pk, lead in leads.items()
    }


def _fit(key: tuple[Any, ...], units: dict[int, Unit]) -> _Fitted:
    earlier = _examples(units)
    duties = {}
    for pk, unit in units.items():
        text = duties_of(unit)
        if text:
            # the unit's short name is part of its duties (a title naming 公安 finds 市公安局)
            duties[str(pk)] = f"{unit.short_name}，{text}"
    examples = [
        Example(title=e.title, unit=str(e.lead), co_units=tuple(map(str, e.co)), ref=str(pk))
        for pk, e in earlier.items()
    ]
    router = Router().fit(examples, duties)
    logger.info(
        "routing model fitted: %d units (%d with duties), %d earlier items",
        len(units),
        len(duties),
        len(examples),
    )
    return _Fitted(key=key, router=router, units=units, earlier=earlier)


def fitted() -> _Fitted | None:
    """The model for the current units and assignments (see the module's docstring for when it
    is refitted); None while the first fit is still running in the background."""
    current = _fitted
    if current is not None and time.monotonic() - current.checked_at < _recheck_seconds():
        return current
    units = _active_units()
    key = _key(list(units.values()))
    if current is not None and current.key == key:
        current.checked_at = time.monotonic()
        return current
    if not settings.ROUTING_FIT_IN_BACKGROUND:
        with _lock:
            current = _fitted
            if current is None or current.key != key:
                current = _fit(key, units)
                _store(current)
        return current
    refit = _start_refit()
    if current is not None:
        current.checked_at = time.monotonic()  # not checked again on every page meanwhile
        return current
    refit.join(timeout=settings.ROUTING_FIRST_FIT_WAIT_SECONDS)
    return _fitted


def _recheck_seconds() -> float:
    return float(settings.ROUTING_RECHECK_SECONDS)


def _active_units() -> dict[int, Unit]:
    return {u.pk: u for u in Unit.objects.filter(is_active=True).order_by("pk")}


def _store(model: _Fitted) -> None:
    global _fitted
    _fitted = model


_refitting: threading.Thread | None = None


def _start_refit() -> threading.Thread:
    """The running background refit, or a new one."""
    global _refitting
    with _lock:
        if _refitting is None or not _refitting.is_alive():
            _refitting = threading.Thread(target=_refit, name="routing-refit", daemon=True)
            _refitting.start()
        return _refitting


def _refit() -> None:
    """A background fit on a connection of its own, closed at the end; a failure leaves the
    fitted model in place (logged)."""
    try:
        units = _active_units()
        _store(_fit(_key(list(units.values())), units))
    except Exception:
        logger.exception("智能交办: the model could not be refitted")
    finally:
        connections.close_all()


def reset() -> None:
    """Forget the fitted model (tests)."""
    global _fitted
    if _refitting is not None:
        _refitting.join()
    with _lock:
        _fitted = None


# --- proposals -------------------------------------------------------------------------------


def _similar(
    model: _Fitted, refs: Iterable[tuple[str | None, float]], bodies: Sequence[str] | None
) -> tuple[SimilarItem, ...]:
    out = []
    for ref, similarity in refs:
        if ref is None:
            continue
        earlier = model.earlier.get(int(ref))
        if earlier is None or (bodies is not None and earlier.body not in bodies):
            continue
        lead = model.units[earlier.lead].short_name
        co = tuple(model.units[u].short_name for u in earlier.co if u in model.units)
        out.append(SimilarItem(int(ref), earlier.title, lead, co, similarity))
    return tuple(out[:REASONS])


def _propose_one(
    model: _Fitted, proposal: Proposal, bodies: Sequence[str] | None
) -> ItemProposal | None:
    router = model.router
    ranked = router.suggest(proposal.title, k=5, reasons=REASONS)
    if not ranked:
        return None
    subject = sum(len(run) for run in clean(proposal.title))
    evidence = min(1.0, subject / MIN_SUBJECT_CHARS)
    best = ranked[0]
    lead_pk = int(best.unit)
    lead = UnitProposal(
        unit=model.units[lead_pk],
        confidence=best.confidence * evidence,
        similar=_similar(model, ((n.ref, n.similarity) for n in best.neighbours), bodies),
        duty_phrases=best.duty_phrases,
    )
    # co-handling units: those that co-handled similar items this lead led …
    votes: defaultdict[int, float] = defaultdict(float)
    seen: dict[int, list[tuple[str | None, float]]] = defaultdict(list)
    weight = 0.0
    for n in router.similar(proposal.title, k=CO_NEIGHBOURS):
        earlier = model.earlier.get(int(n.ref)) if n.ref else None
        if earlier is None or earlier.lead != lead_pk:
            continue
        weight += n.similarity
        for u in earlier.co:
            votes[u] += n.similarity
            seen[u].append((n.ref, n.similarity))
    confidence: dict[int, float] = {
        u: v / (weight + CO_SMOOTHING) for u, v in votes.items() if u in model.units
    }
    # … and those whose duties the title matches strongly too
    phrases: dict[int, tuple[str, ...]] = {}
    for s in ranked[1:]:
        pk = int(s.unit)
        phrases[pk] = s.duty_phrases
        if s.duty_share >= CO_DUTY_SHARE and s.confidence >= CO_DUTY_CONFIDENCE:
            confidence[pk] = max(confidence.get(pk, 0.0), s.confidence)
    co = sorted(
        (u for u, c in confidence.items() if c >= CO_MIN_CONFIDENCE and u != lead_pk),
        key=lambda u: confidence[u],
        reverse=True,
    )[:CO_MAX]
    return ItemProposal(
        proposal_pk=proposal.pk,
        lead=lead,
        co=tuple(
            UnitProposal(
                unit=model.units[u],
                confidence=min(confidence[u], 1.0) * evidence,
                similar=_similar(model, seen.get(u, ()), bodies),
                duty_phrases=phrases.get(u, ()),
            )
            for u in co
        ),
    )


def propose(
    proposals: Iterable[Proposal], *, bodies: Sequence[str] | None = None
) -> dict[int, ItemProposal]:
    """The proposal for each item (by pk); items the model has nothing for are left out.
    `bodies`: the similar earlier items shown as reasons are only those of these bodies (the ones
    the person may open). Never raises: an error is logged and nothing is proposed."""
    items = list(proposals)
    if not items:
        return {}
    try:
        model = fitted()
        if model is None:
            return {}  # the first fit is still running
        out = {}
        for proposal in items:
            found = _propose_one(model, proposal, bodies)
            if found is not None:
                out[proposal.pk] = found
        return out
    except Exception:
        logger.exception("智能交办: no proposals (the model failed)")
        return {}


def propose_one(proposal: Proposal, *, bodies: Sequence[str] | None = None) -> ItemProposal | None:
    return propose([proposal], bodies=bodies).get(proposal.pk)
