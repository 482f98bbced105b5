"""Trace codes: random public identifiers of a lot or of one package of it."""

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F, Max, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.traceability.errors import TraceErrorCode
from apps.traceability.models import Lot, TraceCode, TraceCodeBatch
from apps.traceability.services.common import field_error, store_access_check

# RFC 4648 base32 alphabet: upper-case letters and 2-7, safe in URLs and easy to read aloud.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CODE_LENGTH = 20  # 20 × 5 = 100 random bits
CODE_BITS = CODE_LENGTH * 5
# PositiveIntegerField's ceiling on PostgreSQL; a counter stuck there is still "very high".
SCAN_COUNT_MAX = 2_147_483_647
SCAN_REPEAT_SECONDS = 30 * 60


def code_new() -> str:
    value = secrets.randbits(CODE_BITS)
    chars = []
    for _position in range(CODE_LENGTH):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(chars)


def code_normalize(raw: str) -> str | None:
    """The code as stored, or None when it cannot be one (so no query is spent on it)."""
    code = (raw or "").strip().upper()
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def trace_code_for_lot(*, lot: Lot) -> TraceCode:
    """The lot's own code (printed on its certificate and cases), created on first need."""
    existing = TraceCode.objects.filter(lot=lot, package_number__isnull=True).order_by("id").first()
    if existing is not None:
        return existing
    return TraceCode.objects.create(code=code_new(), store_id=lot.store_id, lot=lot)


@transaction.atomic
def trace_codes_generate(*, lot: Lot, quantity: int, actor: User | None) -> TraceCodeBatch:
    """Per-package codes for a lot, numbered on from the lot's last package number."""
    store_access_check(actor=actor, store_id=lot.store_id)
    limit = settings.TRACE_MAX_CODES_PER_BATCH
    if not 1 <= quantity <= limit:
        raise field_error(
            _("一次可生成 1 到 %(limit)s 个追溯码。") % {"limit": limit},
            code=TraceErrorCode.CODE_COUNT,
            field="quantity",
        )
    # The lot row lock keeps two concurrent batches from numbering the same packages.
    Lot.objects.select_for_update().filter(pk=lot.pk).values_list("pk", flat=True).get()
    last = TraceCode.objects.filter(lot=lot).aggregate(last=Max("package_number"))["last"] or 0
    batch = TraceCodeBatch.objects.create(
        store_id=lot.store_id, lot=lot, quantity=quantity, created_by=actor
    )
    codes = {code_new() for _index in range(quantity)}
    while len(codes) < quantity:  # 100-bit codes never collide in practice; be exact anyway
        codes.add(code_new())
    TraceCode.objects.bulk_create(
        [
            TraceCode(
                code=code,
                store_id=lot.store_id,
                lot=lot,
                batch=batch,
                package_number=last + number,
            )
            for number, code in enumerate(sorted(codes), start=1)
        ],
        batch_size=1000,
    )
    return batch


def trace_code_register_scan(
    *, code: TraceCode, visitor_key: str | None = None, now: datetime | None = None
) -> TraceCode:
    """Count a scan with one guarded UPDATE (no read-modify-write, safe under load).

    A visitor reloading the page within SCAN_REPEAT_SECONDS is not counted again, so the
    count means "people who looked", and a high one really suggests a copied label.
    """
    if visitor_key is not None:
        digest = hashlib.sha256(visitor_key.encode()).hexdigest()[:24]
        if not cache.add(f"trace-scan:{code.pk}:{digest}", 1, timeout=SCAN_REPEAT_SECONDS):
            return code
    now = now or timezone.now()
    updated = TraceCode.objects.filter(pk=code.pk, scan_count__lt=SCAN_COUNT_MAX).update(
        scan_count=F("scan_count") + 1,
        first_scanned_at=Coalesce(
            F("first_scanned_at"), Value(now, output_field=models.DateTimeField())
        ),
        last_scanned_at=now,
    )
    if updated:
        code.scan_count += 1
        code.first_scanned_at = code.first_scanned_at or now
        code.last_scanned_at = now
    return code
