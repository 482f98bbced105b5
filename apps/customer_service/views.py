"""Storefront complaint pages (投诉反馈): file a complaint, follow it, add information, confirm
or reopen the result. Signed-in shoppers see their own cases; an anonymous visitor (from a
trace page) files with an SMS-verified phone and follows the case through its secret link."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited

from apps.accounts.phones import phone_mask
from apps.accounts.sms import sms_send
from apps.core.errors import ApplicationError
from apps.customer_service.forms import (
    AnonymousComplaintForm,
    ComplaintForm,
    CustomerAddForm,
    PhoneCodeForm,
    ReopenForm,
)
from apps.customer_service.models import Case, CaseEntry
from apps.customer_service.selectors import (
    case_entries_for_customer,
    case_get_by_key,
    case_get_for_customer,
    case_list_for_customer,
    case_next_due,
    complaint_subject_for,
    sla_colour,
)
from apps.customer_service.services import case_confirm, case_open, case_reopen, case_reply
from apps.customer_service.services.surveys import survey_answer, survey_invite_get
from apps.customer_service.services.verification import phone_code_check, phone_code_send


def _case_url(case: Case, *, by_key: bool) -> str:
    if by_key:
        return reverse("customer_service:case_by_key", kwargs={"key": case.public_key})
    return case.get_absolute_url()


@require_http_methods(["GET", "POST"])
def complaint_new(request: HttpRequest) -> HttpResponse:
    signed_in = request.user.is_authenticated
    if not signed_in and (request.GET.get("order") or request.GET.get("aftersale")):
        return redirect_to_login(request.get_full_path())
    subject = complaint_subject_for(user=request.user, params=request.GET)
    if subject is None:
        raise Http404("complaint subject")
    form_class = ComplaintForm if signed_in else AnonymousComplaintForm
    initial = {}
    if subject.lot is not None:
        initial["subject"] = _("对批次 %(lot)s 的反馈") % {"lot": subject.lot.lot_number}
    form = form_class(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                if not signed_in:
                    phone_code_check(phone=data["contact_phone"], code=data["code"])
                case = case_open(
                    channel=subject.channel,
                    category=data["category"],
                    subject=data["subject"],
                    description=data["description"],
                    occurred_at=data["occurred_at"],
                    place=data["place"],
                    contact_name=data["contact_name"],
                    contact_phone=data.get("contact_phone", ""),
                    is_phone_verified=not signed_in,
                    customer=request.user if signed_in else None,
                    opened_by=request.user if signed_in else None,
                    order=subject.order,
                    order_line=subject.order_line,
                    lot=subject.lot,
                    aftersale=subject.aftersale,
                    store=subject.store,
                    photos=data["photos"],
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
            else:
                url = _case_url(case, by_key=not signed_in)
                if not signed_in:
                    sms_send(
                        phone=case.contact_phone,
                        message=_("【田间】投诉 %(number)s 已收到，查看进度：%(url)s")
                        % {"number": case.number, "url": f"{settings.SITE_URL}{url}"},
                    )
                messages.success(request, _("投诉已提交，我们会尽快联系您。"))
                return redirect(url)
        status = 400
    return render(
        request,
        "customer_service/complaint_new.html",
        {"form": form, "subject": subject, "signed_in": signed_in},
        status=status,
    )


@require_POST
def phone_code(request: HttpRequest) -> JsonResponse:
    """Send the SMS code an anonymous complaint needs (rate-limited per IP and per phone)."""
    if is_ratelimited(
        request,
        group="cs-phone-code",
        key="ip",
        rate=settings.CUSTOMER_SERVICE_CODE_RATE,
        increment=True,
    ):
        return JsonResponse(
            {"code": "rate_limited", "message": _("请求过于频繁，请稍后再试。")}, status=429
        )
    form = PhoneCodeForm(request.POST)
    if not form.is_valid():
        return JsonResponse(
            {"code": "invalid", "message": _("请检查手机号。"), "fields": form.errors},
            status=400,
        )
    phone = form.cleaned_data["contact_phone"]
    try:
        phone_code_send(phone=phone)
    except ApplicationError as exc:
        return JsonResponse(
            {"code": exc.code, "message": exc.message, "fields": exc.fields},
            status=exc.status_code,
        )
    return JsonResponse({"sent_to": phone_mask(phone)})


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(case_list_for_customer(user=request.user), 10).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "customer_service/case_list.html",
        {
            "page_obj": page,
            "cases": page.object_list,
            "page_range": page.paginator.get_elided_page_range(page.number),
        },
    )


def _get_case(request: HttpRequest, *, number: str | None, key: str | None) -> Case:
    if key is not None:
        case = case_get_by_key(key=key)
    else:
        if not request.user.is_authenticated:
            raise Http404("case")
        case = case_get_for_customer(user=request.user, number=number)
    if case is None:
        raise Http404("case")
    return case


def _detail(request, case: Case, *, by_key: bool, add_form=None, reopen_form=None, status=200):
    return render(
        request,
        "customer_service/case_detail.html",
        {
            "case": case,
            "by_key": by_key,
            "entries": case_entries_for_customer(case=case),
            "events": case.events.filter(kind="status"),
            "due": case_next_due(case),
            "sla_colour": sla_colour(case),
            "add_form": add_form or CustomerAddForm(),
            "reopen_form": reopen_form or ReopenForm(),
            "can_add": case.status not in Case.FINISHED_STATUSES,
            "can_confirm": case.status == Case.Status.RESOLVED,
            "action_base": _case_url(case, by_key=by_key),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def case_detail(request: HttpRequest, number: str | None = None, key: str | None = None):
    by_key = key is not None
    if not by_key and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    case = _get_case(request, number=number, key=key)
    if request.method == "GET":
        return _detail(request, case, by_key=by_key)
    actor = request.user if request.user.is_authenticated else None
    action = request.POST.get("action", "")
    try:
        if action == "add":
            form = CustomerAddForm(request.POST, request.FILES)
            if not form.is_valid():
                return _detail(request, case, by_key=by_key, add_form=form, status=400)
            try:
                case_reply(
                    case=case,
                    actor=actor,
                    body=form.cleaned_data["body"],
                    kind=CaseEntry.Kind.CUSTOMER,
                    photos=form.cleaned_data["photos"],
                )
            except ApplicationError as exc:
                form.add_service_error(exc)
                return _detail(request, case, by_key=by_key, add_form=form, status=400)
            messages.success(request, _("补充信息已提交。"))
        elif action == "confirm":
            case_confirm(case=case, actor=actor)
            messages.success(request, _("感谢您的确认，我们稍后会回访。"))
        elif action == "reopen":
            form = ReopenForm(request.POST)
            if not form.is_valid():
                return _detail(request, case, by_key=by_key, reopen_form=form, status=400)
            case_reopen(case=case, actor=actor, reason=form.cleaned_data["reason"])
            messages.success(request, _("已重新提交，我们会继续处理。"))
        else:
            raise Http404("action")
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(_case_url(case, by_key=by_key))
    return redirect(_case_url(case, by_key=by_key))


@login_required
@require_http_methods(["GET", "POST"])
def survey_answer_view(request: HttpRequest, token: str) -> HttpResponse:
    """A satisfaction survey, answered once by the customer it was sent to."""
    try:
        invite = survey_invite_get(token=token, user=request.user)
    except ApplicationError as exc:
        return render(
            request, "customer_service/survey.html", {"error": exc.message}, status=exc.status_code
        )
    questions = list(enumerate(invite.survey.questions))
    error = ""
    if invite.used_at is not None:
        error = _("您已填写过这份调查，感谢参与。")
    elif request.method == "POST":
        answers = [request.POST.get(f"q{index}", "") for index, _q in questions]
        try:
            survey_answer(token=token, user=request.user, answers=answers)
        except ApplicationError as exc:
            error = exc.message
        else:
            messages.success(request, _("感谢您的反馈！"))
            return redirect("customer_service:case_list")
    return render(
        request,
        "customer_service/survey.html",
        {"survey": invite.survey, "questions": questions, "error": error, "used": invite.used_at},
        status=400 if error and request.method == "POST" else 200,
    )
