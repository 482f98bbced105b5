from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.catalog.models import Product
from apps.core.roles import roles_sync
from apps.traceability.models import InputApplication, Inspection, Location, Lot, Party
from apps.traceability.services.inspections import ItemInput, inspection_record
from apps.traceability.services.lots import lot_create
from apps.traceability.services.records import (
    input_application_record,
    location_save,
    party_save,
)
from tests.factories import ProductFactory


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def rice(store_a) -> Product:
    return ProductFactory(
        store=store_a,
        title="五常稻花香大米",
        skus=[{"spec": "5kg/袋", "price": "59.90"}, {"spec": "10kg/袋", "price": "109.00"}],
    )


@pytest.fixture
def orange(store_b) -> Product:
    return ProductFactory(
        store=store_b, title="赣南脐橙", origin_code="360732", origin_name="信丰县"
    )


def make_party(store, name="王大伯", **kwargs) -> Party:
    kwargs.setdefault("kind", Party.Kind.PRODUCER)
    kwargs.setdefault("phone", "13812345678")
    return party_save(party=Party(store=store, name=name, **kwargs), actor=None)


def make_plot(store, name="东坡一号田", **kwargs) -> Location:
    kwargs.setdefault("kind", Location.Kind.PLOT)
    kwargs.setdefault("division_code", "230184")
    return location_save(location=Location(store=store, name=name, **kwargs), actor=None)


def make_lot(store, product, *, number="WC-2026-001", harvest_date=None, plot=None, **kwargs):
    producer = kwargs.pop("producer", None) or Party.objects.filter(store=store).first()
    if producer is None:
        producer = make_party(store)
    kwargs.setdefault("skus", list(product.skus.all()))
    return lot_create(
        store=store,
        lot_number=number,
        product=product,
        producer=producer,
        plot=plot,
        harvest_date=harvest_date or timezone.localdate() - timedelta(days=2),
        quantity=kwargs.pop("quantity", Decimal("1000")),
        actor=kwargs.pop("actor", None),
        **kwargs,
    )


def spray(store, plot, *, applied_on, interval=7, ingredient="吡虫啉", **kwargs):
    return input_application_record(
        store=store,
        plot=plot,
        input_type=kwargs.pop("input_type", InputApplication.InputType.PESTICIDE),
        product_name=kwargs.pop("product_name", f"{ingredient}可湿性粉剂"),
        active_ingredient=ingredient,
        registration_number=kwargs.pop("registration_number", "PD20080001"),
        dose=kwargs.pop("dose", "每亩 20 克"),
        applied_on=applied_on,
        safety_interval_days=interval,
        actor=kwargs.pop("actor", None),
        **kwargs,
    )


def inspect(lot, *substances, kind=Inspection.Kind.RAPID, passed=True, **kwargs):
    if kind == Inspection.Kind.LAB:
        kwargs.setdefault("lab_name", "县农产品质量安全检测站")
    return inspection_record(
        lot=lot,
        kind=kind,
        inspected_on=kwargs.pop("inspected_on", timezone.localdate()),
        items=[
            ItemInput(
                substance=substance,
                result_value=Decimal("0.01") if passed else Decimal("0.9"),
                limit_value=Decimal("0.5"),
            )
            for substance in substances
        ],
        actor=kwargs.pop("actor", None),
        **kwargs,
    )


@pytest.fixture
def plot_a(store_a) -> Location:
    return make_plot(store_a)


@pytest.fixture
def lot_a(store_a, rice, plot_a) -> Lot:
    return make_lot(store_a, rice, plot=plot_a)
