"""Reads of customer service: who may see which case, queues, SLA settings and the calendar.

The access selectors are the only way pages, admin and API fetch a case:
`case_list_for_customer` (the shopper's own), `case_get_by_key` (an anonymous filer's link),
`case_list_for_partner` (a merchant: cases about its own stores) and `case_list_for_staff`.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.accounts.models import User
from apps.aftersales.models import AfterSale
from apps.aftersales.selectors import aftersale_get_for_buyer
from apps.customer_service.calendar import BusinessCalendar, calendar_years_missing
from apps.customer_service.models import CalendarDay, Case, CaseEntry, Priority, SlaPolicy
from apps.orders.models import Order, OrderLine
from apps.orders.selectors import order_get_for_buyer, order_list_for_buyer
from apps.stores.models import Store
from apps.stores.selectors import store_ids_for_user
from apps.traceability.models import Lot

# DOMAIN.md defaults: P1 1 h / 24 h on the wall clock; P2 4 working hours / 3 working days;
# P3 1 working day / 7 working days (a working day is the configured working hours).
DEFAULT_POLICIES = {
    Priority.P1: {
        "first_response_minutes": 60,
        "first_response_business": False,
        "resolution_minutes": 24 * 60,
        "resolution_business": False,
    },
    Priority.P2: {
        "first_response_minutes": 4 * 60,
        "first_response_business": True,
        "resolution_minutes": 3 * 9 * 60,
        "resolution_business": True,
    },
    Priority.P3: {
        "first_response_minutes": 9 * 60,
        "first_response_business": True,
        "resolution_minutes": 7 * 9 * 60,
        "resolution_business": True,
    },
}

STAFF_PERMISSION = "customer_service.change_case"
PARTNER_PERMISSION = "customer_service.reply_case_as_partner"


def sla_policy_get(priority: str) -> SlaPolicy:
    """The staff-edited policy, or DOMAIN.md's default when none is stored."""
    policy = SlaPolicy.objects.filter(priority=priority).first()
    if policy is None:
        policy = SlaPolicy(priority=priority, callback_days=3, **DEFAULT_POLICIES[priority])
    return policy


def _parse_time(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def business_calendar() -> BusinessCalendar:
    return BusinessCalendar(
        overrides=dict(CalendarDay.objects.values_list("date", "is_workday")),
        day_start=_parse_time(settings.CUSTOMER_SERVICE_WORKDAY_START),
        day_end=_parse_time(settings.CUSTOMER_SERVICE_WORKDAY_END),
    )


def calendar_warnings(*, today=None) -> list[int]:
    """This year and next, when neither chinesecalendar nor the staff table has their days."""
    today = today or timezone.localdate()
    years = [today.year, today.year + 1]
    overridden = set(
        CalendarDay.objects.filter(date__year__in=years).values_list("date__year", flat=True)
    )
    return calendar_years_missing(years, overridden_years=overridden)


# --- access -------------------------------------------------------------------------------


def _case_rows() -> QuerySet[Case]:
    return Case.objects.select_related("store", "customer", "owner", "responsible")


def user_is_service_staff(user: User) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(STAFF_PERMISSION))


def case_list_for_customer(*, user: User) -> QuerySet[Case]:
    if not user or not user.is_authenticated:
        return Case.objects.none()
    return _case_rows().filter(customer=user)


def case_get_for_customer(*, user: User, number: str) -> Case | None:
    return case_list_for_customer(user=user).filter(number=number).first()


def case_get_by_key(*, key: str) -> Case | None:
    if not key:
        return None
    return _case_rows().filter(public_key=key).first()


def case_list_for_partner(*, user: User) -> QuerySet[Case]:
    """A merchant's view: only cases about its own stores."""
    if not user or not user.is_authenticated or not user.has_perm(PARTNER_PERMISSION):
        return Case.objects.none()
    return _case_rows().filter(store_id__in=store_ids_for_user(user))


def case_list_for_staff(*, user: User) -> QuerySet[Case]:
    if not user_is_service_staff(user):
        return Case.objects.none()
    return _case_rows()


def case_list_for_user(*, user: User) -> QuerySet[Case]:
    """Staff see every case; a merchant those of its stores (admin and API use this)."""
    if user_is_service_staff(user):
        return _case_rows()
    return case_list_for_partner(user=user)


def case_entries_for_customer(*, case: Case) -> QuerySet[CaseEntry]:
    return (
        case.entries.filter(is_public=True).select_related("author").prefetch_related("attachments")
    )


def case_entries_for_partner(*, case: Case, user: User) -> QuerySet[CaseEntry]:
    """What a merchant reads: public entries and its own store's replies (not staff notes)."""
    return case.entries.filter(Q(is_public=True) | Q(kind=CaseEntry.Kind.PARTNER)).select_related(
        "author"
    )


