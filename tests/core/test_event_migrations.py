"""The migrations that put every event model on the one StatusEvent base keep the rows already
there: migrate back, write rows through the historical models, migrate forward, read them."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from apps.aftersales.models import AfterSale, AfterSaleEvent
from apps.orders.models import Order, PaymentOrder
from apps.payments.models import Payment, PaymentEvent
from apps.settlement.models import SettlementStatement, StatementEvent
from apps.stores.models import StoreEvent
from apps.traceability.models import LotStatusChange
from apps.wholesale.models import BuyerOrganisation, BuyerOrganisationEvent
from tests.core.helpers import lot_make
from tests.factories import StoreFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# app, the migration before the move onto StatusEvent, event model, its foreign key
MOVES = [
    ("stores", "0001_initial", StoreEvent, "store"),
    ("traceability", "0001_initial", LotStatusChange, "lot"),
    ("wholesale", "0002_events_statements_permissions", BuyerOrganisationEvent, "organisation"),
    ("payments", "0001_initial", PaymentEvent, "payment"),
    ("aftersales", "0001_initial", AfterSaleEvent, "aftersale"),
    ("settlement", "0001_initial", StatementEvent, "statement"),
]

# The longest values the old columns took: status 10/12/20 characters, reason 300.
OLD_STATUS_LENGTH = {
    "stores": 20,
    "traceability": 20,
    "wholesale": 10,
    "payments": 20,
    "aftersales": 12,
    "settlement": 12,
}
OLD_REASON = "原" * 300


def _migrate(targets, *, models: bool = False):
    """Migrate the test database to `targets`; with `models`, return the historical models."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    if models:
        executor.loader.build_graph()
        return executor.loader.project_state(targets).apps
    return None


def _parents():
    """One object per stateful model, made with today's models (their tables do not change)."""
    user = UserFactory()
    store = StoreFactory()
    lot = lot_make(store)
    organisation = BuyerOrganisation.objects.create(
        name="县一中食堂",
        kind="canteen",
        licence_number="91360700MA00000000",
        contact_name="李四",
        contact_phone="13800000000",
    )
    payment_order = PaymentOrder.objects.create(
        number="P1",
        buyer=user,
        amount=Decimal("10.00"),
        method="online",
        idempotency_key="migration-test",
        expires_at=timezone.now(),
    )
    payment = Payment.objects.create(
        payment_order=payment_order, provider="sandbox", amount=Decimal("10.00"), out_trade_no="T1"
    )
    order = Order.objects.create(
        number="O1",
        payment_order=payment_order,
        buyer=user,
        store=store,
        address={"name": "王五"},
        goods_amount=Decimal("10.00"),
        total_amount=Decimal("10.00"),
        commission_rate=Decimal("0.0500"),
    )
    aftersale = AfterSale.objects.create(
        number="A1",
        order=order,
        buyer=user,
        store=store,
        type="refund_only",
        reason="damaged",
        amount_requested=Decimal("5.00"),
    )
    statement = SettlementStatement.objects.create(
        store=store, period_start=datetime.date(2026, 11, 30), period_end=datetime.date(2026, 12, 6)
    )
    return user, {
        "stores": store,
        "traceability": lot,
        "wholesale": organisation,
        "payments": payment,
        "aftersales": aftersale,
        "settlement": statement,
    }


def test_event_rows_survive_the_move_onto_statusevent():
    user, parents = _parents()
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    old_apps = _migrate([(app, before) for app, before, _model, _fk in MOVES], models=True)
    written = {}
    try:
        for app, _before, model, fk in MOVES:
            old_model = old_apps.get_model(app, model._meta.model_name)
            length = OLD_STATUS_LENGTH[app]
            fields = {
                f"{fk}_id": parents[app].pk,
                "from_status": "f" * length,
                "to_status": "t" * length,
                "actor_id": user.pk,
                "reason": OLD_REASON,
            }
            if app in ("wholesale", "settlement"):
                fields["kind"] = "credit_limit" if app == "wholesale" else "generated"
            if app not in ("stores", "wholesale"):
                fields["payload"] = {"amount": "10.00"}
            rows = [old_model.objects.create(**fields) for _ in range(2)]
            written[app] = (fields, [(row.pk, row.created_at) for row in rows])
    finally:
        _migrate(leaves)

    for app, _before, model, fk in MOVES:
        fields, rows = written[app]
        kept = list(model.objects.order_by("id"))
        assert [(row.pk, row.created_at) for row in kept] == rows, app
        for row in kept:
            assert (row.from_status, row.to_status, row.actor_id, row.reason) == (
                fields["from_status"],
                fields["to_status"],
                user.pk,
                OLD_REASON,
            ), app
            assert row.kind == fields.get("kind", "status"), app
            assert row.payload == fields.get("payload", {}), app
        # The columns are now the base's: 30-character statuses, 500-character reasons.
        longer = model.objects.create(
            **{fk: parents[app]},
            from_status="f" * 30,
            to_status="t" * 30,
            reason="新" * 500,
        )
        assert model.objects.get(pk=longer.pk).reason == "新" * 500
