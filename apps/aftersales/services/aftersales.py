"""After-sale (售后) lifecycle: one service per verb.

requested → approved → (returned → received) → refunded; requested → rejected → disputed →
approved / rejected by staff; requested (or an approved return not yet sent) → withdrawn.

Every verb locks the after-sale, moves it with apps.core.transitions.transition (checks
AfterSale.TRANSITIONS, saves with update_fields, writes an AfterSaleEvent) and tells the other
side in the site inbox. Money goes
back through payments.refund_create (reference "aftersale:<id>"); the order books it
(orders.order_record_refund) only when payments announces refund_succeeded.
"""

import logging
import re
from collections.abc import Sequence
from datetime import datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.services import notification_send
from apps.aftersales.errors import AfterSaleErrorCode as Code
from apps.aftersales.models import AfterSale, AfterSaleLine, AfterSalePhoto
from apps.aftersales.selectors import (
    ELIGIBLE_ORDER_STATUSES,
    LineAllowance,
    aftersale_response_deadline,
    order_line_allowances,
    response_hours,
)
from apps.aftersales.services.photos import photos_clean, photos_store
from apps.aftersales.signals import aftersale_updated
from apps.core.errors import ApplicationError, NotFoundError
from apps.core.money import CENT
from apps.core.roles import PLATFORM_OPERATIONS
from apps.core.transitions import event_record, transition
from apps.core.validators import model_fields_validate
from apps.orders.models import Order, PaymentOrder
from apps.orders.services.lifecycle import order_record_refund
from apps.payments.services import refund_create
from apps.stores.models import StoreMember
from apps.stores.selectors import store_ids_for_user, user_can_manage_all_stores
from apps.wholesale.services import credit_refund

logger = logging.getLogger(__name__)

ARBITRATE_PERMISSION = "aftersales.arbitrate_aftersale"
TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9-]{6,40}$")
Status = AfterSale.Status


# --- helpers ------------------------------------------------------------------------------


def _refuse(message: str, code: str, *, field: str | None = None, status: int | None = None):
    fields = {field: [message]} if field else None
    return ApplicationError(message, code=code, fields=fields, status_code=status)


def _not_found() -> NotFoundError:
    return NotFoundError(_("售后单不存在。"), code=Code.NOT_FOUND)


def _may_act_for_store(user: User | None, store_id: int) -> bool:
    if user is None or not user.is_authenticated:
        return False
    return user_can_manage_all_stores(user) or store_id in store_ids_for_user(user)


def _lock(aftersale: AfterSale) -> AfterSale:
    return (
        AfterSale.objects.select_for_update(of=("self",))
        .select_related("order__payment_order", "buyer", "store")
        .get(pk=aftersale.pk)
    )


def _locked_for_buyer(aftersale: AfterSale, actor: User) -> AfterSale:
    locked = _lock(aftersale)
    if actor is None or locked.buyer_id != actor.pk:
        raise _not_found()
    return locked


def _locked_for_merchant(aftersale: AfterSale, actor: User) -> AfterSale:
    locked = _lock(aftersale)
    if not _may_act_for_store(actor, locked.store_id):
        raise _not_found()
    return locked


def _aftersale_transition(
    aftersale: AfterSale,
    *,
    to: str,
    actor: User | None,
    reason: str = "",
    payload: dict | None = None,
    fields: Sequence[str] = (),
) -> None:
    """transition() the after-sale, then keep its lines' open flag (open lines count against
    what may still be claimed on the order lines)."""
    was_open = aftersale.status in AfterSale.OPEN_STATUSES
    from_status = aftersale.status
    transition(aftersale, to, actor=actor, reason=reason, payload=payload, fields=fields)
    if was_open != (to in AfterSale.OPEN_STATUSES):
        AfterSaleLine.objects.filter(aftersale=aftersale).update(is_open=not was_open)
    aftersale_updated.send(
        sender=AfterSale, aftersale=aftersale, from_status=from_status, to_status=to
    )


def _require_status(aftersale: AfterSale, *allowed: str) -> None:
    if aftersale.status not in allowed:
        raise _refuse(
            _("售后单当前为「%(status)s」，不能执行此操作。")
            % {"status": Status(aftersale.status).label},
            Code.INVALID_TRANSITION,
            status=409,
        )