# --- queues -------------------------------------------------------------------------------

QUEUES = ("mine", "unassigned", "due_soon", "breached")


def case_queue(*, user: User, queue: str, now: datetime | None = None) -> QuerySet[Case]:
    """An agent's queue: mine, unassigned, due within the hour, breached."""
    now = now or timezone.now()
    cases = case_list_for_staff(user=user).filter(status__in=Case.OPEN_STATUSES)
    if queue == "mine":
        return cases.filter(owner=user)
    if queue == "unassigned":
        return cases.filter(owner__isnull=True)
    # Due within the hour (and, below, not breached yet): two index ranges.
    hour = (now, now + timedelta(hours=1))
    due = Q(first_responded_at__isnull=True, first_response_due__range=hour) | Q(
        resolution_due__range=hour
    )
    breached = Q(first_responded_at__isnull=True, first_response_due__lt=now) | Q(
        resolution_due__lt=now
    )
    if queue == "due_soon":
        return cases.filter(due).exclude(breached)
    if queue == "breached":
        return cases.filter(breached)
    return cases


def case_next_due(case: Case) -> datetime | None:
    """The due time that matters now: first response until answered, then resolution."""
    if case.status not in Case.OPEN_STATUSES:
        return None
    if case.first_responded_at is None and case.first_response_due:
        return min(case.first_response_due, case.resolution_due or case.first_response_due)
    return case.resolution_due


def sla_colour(case: Case, *, now: datetime | None = None) -> str:
    """red: breached; amber: due within the hour; green: more time left; "" when not running."""
    due = case_next_due(case)
    if due is None:
        return ""
    now = now or timezone.now()
    if due < now:
        return "red"
    if due <= now + timedelta(hours=1):
        return "amber"
    return "green"


def service_staff_users() -> QuerySet[User]:
    """People who may handle cases (for assignment choices)."""
    app_label, codename = STAFF_PERMISSION.split(".")
    granted = Q(
        groups__permissions__codename=codename,
        groups__permissions__content_type__app_label=app_label,
    )
    return (
        User.objects.filter(granted | Q(is_superuser=True), is_active=True)
        .distinct()
        .order_by("name", "pk")
    )


# --- what a complaint form is about -------------------------------------------------------


@dataclass(frozen=True)
class ComplaintSubject:
    """What the shopper's complaint is about, from the link they followed."""

    channel: str
    order: Order | None = None
    order_line: OrderLine | None = None
    lot: Lot | None = None
    aftersale: AfterSale | None = None
    store: Store | None = None

    @property
    def label(self) -> str:
        if self.order_line is not None:
            return f"{self.order_line.title} {self.order_line.spec}"
        if self.aftersale is not None:
            return str(self.aftersale.number)
        if self.order is not None:
            return str(self.order.number)
        if self.lot is not None:
            return f"{self.lot.product.title} · {self.lot.lot_number}"
        return ""


def complaint_subject_for(*, user: User, params) -> ComplaintSubject | None:
    """Read ?lot=&store= (trace page), ?order=&line= (an order line) or ?aftersale= (an
    after-sale). None when a link names something that does not exist or is not the user's."""
    if params.get("aftersale"):
        aftersale = aftersale_get_for_buyer(user=user, number=params["aftersale"])
        if aftersale is None:
            return None
        return ComplaintSubject(
            channel=Case.Channel.AFTERSALE,
            aftersale=aftersale,
            order=aftersale.order,
            store=aftersale.store,
        )
    if params.get("order"):
        order = order_get_for_buyer(user=user, number=params["order"])
        if order is None:
            return None
        line = None
        if str(params.get("line", "")).isdigit():
            line = order.lines.filter(pk=int(params["line"])).select_related("lot").first()
            if line is None:
                return None
        return ComplaintSubject(
            channel=Case.Channel.IN_ORDER,
            order=order,
            order_line=line,
            lot=line.lot if line is not None else None,
            store=order.store,
        )
    if params.get("lot"):
        store_id = str(params.get("store", ""))
        if not store_id.isdigit():
            return None
        lot = (
            Lot.objects.filter(lot_number=params["lot"], store_id=int(store_id))
            .select_related("store", "product")
            .first()
        )
        if lot is None:
            return None
        return ComplaintSubject(channel=Case.Channel.TRACE_PAGE, lot=lot, store=lot.store)
    return ComplaintSubject(channel=Case.Channel.WEB)


