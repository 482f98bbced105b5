from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "apps.catalog"
    label = "catalog"
    verbose_name = "商品"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.catalog.models import SearchSynonym
        from apps.catalog.search import synonyms_changed

        def forget_synonyms(**kwargs) -> None:
            synonyms_changed()

        # Any edit of the synonym table (admin, shell, migration) reaches the next search.
        post_save.connect(forget_synonyms, sender=SearchSynonym, weak=False)
        post_delete.connect(forget_synonyms, sender=SearchSynonym, weak=False)

        from apps.catalog.receivers import store_products_search_stale
        from apps.stores.signals import store_renamed

        store_renamed.connect(store_products_search_stale, weak=False)
