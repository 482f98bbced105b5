"""Pages: the public trace page and anchors, and the merchant's printable certificate, code
sheets and CSVs (back-office, scoped through the selectors)."""

import csv

from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.traceability.models import Certificate, TraceCode
from apps.traceability.qr import qr_svg
from apps.traceability.selectors import (
    anchor_dates,
    anchors_on,
    certificates_for_user,
    code_batches_for_user,
    lot_primary_code,
    trace_code_get,
    trace_code_scan_warning,
    trace_complaint_url,
    trace_lot_cache_key,
    trace_page_build,
    trace_url,
)
from apps.traceability.services.codes import trace_code_register_scan
from apps.traceability.throttling import trace_lookup_allowed, trace_lookup_missed, visitor_key

SHEET_PAGE_SIZE = 1000
# Short: a row edited behind the application's back shows on the badge within this time.
LOT_CACHE_SECONDS = 300


def public_base_url(request: HttpRequest) -> str:
    """The scheme and host shoppers reach this site on, as the back office was opened."""
    return request.build_absolute_uri("/").rstrip("/")


def _not_found(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "traceability/not_found.html", {"code": code[:40]}, status=404)


@never_cache
@require_GET
def trace_page(request: HttpRequest, code: str) -> HttpResponse:
    if not trace_lookup_allowed(request):
        return render(request, "traceability/rate_limited.html", status=429)
    trace_code = trace_code_get(code=code)
    if trace_code is None:
        trace_lookup_missed(request)
        return _not_found(request, code)
    trace_code_register_scan(code=trace_code, visitor_key=visitor_key(request))
    lot = trace_code.lot
    # The lot's part of the page (its timeline may hold hundreds of events, each re-hashed)
    # is the same for every code of the lot until the lot or its store's chain moves on.
    key = trace_lot_cache_key(lot)
    lot_html = cache.get(key)
    if lot_html is None:
        page = trace_page_build(trace_code=trace_code)
        lot_html = render_to_string("traceability/_trace_lot.html", {"page": page}, request)
        cache.set(key, lot_html, LOT_CACHE_SECONDS)
    return render(
        request,
        "traceability/trace_page.html",
        {
            "code": trace_code,
            "lot": lot,
            "product": lot.product,
            "lot_html": mark_safe(lot_html),  # rendered (and escaped) by the template above
            "scan_warning": trace_code_scan_warning(trace_code),
            "complaint_url": trace_complaint_url(lot),
        },
    )


@require_GET
def anchors(request: HttpRequest) -> HttpResponse:
    page = Paginator(anchor_dates(), 14).get_page(request.GET.get("page"))
    by_day: dict = {}
    for anchor in anchors_on(dates=list(page.object_list)):
        by_day.setdefault(anchor.anchor_date, []).append(anchor)
    page.object_list = [(day, by_day.get(day, [])) for day in page.object_list]
    return render(request, "traceability/anchors.html", {"page_obj": page})


def _svg(text: str, size_mm: int | None = None) -> str:
    # qr_svg builds the markup from numbers only, so it is safe to mark as such.
    return mark_safe(qr_svg(text, size_mm=size_mm))


@staff_member_required
@require_GET
def certificate_print(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = certificates_for_user(user=request.user).filter(pk=pk).first()
    if certificate is None:
        raise Http404
    code = lot_primary_code(lot=certificate.lot)
    url = trace_url(code.code, base_url=public_base_url(request)) if code else ""
    return render(
        request,
        "traceability/certificate_print.html",
        {
            "certificate": certificate,
            "trace_url": url,
            "qr": _svg(url) if url else "",
            "basis_choices": Certificate.Basis.choices,
        },
    )


@staff_member_required
@require_GET
def code_batch_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    batch = code_batches_for_user(user=request.user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    base = public_base_url(request)
    codes = (
        TraceCode.objects.filter(batch=batch)
        .order_by("package_number")
        .only("code", "package_number")
    )
    page = Paginator(codes, SHEET_PAGE_SIZE).get_page(request.GET.get("page"))
    labels = [
        {
            "code": code.code,
            "number": code.package_number,
            "url": trace_url(code.code, base_url=base),
            "qr": _svg(trace_url(code.code, base_url=base)),
        }
        for code in page.object_list
    ]
    return render(
        request,
        "traceability/code_sheet.html",
        {"batch": batch, "labels": labels, "page_obj": page},
    )


@staff_member_required
@require_GET
def code_batch_csv(request: HttpRequest, pk: int) -> HttpResponse:
    batch = code_batches_for_user(user=request.user).filter(pk=pk).first()
    if batch is None:
        raise Http404
    base = public_base_url(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="trace-codes-{batch.pk}-{stamp}.csv"'
    response.write("\ufeff")  # BOM, so Excel and label software read the Chinese as UTF-8
    writer = csv.writer(response)
    writer.writerow([_("序号"), _("追溯码"), _("追溯网址"), _("批次号"), _("商品")])
    rows = TraceCode.objects.filter(batch=batch).order_by("package_number")
    for code in rows.values_list("package_number", "code").iterator(chunk_size=2000):
        writer.writerow(
            [
                code[0],
                code[1],
                trace_url(code[1], base_url=base),
                batch.lot.lot_number,
                batch.lot.product.title,
            ]
        )
    return response
