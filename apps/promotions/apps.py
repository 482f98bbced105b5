from django.apps import AppConfig


class PromotionsConfig(AppConfig):
    name = "apps.promotions"
    label = "promotions"
    verbose_name = "营销活动"

    def ready(self) -> None:
        from apps.catalog.fragments import key_part_register, version_part_register

        # The product page shows the running flash price of its SKUs with a countdown (to the
        # minute while one runs) and the badges of "more from this store" from the running
        # index (promotion_tags reads it once per request; the key holds the same one).
        version_part_register(
            "promotions.flash",
            "SELECT string_agg(concat(f.id, ':', f.xmin, ':', f.ctid, ':', "
            "  (f.is_active AND f.starts_at <= now() AND f.ends_at > now())), ',' ORDER BY f.id) "
            "  || CASE WHEN bool_or(f.is_active AND f.starts_at <= now() AND f.ends_at > now()) "
            "     THEN date_trunc('minute', now())::text ELSE '' END "
            "FROM promotions_flashprice f JOIN catalog_sku k ON k.id = f.sku_id "
            "WHERE k.product_id = p.id",
        )
        from apps.promotions.templatetags.promotion_tags import running_index_for_request

        def running_index_key(request) -> str:
            index = running_index_for_request(request)
            return repr(
                (
                    sorted(index.flash_sku_ids),
                    sorted(index.flash_product_ids),
                    sorted(index.store_ids),
                    index.platform_wide,
                )
            )

        key_part_register("promotions.running_index", running_index_key)
