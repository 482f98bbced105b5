"""Writes of the aftersales app; import the verbs from here."""

from apps.aftersales.services.aftersales import (
    aftersale_approve,
    aftersale_arbitrate,
    aftersale_create,
    aftersale_escalate,
    aftersale_mark_received,
    aftersale_photo_add,
    aftersale_refund_retry,
    aftersale_refund_succeeded,
    aftersale_reject,
    aftersale_ship_back,
    aftersale_withdraw,
)
from apps.aftersales.services.reviews import (
    review_create,
    review_photo_add,
    review_reply,
    review_set_visible,
)

__all__ = [
    "aftersale_approve",
    "aftersale_arbitrate",
    "aftersale_create",
    "aftersale_escalate",
    "aftersale_mark_received",
    "aftersale_photo_add",
    "aftersale_refund_retry",
    "aftersale_refund_succeeded",
    "aftersale_reject",
    "aftersale_ship_back",
    "aftersale_withdraw",
    "review_create",
    "review_photo_add",
    "review_reply",
    "review_set_visible",
]