def survey_results(survey) -> list[dict]:
    """Per question: the average of score questions, the answers of text ones."""
    responses = list(survey.responses.values_list("answers", flat=True))
    results = []
    for index, question in enumerate(survey.questions):
        answers = [r[index] for r in responses if index < len(r) and r[index] != ""]
        row = {"text": question.get("text", ""), "kind": question.get("kind", "text")}
        if row["kind"] == "score":
            scores = [int(a) for a in answers if str(a).isdigit()]
            row["average"] = round(sum(scores) / len(scores), 2) if scores else None
            row["count"] = len(scores)
        else:
            row["answers"] = answers[:50]
            row["count"] = len(answers)
        results.append(row)
    return results


def callbacks_due(*, today=None) -> QuerySet:
    """Scheduled callbacks due today or earlier (the agents' list for the day)."""
    from apps.customer_service.models import CallbackVisit

    today = today or timezone.localdate()
    return CallbackVisit.objects.filter(
        status=CallbackVisit.Status.SCHEDULED, due_date__lte=today
    ).select_related("customer", "case", "assigned_to")


@dataclass(frozen=True)
class CustomerHistory:
    cases: list[Case]
    orders: list[Order]


def case_customer_history(*, case: Case, limit: int = 10) -> CustomerHistory:
    """The customer's earlier cases and latest orders, beside the case in the back office
    (two queries; orders through the orders app's own selector)."""
    if case.customer_id is None:
        earlier = Case.objects.filter(
            customer__isnull=True, contact_phone=case.contact_phone
        ).exclude(pk=case.pk)
        return CustomerHistory(cases=list(earlier.order_by("-created_at")[:limit]), orders=[])
    earlier = Case.objects.filter(customer_id=case.customer_id).exclude(pk=case.pk)
    orders = order_list_for_buyer(user=case.customer).select_related("store")[:limit]
    return CustomerHistory(cases=list(earlier.order_by("-created_at")[:limit]), orders=list(orders))


# --- the staff back office (/service/) ----------------------------------------------------

QUEUE_LABELS = {
    "mine": "我的工单",
    "unassigned": "未认领",
    "due_soon": "一小时内到期",
    "breached": "已超时",
    "all": "全部未结",
}