def _notify_buyer(
    aftersale: AfterSale, title: str, body: str = "", *, event: str = "", sms: str = ""
) -> None:
    """`event` names the step (sent once per after-sale and step); `sms` is for the steps the
    buyer must act on (a return to send back, a refusal to contest)."""
    notification_send(
        user=aftersale.buyer,
        title=title,
        body=body,
        url=aftersale.get_absolute_url(),
        key=f"aftersale:{aftersale.pk}:{event}" if event else None,
        sms=sms,
    )


def _notify_merchants(aftersale: AfterSale, title: str, body: str = "") -> None:
    url = reverse("admin:aftersales_aftersale_change", args=[aftersale.pk])
    members = StoreMember.objects.filter(store_id=aftersale.store_id).select_related("user")
    for member in members:
        notification_send(user=member.user, title=title, body=body, url=url)


def _notify_staff(aftersale: AfterSale, title: str, body: str = "") -> None:
    url = reverse("admin:aftersales_aftersale_change", args=[aftersale.pk])
    for user in User.objects.filter(groups__name=PLATFORM_OPERATIONS, is_active=True).distinct():
        notification_send(user=user, title=title, body=body, url=url)


def _refund_words(aftersale: AfterSale, amount: Decimal, *, done: bool) -> str:
    """Where the money goes: back to the payer, or off what an organisation owes on account."""
    on_account = aftersale.order.payment_order.method == PaymentOrder.Method.CREDIT
    if on_account:
        message = (
            _("¥%(amount)s 已冲减账期应付款。") if done else _("¥%(amount)s 将冲减账期应付款。")
        )
    else:
        message = _("¥%(amount)s 已原路退回。") if done else _("退款 ¥%(amount)s 将原路退回。")
    return message % {"amount": amount}


def _required_text(value: str, *, field: str, code: str, message: str, max_length: int) -> str:
    text = (value or "").strip()
    if not text:
        raise _refuse(message, code, field=field)
    if len(text) > max_length:
        raise _refuse(
            _("不能超过 %(n)d 个字。") % {"n": max_length}, Code.REASON_REQUIRED, field=field
        )
    return text


