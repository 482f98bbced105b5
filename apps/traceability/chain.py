"""Re-checking event chains: the whole chain of a store, or just the links of one lot.

Nothing here writes. A row edited behind the application's back (raw SQL, a DBA, a restored
backup) no longer matches its hash, or its hash no longer matches the next link, or the
published anchors; the report names the first such place.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q, QuerySet

from apps.traceability.hashing import chain_hash, event_hash_of_parts
from apps.traceability.models import (
    GENESIS_HASH,
    ChainAnchor,
    ChainHead,
    TraceEvent,
    TraceEventLot,
)

CHUNK = 10000
SEQ = 1  # position of `sequence` in EVENT_COLUMNS

EVENT_COLUMNS = (
    "id",
    "sequence",
    "uuid",
    "store_id",
    "event_type",
    "action",
    "business_step",
    "disposition",
    "event_time",
    "recorded_at",
    "location_id",
    "actor_ref",
    "corrects_id",
    "extra",
    "event_hash",
    "previous_hash",
    "chain_hash",
)


@dataclass
class ChainReport:
    store_id: int
    is_valid: bool = True
    checked: int = 0
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    broken_sequence: int | None = None
    broken_event_id: int | None = None
    reason: str = ""
    anchors_checked: int = 0

    def fail(self, sequence: int | None, event_id: int | None, reason: str) -> "ChainReport":
        self.is_valid = False
        self.broken_sequence = sequence
        self.broken_event_id = event_id
        self.reason = reason
        return self


# Positions in EVENT_COLUMNS of what the hash covers, in event_hash_of_parts' order.
_HASHED = [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]


def _hash_row(row: tuple, lots: list[tuple]) -> str:
    return event_hash_of_parts(*(row[i] for i in _HASHED), lots)


def chain_verify(*, store_id: int) -> ChainReport:
    """Recompute every event hash and link of the store's chain, in sequence order.

    Reads in chunks of CHUNK events (two queries each), so memory stays flat on long chains.
    """
    report = ChainReport(store_id=store_id)
    previous = GENESIS_HASH
    expected_sequence = 1
    hashes_at: dict[int, str] = {}
    anchors = list(
        ChainAnchor.objects.filter(store_id=store_id, last_sequence__gt=0).values_list(
            "last_sequence", "chain_hash", "anchor_date"
        )
    )
    anchored = {seq for seq, _, _ in anchors}
    while True:
        rows = list(
            TraceEvent.objects.filter(store_id=store_id, sequence__gte=expected_sequence)
            .order_by("sequence")
            .values_list(*EVENT_COLUMNS)[:CHUNK]
        )
        if not rows:
            break
        lots: dict[int, list[tuple]] = defaultdict(list)
        for event_id, *rest in (
            TraceEventLot.objects.filter(
                event__store_id=store_id,
                event__sequence__gte=rows[0][SEQ],
                event__sequence__lte=rows[-1][SEQ],
            )
            .values_list("event_id", "lot_id", "role", "quantity", "unit")
            .order_by()
        ):
            lots[event_id].append(tuple(rest))
        for row in rows:
            event_id, sequence = row[0], row[SEQ]
            stored_hash, previous_hash, stored_chain = row[-3], row[-2], row[-1]
            if sequence != expected_sequence:
                return report.fail(expected_sequence, None, f"序号 {expected_sequence} 的事件缺失")
            if previous_hash != previous:
                return report.fail(sequence, event_id, "与上一条事件的链哈希不衔接")
            if _hash_row(row, lots[event_id]) != stored_hash:
                return report.fail(sequence, event_id, "事件内容与其哈希不符（记录被改动）")
            if chain_hash(previous, stored_hash) != stored_chain:
                return report.fail(sequence, event_id, "链哈希计算不符")
            if sequence in anchored:
                hashes_at[sequence] = stored_chain
            previous = stored_chain
            expected_sequence += 1
            report.checked += 1
        if len(rows) < CHUNK:
            break

    report.head_sequence = expected_sequence - 1
    report.head_hash = previous
    head = (
        ChainHead.objects.filter(store_id=store_id)
        .values_list("last_sequence", "last_chain_hash")
        .first()
    )
    if head is not None and head != (report.head_sequence, report.head_hash):
        return report.fail(report.head_sequence + 1, None, "链尾事件缺失（链头记录与事件不一致）")
    for sequence, anchored_hash, anchor_date in sorted(anchors):
        if hashes_at.get(sequence) != anchored_hash:
            return report.fail(sequence, None, f"与 {anchor_date} 公布的锚点不一致")
        report.anchors_checked += 1
    return report


class EventLink(NamedTuple):
    lot_id: int
    role: str
    quantity: Decimal | None
    unit: str
    lot_number: str


@dataclass
class EventRow:
    """An event as plain values with its lots: what pages and the page-sized check read.

    Hundreds of these load in two queries without building model instances.
    """

    id: int
    sequence: int
    uuid: str
    store_id: int
    event_type: str
    action: str
    business_step: str
    disposition: str
    event_time: datetime
    recorded_at: datetime
    location_id: int | None
    actor_ref: str
    corrects_id: int | None
    extra: dict
    event_hash: str
    previous_hash: str
    chain_hash: str
    location_name: str | None = None
    links: list[EventLink] = field(default_factory=list)

    def computed_hash(self) -> str:
        return event_hash_of_parts(
            self.uuid,
            self.store_id,
            self.event_type,
            self.action,
            self.business_step,
            self.disposition,
            self.event_time,
            self.recorded_at,
            self.location_id,
            self.actor_ref,
            self.corrects_id,
            self.extra,
            [(link.lot_id, link.role, link.quantity, link.unit) for link in self.links],
        )


def event_rows(queryset: QuerySet[TraceEvent]) -> list[EventRow]:
    """The events of `queryset` (in its order) with their lots, in two queries."""
    events = [EventRow(*row) for row in queryset.values_list(*EVENT_COLUMNS, "location__name")]
    by_id = {event.id: event for event in events}
    if by_id:
        links = (
            TraceEventLot.objects.filter(event_id__in=list(by_id))
            .order_by("event_id", "role", "lot_id")
            .values_list("event_id", "lot_id", "role", "quantity", "unit", "lot__lot_number")
        )
        for event_id, *link in links:
            by_id[event_id].links.append(EventLink(*link))
    return events


@dataclass
class LotIntegrity:
    """The page-sized check of one lot: its events' hashes and the links around them."""

    is_valid: bool
    checked: int
    problems: list[str] = field(default_factory=list)


