"""承诺达标合格证: the checks before issuing one, and issuing it.

Refused, with the reason, when the lot is not on sale, was harvested inside an input's safety
interval, failed a test, or (for a test basis) lacks passed tests of every pesticide/vet drug
used on its plot; a mixed or repacked lot also needs a certificate for each of its sources.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ApplicationError
from apps.traceability.errors import TraceErrorCode
from apps.traceability.models import Certificate, Lot, TraceEvent
from apps.traceability.rules import (
    InputUse,
    Lineage,
    inputs_used,
    latest_certificates,
    lot_lineage,
    safety_violations,
    test_coverage,
)
from apps.traceability.services.common import field_error, store_access_check
from apps.traceability.services.events import EventLotInput, chain_head_lock, trace_event_append

Basis = Certificate.Basis


@dataclass(frozen=True)
class CertificatePlan:
    """What a certificate for this lot would rest on, once every check has passed."""

    lineage: Lineage
    uses: list[InputUse]
    inspections: list
    source_certificates: list[Certificate]


def _refuse(message: str, code: str, field: str = "lot") -> ApplicationError:
    return ApplicationError(message, code=code, fields={field: [message]})


def certificate_check(
    *,
    lot: Lot,
    basis: str,
    actor: User | None,
    source_certificates: Sequence[Certificate] | None = None,
) -> CertificatePlan:
    """Every rule a certificate must pass, without writing anything (forms call it too)."""
    store_access_check(actor=actor, store_id=lot.store_id)
    if basis not in Basis.values:
        raise _refuse(_("请选择承诺依据。"), "invalid", field="basis")
    if lot.status != Lot.Status.ACTIVE:
        raise _refuse(
            _("批次 %(lot)s 当前状态为「%(status)s」，不能开具合格证。")
            % {"lot": lot, "status": lot.get_status_display()},
            TraceErrorCode.LOT_NOT_ACTIVE,
        )
    lineage = lot_lineage(lot)
    uses = inputs_used(lineage)
    violations = safety_violations(lineage, uses)
    if violations:
        raise _refuse(
            _("未过安全间隔期，不能开具合格证：") + " ".join(violations),
            TraceErrorCode.SAFETY_INTERVAL,
        )
    coverage = test_coverage(lineage, uses, lab_only=basis == Basis.ENTRUSTED_TEST)
    if coverage.failed:
        raise _refuse(
            _("检测不合格（%(items)s），不能开具合格证。") % {"items": "、".join(coverage.failed)},
            TraceErrorCode.INSPECTION_FAILED,
        )
    if basis in Certificate.TEST_BASES:
        if not coverage.inspections:
            raise _refuse(
                _("以「%(basis)s」为依据，需要先录入该批次合格的%(kind)s记录。")
                % {
                    "basis": Basis(basis).label,
                    "kind": _("实验室检测") if basis == Basis.ENTRUSTED_TEST else _("检测"),
                },
                TraceErrorCode.BASIS_NOT_COVERED,
                field="basis",
            )
        if coverage.missing:
            raise _refuse(
                _("检测未覆盖该批次实际使用的投入品：%(names)s。")
                % {"names": "、".join(coverage.missing)},
                TraceErrorCode.BASIS_NOT_COVERED,
                field="basis",
            )
    sources = _source_certificates(lineage, source_certificates)
    return CertificatePlan(
        lineage=lineage, uses=uses, inspections=coverage.inspections, source_certificates=sources
    )


def _source_certificates(
    lineage: Lineage, given: Sequence[Certificate] | None
) -> list[Certificate]:
    """A mixed/repacked lot lists one certificate for each lot it was made from directly."""
    direct = list(lineage.lot.source_lots.all().order_by("pk"))
    if not direct:
        if given:
            raise _refuse(
                _("该批次不是混合或分装批次，无需来源合格证。"),
                TraceErrorCode.SOURCE_CERTIFICATE_MISSING,
                field="source_certificates",
            )
        return []
    chosen = {c.lot_id: c for c in given} if given else latest_certificates(direct)
    if given and any(c.lot_id not in {lot.pk for lot in direct} for c in given):
        raise _refuse(
            _("来源合格证必须属于该批次的来源批次。"),
            TraceErrorCode.SOURCE_CERTIFICATE_MISSING,
            field="source_certificates",
        )
    missing = [lot.lot_number for lot in direct if lot.pk not in chosen]
    if missing:
        raise _refuse(
            _("混合或分装的批次需列明来源合格证，以下来源批次还没有合格证：%(lots)s。")
            % {"lots": "、".join(missing)},
            TraceErrorCode.SOURCE_CERTIFICATE_MISSING,
            field="source_certificates",
        )
    return [chosen[lot.pk] for lot in direct]


def _certificate_number(lot: Lot, issued_on) -> str:
    # Called under the store's chain-head lock, so the day's count cannot race.
    count = Certificate.objects.filter(store_id=lot.store_id, issued_on=issued_on).count()
    return f"HG{issued_on:%Y%m%d}{lot.store_id:05d}{count + 1:04d}"


@transaction.atomic
def certificate_issue(
    *,
    lot: Lot,
    basis: str,
    actor: User | None,
    scope: str = Certificate.Scope.BATCH,
    quantity: Decimal | None = None,
    source_certificates: Sequence[Certificate] | None = None,
) -> Certificate:
    """Issue a certificate for the lot, after certificate_check, and seal it in the chain."""
    # Locks in the order every service takes them: lot rows, then the store's chain head
    # (which also serialises the day's certificate numbering).
    lot = (
        Lot.objects.select_for_update()
        .select_related("store", "product", "producer")
        .get(pk=lot.pk)
    )
    chain_head_lock(lot.store_id)
    plan = certificate_check(
        lot=lot, basis=basis, actor=actor, source_certificates=source_certificates
    )
    if scope not in Certificate.Scope.values:
        raise field_error(_("请选择开具方式。"), code="invalid", field="scope")
    quantity = lot.quantity if quantity is None else Decimal(quantity).quantize(Decimal("0.001"))
    if quantity <= 0 or quantity > lot.quantity:
        raise field_error(
            _("数量须大于 0 且不超过批次数量 %(max)s。") % {"max": lot.quantity},
            code=TraceErrorCode.QUANTITY_EXCEEDED,
            field="quantity",
        )
    issued_on = timezone.localdate()
    store = lot.store
    certificate = Certificate.objects.create(
        store=store,
        number=_certificate_number(lot, issued_on),
        lot=lot,
        issuer_name=store.name,
        product_name=lot.product.title,
        quantity=quantity,
        unit=lot.unit,
        origin=lot.origin_name or store.county_name,
        producer_name=lot.producer.name,
        phone=lot.producer.phone or store.contact_phone,
        issued_on=issued_on,
        commitment_text=Certificate.COMMITMENT_TEXT,
        basis=basis,
        scope=scope,
        inputs_snapshot=[
            {
                "id": use.application.pk,
                "lot": use.lot.lot_number,
                "name": use.application.product_name,
                "ingredient": use.application.active_ingredient,
                "registration": use.application.registration_number,
                "applied_on": use.application.applied_on.isoformat(),
                "safety_interval_days": use.application.safety_interval_days,
            }
            for use in plan.uses
        ],
        retention_until=issued_on + timedelta(days=settings.TRACE_CERTIFICATE_RETENTION_DAYS),
        issued_by=actor,
    )
    if plan.inspections:
        certificate.inspections.set(plan.inspections)
    if plan.source_certificates:
        certificate.source_certificates.set(plan.source_certificates)
    trace_event_append(
        store=store,
        event_type=TraceEvent.EventType.OBJECT,
        action=TraceEvent.Action.OBSERVE,
        business_step=TraceEvent.BusinessStep.INSPECTING,
        disposition=TraceEvent.Disposition.CONFORMANT,
        lots=[EventLotInput(lot=lot, quantity=quantity, unit=lot.unit)],
        actor=actor,
        extra={
            "kind": "certificate",
            "number": certificate.number,
            "basis": basis,
            "scope": scope,
            "inspections": [i.pk for i in plan.inspections],
            "source_certificates": [c.number for c in plan.source_certificates],
            "inputs": certificate.inputs_snapshot,
            "commitment": Certificate.COMMITMENT_TEXT,
        },
    )
    return certificate
