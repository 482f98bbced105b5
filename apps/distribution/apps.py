from django.apps import AppConfig


class DistributionConfigApp(AppConfig):
    name = "apps.distribution"
    label = "distribution"
    verbose_name = "分销"

    def ready(self) -> None:
        from apps.catalog.fragments import version_part_register
        from apps.distribution import receivers  # noqa: F401

        # The product page's share button (share_state_for_user) shows the newest
        # configuration's switch and the shopper's promoter code: both go into the cached
        # body's version (configurations are append-only, so the newest id says which).
        version_part_register(
            "distribution.share",
            "SELECT concat("
            "  (SELECT max(dc.id) FROM distribution_distributionconfig dc), ':', "
            "  (SELECT concat(pr.id, ':', pr.xmin, ':', pr.ctid) FROM distribution_promoter pr "
            "   WHERE pr.user_id = %(user)s))",
        )
