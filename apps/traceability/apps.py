from django.apps import AppConfig


class TraceabilityConfig(AppConfig):
    name = "apps.traceability"
    label = "traceability"
    verbose_name = "质量追溯"

    def ready(self) -> None:
        from apps.catalog.fragments import version_part_register

        # The product page's 溯源 panel (lot_summary_for_sku) shows the lot supplying the SKU
        # with its producer, certificates, tests and public trace code, and which lot that is
        # depends on today's date (expiry): all of it goes into the cached body's version.
        version_part_register(
            "traceability.lots",
            "SELECT string_agg(concat(l.id, ':', l.xmin, ':', l.ctid, ':', pa.xmin, ':', ("
            "  SELECT string_agg(concat(c.id, ':', c.xmin, ':', c.ctid), ',' ORDER BY c.id) "
            "  FROM traceability_certificate c WHERE c.lot_id = l.id), ':', ("
            "  SELECT string_agg(concat(i.id, ':', i.xmin, ':', i.ctid), ',' ORDER BY i.id) "
            "  FROM traceability_inspection i WHERE i.lot_id = l.id), ':', ("
            "  SELECT min(t.id) FROM traceability_tracecode t "
            "  WHERE t.lot_id = l.id AND t.package_number IS NULL)), "
            "  ',' ORDER BY ls.sku_id, l.id) || current_date::text "
            "FROM traceability_lot_skus ls "
            "JOIN catalog_sku k ON k.id = ls.sku_id "
            "JOIN traceability_lot l ON l.id = ls.lot_id "
            "LEFT JOIN traceability_party pa ON pa.id = l.producer_id "
            "WHERE k.product_id = p.id",
        )
