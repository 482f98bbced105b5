from django.contrib.admin.apps import AdminConfig


class BackofficeAdminConfig(AdminConfig):
    """Django's admin, with Tianjian's site (branding and the workbench first page) as the
    default `admin.site`. Installed in place of "django.contrib.admin"."""

    default_site = "apps.backoffice.site.TianjianAdminSite"

    def ready(self):
        super().ready()
        from django.contrib.admin.templatetags import admin_list

        from apps.backoffice.site import boolean_icon

        # Django writes the yes/no icons' alt text as "True"/"False", untranslated, and every
        # caller (change lists, read-only fields) looks the helper up on this module.
        admin_list._boolean_icon = boolean_icon