def case_queue_rows(
    *,
    user: User,
    queue: str,
    category: str = "",
    store_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> tuple[list[Case], bool]:
    """One page of a queue (mine, unassigned, due within the hour, breached, all open),
    optionally narrowed to a category and a store, most urgent first. No COUNT over the whole
    queue: the page asks for one row more to know whether a next page exists.
    Returns (rows, has_next)."""
    cases = case_queue(user=user, queue=queue if queue in QUEUES else "all", now=now)
    if category in Case.Category.values:
        cases = cases.filter(category=category)
    if store_id:
        cases = cases.filter(store_id=store_id)
    start = (max(page, 1) - 1) * per_page
    stop = start + per_page + 1
    if queue == "due_soon" or not connection.features.supports_slicing_ordering_in_compound:
        # An hour's worth of cases: the two due-time ranges are small, read them directly.
        # (So does the embedded SQLite default, which cannot limit the parts of a UNION.)
        ids = list(cases.order_by("resolution_due", "pk").values_list("pk", flat=True)[start:stop])
        by_id = _case_rows().in_bulk(ids)
        rows = [by_id[pk] for pk in ids if pk in by_id]
        return rows[:per_page], len(rows) > per_page
    # One ordered, limited scan of the (status, resolution_due) index per open status, merged:
    # a page costs the same with 100 or 100,000 open cases, and the SLA monitor's updates pay
    # for no extra index. Then the page's rows with their relations, by primary key.
    per_status = [
        cases.filter(status=status)
        .order_by("resolution_due", "pk")
        .values_list("resolution_due", "pk")[:stop]
        for status in sorted(Case.OPEN_STATUSES)
    ]
    merged = per_status[0].union(*per_status[1:], all=True).order_by("resolution_due", "pk")
    ids = [pk for _due, pk in merged[start:stop]]
    by_id = _case_rows().in_bulk(ids)
    rows = [by_id[pk] for pk in ids if pk in by_id]
    return rows[:per_page], len(rows) > per_page


def case_get_for_staff(*, user: User, number: str) -> Case | None:
    """A case with everything the back-office case page shows beside it (one query)."""
    return (
        case_list_for_staff(user=user)
        .select_related("lot", "order", "order_line", "aftersale", "merged_into", "opened_by")
        .filter(number=number)
        .first()
    )


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    kind: str  # "event" or "entry"
    item: object


def case_timeline(*, case: Case) -> list[TimelineItem]:
    """Every move (event rows) and every message (entries, internal notes included) of a case,
    oldest first: two queries and one for the entries' photos."""
    events = case.events.select_related("actor")
    entries = case.entries.select_related("author").prefetch_related("attachments")
    items = [TimelineItem(e.created_at, "event", e) for e in events]
    items += [TimelineItem(e.created_at, "entry", e) for e in entries]
    items.sort(key=lambda row: (row.at, row.kind == "entry"))
    return items


ASSIGN_PERMISSION = "customer_service.assign_case"
SUPERVISE_PERMISSION = "customer_service.supervise_case"
PUBLISH_PERMISSION = "customer_service.publish_caseentry"


def case_moves_allowed(
    *, case: Case, user: User, has_unpublished_partner_reply: bool = False
) -> list[str]:
    """The moves the back office offers on `case` to `user`: what the state machine allows
    from the case's status and what the user's role may do (the services check both again)."""
    status = Case.Status
    handle = user.has_perm(STAFF_PERMISSION)
    assign = user.has_perm(ASSIGN_PERMISSION)
    supervise = user.has_perm(SUPERVISE_PERMISSION)
    finished = case.status in Case.FINISHED_STATUSES
    moves = []
    if handle and case.is_open and (case.owner_id is None or (assign and case.owner_id != user.pk)):
        moves.append("claim")
    if handle and case.status == status.NEW:
        moves.append("acknowledge")
    if assign and case.is_open and case.status != status.NEW:
        moves.append("assign")
    if handle and case.status in (
        status.ASSIGNED,
        status.REOPENED,
        status.PENDING_CUSTOMER,
        status.PENDING_PARTNER,
    ):
        moves.append("start")
    if handle and case.status == status.IN_PROGRESS:
        moves += ["pend", "resolve"]
    if handle and not finished:
        moves.append("reply")
    if has_unpublished_partner_reply and user.has_perm(PUBLISH_PERMISSION) and not finished:
        moves.append("publish")
    if handle and not finished and case.customer_id:
        moves.append("coupon")
        if case.order_line_id:
            moves.append("refund")
    if supervise and case.is_open:
        moves.append("priority")
    if supervise and case.status in (status.NEW, status.ACKNOWLEDGED, status.ASSIGNED):
        moves += ["reject", "merge"]
    if supervise and case.lot_id and case.lot.status == Lot.Status.ON_HOLD:
        moves.append("lot_release")
    return moves


def compensation_coupons(*, case: Case) -> QuerySet:
    """Coupons staff may give as compensation: sent ones (定向发放) still valid, of the
    platform or of the case's own store."""
    from apps.promotions.models import Coupon

    return Coupon.objects.filter(
        distribution=Coupon.Distribution.SEND, is_active=True, valid_until__gt=timezone.now()
    ).filter(Q(store__isnull=True) | Q(store_id=case.store_id))


CALLBACK_SCOPES = {"today": "今天及以前到期", "week": "七天内到期", "mine": "分配给我的"}


def callbacks_for_desk(*, user: User, today=None, scope: str = "today") -> QuerySet:
    """The callbacks list of the back office, still to do: due today or earlier ("today"),
    within the coming week ("week"), or every one assigned to `user` ("mine")."""
    from apps.customer_service.models import CallbackVisit

    today = today or timezone.localdate()
    visits = CallbackVisit.objects.filter(status=CallbackVisit.Status.SCHEDULED).select_related(
        "customer", "case", "assigned_to", "form"
    )
    if scope == "mine":
        visits = visits.filter(assigned_to=user)
    elif scope == "week":
        visits = visits.filter(due_date__lte=today + timedelta(days=7))
    else:
        visits = visits.filter(due_date__lte=today)
    return visits.order_by("due_date", "pk")


def customer_archive(*, user_id: int, limit: int = 20):
    """A customer's archive page: the profile (None when none exists yet), the user, their
    cases and latest orders (queries over cases and orders, never copies)."""
    customer = User.objects.filter(pk=user_id).first()
    if customer is None:
        return None
    from apps.customer_service.models import CustomerProfile

    profile = (
        CustomerProfile.objects.select_related("account_manager", "organisation")
        .filter(user=customer)
        .first()
    )
    cases = list(
        Case.objects.filter(customer=customer)
        .select_related("store")
        .order_by("-created_at")[:limit]
    )
    orders = list(order_list_for_buyer(user=customer).select_related("store")[:limit])
    return {"customer": customer, "profile": profile, "cases": cases, "orders": orders}


def customer_profiles_list(*, tier: str = "", query: str = ""):
    from apps.customer_service.models import CustomerProfile

    profiles = CustomerProfile.objects.select_related("user", "account_manager")
    if tier:
        profiles = profiles.filter(Q(tier_override=tier) | Q(tier_override="", tier_computed=tier))
    if query:
        profiles = profiles.filter(Q(user__name__icontains=query) | Q(user__email__icontains=query))
    return profiles
