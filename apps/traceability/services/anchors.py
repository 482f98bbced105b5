"""Daily chain anchors: the last chain hash of every store (and one over all of them),
published on a public page so that yesterday's history cannot be quietly rewritten."""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from apps.traceability.chain import chain_verify
from apps.traceability.hashing import digest_of_heads
from apps.traceability.models import GENESIS_HASH, ChainAnchor, TraceEvent


def _end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


@transaction.atomic
def chain_anchor_publish(*, anchor_date: date | None = None) -> list[ChainAnchor]:
    """Publish the anchors of `anchor_date` (default: yesterday, Asia/Shanghai). Idempotent.

    Each store's anchor is its last event recorded before the day ended, re-verified first:
    a chain that no longer verifies is still anchored, flagged `is_chain_valid=False`, so the
    public page shows it rather than hiding it.
    """
    anchor_date = anchor_date or timezone.localdate() - timedelta(days=1)
    cutoff = _end_of_day(anchor_date)
    published = []
    store_ids = (
        TraceEvent.objects.filter(recorded_at__lt=cutoff)
        .values_list("store_id", flat=True)
        .distinct()
        .order_by("store_id")
    )
    heads = []
    all_valid = True
    total = 0
    for store_id in store_ids:
        last = (
            TraceEvent.objects.filter(store_id=store_id, recorded_at__lt=cutoff)
            .order_by("-sequence")
            .values_list("sequence", "chain_hash")
            .first()
        )
        sequence, chain = last
        existing = ChainAnchor.objects.filter(anchor_date=anchor_date, store_id=store_id).first()
        if existing is None:
            report = chain_verify(store_id=store_id)
            existing = ChainAnchor.objects.create(
                anchor_date=anchor_date,
                store_id=store_id,
                last_sequence=sequence,
                chain_hash=chain,
                event_count=sequence,
                is_chain_valid=report.is_valid,
            )
            published.append(existing)
        heads.append((store_id, existing.last_sequence, existing.chain_hash))
        all_valid = all_valid and existing.is_chain_valid
        total += existing.event_count
    if not ChainAnchor.objects.filter(anchor_date=anchor_date, store__isnull=True).exists():
        published.append(
            ChainAnchor.objects.create(
                anchor_date=anchor_date,
                store=None,
                last_sequence=0,
                chain_hash=digest_of_heads(heads) if heads else GENESIS_HASH,
                event_count=total,
                is_chain_valid=all_valid,
            )
        )
    return published
