"""Wholesale buyer pages: apply, the buyer centre, ledger and monthly statements."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.errors import ApplicationError
from apps.wholesale.forms import BuyerApplicationForm, add_service_error
from apps.wholesale.models import BuyerOrganisation
from apps.wholesale.selectors import (
    buyer_organisation_for_user,
    buyer_statement_entries,
    buyer_statement_get_for_user,
    buyer_statement_list_for_organisation,
    credit_entry_list_for_organisation,
    credit_summary,
)
from apps.wholesale.services import buyer_organisation_apply

LEDGER_PAGE_SIZE = 30
APPLICATION_FIELDS = [
    "name",
    "kind",
    "licence_number",
    "contact_name",
    "contact_phone",
    "address",
]


@login_required
@require_GET
def centre(request: HttpRequest) -> HttpResponse:
    organisation = buyer_organisation_for_user(user=request.user)
    context: dict = {"organisation": organisation}
    if organisation is not None:
        context.update(
            summary=credit_summary(organisation=organisation),
            entries=list(credit_entry_list_for_organisation(organisation=organisation)[:10]),
            statements=list(buyer_statement_list_for_organisation(organisation=organisation)[:12]),
        )
    return render(request, "wholesale/centre.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    organisation = buyer_organisation_for_user(user=request.user)
    can_apply = organisation is None or organisation.status == BuyerOrganisation.Status.REJECTED
    if request.method == "POST":
        form = BuyerApplicationForm(request.POST, request.FILES)
    else:
        initial = {f: getattr(organisation, f) for f in APPLICATION_FIELDS} if organisation else {}
        form = BuyerApplicationForm(initial=initial)
    if form.is_bound and form.is_valid():
        try:
            buyer_organisation_apply(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("批发采购申请已提交，审核结果会通过站内消息通知您。"))
            return redirect("wholesale:centre")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "wholesale/apply.html",
        {"form": form, "organisation": organisation, "can_apply": can_apply},
        status=status,
    )


@login_required
@require_GET
def ledger(request: HttpRequest) -> HttpResponse:
    organisation = buyer_organisation_for_user(user=request.user)
    if organisation is None:
        return redirect("wholesale:centre")
    page = Paginator(
        credit_entry_list_for_organisation(organisation=organisation), LEDGER_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "wholesale/ledger.html",
        {
            "organisation": organisation,
            "summary": credit_summary(organisation=organisation),
            "page_obj": page,
            "entries": page.object_list,
        },
    )


def _statement_context(request: HttpRequest, pk: int) -> dict:
    statement = buyer_statement_get_for_user(user=request.user, pk=pk)
    if statement is None:
        raise Http404("statement")
    return {
        "statement": statement,
        "organisation": statement.organisation,
        "entries": list(buyer_statement_entries(statement=statement)),
    }


@login_required
@require_GET
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "wholesale/statement_detail.html", _statement_context(request, pk))


@login_required
@require_GET
def statement_print(request: HttpRequest, pk: int) -> HttpResponse:
    return render(request, "wholesale/statement_print.html", _statement_context(request, pk))
