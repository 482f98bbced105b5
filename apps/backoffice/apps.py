from django.contrib.admin.apps import AdminConfig


class BackofficeAdminConfig(AdminConfig):
    """Django's admin, with Tianjian's site (branding and the workbench first page) as the
    default `admin.site`. Installed in place of "django.contrib.admin"."""

    default_site = "apps.backoffice.site.TianjianAdminSite"
