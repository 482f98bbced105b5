from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.accounts import selectors, services
from apps.accounts.forms import ProfileForm
from apps.core.errors import ApplicationError, NotFoundError

INBOX_PAGE_SIZE = 20


def store_apply_url() -> str:
    # The stores app owns this page; until its URL exists, fall back to the fixed path.
    try:
        return reverse("stores:apply")
    except NoReverseMatch:
        return "/stores/apply/"


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_update_profile(user=user, name=form.cleaned_data["name"])
            except ApplicationError as exc:
                form.add_error("name", exc.message)
            else:
                messages.success(request, _("资料已保存。"))
                return redirect("accounts:profile")
    else:
        form = ProfileForm(initial={"name": user.name})
    context = {"form": form, "store_apply_url": store_apply_url()}
    return render(request, "accounts/profile.html", context)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    paginator = Paginator(selectors.notification_list(user=request.user), INBOX_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "accounts/inbox.html", {"page": page})


def _safe_next(request: HttpRequest, url: str) -> str | None:
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else None


@login_required
@require_POST
def inbox_mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification = selectors.notification_get_for_user(user=request.user, notification_id=pk)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    services.notification_mark_read(user=request.user, notification_ids=[notification.pk])
    # "Open" marks the message read and follows its link in one click.
    if request.POST.get("open") and (target := _safe_next(request, notification.url)):
        return redirect(target)
    return redirect(_safe_next(request, request.POST.get("next", "")) or "accounts:inbox")


@login_required
@require_POST
def inbox_mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_read(user=request.user)
    if count:
        messages.success(request, _("已将 %(count)d 条消息标为已读。") % {"count": count})
    return redirect("accounts:inbox")