def parse_amount(value, *, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals (no rounding of what was asked)."""
    if isinstance(value, float | bool):
        raise _refuse(_("金额格式不正确。"), Code.AMOUNT_INVALID, field=field)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _refuse(_("金额格式不正确。"), Code.AMOUNT_INVALID, field=field) from None
    if not amount.is_finite() or amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise _refuse(_("金额最多精确到分。"), Code.AMOUNT_INVALID, field=field)
    if amount < CENT:
        raise _refuse(_("退款金额必须大于 0。"), Code.AMOUNT_INVALID, field=field)
    return amount.quantize(CENT)


def allocate(total: Decimal, caps: list[Decimal]) -> list[Decimal]:
    """Split `total` over lines in proportion to their caps, to the fen, never above a cap.

    Each share is rounded down; the cents left go one each to the largest remainders.
    """
    cap_sum = sum(caps, Decimal("0"))
    if total >= cap_sum:
        return list(caps)
    exact = [total * cap / cap_sum for cap in caps]
    shares = [value.quantize(CENT, rounding=ROUND_DOWN) for value in exact]
    left = int((total - sum(shares, Decimal("0"))) / CENT)
    by_remainder = sorted(range(len(caps)), key=lambda i: (exact[i] - shares[i], -i), reverse=True)
    for i in by_remainder[:left]:
        shares[i] += CENT
    return shares


def _new_number() -> str:
    while True:
        number = f"SH{timezone.localtime():%Y%m%d}{get_random_string(8, '0123456789')}"
        if not AfterSale.objects.filter(number=number).exists():
            return number


def _checked_claims(
    order: Order, lines: dict[int, int], *, exclude_aftersale_id: int | None = None
) -> list[tuple[LineAllowance, int]]:
    """(allowance, quantity) per claimed line, or an ApplicationError naming the problem."""
    if not lines:
        raise _refuse(_("请选择要售后的商品。"), Code.NO_LINES, field="lines")
    allowances = order_line_allowances(order=order, exclude_aftersale_id=exclude_aftersale_id)
    claims = []
    for line_id, quantity in lines.items():
        allowance = allowances.get(line_id) if isinstance(line_id, int) else None
        if allowance is None:
            raise _refuse(_("订单中没有这件商品。"), Code.UNKNOWN_LINE, field="lines")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise _refuse(_("售后数量必须是正整数。"), Code.QUANTITY_INVALID, field="lines")
        title = allowance.line.title
        if allowance.is_open:
            raise _refuse(
                _("「%(title)s」已有进行中的售后，请等待处理完成。") % {"title": title},
                Code.LINE_ALREADY_OPEN,
                field="lines",
                status=409,
            )
        if quantity > allowance.claimable_quantity:
            raise _refuse(
                _("「%(title)s」最多可申请 %(n)d 件。")
                % {"title": title, "n": allowance.claimable_quantity},
                Code.QUANTITY_EXCEEDED,
                field="lines",
            )
        claims.append((allowance, quantity))
    return claims


# --- create -------------------------------------------------------------------------------


@transaction.atomic
def aftersale_create(
    *,
    buyer: User,
    order: Order,
    type: str,
    reason: str,
    lines: dict[int, int],
    reason_text: str = "",
    amount: Decimal | str | None = None,
    photos: Sequence[UploadedFile] = (),
) -> AfterSale:
    """Apply for an after-sale on some lines of a paid order (the buyer's own).

    `lines` maps order line id → quantity. Each quantity is at most what was bought minus what
    is refunded or claimed by another open after-sale; the amount defaults to those units'
    share of the paid amount and may be lower, never higher.
    """
    cleaned_photos = photos_clean(photos, code=Code.TOO_MANY_PHOTOS)
    order = Order.objects.select_for_update().filter(pk=order.pk).first()
    if order is None or order.buyer_id != buyer.pk:
        raise NotFoundError(_("订单不存在。"), code=Code.NOT_FOUND)
    if order.status not in ELIGIBLE_ORDER_STATUSES:
        raise _refuse(
            _("订单当前为「%(status)s」，不能申请售后。")
            % {"status": Order.Status(order.status).label},
            Code.ORDER_NOT_ELIGIBLE,
        )
    if type not in AfterSale.Type.values:
        raise _refuse(_("请选择售后类型。"), Code.ORDER_NOT_ELIGIBLE, field="type")
    if type == AfterSale.Type.RETURN_AND_REFUND and order.status == Order.Status.PAID:
        raise _refuse(_("订单尚未发货，请选择「仅退款」。"), Code.ORDER_NOT_ELIGIBLE, field="type")
    if reason not in AfterSale.Reason.values:
        raise _refuse(_("请选择售后原因。"), Code.REASON_REQUIRED, field="reason")
    reason_text = (reason_text or "").strip()
    if reason == AfterSale.Reason.OTHER and not reason_text:
        raise _refuse(_("请描述遇到的问题。"), Code.REASON_REQUIRED, field="reason_text")
    if len(reason_text) > 500:
        raise _refuse(_("问题描述不能超过 500 字。"), Code.REASON_REQUIRED, field="reason_text")
    model_fields_validate(AfterSale, reason_text=reason_text)

    claims = _checked_claims(order, lines)
    caps = [allowance.max_amount(quantity) for allowance, quantity in claims]
    maximum = sum(caps, Decimal("0.00"))
    if maximum < CENT:
        raise _refuse(_("所选商品没有可退的金额。"), Code.AMOUNT_INVALID, field="amount")
    total = maximum if amount in (None, "") else parse_amount(amount)
    if total > maximum:
        raise _refuse(
            _("退款金额不能超过 ¥%(max)s。") % {"max": maximum},
            Code.AMOUNT_EXCEEDED,
            field="amount",
        )

    aftersale = AfterSale.objects.create(
        number=_new_number(),
        order=order,
        buyer=buyer,
        store_id=order.store_id,
        type=type,
        reason=reason,
        reason_text=reason_text,
        amount_requested=total,
    )
    try:
        with transaction.atomic():
            AfterSaleLine.objects.bulk_create(
                AfterSaleLine(
                    aftersale=aftersale,
                    order_line=allowance.line,
                    quantity=quantity,
                    amount=share,
                )
                for (allowance, quantity), share in zip(claims, allocate(total, caps), strict=True)
            )
    except IntegrityError:
        # The order row lock makes this unreachable in practice; the constraint is the backstop.
        raise _refuse(_("所选商品已有进行中的售后。"), Code.LINE_ALREADY_OPEN, status=409) from None
    event_record(
        aftersale,
        kind="status",
        from_status="",
        actor=buyer,
        reason=reason_text,
        payload={
            "type": type,
            "reason": reason,
            "amount": str(total),
            "lines": {str(a.line.pk): q for a, q in claims},
        },
    )
    photos_store(AfterSalePhoto, cleaned_photos, aftersale=aftersale)
    aftersale_updated.send(
        sender=AfterSale, aftersale=aftersale, from_status="", to_status=aftersale.status
    )
    _notify_merchants(
        aftersale,
        _("新的售后申请 %(number)s") % {"number": aftersale.number},
        _("订单 %(order)s 申请%(type)s ¥%(amount)s：%(reason)s")
        % {
            "order": order.number,
            "type": aftersale.get_type_display(),
            "amount": total,
            "reason": aftersale.get_reason_display(),
        },
    )
    deadline = timezone.localtime(aftersale_response_deadline(aftersale)).strftime("%m-%d %H:%M")
    _notify_buyer(
        aftersale,
        _("售后 %(number)s 已提交") % {"number": aftersale.number},
        _("商家须在 %(deadline)s 前处理，逾期未处理将由平台自动同意。") % {"deadline": deadline},
        event="requested",
    )
    return aftersale


@transaction.atomic
def aftersale_photo_add(
    *, aftersale: AfterSale, actor: User, upload: UploadedFile
) -> AfterSalePhoto:
    """Add one more proof photo while the merchant has not decided yet."""
    aftersale = _locked_for_buyer(aftersale, actor)
    if aftersale.status not in (Status.REQUESTED, Status.REJECTED, Status.DISPUTED):
        raise _refuse(_("当前状态不能补充凭证。"), Code.INVALID_TRANSITION, status=409)
    cleaned = photos_clean(
        [upload], already=aftersale.photos.count(), code=Code.TOO_MANY_PHOTOS, field="image"
    )
    return photos_store(AfterSalePhoto, cleaned, aftersale=aftersale)[0]


# --- merchant decisions -------------------------------------------------------------------


def _approve(
    aftersale: AfterSale,
    *,
    actor: User,
    amount: Decimal | str | None,
    note: str,
    arbitrated: bool,
) -> AfterSale:
    approved = aftersale.amount_requested if amount in (None, "") else parse_amount(amount)
    if approved > aftersale.amount_requested:
        raise _refuse(
            _("同意的金额不能超过申请金额 ¥%(max)s。") % {"max": aftersale.amount_requested},
            Code.AMOUNT_EXCEEDED,
            field="amount",
        )
    aftersale.amount_approved = approved
    aftersale.approved_at = timezone.now()
    aftersale.is_arbitrated = aftersale.is_arbitrated or arbitrated
    _aftersale_transition(
        aftersale,
        to=Status.APPROVED,
        actor=actor,
        reason=note,
        payload={"amount": str(approved), "arbitrated": arbitrated},
        fields=["amount_approved", "approved_at", "is_arbitrated"],
    )
    if approved != aftersale.amount_requested:
        lines = list(aftersale.lines.order_by("id"))
        for line, share in zip(
            lines, allocate(approved, [line.amount for line in lines]), strict=True
        ):
            line.amount = share
        AfterSaleLine.objects.bulk_update(lines, ["amount"])
    if aftersale.is_return:
        _notify_buyer(
            aftersale,
            _("售后 %(number)s 已同意，请寄回商品") % {"number": aftersale.number},
            _("请按商家要求寄回商品，并在售后详情中填写退货快递单号。同意退款 ¥%(amount)s。")
            % {"amount": approved},
            event="approved",
            sms=_("您的售后 %(number)s 商家已同意，请寄回商品并在售后详情中填写快递单号。")
            % {"number": aftersale.number},
        )
        return aftersale
    _notify_buyer(
        aftersale,
        _("售后 %(number)s 已同意，正在退款") % {"number": aftersale.number},
        _refund_words(aftersale, approved, done=False),
    )
    return _refund_start(aftersale, actor=actor)


@transaction.atomic
def aftersale_approve(
    *, aftersale: AfterSale, actor: User, amount: Decimal | str | None = None, note: str = ""
) -> AfterSale:
    """The merchant agrees (optionally to a lower amount). Refund only: the refund starts now."""
    aftersale = _locked_for_merchant(aftersale, actor)
    _require_status(aftersale, Status.REQUESTED)  # a dispute is decided by staff
    return _approve(aftersale, actor=actor, amount=amount, note=note, arbitrated=False)


@transaction.atomic
def aftersale_approve_lapsed(
    *, aftersale: AfterSale, now: datetime | None = None
) -> AfterSale | None:
    """The merchant let the response deadline pass: the platform agrees in its name (actor
    None, shown as 系统), for the full amount asked. None if it was answered meanwhile or is
    not yet due (see services/lapse.py for the rule)."""
    aftersale = _lock(aftersale)
    now = now or timezone.now()
    if aftersale.status != Status.REQUESTED or aftersale_response_deadline(aftersale) > now:
        return None
    note = _("商家超过 %(hours)d 小时未处理，系统自动同意") % {"hours": response_hours()}
    return _approve(aftersale, actor=None, amount=None, note=note, arbitrated=False)


@transaction.atomic
def aftersale_reject(*, aftersale: AfterSale, actor: User, reason: str) -> AfterSale:
    """The merchant refuses, and must say why (the buyer may take it to the platform)."""
    aftersale = _locked_for_merchant(aftersale, actor)
    reason = _required_text(
        reason,
        field="reason",
        code=Code.REASON_REQUIRED,
        message=_("请填写拒绝原因。"),
        max_length=300,
    )
    _require_status(aftersale, Status.REQUESTED)  # a dispute is decided by staff
    aftersale.reject_reason = reason
    aftersale.rejected_at = timezone.now()
    _aftersale_transition(
        aftersale,
        to=Status.REJECTED,
        actor=actor,
        reason=reason,
        fields=["reject_reason", "rejected_at"],
    )
    _notify_buyer(
        aftersale,
        _("售后 %(number)s 被商家拒绝") % {"number": aftersale.number},
        _("拒绝原因：%(reason)s。如有异议，可在售后详情中申请平台介入。") % {"reason": reason},
        event="rejected",
        sms=_("您的售后 %(number)s 被商家拒绝，如有异议可在售后详情中申请平台介入。")
        % {"number": aftersale.number},
    )
    return aftersale


@transaction.atomic
def aftersale_mark_received(*, aftersale: AfterSale, actor: User) -> AfterSale:
    """The merchant has the returned goods back: the refund starts (stock returns with it)."""
    aftersale = _locked_for_merchant(aftersale, actor)
    aftersale.received_at = timezone.now()
    _aftersale_transition(aftersale, to=Status.RECEIVED, actor=actor, fields=["received_at"])
    _notify_buyer(
        aftersale,
        _("商家已收到退货，售后 %(number)s 正在退款") % {"number": aftersale.number},
        _refund_words(aftersale, aftersale.refund_amount, done=False),
    )
    return _refund_start(aftersale, actor=actor)


# --- buyer moves --------------------------------------------------------------------------


@transaction.atomic
def aftersale_ship_back(
    *, aftersale: AfterSale, actor: User, carrier_name: str, tracking_number: str
) -> AfterSale:
    """The buyer sent the goods back and gives the carrier and tracking number."""
    aftersale = _locked_for_buyer(aftersale, actor)
    if not aftersale.is_return:
        raise _refuse(_("仅退款的售后无需寄回商品。"), Code.NOT_A_RETURN, status=409)
    carrier_name = _required_text(
        carrier_name,
        field="carrier_name",
        code=Code.TRACKING_REQUIRED,
        message=_("请填写快递公司。"),
        max_length=40,
    )
    tracking_number = (tracking_number or "").strip().upper()
    if not TRACKING_NUMBER.match(tracking_number):
        raise _refuse(
            _("请填写正确的运单号（6-40 位字母或数字）。"),
            Code.TRACKING_REQUIRED,
            field="tracking_number",
        )
    aftersale.return_carrier = carrier_name
    aftersale.return_tracking_number = tracking_number
    aftersale.returned_at = timezone.now()
    _aftersale_transition(
        aftersale,
        to=Status.RETURNED,
        actor=actor,
        payload={"carrier_name": carrier_name, "tracking_number": tracking_number},
        fields=["return_carrier", "return_tracking_number", "returned_at"],
    )
    _notify_merchants(
        aftersale,
        _("售后 %(number)s 买家已寄回商品") % {"number": aftersale.number},
        _("%(carrier)s %(tracking)s，收到后请在后台确认收货。")
        % {"carrier": carrier_name, "tracking": tracking_number},
    )
    return aftersale


@transaction.atomic
def aftersale_escalate(*, aftersale: AfterSale, actor: User, reason: str) -> AfterSale:
    """The buyer asks the platform to step in on a rejection (once)."""
    aftersale = _locked_for_buyer(aftersale, actor)
    reason = _required_text(
        reason,
        field="reason",
        code=Code.REASON_REQUIRED,
        message=_("请说明申请平台介入的理由。"),
        max_length=300,
    )
    if aftersale.is_arbitrated:
        raise _refuse(
            _("平台已对此售后作出裁决，不能再次申请介入。"), Code.ALREADY_ARBITRATED, status=409
        )
    if aftersale.status == Status.REJECTED:
        Order.objects.select_for_update().filter(pk=aftersale.order_id).first()
        _checked_claims(
            aftersale.order,
            {line.order_line_id: line.quantity for line in aftersale.lines.all()},
            exclude_aftersale_id=aftersale.pk,
        )
    model_fields_validate(AfterSale, dispute_reason=reason)
    aftersale.dispute_reason = reason
    _aftersale_transition(
        aftersale, to=Status.DISPUTED, actor=actor, reason=reason, fields=["dispute_reason"]
    )
    title = _("售后 %(number)s 申请平台介入") % {"number": aftersale.number}
    _notify_merchants(aftersale, title, reason)
    _notify_staff(aftersale, title, reason)
    return aftersale


@transaction.atomic
def aftersale_withdraw(*, aftersale: AfterSale, actor: User, reason: str = "") -> AfterSale:
    """The buyer takes the request back (before any money or goods moved)."""
    aftersale = _locked_for_buyer(aftersale, actor)
    if aftersale.status == Status.APPROVED and not aftersale.is_return:
        raise _refuse(_("退款已在处理中，不能撤销。"), Code.INVALID_TRANSITION, status=409)
    _aftersale_transition(
        aftersale, to=Status.WITHDRAWN, actor=actor, reason=(reason or "").strip()
    )
    _notify_merchants(aftersale, _("售后 %(number)s 已被买家撤销") % {"number": aftersale.number})
    return aftersale


# --- staff arbitration --------------------------------------------------------------------


@transaction.atomic
def aftersale_arbitrate(
    *,
    aftersale: AfterSale,
    actor: User,
    approve: bool,
    reason: str,
    amount: Decimal | str | None = None,
) -> AfterSale:
    """Platform staff decide a dispute; the decision is final."""
    if actor is None or not actor.has_perm(ARBITRATE_PERMISSION):
        raise _refuse(_("只有平台运营可以仲裁售后纠纷。"), Code.NOT_ALLOWED, status=403)
    aftersale = _lock(aftersale)
    reason = _required_text(
        reason,
        field="reason",
        code=Code.REASON_REQUIRED,
        message=_("请填写裁决说明。"),
        max_length=300,
    )
    _require_status(aftersale, Status.DISPUTED)
    if approve:
        aftersale = _approve(aftersale, actor=actor, amount=amount, note=reason, arbitrated=True)
        _notify_merchants(
            aftersale,
            _("平台裁决：售后 %(number)s 支持买家") % {"number": aftersale.number},
            reason,
        )
        return aftersale
    aftersale.reject_reason = reason
    aftersale.rejected_at = timezone.now()
    aftersale.is_arbitrated = True
    _aftersale_transition(
        aftersale,
        to=Status.REJECTED,
        actor=actor,
        reason=reason,
        payload={"arbitrated": True},
        fields=["reject_reason", "rejected_at", "is_arbitrated"],
    )
    _notify_buyer(
        aftersale,
        _("平台裁决：售后 %(number)s 未获支持") % {"number": aftersale.number},
        reason,
    )
    _notify_merchants(
        aftersale,
        _("平台裁决：售后 %(number)s 维持拒绝") % {"number": aftersale.number},
        reason,
    )
    return aftersale


# --- refunds ------------------------------------------------------------------------------


def _refund_start(aftersale: AfterSale, *, actor: User | None) -> AfterSale:
    """Ask for the money back; the after-sale becomes refunded when the refund succeeded.

    Called inside the approving transaction, so an approval never exists without its refund
    request (and a refusal by payments undoes the approval). The sandbox may announce success
    synchronously: the after-sale is then re-read rather than overwritten.
    """
    aftersale.refund_started_at = timezone.now()
    aftersale.save(update_fields=["refund_started_at", "updated_at"])
    payment_order = aftersale.order.payment_order
    if payment_order.method == PaymentOrder.Method.CREDIT:
        # Bought on account: nothing was paid online, the refund reduces what the buyer owes.
        credit_refund(
            organisation=aftersale.order.buyer_organisation,
            reference=aftersale.order.number,
            amount=aftersale.refund_amount,
            refund_reference=aftersale.refund_reference,
            actor=actor,
        )
        return _mark_refunded(
            aftersale, amount=aftersale.refund_amount, actor=actor, payload={"method": "credit"}
        )
    refund = refund_create(
        payment_order=payment_order,
        amount=aftersale.refund_amount,
        reason=_("售后 %(number)s") % {"number": aftersale.number},
        reference=aftersale.refund_reference,
        actor=actor,
    )
    aftersale.refresh_from_db()
    if refund.status == refund.Status.FAILED:
        # Stays "refunding"; staff retry it from the admin with the same reference.
        logger.error("after-sale %s: refund %s failed", aftersale.number, refund.pk)
        _notify_staff(
            aftersale,
            _("售后 %(number)s 退款失败，请重新发起") % {"number": aftersale.number},
            refund.error[:200],
        )
    return aftersale


def _mark_refunded(
    aftersale: AfterSale, *, amount: Decimal, actor: User | None, payload: dict
) -> AfterSale:
    lines = {line.order_line_id: line.quantity for line in aftersale.lines.all()}
    aftersale.refunded_at = timezone.now()
    _aftersale_transition(
        aftersale,
        to=Status.REFUNDED,
        actor=actor,
        payload={"amount": str(amount), **payload},
        fields=["refunded_at"],
    )
    order_record_refund(
        order=aftersale.order,
        amount=amount,
        lines=lines,
        restock=aftersale.is_return,
        actor=actor,
        reference=aftersale.refund_reference,
    )
    _notify_buyer(
        aftersale,
        _("售后 %(number)s 退款成功") % {"number": aftersale.number},
        _refund_words(aftersale, amount, done=True),
    )
    return aftersale


@transaction.atomic
def aftersale_refund_succeeded(*, refund) -> AfterSale | None:
    """payments announced a succeeded refund: book it once, however often it is announced."""
    prefix, _sep, raw_id = (refund.reference or "").partition(":")
    if prefix != "aftersale" or not raw_id.isdigit():
        return None  # another app's refund (e.g. a cancelled order paid late)
    aftersale = (
        AfterSale.objects.select_for_update(of=("self",))
        .select_related("order__payment_order", "buyer", "store")
        .filter(pk=int(raw_id))
        .first()
    )
    if aftersale is None:
        logger.error("refund %s names after-sale %s, which does not exist", refund.pk, raw_id)
        return None
    if aftersale.status == Status.REFUNDED:
        return aftersale
    if aftersale.refund_started_at is None:
        logger.error("refund %s for after-sale %s that never asked for one", refund.pk, raw_id)
        return None
    return _mark_refunded(
        aftersale, amount=refund.amount, actor=None, payload={"refund_id": refund.pk}
    )


@transaction.atomic
def aftersale_refund_retry(*, aftersale: AfterSale, actor: User) -> AfterSale:
    """Staff ask again for a refund the provider did not carry out (same reference)."""
    if not user_can_manage_all_stores(actor):
        raise _refuse(_("只有平台运营可以重新发起退款。"), Code.NOT_ALLOWED, status=403)
    aftersale = _lock(aftersale)
    if aftersale.status == Status.REFUNDED or aftersale.refund_started_at is None:
        raise _refuse(_("此售后没有待完成的退款。"), Code.INVALID_TRANSITION, status=409)
    return _refund_start(aftersale, actor=actor)
