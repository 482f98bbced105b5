"""Reads of stores, and the one way to tell which stores a user may act for.

Every store-owned object in admin, API and pages is fetched through `store_ids_for_user` /
`user_can_manage_all_stores`, so merchant isolation lives in one tested place.
"""

from django.db.models import QuerySet

from apps.accounts.models import User
from apps.stores.models import Store, StoreApplication, StoreMember

MANAGE_ALL_STORES_PERMISSION = "stores.manage_all_stores"


def user_can_manage_all_stores(user: User) -> bool:
    """Platform staff (a group granting stores.manage_all_stores) see every store's data."""
    return bool(user and user.is_authenticated and user.has_perm(MANAGE_ALL_STORES_PERMISSION))


def store_ids_for_user(user: User) -> list[int]:
    """Ids of the stores this user is a member of (owner or clerk). Cached on the user object."""
    if not user or not user.is_authenticated:
        return []
    cached = getattr(user, "_store_ids_cache", None)
    if cached is None:
        cached = list(
            StoreMember.objects.filter(user=user).values_list("store_id", flat=True).order_by()
        )
        user._store_ids_cache = cached
    return cached


def stores_for_user(user: User) -> QuerySet[Store]:
    """The stores whose data this user may see and change in the back office."""
    if user_can_manage_all_stores(user):
        return Store.objects.all()
    return Store.objects.filter(id__in=store_ids_for_user(user))


def scope_to_user_stores(queryset: QuerySet, user: User, *, store_field: str = "store") -> QuerySet:
    """Filter any store-owned queryset down to what `user` may see."""
    if user_can_manage_all_stores(user):
        return queryset
    return queryset.filter(**{f"{store_field}__in": store_ids_for_user(user)})


def user_is_merchant(user: User) -> bool:
    return bool(store_ids_for_user(user))


def store_list_for_storefront() -> QuerySet[Store]:
    return Store.objects.filter(status=Store.Status.ACTIVE)


def store_get_for_storefront(*, slug: str) -> Store | None:
    return store_list_for_storefront().filter(slug=slug).first()


def store_application_list_for_user(*, user: User) -> QuerySet[StoreApplication]:
    return StoreApplication.objects.filter(applicant=user).select_related("store")