def lot_events_verify(events: list[EventRow]) -> LotIntegrity:
    """Verify events and their links to both neighbours in the store's chain.

    One query for the neighbours' hashes whatever the number of events.
    """
    problems: list[str] = []
    for event in events:
        if event.computed_hash() != event.event_hash:
            problems.append(f"#{event.sequence} 内容与哈希不符")
        if chain_hash(event.previous_hash, event.event_hash) != event.chain_hash:
            problems.append(f"#{event.sequence} 链哈希不符")
    by_store: dict[int, set[int]] = defaultdict(set)
    for event in events:
        by_store[event.store_id].update({event.sequence - 1, event.sequence + 1})
    wanted = Q()
    for store_id, sequences in by_store.items():
        wanted |= Q(store_id=store_id, sequence__in=sorted(s for s in sequences if s > 0))
    neighbours = {}
    if events:
        neighbours = {
            (s, q): (prev, ch)
            for s, q, prev, ch in TraceEvent.objects.filter(wanted).values_list(
                "store_id", "sequence", "previous_hash", "chain_hash"
            )
        }
    for event in events:
        if event.sequence == 1:
            if event.previous_hash != GENESIS_HASH:
                problems.append(f"#{event.sequence} 链首不符")
        else:
            before = neighbours.get((event.store_id, event.sequence - 1))
            if before is None or before[1] != event.previous_hash:
                problems.append(f"#{event.sequence} 与上一条不衔接")
        after = neighbours.get((event.store_id, event.sequence + 1))
        if after is not None and after[0] != event.chain_hash:
            problems.append(f"#{event.sequence} 与下一条不衔接")
    return LotIntegrity(is_valid=not problems, checked=len(events), problems=problems)
