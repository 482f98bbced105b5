"""The admin site merchants and platform staff work in: named for who is looking, with the
workbench (selectors.workbench_for) as its first page."""

from django.contrib import admin
from django.http import HttpRequest
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.backoffice.selectors import is_platform_staff, workbench_for


class TianjianAdminSite(admin.AdminSite):
    site_title = _("田间后台")
    site_header = _("田间后台")
    index_title = _("工作台")
    index_template = "admin/workbench.html"

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            header = _("田间平台运营") if is_platform_staff(user) else _("田间商家后台")
            context.update(site_header=header, site_title=header)
        return context

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        context = {"workbench": workbench_for(request.user), **(extra_context or {})}
        return super().index(request, context)


def boolean_icon(value) -> str:
    """Django's yes/no/unknown icon with Chinese alt text (screen readers read it aloud)."""
    icon = {True: "yes", False: "no", None: "unknown"}[value]
    alt = {True: _("是"), False: _("否"), None: _("未知")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), alt)
