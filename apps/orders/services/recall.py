"""What a lot recall means for orders: the buyers of lines filled from those lots hear of it."""

from django.db import transaction
from django.utils.translation import gettext as _

from apps.accounts.services import notification_send
from apps.core.text import as_sentence
from apps.orders.models import OrderEvent, OrderLine
from apps.orders.selectors import RECALL_NOTIFIED_EVENT, order_lines_for_lots


@transaction.atomic
def recall_notify_buyers(*, lot_ids: list[int], reason: str) -> int:
    """Tell each distinct buyer of a paid/shipped/delivered/completed line of `lot_ids` once
    (in-site), naming the products and lots; returns how many buyers were told.

    Each order told gets an OrderEvent (kind recall_notified, the lots in its payload): the
    recall buyers page shows from it who has been told.
    """
    by_buyer: dict[int, list[OrderLine]] = {}
    for line in order_lines_for_lots(lot_ids):
        by_buyer.setdefault(line.order.buyer_id, []).append(line)
    events: dict[int, OrderEvent] = {}
    item_text = _("「%(title)s」（批次 %(lot)s）")
    for lines in by_buyer.values():
        items = dict.fromkeys(
            item_text % {"title": line.title, "lot": line.lot.lot_number} for line in lines
        )
        notice = notification_send(
            user=lines[0].order.buyer,
            title=_("您购买的商品已被召回"),
            body=_("您购买的%(items)s已被召回，原因：%(reason)s请停止食用并联系商家处理。")
            % {"items": "、".join(items), "reason": as_sentence(reason)},
            url=lines[0].order.get_absolute_url(),
        )
        for line in lines:
            event = events.setdefault(
                line.order_id,
                OrderEvent(
                    order=line.order,
                    from_status=line.order.status,
                    to_status=line.order.status,
                    kind=RECALL_NOTIFIED_EVENT,
                    reason=_("商品批次召回，已发站内通知：%(reason)s") % {"reason": reason[:200]},
                    payload={"lot_ids": [], "notification_id": notice.pk},
                ),
            )
            if line.lot_id not in event.payload["lot_ids"]:
                event.payload["lot_ids"].append(line.lot_id)
    OrderEvent.objects.bulk_create(events.values())
    return len(by_buyer)
