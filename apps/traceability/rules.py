"""The food-safety rules read from the records: lineage, inputs used, safety intervals,
test coverage. Pure reads and checks; services decide what to refuse or flag.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from apps.traceability.models import Certificate, InputApplication, Inspection, Lot


@dataclass(frozen=True)
class Lineage:
    """A lot with every lot it was mixed or repacked from, at any depth."""

    lot: Lot
    lots: list[Lot]  # the lot first, then its ancestors
    leaves: list[Lot]  # lots that were harvested, not made from others

    @property
    def ancestors(self) -> list[Lot]:
        return self.lots[1:]


def lot_lineage(lot: Lot) -> Lineage:
    """One query per level of mixing (rarely more than two), plus one for the lots."""
    through = Lot.source_lots.through
    sources: dict[int, list[int]] = {}
    seen = {lot.pk}
    frontier = {lot.pk}
    while frontier:
        pairs = list(
            through.objects.filter(from_lot_id__in=frontier).values_list("from_lot_id", "to_lot_id")
        )
        frontier = set()
        for child, parent in pairs:
            sources.setdefault(child, []).append(parent)
            if parent not in seen:
                seen.add(parent)
                frontier.add(parent)
    others = {
        other.pk: other
        for other in Lot.objects.filter(pk__in=seen - {lot.pk}).select_related("plot", "producer")
    }
    ordered = [lot, *(others[pk] for pk in sorted(others))]
    leaves = [item for item in ordered if not sources.get(item.pk)]
    return Lineage(lot=lot, lots=ordered, leaves=leaves)


def derived_lots(lot: Lot) -> list[Lot]:
    """Every lot mixed or repacked from this one, at any depth (one query per level)."""
    through = Lot.source_lots.through
    found: list[int] = []
    frontier = {lot.pk}
    while frontier:
        children = set(
            through.objects.filter(to_lot_id__in=frontier).values_list("from_lot_id", flat=True)
        ) - set(found)
        found.extend(sorted(children))
        frontier = children
    if not found:
        return []
    return list(Lot.objects.filter(pk__in=found).select_related("store").order_by("pk"))


@dataclass(frozen=True)
class InputUse:
    lot: Lot  # the harvested lot whose plot received the input
    application: InputApplication

    @property
    def days_before_harvest(self) -> int:
        return (self.lot.harvest_date - self.application.applied_on).days

    @property
    def violates_safety_interval(self) -> bool:
        return self.days_before_harvest < self.application.safety_interval_days


def inputs_used(lineage: Lineage) -> list[InputUse]:
    """Farm records on the plots of the harvested lots, in the window before each harvest."""
    lookback = timedelta(days=settings.TRACE_INPUT_LOOKBACK_DAYS)
    condition = Q()
    leaves = [leaf for leaf in lineage.leaves if leaf.plot_id]
    for leaf in leaves:
        condition |= Q(
            plot_id=leaf.plot_id,
            applied_on__lte=leaf.harvest_date,
            applied_on__gte=leaf.harvest_date - lookback,
        )
    if not leaves:
        return []
    applications = list(InputApplication.objects.filter(condition).order_by("applied_on", "id"))
    uses = []
    for leaf in leaves:
        for application in applications:
            if (
                application.plot_id == leaf.plot_id
                and leaf.harvest_date - lookback <= application.applied_on <= leaf.harvest_date
            ):
                uses.append(InputUse(lot=leaf, application=application))
    return uses


def safety_violations(lineage: Lineage, uses: list[InputUse] | None = None) -> list[str]:
    """Why the lot was harvested too soon after an input, one sentence per input."""
    uses = inputs_used(lineage) if uses is None else uses
    messages = []
    for use in uses:
        if not use.violates_safety_interval:
            continue
        app = use.application
        prefix = "" if use.lot.pk == lineage.lot.pk else _("来源批次 %(lot)s：") % {"lot": use.lot}
        messages.append(
            prefix
            + _(
                "%(name)s 于 %(applied)s 使用，安全间隔期 %(interval)s 天，"
                "但 %(harvest)s 采收，仅间隔 %(days)s 天。"
            )
            % {
                "name": app.product_name,
                "applied": app.applied_on.isoformat(),
                "interval": app.safety_interval_days,
                "harvest": use.lot.harvest_date.isoformat(),
                "days": use.days_before_harvest,
            }
        )
    return messages


def _substance_key(value: str) -> str:
    return "".join(value.split()).casefold()


@dataclass(frozen=True)
class Coverage:
    inspections: list[Inspection]
    missing: list[str]  # inputs (by name) no passed test item covers
    failed: list[str]  # substances that failed a test


def test_coverage(lineage: Lineage, uses: list[InputUse], *, lab_only: bool) -> Coverage:
    """Which inspections of the lot (or of the lots it came from) cover the residue inputs.

    An input is covered by a passed item whose substance is its active ingredient (or, when no
    ingredient was recorded, its product name). Any failed item anywhere is reported too.
    """
    inspections = list(
        Inspection.objects.filter(lot__in=[item.pk for item in lineage.lots])
        .prefetch_related("items")
        .order_by("inspected_on", "id")
    )
    failed = [
        item.substance
        for inspection in inspections
        for item in inspection.items.all()
        if not item.is_passed
    ]
    usable = [i for i in inspections if i.is_passed and (not lab_only or i.kind == i.Kind.LAB)]
    tested = {_substance_key(item.substance) for i in usable for item in i.items.all()}
    missing = []
    for use in uses:
        app = use.application
        if app.input_type not in InputApplication.RESIDUE_TYPES:
            continue
        key = _substance_key(app.active_ingredient or app.product_name)
        name = app.active_ingredient or app.product_name
        if key not in tested and name not in missing:
            missing.append(name)
    return Coverage(inspections=usable, missing=missing, failed=failed)


def latest_certificates(lots: list[Lot]) -> dict[int, Certificate]:
    """The most recent certificate of each lot, in one query."""
    latest: dict[int, Certificate] = {}
    for certificate in Certificate.objects.filter(lot__in=[lot.pk for lot in lots]).order_by(
        "issued_on", "id"
    ):
        latest[certificate.lot_id] = certificate
    return latest
