"""Complaint cases: one service per verb, each move through apps.core.transitions.

new → acknowledged → assigned → in_progress ⇄ pending_customer / pending_partner → resolved →
confirmed → callback_done → closed; resolved → reopened → in_progress; rejected / merged →
closed. Who may call a verb is decided by how the caller fetched the case (the access
selectors in apps.customer_service.selectors) and by the permission checks here.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.accounts.services import notification_send
from apps.aftersales.models import AfterSale
from apps.aftersales.services import aftersale_create
from apps.aftersales.services.photos import photos_clean, photos_store
from apps.core.errors import ApplicationError
from apps.core.transitions import event_record, transition
from apps.customer_service.calendar import clock_add, clock_minutes
from apps.customer_service.errors import CaseErrorCode as Code
from apps.customer_service.models import (
    Case,
    CaseAttachment,
    CaseEntry,
    Priority,
)
from apps.customer_service.selectors import business_calendar, sla_policy_get
from apps.customer_service.services.callbacks import callback_schedule_for_case
from apps.orders.models import Order, OrderLine
from apps.promotions.models import Coupon
from apps.promotions.services import coupon_claim
from apps.stores.models import Store
from apps.stores.selectors import store_ids_for_user
from apps.traceability.models import Lot
from apps.traceability.services.lots import lot_hold, lot_release

Status = Case.Status
ASSIGN_PERMISSION = "customer_service.assign_case"
SUPERVISE_PERMISSION = "customer_service.supervise_case"
HANDLE_PERMISSION = "customer_service.change_case"
PUBLISH_PERMISSION = "customer_service.publish_caseentry"
PARTNER_PERMISSION = "customer_service.reply_case_as_partner"


def _refuse(message: str, code: str, *, field: str | None = None, status: int | None = None):
    fields = {field: [message]} if field else None
    return ApplicationError(message, code=code, fields=fields, status_code=status)


def _require(value: str, field: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise _refuse(_("请填写%(label)s。") % {"label": label}, Code.FIELD_REQUIRED, field=field)
    return value


def _require_perm(actor: User | None, permission: str) -> None:
    if actor is None or not actor.has_perm(permission):
        raise _refuse(_("您没有执行此操作的权限。"), Code.NOT_ALLOWED, status=403)


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def _new_number() -> str:
    while True:
        number = f"KF{timezone.localtime():%Y%m%d}{get_random_string(6, '0123456789')}"
        if not Case.objects.filter(number=number).exists():
            return number


def _notify_customer(case: Case, title: str, body: str = "") -> None:
    if case.customer_id:
        notification_send(user=case.customer, title=title, body=body, url=case.get_absolute_url())


# --- opening ------------------------------------------------------------------------------


def _linked_objects(
    *,
    customer: User | None,
    order: Order | None,
    order_line: OrderLine | None,
    lot: Lot | None,
    aftersale: AfterSale | None,
    store: Store | None,
) -> tuple[Order | None, OrderLine | None, Lot | None, AfterSale | None, Store | None]:
    """Check that what the case points at belongs together and to the customer."""
    if aftersale is not None:
        if customer is not None and aftersale.buyer_id != customer.pk:
            raise _refuse(_("只能就自己的售后单投诉。"), Code.ORDER_NOT_YOURS, field="aftersale")
        order = order or aftersale.order
        if order.pk != aftersale.order_id:
            raise _refuse(_("售后单与订单不符。"), Code.ORDER_NOT_YOURS, field="aftersale")
    if order_line is not None:
        order = order or order_line.order
        if order_line.order_id != order.pk:
            raise _refuse(_("商品不属于该订单。"), Code.ORDER_NOT_YOURS, field="order_line")
        if lot is None and order_line.lot_id:
            lot = order_line.lot
    if order is not None:
        if customer is not None and order.buyer_id != customer.pk:
            raise _refuse(_("只能就自己的订单投诉。"), Code.ORDER_NOT_YOURS, field="order")
        if store is not None and store.pk != order.store_id:
            raise _refuse(_("店铺与订单不符。"), Code.ORDER_NOT_YOURS, field="store")
        store = order.store
    if lot is not None:
        if store is not None and store.pk != lot.store_id:
            raise _refuse(_("批次不属于该店铺。"), Code.LOT_UNKNOWN, field="lot")
        store = store or lot.store
    return order, order_line, lot, aftersale, store


@transaction.atomic
def case_open(
    *,
    channel: str,
    category: str,
    subject: str,
    description: str,
    customer: User | None = None,
    opened_by: User | None = None,
    contact_name: str = "",
    contact_phone: str = "",
    is_phone_verified: bool = False,
    occurred_at: datetime | None = None,
    place: str = "",
    people: str = "",
    priority: str | None = None,
    order: Order | None = None,
    order_line: OrderLine | None = None,
    lot: Lot | None = None,
    aftersale: AfterSale | None = None,
    store: Store | None = None,
    photos: Sequence[UploadedFile] = (),
    now: datetime | None = None,
) -> Case:
    """Register a complaint, start its SLA clocks and, for food safety, hold the lot.

    `opened_by` is who typed it in: the customer, a merchant, or an agent on the phone.
    """
    now = now or timezone.now()
    subject = _require(subject, "subject", _("标题"))
    description = _require(description, "description", _("问题描述"))
    if category not in Case.Category.values:
        raise _refuse(_("请选择问题类别。"), Code.FIELD_REQUIRED, field="category")
    if channel not in Case.Channel.values:
        raise _refuse(_("请选择受理渠道。"), Code.FIELD_REQUIRED, field="channel")
    if customer is None and not contact_phone:
        raise _refuse(_("请留下联系电话。"), Code.FIELD_REQUIRED, field="contact_phone")
    order, order_line, lot, aftersale, store = _linked_objects(
        customer=customer,
        order=order,
        order_line=order_line,
        lot=lot,
        aftersale=aftersale,
        store=store,
    )
    cleaned_photos = photos_clean(photos, code=Code.TOO_MANY_PHOTOS)
    # A food-safety complaint is P1 at once (DOMAIN.md), whatever was chosen.
    if category == Case.Category.FOOD_SAFETY:
        priority = Priority.P1
    priority = priority if priority in Priority.values else Priority.P3
    policy = sla_policy_get(priority)
    calendar = business_calendar()
    case = Case.objects.create(
        number=_new_number(),
        channel=channel,
        category=category,
        priority=priority,
        customer=customer,
        opened_by=opened_by,
        contact_name=(contact_name or (customer.name if customer else ""))[:40],
        contact_phone=contact_phone or (customer.phone or "" if customer else ""),
        is_phone_verified=is_phone_verified,
        occurred_at=occurred_at,
        place=place[:200],
        people=people[:200],
        subject=subject[:100],
        description=description,
        store=store,
        order=order,
        order_line=order_line,
        lot=lot,
        aftersale=aftersale,
        first_response_due=clock_add(
            calendar, now, policy.first_response_minutes, business=policy.first_response_business
        ),
        resolution_due=clock_add(
            calendar, now, policy.resolution_minutes, business=policy.resolution_business
        ),
    )
    event_record(
        case,
        kind="status",
        from_status="",
        to_status=Status.NEW,
        actor=opened_by,
        reason=Case.Channel(channel).label,
        payload={"channel": channel, "priority": priority},
    )
    if cleaned_photos:
        photos_store(CaseAttachment, cleaned_photos, case=case)
    if category == Case.Category.FOOD_SAFETY and lot is not None:
        _lot_hold_for(case, lot)
    return case


def _lot_hold_for(case: Case, lot: Lot) -> None:
    """Stop selling the lot while the complaint is investigated (a recall's first step)."""
    if lot.status != Lot.Status.ACTIVE:
        return
    # The trace page shows this reason: that a complaint is investigated, never its content.
    reason = _("收到食品安全投诉，正在调查")
    lot_hold(lot=lot, actor=None, reason=reason)
    event_record(case, kind="lot_hold", reason=reason, payload={"lot": lot.lot_number})


# --- staff moves --------------------------------------------------------------------------


@transaction.atomic
def case_acknowledge(
    *,
    case: Case,
    actor: User,
    apology: str,
    occurred_at: datetime | None,
    place: str,
    people: str,
    contact_name: str,
    contact_phone: str,
    description: str | None = None,
) -> Case:
    """Receive and apologise: record time, place, people, event and contact (DOMAIN.md)."""
    _require_perm(actor, HANDLE_PERMISSION)
    case = _locked(case)
    if occurred_at is None:
        raise _refuse(_("请填写发生时间。"), Code.FIELD_REQUIRED, field="occurred_at")
    case.occurred_at = occurred_at
    case.place = _require(place, "place", _("发生地点"))[:200]
    case.people = _require(people, "people", _("涉及人员"))[:200]
    case.contact_name = _require(contact_name, "contact_name", _("联系人"))[:40]
    case.contact_phone = _require(contact_phone, "contact_phone", _("联系电话"))[:20]
    if description is not None:
        case.description = _require(description, "description", _("问题描述"))
    apology = _require(apology, "apology", _("致歉与受理回复"))
    fields = ["occurred_at", "place", "people", "contact_name", "contact_phone", "description"]
    if case.owner_id is None:
        case.owner = actor
        fields.append("owner")
    if case.first_responded_at is None:
        case.first_responded_at = timezone.now()
        fields.append("first_responded_at")
    transition(case, Status.ACKNOWLEDGED, actor=actor, reason=apology, fields=fields)
    CaseEntry.objects.create(
        case=case, kind=CaseEntry.Kind.PUBLIC_REPLY, author=actor, body=apology, is_public=True
    )
    _notify_customer(case, _("您的投诉 %(number)s 已受理") % {"number": case.number}, apology)
    return case


@transaction.atomic
def case_assign(
    *, case: Case, actor: User, responsible: User | None, owner: User | None = None, reason=""
) -> Case:
    """Name the responsible person (and optionally the handling agent); later calls reassign."""
    _require_perm(actor, ASSIGN_PERMISSION)
    case = _locked(case)
    if responsible is None:
        raise _refuse(_("请指定责任人。"), Code.RESPONSIBLE_REQUIRED, field="responsible")
    case.responsible = responsible
    fields = ["responsible"]
    if owner is not None:
        case.owner = owner
        fields.append("owner")
    payload = {"responsible": responsible.pk, "owner": case.owner_id}
    if case.status == Status.ACKNOWLEDGED:
        transition(
            case, Status.ASSIGNED, actor=actor, reason=reason, payload=payload, fields=fields
        )
    elif case.is_open and case.status != Status.NEW:
        case.save(update_fields=[*fields, "updated_at"])
        event_record(case, kind="reassign", actor=actor, reason=reason, payload=payload)
    else:
        transition(case, Status.ASSIGNED, actor=actor, reason=reason)  # raises the 409
    if responsible.pk != actor.pk:
        notification_send(
            user=responsible,
            title=_("工单 %(number)s 指派给您负责") % {"number": case.number},
            body=case.subject,
            send_email=False,
        )
    return case


@transaction.atomic
def case_claim(*, case: Case, actor: User) -> Case:
    """An agent takes an unowned case from the queue as its handler; taking over a case
    another agent handles is a reassignment, which needs the supervisor's permission."""
    _require_perm(actor, HANDLE_PERMISSION)
    case = _locked(case)
    if not case.is_open:
        raise _refuse(_("工单已办结，不能认领。"), Code.INVALID_TRANSITION, status=409)
    if case.owner_id not in (None, actor.pk) and not actor.has_perm(ASSIGN_PERMISSION):
        raise _refuse(_("该工单已有客服处理，改派请找主管。"), Code.NOT_ALLOWED, status=403)
    case.owner = actor
    case.save(update_fields=["owner", "updated_at"])
    event_record(case, kind="claim", actor=actor)
    return case


def _resume_clock(case: Case, now: datetime) -> list[str]:
    """Move the due times forward by the time the case spent paused."""
    if case.paused_at is None:
        return []
    policy = sla_policy_get(case.priority)
    calendar = business_calendar()
    first = clock_minutes(calendar, case.paused_at, now, business=policy.first_response_business)
    whole = clock_minutes(calendar, case.paused_at, now, business=policy.resolution_business)
    if case.first_responded_at is None and case.first_response_due:
        case.first_response_due = clock_add(
            calendar, case.first_response_due, first, business=policy.first_response_business
        )
    if case.resolution_due:
        case.resolution_due = clock_add(
            calendar, case.resolution_due, whole, business=policy.resolution_business
        )
    case.paused_minutes += clock_minutes(calendar, case.paused_at, now, business=False)
    case.paused_at = None
    return ["first_response_due", "resolution_due", "paused_minutes", "paused_at"]


@transaction.atomic
def case_start(*, case: Case, actor: User, reason: str = "", now: datetime | None = None) -> Case:
    """Work on the case: after assignment, after a reopen, or back from a pending state."""
    _require_perm(actor, HANDLE_PERMISSION)
    case = _locked(case)
    fields = _resume_clock(case, now or timezone.now())
    transition(case, Status.IN_PROGRESS, actor=actor, reason=reason, fields=fields)
    return case


@transaction.atomic
def case_pend(
    *, case: Case, actor: User, to_status: str, reason: str, now: datetime | None = None
) -> Case:
    """Wait for the customer or the merchant: the SLA clock stops until the case resumes."""
    _require_perm(actor, HANDLE_PERMISSION)
    case = _locked(case)
    if to_status not in Case.PAUSED_STATUSES:
        raise _refuse(_("只能转为待客户补充或待商家处理。"), Code.INVALID_TRANSITION, status=409)
    reason = _require(reason, "reason", _("说明"))
    case.paused_at = now or timezone.now()
    transition(case, to_status, actor=actor, reason=reason, fields=["paused_at"])
    if to_status == Status.PENDING_CUSTOMER:
        title = _("工单 %(number)s 需要您补充信息") % {"number": case.number}
        _notify_customer(case, title, reason)
    return case


@transaction.atomic
def case_resolve(
    *,
    case: Case,
    actor: User,
    root_cause: str,
    resolution: str,
    compensation: str,
    now: datetime | None = None,
) -> Case:
    """Record root cause, resolution and compensation; the callback clock starts."""
    _require_perm(actor, HANDLE_PERMISSION)
    case = _locked(case)
    now = now or timezone.now()
    case.root_cause = _require(root_cause, "root_cause", _("原因分析"))
    case.resolution = _require(resolution, "resolution", _("处理结果"))
    case.compensation = _require(compensation, "compensation", _("补偿（无则填“无”）"))[:300]
    policy = sla_policy_get(case.priority)
    case.callback_due = clock_add(
        business_calendar(), now, policy.callback_days * 24 * 60, business=False
    )
    transition(
        case,
        Status.RESOLVED,
        actor=actor,
        reason=case.resolution,
        fields=["root_cause", "resolution", "compensation", "callback_due"],
        at=now,
    )
    callback_schedule_for_case(case=case)
    CaseEntry.objects.create(
        case=case,
        kind=CaseEntry.Kind.PUBLIC_REPLY,
        author=actor,
        body=_("处理结果：%(resolution)s\n补偿：%(compensation)s")
        % {"resolution": case.resolution, "compensation": case.compensation},
        is_public=True,
    )
    _notify_customer(
        case,
        _("您的投诉 %(number)s 已处理，请确认结果") % {"number": case.number},
        case.resolution,
    )
    return case


@transaction.atomic
def case_reject(*, case: Case, actor: User, reason: str) -> Case:
    """Not a case for us (spam, out of scope): rejected, then closed."""
    _require_perm(actor, SUPERVISE_PERMISSION)
    case = _locked(case)
    reason = _require(reason, "reason", _("不予受理的原因"))
    transition(case, Status.REJECTED, actor=actor, reason=reason)
    transition(case, Status.CLOSED, actor=actor, reason=reason)
    _notify_customer(case, _("工单 %(number)s 不予受理") % {"number": case.number}, reason)
    return case


@transaction.atomic
def case_merge(*, case: Case, into: Case, actor: User, reason: str = "") -> Case:
    """A duplicate: closed, pointing at the case that goes on."""
    _require_perm(actor, SUPERVISE_PERMISSION)
    first, second = sorted([case.pk, into.pk])
    locked = {c.pk: c for c in Case.objects.select_for_update().filter(pk__in=[first, second])}
    case, into = locked[case.pk], locked.get(into.pk)
    if into is None or into.pk == case.pk or into.status in Case.FINISHED_STATUSES:
        raise _refuse(_("只能合并到另一个未关闭的工单。"), Code.MERGE_INVALID, field="into")
    case.merged_into = into
    reason = reason or _("合并到 %(number)s") % {"number": into.number}
    transition(case, Status.MERGED, actor=actor, reason=reason, fields=["merged_into"])
    transition(case, Status.CLOSED, actor=actor, reason=reason)
    event_record(into, kind="merged_in", actor=actor, payload={"case": case.number})
    return case


@transaction.atomic
def case_close(*, case: Case, actor: User | None, reason: str = "") -> Case:
    """Close a case whose callback is done."""
    case = _locked(case)
    transition(case, Status.CLOSED, actor=actor, reason=reason)
    return case


@transaction.atomic
def case_callback_done(*, case: Case, actor: User | None, reason: str = "") -> Case:
    """The complaint callback is done (its evaluation form is archived on the visit)."""
    case = _locked(case)
    transition(case, Status.CALLBACK_DONE, actor=actor, reason=reason)
    return case


# --- the customer's moves -----------------------------------------------------------------


@transaction.atomic
def case_confirm(*, case: Case, actor: User | None) -> Case:
    """The customer accepts the result (the caller fetched the case as the customer)."""
    case = _locked(case)
    transition(case, Status.CONFIRMED, actor=actor, reason=_("客户确认处理结果"))
    return case


@transaction.atomic
def case_reopen(*, case: Case, actor: User | None, reason: str, now: datetime | None = None):
    """The customer is not satisfied: back to work with a new resolution clock."""
    case = _locked(case)
    now = now or timezone.now()
    reason = _require(reason, "reason", _("不满意的原因"))
    policy = sla_policy_get(case.priority)
    case.resolution_due = clock_add(
        business_calendar(), now, policy.resolution_minutes, business=policy.resolution_business
    )
    case.reopen_count += 1
    case.escalation_level = 0
    transition(
        case,
        Status.REOPENED,
        actor=actor,
        reason=reason,
        fields=["resolution_due", "reopen_count", "escalation_level"],
    )
    CaseEntry.objects.create(
        case=case, kind=CaseEntry.Kind.CUSTOMER, author=actor, body=reason, is_public=True
    )
    if case.owner_id:
        notification_send(
            user=case.owner,
            title=_("工单 %(number)s 被客户重开") % {"number": case.number},
            body=reason,
            send_email=False,
        )
    return case


# --- messages -----------------------------------------------------------------------------


@transaction.atomic
def case_reply(
    *,
    case: Case,
    actor: User | None,
    body: str,
    kind: str,
    photos: Sequence[UploadedFile] = (),
) -> CaseEntry:
    """Add a message: staff public reply or internal note, the customer's addition, or the
    merchant's reply. The customer answering a pending_customer case (or the merchant a
    pending_partner one) starts the clock again."""
    body = _require(body, "body", _("内容"))
    case = _locked(case)
    if case.status in Case.FINISHED_STATUSES:
        raise _refuse(_("工单已关闭，不能再留言。"), Code.INVALID_TRANSITION, status=409)
    if kind in (CaseEntry.Kind.PUBLIC_REPLY, CaseEntry.Kind.INTERNAL_NOTE):
        _require_perm(actor, HANDLE_PERMISSION)
        is_public = kind == CaseEntry.Kind.PUBLIC_REPLY
    elif kind == CaseEntry.Kind.PARTNER:
        _require_perm(actor, PARTNER_PERMISSION)
        if case.store_id not in store_ids_for_user(actor):
            raise _refuse(_("只能回复本店铺的工单。"), Code.NOT_ALLOWED, status=403)
        is_public = not case.partner_replies_reviewed
    elif kind == CaseEntry.Kind.CUSTOMER:
        is_public = True
    else:
        raise _refuse(_("留言类型不正确。"), Code.FIELD_REQUIRED, field="kind")
    cleaned = photos_clean(photos, already=case.attachments.count(), code=Code.TOO_MANY_PHOTOS)
    entry = CaseEntry.objects.create(
        case=case, kind=kind, author=actor, body=body, is_public=is_public
    )
    if cleaned:
        photos_store(CaseAttachment, cleaned, case=case, entry=entry)
    if kind == CaseEntry.Kind.PUBLIC_REPLY:
        if case.first_responded_at is None:
            case.first_responded_at = timezone.now()
            case.save(update_fields=["first_responded_at", "updated_at"])
        _notify_customer(case, _("工单 %(number)s 有新回复") % {"number": case.number}, body)
    waiting_on = {
        CaseEntry.Kind.CUSTOMER: Status.PENDING_CUSTOMER,
        CaseEntry.Kind.PARTNER: Status.PENDING_PARTNER,
    }.get(kind)
    if waiting_on and case.status == waiting_on:
        fields = _resume_clock(case, timezone.now())
        transition(case, Status.IN_PROGRESS, actor=actor, reason=_("对方已回复"), fields=fields)
    return entry


@transaction.atomic
def case_entry_publish(*, entry: CaseEntry, actor: User) -> CaseEntry:
    """Staff let the customer see a merchant's reply."""
    _require_perm(actor, PUBLISH_PERMISSION)
    entry = CaseEntry.objects.select_for_update().get(pk=entry.pk)
    if not entry.is_public:
        entry.is_public = True
        entry.save(update_fields=["is_public"])
        event_record(entry.case, kind="publish", actor=actor, payload={"entry": entry.pk})
    return entry


def canned_reply_render(*, body: str, case: Case, agent: User | None) -> str:
    """Fill {customer}, {case} and {agent}; an unknown placeholder stays as written."""
    values = {
        "customer": case.contact_name or _("客户"),
        "case": case.number,
        "agent": (agent.name if agent else "") or _("客服"),
    }

    class _Keep(dict):
        def __missing__(self, key):
            return "{" + key + "}"

    return body.format_map(_Keep(values))


@transaction.atomic
def case_lot_release(*, case: Case, actor: User, reason: str) -> Case:
    """Staff lift the hold a food-safety complaint put on its lot, with a reason."""
    _require_perm(actor, SUPERVISE_PERMISSION)
    reason = _require(reason, "reason", _("解除原因"))
    case = _locked(case)
    lot = Lot.objects.select_for_update().get(pk=case.lot_id) if case.lot_id else None
    if lot is None or lot.status != Lot.Status.ON_HOLD:
        raise _refuse(_("该工单的批次不在暂停销售状态。"), Code.NO_HOLD, status=409)
    lot_release(lot=lot, actor=None, reason=f"{case.number}: {reason}")
    event_record(case, kind="lot_release", actor=actor, reason=reason, payload={"lot": lot.pk})
    return case


@transaction.atomic
def case_set_priority(*, case: Case, actor: User, priority: str, reason: str) -> Case:
    """Change the priority; the due times not yet met are counted again from the opening."""
    _require_perm(actor, SUPERVISE_PERMISSION)
    case = _locked(case)
    if priority not in Priority.values:
        raise _refuse(_("优先级不正确。"), Code.FIELD_REQUIRED, field="priority")
    reason = _require(reason, "reason", _("原因"))
    policy = sla_policy_get(priority)
    calendar = business_calendar()
    old = case.priority
    case.priority = priority
    start = case.created_at
    case.first_response_due = clock_add(
        calendar, start, policy.first_response_minutes, business=policy.first_response_business
    )
    case.resolution_due = clock_add(
        calendar, start, policy.resolution_minutes, business=policy.resolution_business
    )
    case.save(update_fields=["priority", "first_response_due", "resolution_due", "updated_at"])
    event_record(case, kind="priority", actor=actor, reason=reason, payload={"from": old})
    return case


@transaction.atomic
def case_compensate_refund(
    *, case: Case, actor: User, amount: Decimal | str, quantity: int = 1, note: str = ""
) -> AfterSale:
    """Offer a refund of part of the order as the case's compensation. It goes through the
    after-sale services (an after-sale on the customer's behalf, decided and refunded as
    every after-sale is), never by touching money here."""
    _require_perm(actor, HANDLE_PERMISSION)
    case = _locked(case)
    if case.order_line_id is None or case.customer_id is None:
        raise _refuse(
            _("只有关联到客户订单商品的工单才能发起退款补偿。"), Code.NOT_ALLOWED, field="amount"
        )
    if case.status in Case.FINISHED_STATUSES:
        raise _refuse(_("工单已关闭。"), Code.INVALID_TRANSITION, status=409)
    text = _("客服工单 %(number)s 补偿") % {"number": case.number}
    aftersale = aftersale_create(
        buyer=case.customer,
        order=case.order_line.order,
        type=AfterSale.Type.REFUND_ONLY,
        reason=AfterSale.Reason.OTHER,
        reason_text=f"{text} {note}".strip()[:500],
        lines={case.order_line_id: quantity},
        amount=amount,
    )
    case.aftersale = aftersale
    text = _("退款 ¥%(amount)s（售后单 %(number)s）") % {
        "amount": aftersale.amount_requested,
        "number": aftersale.number,
    }
    case.compensation = (f"{case.compensation}；{text}" if case.compensation else text)[:300]
    case.save(update_fields=["aftersale", "compensation", "updated_at"])
    event_record(
        case,
        kind="compensation",
        actor=actor,
        reason=text,
        payload={"aftersale": aftersale.number, "amount": str(aftersale.amount_requested)},
    )
    return aftersale


@transaction.atomic
def case_compensate_coupon(*, case: Case, actor: User, coupon: Coupon, note: str = ""):
    """Give the customer a coupon as the case's compensation. It is issued through the
    promotions services (a sent coupon, counted against its quantity and per-user limit like
    any other); money is never touched here. Only sent coupons (定向发放) of the platform or
    of the case's own store qualify."""
    _require_perm(actor, HANDLE_PERMISSION)
    case = _locked(case)
    if case.customer_id is None:
        raise _refuse(_("匿名投诉没有账户，不能发放优惠券补偿。"), Code.NOT_ALLOWED, field="coupon")
    if case.status in Case.FINISHED_STATUSES:
        raise _refuse(_("工单已关闭。"), Code.INVALID_TRANSITION, status=409)
    if coupon.distribution != Coupon.Distribution.SEND or coupon.store_id not in (
        None,
        case.store_id,
    ):
        raise _refuse(_("只能发放平台或本店铺的定向发放优惠券。"), Code.NOT_ALLOWED, field="coupon")
    held = coupon_claim(coupon=coupon, user=case.customer, source=Coupon.Distribution.SEND)
    text = _("优惠券「%(name)s」") % {"name": coupon.name}
    case.compensation = (f"{case.compensation}；{text}" if case.compensation else text)[:300]
    case.save(update_fields=["compensation", "updated_at"])
    event_record(
        case,
        kind="compensation",
        actor=actor,
        reason=f"{text} {note}".strip()[:500],
        payload={"coupon": coupon.pk, "user_coupon": held.pk},
    )
    _notify_customer(
        case,
        _("工单 %(number)s：已向您发放%(coupon)s作为补偿")
        % {"number": case.number, "coupon": text},
        note,
    )
    return held
