from celery import shared_task


@shared_task
def products_reindex_stale_task() -> int:
    """Beat job: rebuild stale search documents.

    Idempotent: it rebuilds only products flagged stale and clears the flag; a repeat finds none.
    """
    from apps.catalog.services.search import products_reindex_stale

    return products_reindex_stale()
