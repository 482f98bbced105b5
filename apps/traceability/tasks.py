from celery import shared_task


@shared_task
def chain_anchor_publish_task(anchor_date: str | None = None) -> int:
    """Daily (beat): publish yesterday's chain anchors. `anchor_date` (ISO) re-runs a day.

    Idempotent: a day's anchor of a chain is published once; a repeat returns what exists.
    """
    from datetime import date

    from apps.traceability.services.anchors import chain_anchor_publish

    day = date.fromisoformat(anchor_date) if anchor_date else None
    return len(chain_anchor_publish(anchor_date=day))


@shared_task
def lots_expire_due_task() -> int:
    """Daily (beat): expire lots past their date and refresh every SKU's recall hold.

    Idempotent: only active or held lots past their date move; the holds are recomputed.
    """
    from apps.traceability.services.lots import lots_expire_due

    return lots_expire_due()
