"""Keep catalog's Sku.is_held equal to what the lots say (selectors.sku_ids_blocked_by_lots).

The catalog cannot ask traceability (apps depend one way), so the storefront, the cart and
checkout read the stored flag. Every service that changes a lot's status, expiry or SKU links
calls skus_hold_refresh in its transaction; the daily expiry job (and the
`skus_hold_refresh` management command) refreshes every SKU that has a lot, because an active
lot also stops supplying its SKUs when its expiry date passes without any write.
"""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q

from apps.catalog.models import Sku
from apps.traceability.models import Lot
from apps.traceability.selectors import sku_blocked_condition


def skus_lock(*, sku_ids: Iterable[int]) -> None:
    """Lock SKU rows in primary-key order (as checkout does).

    Services take this after their lots and before the store's chain head, the same order
    order shipping uses (SKU stock, then the chain head), so none of them deadlock.
    """
    ids = sorted(set(sku_ids))
    if ids:
        list(Sku.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def lot_sku_ids(lot_ids: Iterable[int]) -> set[int]:
    return set(
        Lot.skus.through.objects.filter(lot_id__in=list(lot_ids)).values_list("sku_id", flat=True)
    )


@transaction.atomic
def skus_hold_refresh(*, sku_ids: Iterable[int] | None, today: date | None = None) -> int:
    """Set Sku.is_held of these SKUs (None: every SKU with a lot or held now) in one UPDATE.

    The rows are locked first, in a statement of their own: a concurrent recall of another
    lot of the same SKU then waits, and the UPDATE that follows sees its committed status
    (an UPDATE alone would re-check a locked row against its older snapshot).
    Returns the number of SKUs looked at.
    """
    if sku_ids is None:
        targets = Sku.objects.filter(
            Q(is_held=True) | Q(pk__in=Lot.skus.through.objects.values("sku_id"))
        )
        ids = list(targets.values_list("pk", flat=True))
    else:
        ids = sorted(set(sku_ids))
    if not ids:
        return 0
    skus_lock(sku_ids=ids)
    return Sku.objects.filter(pk__in=ids).update(
        is_held=ExpressionWrapper(sku_blocked_condition(today=today), output_field=BooleanField())
    )
