"""One admin mixin that keeps merchants inside their own stores in the Django admin.

Every ModelAdmin and inline of a store-owned model uses it, so the queryset, the object pages,
the foreign-key choices, the filters and the actions all go through stores.selectors. Platform
staff (permission stores.manage_all_stores) see everything; a merchant asking for another
store's object gets 404, exactly as for an id that does not exist.
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from apps.core.admin import ReadOnlyTabularInline
from apps.stores.models import Store
from apps.stores.selectors import (
    scope_to_user_stores,
    store_ids_for_user,
    stores_for_user,
    user_can_manage_all_stores,
)


def _store_id_along(obj: Model, path: str) -> int | None:
    """Follow `path` ("store", "product__store", "pk") from obj to a store id."""
    if path in ("pk", "id"):
        return obj.pk
    *hops, last = path.split("__")
    for hop in hops:
        obj = getattr(obj, hop, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


class StoreScopedAdminMixin:
    """Scope a ModelAdmin or InlineModelAdmin to the stores of the signed-in user.

    `store_field` is the lookup path from the model to its Store: "store" for Product,
    "product__store" for Sku, "pk" for Store itself.
    """

    store_field: str = "store"

    # --- who sees what -------------------------------------------------------------------

    def sees_all_stores(self, request: HttpRequest) -> bool:
        return user_can_manage_all_stores(request.user)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return scope_to_user_stores(
            super().get_queryset(request), request.user, store_field=self.store_field
        )

    def _path_from(self, obj: Model) -> str:
        # Inline permission hooks receive the parent object, not a row of the inline's model.
        parent_model = getattr(self, "parent_model", None)
        if parent_model is not None and not isinstance(obj, self.model):
            _, _, rest = self.store_field.partition("__")
            return rest or "pk"
        return self.store_field

    def is_in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        if obj is None:
            return True
        if self.sees_all_stores(request):
            return True
        store_id = _store_id_along(obj, self._path_from(obj))
        return store_id is not None and store_id in store_ids_for_user(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self.is_in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.is_in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self.is_in_scope(request, obj)

    def has_add_permission(self, request, *args):
        # ModelAdmin passes (request); inlines pass (request, parent_obj).
        allowed = super().has_add_permission(request, *args)
        if args:
            allowed = allowed and self.is_in_scope(request, args[0])
        return allowed

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            # Same answer for "another store's" and "no such" object: ids reveal nothing.
            raise Http404
        return obj

    # --- forms ---------------------------------------------------------------------------

    def scoped_choices(self, request: HttpRequest, model: type[Model]) -> QuerySet | None:
        """Choices for a foreign key to `model`, or None when `model` is not store-owned."""
        if model is Store:
            return stores_for_user(request.user)
        try:
            target_admin = self.admin_site.get_model_admin(model)
        except NotRegistered:
            return None
        if isinstance(target_admin, StoreScopedAdminMixin):
            return scope_to_user_stores(
                model._default_manager.all(), request.user, store_field=target_admin.store_field
            )
        return None

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self.scoped_choices(request, db_field.related_model)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def sole_store(self, request: HttpRequest) -> Store | None:
        """The merchant's store when they have exactly one: the store field is then implied."""
        if self.sees_all_stores(request):
            return None
        ids = store_ids_for_user(request.user)
        if len(ids) != 1:
            return None
        cached = getattr(request, "_sole_store", None)
        if cached is None or cached.pk != ids[0]:
            cached = Store.objects.get(pk=ids[0])
            request._sole_store = cached
        return cached

    def _hides_store_field(self, request: HttpRequest) -> bool:
        direct_fk = "__" not in self.store_field and self.store_field not in ("pk", "id")
        return direct_fk and self.sole_store(request) is not None

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self._hides_store_field(request):
            return fieldsets
        return [
            (name, {**options, "fields": _without(options["fields"], self.store_field)})
            for name, options in fieldsets
        ]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if self.sees_all_stores(request):
            return filters
        # A store filter would list every store's name to a merchant.
        return [f for f in filters if not _filters_on(f, self.store_field)]

    def save_model(self, request, obj, form, change):
        self.prepare_for_save(request, obj)
        super().save_model(request, obj, form, change)

    def prepare_for_save(self, request: HttpRequest, obj: Model) -> None:
        """Fill in the implied store, then refuse a write outside the user's stores.

        The form's choices already keep a merchant inside; this is the last line of defence.
        """
        if self._hides_store_field(request) and getattr(obj, f"{self.store_field}_id") is None:
            setattr(obj, self.store_field, self.sole_store(request))
        if self.sees_all_stores(request):
            return
        store_id = _store_id_along(obj, self.store_field)
        if store_id not in store_ids_for_user(request.user):
            raise PermissionDenied


def _without(fields, name: str):
    kept = []
    for field in fields:
        if isinstance(field, list | tuple):
            row = tuple(f for f in field if f != name)
            if row:
                kept.append(row)
        elif field != name:
            kept.append(field)
    return kept


def _filters_on(list_filter, store_field: str) -> bool:
    name = list_filter[0] if isinstance(list_filter, list | tuple) else list_filter
    if not isinstance(name, str):
        name = getattr(list_filter, "parameter_name", "")
    return name == store_field or name.startswith(f"{store_field}__")


class StoreScopedModelAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
    pass


class ScopedHistoryInline(StoreScopedAdminMixin, ReadOnlyTabularInline):
    """Read-only child rows of a store-owned object (lines, status events, scans): they have no
    permission of their own, so whoever may see the parent (`parent_permission`, e.g.
    "orders.view_order") and is in scope sees them."""

    parent_permission = ""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(self.parent_permission) and self.is_in_scope(request, obj)
