from decimal import Decimal

import factory
from django.utils import timezone

from apps.accounts.models import User
from apps.catalog.models import Category, Product, Sku
from apps.stores.models import Store, StoreMember, StoreType


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-Word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"测试农场{n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    type = StoreType.FAMILY_FARM
    status = Store.Status.ACTIVE
    county_code = "230184"
    county_name = "黑龙江省哈尔滨市五常市"
    contact_name = "张三"
    contact_phone = "13800000000"


class StoreMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreMember

    store = factory.SubFactory(StoreFactory)
    user = factory.SubFactory(UserFactory)
    role = StoreMember.Role.OWNER


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"分类{n}")
    slug = factory.Sequence(lambda n: f"cat-{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    """A product on sale with one SKU; its price and search document are refreshed."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    store = factory.SubFactory(StoreFactory)
    category = factory.SubFactory(CategoryFactory)
    title = factory.Sequence(lambda n: f"测试商品{n}")
    origin_code = "230184"
    origin_name = "五常市"
    status = Product.Status.ON_SALE
    published_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def skus(obj, create, extracted, **kwargs):
        if not create:
            return
        specs = extracted if extracted is not None else [{"spec": "5kg/袋", "price": "59.90"}]
        for i, spec in enumerate(specs):
            Sku.objects.create(
                product=obj,
                spec=spec["spec"],
                retail_price=Decimal(spec["price"]),
                stock=spec.get("stock", 100),
                sort_order=i,
            )
        from apps.catalog.services.products import product_after_save

        product_after_save(product=obj)
