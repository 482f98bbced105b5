"""Store pages: the 入驻 application and the applicant's view of its status."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.errors import ApplicationError
from apps.stores.divisions import picker_cities, picker_counties
from apps.stores.forms import StoreApplicationForm, add_application_error
from apps.stores.models import StoreApplication
from apps.stores.selectors import store_application_list_for_user
from apps.stores.services import store_application_submit


@login_required
@require_http_methods(["GET", "POST"])
def store_apply(request: HttpRequest) -> HttpResponse:
    open_application = (
        store_application_list_for_user(user=request.user)
        .filter(status=StoreApplication.Status.SUBMITTED)
        .first()
    )
    if request.method == "POST":
        form = StoreApplicationForm(request.POST, request.FILES)
    else:
        form = StoreApplicationForm()
    if form.is_bound and form.is_valid():
        try:
            store_application_submit(applicant=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_application_error(form, exc)
        else:
            messages.success(request, _("入驻申请已提交，我们会尽快审核并通过站内消息通知您。"))
            return redirect("stores:application_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "stores/apply.html",
        {"form": form, "open_application": open_application},
        status=status,
    )


@login_required
def store_application_list(request: HttpRequest) -> HttpResponse:
    applications = store_application_list_for_user(user=request.user)
    return render(request, "stores/application_list.html", {"applications": applications})


@require_GET
@cache_control(public=True, max_age=86400)  # official codes change once a year at most
def division_children(request: HttpRequest) -> JsonResponse:
    """The county picker's next level: ?province=CODE gives its cities, ?city=CODE its counties.

    Read from the packaged division table in memory: no query, no login (the codes are public).
    """
    if province := request.GET.get("province", "").strip()[:12]:
        children = picker_cities(province)
    else:
        children = picker_counties(request.GET.get("city", "").strip()[:12])
    return JsonResponse([{"code": code, "name": name} for code, name in children], safe=False)
