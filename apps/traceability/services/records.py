"""Parties, locations and farm records (农事记录)."""

from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.stores.divisions import division_name, is_county_code
from apps.stores.models import Store
from apps.stores.validators import normalize_contact_phone, normalize_uscc
from apps.traceability.errors import TraceErrorCode
from apps.traceability.models import InputApplication, Location, Lot, Party
from apps.traceability.rules import derived_lots
from apps.traceability.services.common import (
    field_error,
    full_clean_or_raise,
    not_in_future_check,
    same_store_check,
    store_access_check,
)
from apps.traceability.services.holds import lot_sku_ids, skus_lock
from apps.traceability.services.lots import lot_hold, lot_safety_refresh, lots_lock


@transaction.atomic
def party_save(*, party: Party, actor: User | None) -> Party:
    """Create or update a party after normalising its phone and credit code."""
    store_access_check(actor=actor, store_id=party.store_id)
    if party.pk:
        store_access_check(
            actor=actor, store_id=Party.objects.values_list("store_id", flat=True).get(pk=party.pk)
        )
    party.name = (party.name or "").strip()
    if party.phone:
        try:
            party.phone = normalize_contact_phone(party.phone)
        except ValidationError as exc:
            raise field_error(
                exc.messages[0], code=TraceErrorCode.INVALID_PHONE, field="phone"
            ) from None
    if party.credit_code:
        try:
            party.credit_code = normalize_uscc(party.credit_code)
        except ValidationError as exc:
            raise field_error(
                exc.messages[0], code=TraceErrorCode.INVALID_USCC, field="credit_code"
            ) from None
    full_clean_or_raise(party)
    party.save()
    return party


@transaction.atomic
def location_save(*, location: Location, actor: User | None) -> Location:
    """Create or update a location; its division must be a real county-level code."""
    store_access_check(actor=actor, store_id=location.store_id)
    if location.pk:
        store_access_check(
            actor=actor,
            store_id=Location.objects.values_list("store_id", flat=True).get(pk=location.pk),
        )
    if not is_county_code(location.division_code or ""):
        raise field_error(
            _("请选择有效的县级行政区划。"),
            code=TraceErrorCode.UNKNOWN_DIVISION,
            field="division_code",
        )
    location.division_name = division_name(location.division_code) or ""
    if location.parent_id:
        same_store_check(location.store_id, location.parent, field="parent")
        if location.parent.kind != Location.Kind.BASE or location.parent_id == location.pk:
            raise field_error(
                _("上级只能是本店铺的生产基地。"),
                code=TraceErrorCode.INVALID_LOCATION_KIND,
                field="parent",
            )
    if (location.latitude is None) != (location.longitude is None):
        raise field_error(_("经纬度需同时填写。"), code="invalid", field="latitude")
    full_clean_or_raise(location)
    location.save()
    return location


@transaction.atomic
def input_application_record(
    *,
    store: Store,
    plot: Location,
    input_type: str,
    product_name: str,
    dose: str,
    applied_on: date,
    actor: User | None,
    active_ingredient: str = "",
    registration_number: str = "",
    safety_interval_days: int = 0,
    operator: str = "",
    note: str = "",
) -> InputApplication:
    """Record an input applied to a plot, then re-check the lots harvested after it.

    A lot harvested inside the new record's safety interval is flagged; if it was already on
    sale it is put on hold, since its certificate was issued without knowing about the input.
    """
    store_access_check(actor=actor, store_id=store.pk)
    same_store_check(store.pk, plot, field="plot")
    if plot.kind not in Location.GROWING_KINDS:
        raise field_error(
            _("农事记录只能记在生产基地或地块上。"),
            code=TraceErrorCode.INVALID_LOCATION_KIND,
            field="plot",
        )
    not_in_future_check(applied_on, field="applied_on")
    if input_type in InputApplication.RESIDUE_TYPES:
        if not (registration_number or "").strip():
            raise field_error(
                _("农药、兽药必须填写登记证号或批准文号。"),
                code=TraceErrorCode.REGISTRATION_REQUIRED,
                field="registration_number",
            )
        if not (active_ingredient or "").strip():
            raise field_error(
                _("农药、兽药必须填写有效成分，检测项目据此核对。"),
                code=TraceErrorCode.INGREDIENT_REQUIRED,
                field="active_ingredient",
            )
    application = InputApplication(
        store=store,
        plot=plot,
        input_type=input_type,
        product_name=(product_name or "").strip(),
        active_ingredient=(active_ingredient or "").strip(),
        registration_number=(registration_number or "").strip().upper(),
        dose=(dose or "").strip(),
        applied_on=applied_on,
        safety_interval_days=safety_interval_days,
        operator=(operator or "").strip(),
        note=(note or "").strip(),
        recorded_by=actor,
    )
    full_clean_or_raise(application, exclude=["store", "plot", "recorded_by"])
    application.save()

    # Lots harvested in the record's look-back window show it on their trace page (and so do
    # lots made from them): touch them so the page's cache lets it show at once.
    window_end = applied_on + timedelta(days=settings.TRACE_INPUT_LOOKBACK_DAYS)
    affected = list(
        Lot.objects.filter(
            plot=plot, harvest_date__gte=applied_on, harvest_date__lte=window_end
        ).select_related("store")
    )
    for lot in list(affected):
        affected.extend(derived_lots(lot))
    ids = sorted({lot.pk for lot in affected})
    lots_lock(ids)
    Lot.objects.filter(pk__in=ids).update(updated_at=timezone.now())
    # Read again under the locks: statuses and flags as they are now.
    affected = list(Lot.objects.filter(pk__in=ids).select_related("store").order_by("pk"))

    to_hold = []
    for lot in affected:
        was_flagged = lot.is_safety_flagged
        newly_flagged = bool(lot_safety_refresh(lot=lot)) and not was_flagged
        if newly_flagged and lot.status == Lot.Status.ACTIVE:
            to_hold.append(lot)
    if to_hold:
        # A hold refreshes its lot's SKUs after an earlier hold's event took the chain head:
        # lock the SKUs of every lot about to be held now (order: lots, SKUs, chain head).
        skus_lock(sku_ids=lot_sku_ids([lot.pk for lot in to_hold]))
    for lot in to_hold:
        lot_hold(
            lot=lot,
            actor=actor,
            reason=_("补录农事记录后发现未过安全间隔期：%(name)s")
            % {"name": application.product_name},
        )
    return application
