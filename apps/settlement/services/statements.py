"""Settlement statements: generated per store per period, confirmed, paid out.

A statement collects every entry of its store that is in no statement yet and was booked before
the period ended, with one set-based UPDATE, so an entry is in at most one statement and a late
entry (a refund after payout) lands in the next one. Figures are sums of the collected entries.
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.services import notification_send
from apps.core.errors import ApplicationError
from apps.core.transitions import event_record, transition
from apps.settlement.errors import SettlementErrorCode
from apps.settlement.models import LedgerEntry, SettlementStatement
from apps.settlement.periods import period_bounds, previous_period_start
from apps.settlement.selectors import (
    FIGURES,
    statement_figures,
    statement_verify,
    user_can_confirm_statements,
    user_can_pay_out_statements,
)
from apps.settlement.services.booking import ledger_entry_book
from apps.stores.models import Store, StoreMember

logger = logging.getLogger(__name__)

Status = SettlementStatement.Status


def _not_allowed() -> ApplicationError:
    return ApplicationError(
        _("您无权执行此结算操作。"), code=SettlementErrorCode.NOT_ALLOWED, status_code=403
    )


def _unsettled(store_id: int, end: dt.datetime):
    return LedgerEntry.objects.filter(
        store_id=store_id, statement__isnull=True, created_at__lt=end
    ).exclude(type=LedgerEntry.Type.PAYOUT)


def _figures_payload(statement: SettlementStatement) -> dict:
    return {name: str(getattr(statement, name)) for name in FIGURES}


def _notify_store(statement: SettlementStatement, *, title: str, body: str) -> None:
    url = reverse("admin:settlement_settlementstatement_change", args=[statement.pk])
    members = StoreMember.objects.filter(store_id=statement.store_id).select_related("user")
    for member in members.order_by("pk"):
        notification_send(user=member.user, title=title, body=body, url=url)


# --- generating -------------------------------------------------------------------------------


@transaction.atomic
def settlement_statement_generate(
    *, store: Store, period_start: dt.date, now: dt.datetime | None = None
) -> SettlementStatement | None:
    """Collect `store`'s unsettled entries booked before the period's end into its statement.

    Idempotent: one statement per store and period (unique constraint, row lock), and an
    entry already in a statement is never taken again. A statement no longer open keeps what
    it has; anything newer waits for the next period. Returns None when there is nothing to
    settle and no statement exists.
    """
    _start, end, last_day = period_bounds(period_start)
    if end > (now or timezone.now()):
        raise ApplicationError(
            _("结算周期 %(start)s 至 %(end)s 尚未结束。")
            % {"start": period_start.isoformat(), "end": last_day.isoformat()},
            code=SettlementErrorCode.PERIOD_NOT_ENDED,
        )
    statements = SettlementStatement.objects.select_for_update()
    statement = statements.filter(store=store, period_start=period_start).first()
    is_new = False
    if statement is None:
        if not _unsettled(store.pk, end).exists():
            return None
        try:
            with transaction.atomic():
                statement = SettlementStatement.objects.create(
                    store=store, period_start=period_start, period_end=last_day
                )
                is_new = True
        except IntegrityError:
            pass  # another run created it meanwhile: use theirs
        statement = statements.get(store=store, period_start=period_start)
    if statement.status != Status.OPEN:
        return statement
    collected = _unsettled(store.pk, end).update(statement=statement)
    if not collected and not is_new:
        return statement
    for name, value in statement_figures(statement=statement).items():
        setattr(statement, name, value)
    statement.save(update_fields=[*FIGURES, "updated_at"])
    event_record(
        statement,
        kind="generated" if is_new else "collected",
        from_status="",
        reason=_("生成结算单") if is_new else _("补入 %(count)d 笔流水") % {"count": collected},
        payload={"collected": collected, **_figures_payload(statement)},
    )
    if is_new:
        _notify_store(
            statement,
            title=_("结算单已生成：%(start)s 至 %(end)s")
            % {"start": statement.period_start, "end": statement.period_end},
            body=_("「%(store)s」本期应结 ¥%(net)s，共 %(count)d 笔流水。")
            % {
                "store": store.name,
                "net": statement.net_payable,
                "count": statement.entry_count,
            },
        )
    return statement


def settlement_statements_generate(
    *, period_start: dt.date | None = None, now: dt.datetime | None = None
) -> int:
    """Statements of every store with unsettled entries, for a period that has ended.

    Default period: the last one that ended before `now`. Each store commits on its own, so a
    failure for one store does not hold back the others; running again is safe. Returns how
    many statements were created or added to.
    """
    now = now or timezone.now()
    period_start = period_start or previous_period_start(now)
    _start, end, _last = period_bounds(period_start)
    store_ids = (
        LedgerEntry.objects.filter(statement__isnull=True, created_at__lt=end)
        .exclude(type=LedgerEntry.Type.PAYOUT)
        .values_list("store_id", flat=True)
        .distinct()
        .order_by("store_id")
    )
    done = 0
    for store in Store.objects.filter(pk__in=list(store_ids)).order_by("pk"):
        try:
            statement = settlement_statement_generate(
                store=store, period_start=period_start, now=now
            )
        except ApplicationError:
            raise  # a bad period is the caller's mistake, the same for every store
        except Exception:
            logger.exception("settlement statement of store %s failed", store.pk)
            continue
        if statement is not None:
            done += 1
    return done


# --- confirming and paying out ----------------------------------------------------------------


def _refuse_unless_consistent(statement: SettlementStatement) -> None:
    check = statement_verify(statement=statement)
    if not check.is_consistent:
        logger.error("statement %s does not match its ledger: %s", statement.pk, check.problems)
        raise ApplicationError(
            _("结算单金额与流水不一致，请联系技术人员核查。"),
            code=SettlementErrorCode.STATEMENT_MISMATCH,
            status_code=409,
        )


@transaction.atomic
def settlement_statement_confirm(*, statement: SettlementStatement, actor) -> SettlementStatement:
    """Finance has checked the statement against the ledger: open → confirmed."""
    if not user_can_confirm_statements(actor):
        raise _not_allowed()
    statement = SettlementStatement.objects.select_for_update().get(pk=statement.pk)
    _refuse_unless_consistent(statement)
    transition(
        statement,
        Status.CONFIRMED,
        actor=actor,
        kind="confirmed",
        reason=_("财务确认"),
        payload=_figures_payload(statement),
    )
    return statement


@transaction.atomic
def settlement_statement_mark_paid_out(
    *, statement: SettlementStatement, actor, payment_reference: str
) -> SettlementStatement:
    """The platform has paid the store: confirmed → paid_out, and a payout entry of
    −net_payable (none when it is zero) takes the amount off the store's balance.

    A negative net payable (refunds exceeded income) means the store paid the platform; the
    payout entry is then positive. Marking it again with the same reference changes nothing.
    """
    if not user_can_pay_out_statements(actor):
        raise _not_allowed()
    reference = (payment_reference or "").strip()
    if not reference or len(reference) > 64:
        message = _("请填写打款流水号（不超过 64 个字符）。")
        raise ApplicationError(
            message,
            code=SettlementErrorCode.REFERENCE_REQUIRED,
            fields={"payment_reference": [message]},
        )
    statement = SettlementStatement.objects.select_for_update().get(pk=statement.pk)
    if statement.status == Status.PAID_OUT and statement.payout_reference == reference:
        return statement
    _refuse_unless_consistent(statement)
    if statement.status == Status.CONFIRMED and statement.net_payable:
        ledger_entry_book(
            store_id=statement.store_id,
            type=LedgerEntry.Type.PAYOUT,
            amount=-statement.net_payable,
            idempotency_key=f"{LedgerEntry.Type.PAYOUT}:{statement.pk}",
            reference=reference,
            reason=_("结算单 %(start)s 至 %(end)s")
            % {"start": statement.period_start, "end": statement.period_end},
            actor=actor,
            statement=statement,
        )
    statement.payout_reference = reference
    transition(
        statement,
        Status.PAID_OUT,
        actor=actor,
        kind="paid_out",
        reason=_("已打款，流水号 %(ref)s") % {"ref": reference},
        fields=["payout_reference"],
        payload={"payment_reference": reference, "amount": str(statement.net_payable)},
    )
    _notify_store(
        statement,
        title=_("结算款已打款：¥%(net)s") % {"net": statement.net_payable},
        body=_("结算单 %(start)s 至 %(end)s 已打款，流水号 %(ref)s。")
        % {"start": statement.period_start, "end": statement.period_end, "ref": reference},
    )
    return statement
