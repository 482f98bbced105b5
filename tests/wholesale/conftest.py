from decimal import Decimal

import pytest

from apps.catalog.models import Sku
from apps.core.roles import roles_sync
from apps.wholesale.models import BuyerOrganisation
from tests.factories import ProductFactory, UserFactory
from tests.wholesale.helpers import make_organisation


@pytest.fixture(autouse=True)
def _roles(db):
    roles_sync()


@pytest.fixture
def buyer(db):
    """A member of a verified buyer organisation with a ¥1000.00 credit limit."""
    user = UserFactory(name="采购员小李")
    make_organisation(user=user, credit_limit="1000.00")
    return user


@pytest.fixture
def organisation(buyer) -> BuyerOrganisation:
    return BuyerOrganisation.objects.get(members__user=buyer)


@pytest.fixture
def other_buyer(db):
    user = UserFactory(name="酒店采购老赵")
    make_organisation(user=user, credit_limit="500.00", name="红都大酒店")
    return user


@pytest.fixture
def pending_buyer(db):
    user = UserFactory(name="待审核采购员")
    make_organisation(user=user, verified=False, name="食堂待审")
    return user


@pytest.fixture
def tiered_sku(store_a) -> Sku:
    """¥59.90 retail; ≥10 at ¥55.00, ≥50 at ¥50.00; wholesale minimum 5."""
    product = ProductFactory(
        store=store_a,
        title="五常稻花香大米 5kg",
        skus=[{"spec": "5kg/袋", "price": "59.90", "stock": 500}],
    )
    sku = product.skus.get()
    sku.min_wholesale_quantity = 5
    sku.save(update_fields=["min_wholesale_quantity"])
    sku.wholesale_tiers.create(min_quantity=10, unit_price=Decimal("55.00"))
    sku.wholesale_tiers.create(min_quantity=50, unit_price=Decimal("50.00"))
    return sku
