from celery import shared_task


@shared_task
def products_reindex_stale_task() -> int:
    from apps.catalog.services.search import products_reindex_stale

    return products_reindex_stale()
