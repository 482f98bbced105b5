"""Monthly buyer statements (月结账单), derived from the credit ledger and reproducible."""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError
from apps.core.money import to_money
from apps.wholesale.errors import WholesaleErrorCode
from apps.wholesale.models import BuyerOrganisation, BuyerStatement, CreditEntry
from apps.wholesale.periods import month_bounds, previous_month_start
from apps.wholesale.services.notify import members_notify

ZERO = Decimal("0.00")
Kind = CreditEntry.Kind
# Statement field -> the ledger kind it sums.
MOVEMENTS = {
    "charges": Kind.CHARGE,
    "releases": Kind.RELEASE,
    "refunds": Kind.REFUND,
    "repayments": Kind.REPAYMENT,
    "adjustments": Kind.ADJUSTMENT,
}


def _ledger_aggregates(start, end) -> dict:
    in_period = Q(created_at__gte=start, created_at__lt=end)
    return {
        "opening_balance": Sum("amount", filter=Q(created_at__lt=start)),
        "entry_count": Count("id", filter=in_period),
        **{
            field: Sum("amount", filter=in_period & Q(kind=kind))
            for field, kind in MOVEMENTS.items()
        },
    }


def _figures(row: dict) -> dict:
    figures = {field: to_money(row[field] or ZERO) for field in ["opening_balance", *MOVEMENTS]}
    figures["entry_count"] = row["entry_count"] or 0
    figures["closing_balance"] = figures["opening_balance"] + sum(
        (figures[field] for field in MOVEMENTS), ZERO
    )
    return figures


def _ledger_figures(organisation: BuyerOrganisation, start, end) -> dict:
    row = CreditEntry.objects.filter(organisation=organisation, created_at__lt=end).aggregate(
        **_ledger_aggregates(start, end)
    )
    return _figures(row)


def _month_ended_check(period_start: dt.date, end: dt.datetime, now: dt.datetime | None) -> None:
    if end > (now or timezone.now()):
        raise ApplicationError(
            _("%(month)s 尚未结束，不能出账。") % {"month": f"{period_start:%Y-%m}"},
            code=WholesaleErrorCode.PERIOD_NOT_ENDED,
        )


@transaction.atomic
def buyer_statement_generate(
    *, organisation: BuyerOrganisation, period_start: dt.date, now: dt.datetime | None = None
) -> BuyerStatement:
    """Write (or rewrite, identically) one organisation's statement of one finished month.

    The ledger is append-only and dated by the database, so the figures of a finished month
    never change: generating twice gives one statement with the same numbers.
    """
    start, end, last_day = month_bounds(period_start)
    _month_ended_check(period_start, end, now)
    return _statement_write(
        organisation, period_start, last_day, _ledger_figures(organisation, start, end)
    )


@transaction.atomic
def _statement_write(
    organisation: BuyerOrganisation, period_start: dt.date, last_day: dt.date, figures: dict
) -> BuyerStatement:
    statement, created = BuyerStatement.objects.update_or_create(
        organisation=organisation,
        period_start=period_start,
        defaults={"period_end": last_day, **figures},
    )
    if created and (figures["entry_count"] or figures["closing_balance"]):
        members_notify(
            organisation,
            title=_("%(month)s 采购月结账单已生成") % {"month": f"{period_start:%Y-%m}"},
            body=_("「%(name)s」%(month)s 期末应付 ¥%(closing)s，请按约定时间付款。")
            % {
                "name": organisation.name,
                "month": f"{period_start:%Y-%m}",
                "closing": figures["closing_balance"],
            },
            url=statement.get_absolute_url(),
        )
    return statement


def buyer_statements_generate(
    *, period_start: dt.date | None = None, now: dt.datetime | None = None
) -> int:
    """Statements of every organisation with something to report for a finished month.

    Default: the month before `now`. One transaction per organisation; a failed run is simply
    run again (idempotent). Returns how many statements were written.
    """
    period_start = period_start or previous_month_start(now)
    start, end, last_day = month_bounds(period_start)
    # Every organisation's figures in one grouped query (a finished month's never change).
    rows = (
        CreditEntry.objects.filter(created_at__lt=end)
        .values("organisation_id")
        .order_by("organisation_id")
        .annotate(**_ledger_aggregates(start, end))
    )
    figures_by_id = {row["organisation_id"]: _figures(row) for row in rows}
    due = {
        pk: figures
        for pk, figures in figures_by_id.items()
        # nothing owed and nothing happened: no statement to send
        if figures["entry_count"] or figures["opening_balance"]
    }
    if due:
        _month_ended_check(period_start, end, now)
    done = 0
    for organisation in BuyerOrganisation.objects.filter(pk__in=list(due)).order_by("pk"):
        _statement_write(organisation, period_start, last_day, due[organisation.pk])
        done += 1
    return done
