"""The staff back office under /service/ (客服工作台): queues, the case page with one form per
allowed move, callbacks due today with their evaluation form, customer archives and the
figures. Server-rendered, usable on a 1280-wide screen and on a phone.

Every page checks the role's permission (agent, supervisor, manager through the app's role
grants, apps/customer_service/roles.py) and answers 403 otherwise; every move calls one
service, which checks the permission and the state machine again. Views stay thin: reads come
from selectors.py / reports.py, writes from services/.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.core.errors import ApplicationError
from apps.customer_service import forms as cs_forms
from apps.customer_service.models import CallbackVisit, Case, CaseEntry, CustomerProfile, Tier
from apps.customer_service.reports import (
    dashboard_chart_data,
    dashboard_csv_rows,
    service_dashboard,
)
from apps.customer_service.selectors import (
    CALLBACK_SCOPES,
    QUEUE_LABELS,
    calendar_warnings,
    callbacks_for_desk,
    case_customer_history,
    case_get_for_staff,
    case_moves_allowed,
    case_next_due,
    case_queue_rows,
    case_timeline,
    compensation_coupons,
    customer_archive,
    customer_profiles_list,
    sla_colour,
)
from apps.customer_service.services import (
    canned_reply_render,
    case_acknowledge,
    case_assign,
    case_claim,
    case_compensate_coupon,
    case_compensate_refund,
    case_entry_publish,
    case_lot_release,
    case_merge,
    case_pend,
    case_reject,
    case_reply,
    case_resolve,
    case_set_priority,
    case_start,
)
from apps.customer_service.services.callbacks import (
    callback_attempt_failed,
    callback_complete,
    customer_confidential_read,
    customer_tier_override,
)
from apps.stores.models import Store

DESK_PERMISSION = "customer_service.change_case"
REPORTS_PERMISSION = "customer_service.view_service_dashboard"
ARCHIVE_PERMISSION = "customer_service.view_customerprofile"
OVERRIDE_PERMISSION = "customer_service.override_tier"


def _forbidden(request: HttpRequest, message: str = "") -> HttpResponse:
    context = {"message": message or _("您没有访问客服工作台这一页的权限。")}
    return render(request, "service/forbidden.html", context, status=403)


def desk_permission(permission: str):
    """Signed-out visitors go to the log-in page; signed-in users without `permission`
    (shoppers, merchants, an agent on a supervisor's page) get a 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not request.user.has_perm(permission):
                return _forbidden(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _time_left(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "—"
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    text = (
        _("%(h)d 小时 %(m)d 分") % {"h": minutes // 60, "m": minutes % 60}
        if minutes >= 60
        else _("%(m)d 分钟") % {"m": minutes}
    )
    if minutes >= 48 * 60:
        text = _("%(d)d 天") % {"d": minutes // (24 * 60)}
    return _("剩 %(t)s") % {"t": text} if seconds >= 0 else _("超时 %(t)s") % {"t": text}


# --- queues -------------------------------------------------------------------------------


@require_GET
@desk_permission(DESK_PERMISSION)
def desk_queue(request: HttpRequest) -> HttpResponse:
    queue = request.GET.get("queue", "mine")
    if queue not in QUEUE_LABELS:
        queue = "mine"
    category = request.GET.get("category", "")
    store = request.GET.get("store", "")
    store_id = int(store) if store.isdigit() else None
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    now = timezone.now()
    rows, has_next = case_queue_rows(
        user=request.user, queue=queue, category=category, store_id=store_id, page=page, now=now
    )
    case_url = reverse("customer_service:desk_case", kwargs={"number": "-"})[:-2]
    for case in rows:
        case.desk_url = f"{case_url}{case.number}/"
        case.sla = sla_colour(case, now=now)
        case.due = case_next_due(case)
        case.time_left = _time_left(case.due, now)
    context = {
        "queue": queue,
        "queues": [(key, _(label)) for key, label in QUEUE_LABELS.items()],
        "category": category,
        "categories": Case.Category.choices,
        "store_id": store_id,
        "stores": Store.objects.order_by("name").values_list("pk", "name"),
        "rows": rows,
        "page": page,
        "has_next": has_next,
        "calendar_warnings": calendar_warnings(),
        "nav": "queue",
    }
    return render(request, "service/queue.html", context)


@require_POST
@desk_permission(DESK_PERMISSION)
def desk_claim(request: HttpRequest, number: str) -> HttpResponse:
    """Claim from the queue row (the case page has the same button)."""
    case = _case_or_404(request, number)
    try:
        case_claim(case=case, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, f"{case.number}: {exc.message}")
    else:
        messages.success(request, _("已认领 %(number)s。") % {"number": case.number})
    back = request.POST.get("next", "")
    return redirect(
        back if back.startswith("/service/") else reverse("customer_service:desk_queue")
    )


# --- the case page and its moves ----------------------------------------------------------


@dataclass(frozen=True)
class Move:
    title: str
    submit: str
    success: str
    call: Callable
    form: Callable | None = None  # (case, request, data) -> form
    danger: bool = False


def _ack_form(case, request, data):
    initial = {
        "occurred_at": case.occurred_at,
        "place": case.place,
        "people": case.people,
        "contact_name": case.contact_name,
        "contact_phone": case.contact_phone,
    }
    return cs_forms.AcknowledgeForm(data, initial=initial)


def _reply(case, actor, data):
    parts = [data["body"].strip()] if data["body"].strip() else []
    if data["canned"] is not None:
        parts.append(canned_reply_render(body=data["canned"].body, case=case, agent=actor))
    return case_reply(case=case, actor=actor, body="\n".join(parts), kind=data["kind"])


def _publish(case, actor, data):
    entries = case.entries.filter(kind=CaseEntry.Kind.PARTNER, is_public=False)
    for entry in entries:
        case_entry_publish(entry=entry, actor=actor)


def _merge(case, actor, data):
    into = Case.objects.filter(number=data["into"].strip()).first()
    if into is None:
        raise ApplicationError(
            _("工单号不存在。"), code="case_not_found", fields={"into": [_("工单号不存在。")]}
        )
    return case_merge(case=case, into=into, actor=actor, reason=data["reason"])


def _plain(form_class):
    return lambda case, request, data: form_class(data)


MOVES: dict[str, Move] = {
    "claim": Move(
        _lazy("认领"),
        _lazy("由我处理"),
        _lazy("已认领。"),
        lambda c, a, d: case_claim(case=c, actor=a),
    ),
    "acknowledge": Move(
        _lazy("受理并致歉"),
        _lazy("受理"),
        _lazy("已受理，致歉回复已发给客户。"),
        lambda c, a, d: case_acknowledge(case=c, actor=a, **d),
        _ack_form,
    ),
    "assign": Move(
        _lazy("指派责任人 / 改派"),
        _lazy("指派"),
        _lazy("已指派。"),
        lambda c, a, d: case_assign(case=c, actor=a, **d),
        _plain(cs_forms.AssignForm),
    ),
    "start": Move(
        _lazy("开始处理 / 恢复处理"),
        _lazy("开始处理"),
        _lazy("工单处理中。"),
        lambda c, a, d: case_start(case=c, actor=a, **d),
        _plain(cs_forms.StartForm),
    ),
    "pend": Move(
        _lazy("等待客户 / 商家（暂停计时）"),
        _lazy("暂停计时"),
        _lazy("已暂停计时。"),
        lambda c, a, d: case_pend(case=c, actor=a, **d),
        _plain(cs_forms.PendForm),
    ),
    "resolve": Move(
        _lazy("解决（原因、结果、补偿）"),
        _lazy("提交处理结果"),
        _lazy("已解决，等待客户确认；回访已排期。"),
        lambda c, a, d: case_resolve(case=c, actor=a, **d),
        lambda case, request, data: cs_forms.ResolveForm(
            data, initial={"compensation": case.compensation}
        ),
    ),
    "reply": Move(
        _lazy("回复客户 / 内部备注"),
        _lazy("发送"),
        _lazy("已发送。"),
        _reply,
        _plain(cs_forms.StaffReplyForm),
    ),
    "publish": Move(
        _lazy("公开商家回复"), _lazy("公开给客户"), _lazy("商家回复已公开。"), _publish
    ),
    "coupon": Move(
        _lazy("补偿：发放优惠券"),
        _lazy("发放"),
        _lazy("优惠券已发放给客户。"),
        lambda c, a, d: case_compensate_coupon(case=c, actor=a, **d),
        lambda case, request, data: cs_forms.CouponCompensationForm(
            data, coupons=compensation_coupons(case=case)
        ),
    ),
    "refund": Move(
        _lazy("补偿：部分退款（生成售后单）"),
        _lazy("生成售后单"),
        _lazy("已生成退款售后单。"),
        lambda c, a, d: case_compensate_refund(case=c, actor=a, **d),
        _plain(cs_forms.RefundCompensationForm),
    ),
    "priority": Move(
        _lazy("调整优先级"),
        _lazy("调整"),
        _lazy("优先级已调整，时限重新计算。"),
        lambda c, a, d: case_set_priority(case=c, actor=a, **d),
        _plain(cs_forms.PriorityForm),
    ),
    "reject": Move(
        _lazy("不予受理并关闭"),
        _lazy("不予受理"),
        _lazy("工单已关闭。"),
        lambda c, a, d: case_reject(case=c, actor=a, **d),
        _plain(cs_forms.ReasonForm),
        danger=True,
    ),
    "merge": Move(
        _lazy("合并到另一工单"),
        _lazy("合并"),
        _lazy("工单已合并。"),
        _merge,
        _plain(cs_forms.MergeForm),
    ),
    "lot_release": Move(
        _lazy("解除批次暂停销售"),
        _lazy("解除暂停"),
        _lazy("批次已恢复销售。"),
        lambda c, a, d: case_lot_release(case=c, actor=a, **d),
        _plain(cs_forms.ReasonForm),
    ),
}


def _case_or_404(request: HttpRequest, number: str) -> Case:
    case = case_get_for_staff(user=request.user, number=number)
    if case is None:
        raise Http404("case")
    return case


def _move_form(name: str, case: Case, request: HttpRequest, data=None) -> forms.Form | None:
    move = MOVES[name]
    if move.form is None:
        return None
    form = move.form(case, request, data)
    form.auto_id = f"id_{name}_%s"
    return form


def _render_case(
    request: HttpRequest, case: Case, *, bound: tuple[str, forms.Form | None] | None = None
) -> HttpResponse:
    now = timezone.now()
    timeline = case_timeline(case=case)
    unpublished = any(
        row.kind == "entry" and row.item.kind == CaseEntry.Kind.PARTNER and not row.item.is_public
        for row in timeline
    )
    allowed = case_moves_allowed(
        case=case, user=request.user, has_unpublished_partner_reply=unpublished
    )
    if bound is not None and bound[0] not in allowed:
        allowed.insert(0, bound[0])
    moves = [
        {
            "name": name,
            "move": MOVES[name],
            "form": bound[1]
            if bound is not None and bound[0] == name
            else _move_form(name, case, request),
            "is_bound": bound is not None and bound[0] == name,
        }
        for name in allowed
    ]
    due = case_next_due(case)
    context = {
        "case": case,
        "timeline": timeline,
        "moves": moves,
        "history": case_customer_history(case=case),
        "callbacks": list(case.callbacks.all()),
        "due": due,
        "sla": sla_colour(case, now=now),
        "time_left": _time_left(due, now) if due else "",
        "nav": "queue",
    }
    return render(request, "service/case.html", context)


@require_GET
@desk_permission(DESK_PERMISSION)
def desk_case(request: HttpRequest, number: str) -> HttpResponse:
    return _render_case(request, _case_or_404(request, number))


@require_POST
@desk_permission(DESK_PERMISSION)
def desk_case_move(request: HttpRequest, number: str, move: str) -> HttpResponse:
    """One move: its form is checked, its service called; a refusal shows on the case page
    with the service's status (403 not allowed, 409 not from this state, 400 bad input)."""
    if move not in MOVES:
        raise Http404("move")
    case = _case_or_404(request, number)
    form = _move_form(move, case, request, request.POST)
    if form is not None and not form.is_valid():
        response = _render_case(request, case, bound=(move, form))
        response.status_code = 400
        return response
    try:
        MOVES[move].call(case, request.user, form.cleaned_data if form is not None else {})
    except ApplicationError as exc:
        if form is None:
            form = forms.Form(data={})  # bound and valid: it carries the refusal
            form.is_valid()
        for field, errors in exc.fields.items():
            for error in errors if isinstance(errors, list) else [errors]:
                form.add_error(field if field in form.fields else None, str(error))
        if not exc.fields or not any(f in form.fields for f in exc.fields):
            form.add_error(None, exc.message)
        response = _render_case(
            request, case_get_for_staff(user=request.user, number=number), bound=(move, form)
        )
        response.status_code = exc.status_code
        return response
    messages.success(request, MOVES[move].success)
    return redirect("customer_service:desk_case", number=number)


# --- callbacks ----------------------------------------------------------------------------


@require_GET
@desk_permission(DESK_PERMISSION)
def desk_callbacks(request: HttpRequest) -> HttpResponse:
    scope = request.GET.get("scope", "today")
    scope = scope if scope in CALLBACK_SCOPES else "today"
    visits = list(callbacks_for_desk(user=request.user, scope=scope)[:200])
    return render(
        request,
        "service/callbacks.html",
        {
            "visits": visits,
            "scope": scope,
            "scopes": [(key, _(label)) for key, label in CALLBACK_SCOPES.items()],
            "today": timezone.localdate(),
            "nav": "callbacks",
        },
    )


def _visit_or_404(pk: int) -> CallbackVisit:
    visit = (
        CallbackVisit.objects.select_related("form", "case", "customer", "assigned_to")
        .filter(pk=pk)
        .first()
    )
    if visit is None:
        raise Http404("callback")
    return visit


@require_http_methods(["GET", "POST"])
@desk_permission(DESK_PERMISSION)
def desk_callback(request: HttpRequest, pk: int) -> HttpResponse:
    """A callback: the evaluation form (score 1–5 and the form's questions), or one more
    failed try (the third ends it as unreachable)."""
    visit = _visit_or_404(pk)
    questions = list(visit.form.questions) if visit.form else []
    action = request.POST.get("action", "complete")
    data = request.POST if request.method == "POST" and action == "complete" else None
    form = cs_forms.EvaluationAnswerForm(data, questions=questions, auto_id="id_eval_%s")
    status = 200
    if request.method == "POST" and action == "attempt":
        try:
            visit = callback_attempt_failed(
                visit=visit, actor=request.user, note=request.POST.get("note", "")[:200]
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            status = exc.status_code
        else:
            messages.success(request, _("已记录第 %(n)d 次未联系上。") % {"n": visit.attempts})
            return redirect("customer_service:desk_callback", pk=visit.pk)
    elif request.method == "POST":
        try:
            if form.is_valid():
                callback_complete(
                    visit=visit,
                    actor=request.user,
                    score=int(form.cleaned_data["score"]),
                    answers=form.answers(),
                    note=form.cleaned_data["note"],
                )
                messages.success(request, _("回访评价已归档。"))
                return redirect("customer_service:desk_callback_print", pk=visit.pk)
            status = 400
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = exc.status_code
    return render(
        request,
        "service/callback.html",
        {"visit": visit, "form": form, "nav": "callbacks"},
        status=status,
    )


@require_GET
@desk_permission(DESK_PERMISSION)
def desk_callback_print(request: HttpRequest, pk: int) -> HttpResponse:
    visit = _visit_or_404(pk)
    return render(
        request,
        "customer_service/callback_print.html",
        {"visit": visit, "answers": list((visit.answers or {}).items())},
    )


# --- customer archives --------------------------------------------------------------------


@require_GET
@desk_permission(ARCHIVE_PERMISSION)
def desk_customers(request: HttpRequest) -> HttpResponse:
    tier = request.GET.get("tier", "")
    tier = tier if tier in Tier.values else ""
    query = request.GET.get("q", "").strip()[:40]
    profiles = list(customer_profiles_list(tier=tier, query=query)[:100])
    context = {
        "profiles": profiles,
        "tier": tier,
        "tiers": Tier.choices,
        "q": query,
        "nav": "customers",
    }
    return render(request, "service/customers.html", context)


def _render_archive(request, user_id: int, *, confidential=None, status=200, tier_form=None):
    archive = customer_archive(user_id=user_id)
    if archive is None:
        raise Http404("customer")
    profile = archive["profile"]
    labels = {
        name: CustomerProfile._meta.get_field(name).verbose_name
        for name in CustomerProfile.CONFIDENTIAL_FIELDS
    }
    context = {
        **archive,
        "confidential": [(labels[k], v) for k, v in confidential.items()] if confidential else None,
        "can_override": request.user.has_perm(OVERRIDE_PERMISSION) and profile is not None,
        "nav": "customers",
        "tier_form": tier_form
        or cs_forms.TierOverrideForm(
            initial={"tier": profile.tier_override if profile else ""}, auto_id="id_tier_%s"
        ),
    }
    return render(request, "service/customer.html", context, status=status)


@require_GET
@desk_permission(ARCHIVE_PERMISSION)
def desk_customer(request: HttpRequest, user_id: int) -> HttpResponse:
    return _render_archive(request, user_id)


@require_GET
@desk_permission(ARCHIVE_PERMISSION)
def desk_customer_confidential(request: HttpRequest, user_id: int) -> HttpResponse:
    """Phone, address and credit notes: only with the permission; every attempt is logged
    (customer_confidential_read writes the ConfidentialAccess row)."""
    profile = CustomerProfile.objects.filter(user_id=user_id).first()
    if profile is None:
        raise Http404("profile")
    try:
        values = customer_confidential_read(profile=profile, actor=request.user)
    except ApplicationError as exc:
        return _forbidden(request, exc.message)
    return _render_archive(request, user_id, confidential=values)


@require_POST
@desk_permission(OVERRIDE_PERMISSION)
def desk_customer_tier(request: HttpRequest, user_id: int) -> HttpResponse:
    profile = CustomerProfile.objects.filter(user_id=user_id).first()
    if profile is None:
        raise Http404("profile")
    form = cs_forms.TierOverrideForm(request.POST, auto_id="id_tier_%s")
    if form.is_valid():
        try:
            customer_tier_override(profile=profile, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            return _render_archive(request, user_id, status=exc.status_code, tier_form=form)
        messages.success(request, _("客户等级已调整。"))
        return redirect("customer_service:desk_customer", user_id=user_id)
    return _render_archive(request, user_id, status=400, tier_form=form)


# --- reports ------------------------------------------------------------------------------


@require_GET
@desk_permission(REPORTS_PERMISSION)
def desk_reports(request: HttpRequest) -> HttpResponse:
    """The figures (by category, store, product, lot; SLA met; medians; reopen rate; callback
    completion; satisfaction; weekly trend) as ECharts charts, tables and a CSV export."""
    days = request.GET.get("days", "90")
    days = min(int(days), 3650) if days.isdigit() and int(days) > 0 else 90
    board = service_dashboard(days=days)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="service-{days}d.csv"'
        response.write("\ufeff")
        csv.writer(response).writerows(dashboard_csv_rows(board))
        return response
    context = {
        "board": board,
        "days": days,
        "chart_data": dashboard_chart_data(board),
        "tables": [
            (_("按类别"), board.by_category),
            (_("按店铺"), board.by_store),
            (_("按商品"), board.by_product),
            (_("按批次"), board.by_lot),
        ],
        "nav": "reports",
    }
    return render(request, "service/reports.html", context)
