from django.apps import AppConfig


class AftersalesConfig(AppConfig):
    name = "apps.aftersales"
    label = "aftersales"
    verbose_name = "售后与评价"

    def ready(self) -> None:
        from apps.aftersales import receivers  # noqa: F401  (connects the signal receivers)
        from apps.catalog.fragments import version_part_register

        # The product page shows the rating and the latest reviews with photos and buyers.
        version_part_register(
            "aftersales.reviews",
            "SELECT md5(string_agg(concat("
            "  r.id, ':', r.xmin, ':', r.ctid, ':', u.xmin, ':', u.ctid, ':', ("
            "  SELECT string_agg(concat(ph.id, ':', ph.xmin, ':', ph.ctid), ',' ORDER BY ph.id) "
            "  FROM aftersales_reviewphoto ph WHERE ph.review_id = r.id)), ',' ORDER BY r.id)) "
            "FROM aftersales_review r JOIN accounts_user u ON u.id = r.buyer_id "
            "WHERE r.product_id = p.id",
        )
