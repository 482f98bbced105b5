"""Pages: the public parcel lookup by waybill number and the last four digits of the phone."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.logistics.throttling import track_lookup_allowed, track_lookup_missed
from apps.logistics.tracking_selectors import shipment_timeline, track_lookup


@never_cache
@require_http_methods(["GET", "POST"])
def track_page(request: HttpRequest) -> HttpResponse:
    # POST, so the phone digits stay out of URLs, logs and the browser history.
    number = request.POST.get("number", "").strip()[:40]
    context = {"number": number, "results": None, "not_found": False}
    if request.method != "POST":
        return render(request, "logistics/track.html", context)
    if not track_lookup_allowed(request, number=number):
        return render(
            request, "logistics/track.html", {**context, "rate_limited": True}, status=429
        )
    shipments = track_lookup(tracking_number=number, phone_tail=request.POST.get("phone_tail", ""))
    if not shipments:
        track_lookup_missed(request, number=number)
        return render(request, "logistics/track.html", {**context, "not_found": True}, status=404)
    context["results"] = [
        {"shipment": shipment, "timeline": shipment_timeline(shipment=shipment)}
        for shipment in shipments
    ]
    return render(request, "logistics/track.html", context)
