"""The catalog's reactions to facts other apps announce (connected in CatalogConfig.ready)."""

import contextlib

from django.db import transaction
from kombu.exceptions import OperationalError

from apps.catalog.services.search import products_mark_search_stale


def _reindex_soon() -> None:
    from apps.catalog.tasks import products_reindex_stale_task

    # A stopped broker must not fail the edit that already committed: the beat job rebuilds
    # the flagged documents at its next run.
    with contextlib.suppress(OperationalError, OSError):
        products_reindex_stale_task.apply_async(retry=False)


def store_products_search_stale(*, store, **kwargs) -> None:
    """A store was renamed: its name is part of its products' search documents, so flag them
    in the rename's transaction and rebuild them right after the commit."""
    if products_mark_search_stale(store_id=store.pk):
        transaction.on_commit(_reindex_soon)
