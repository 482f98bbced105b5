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
