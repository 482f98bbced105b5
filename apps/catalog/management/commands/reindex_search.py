from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from apps.catalog.services.search import products_mark_search_stale, products_reindex_stale


class Command(BaseCommand):
    help = (
        "Rebuild the search text of stale products now (the periodic job does it every "
        "SEARCH_REINDEX_INTERVAL_SECONDS). Run it right after a migration that marks every "
        "product stale, so that search does not wait for the job."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="Mark every product stale first.")

    def handle(self, *args, all: bool, **options) -> None:
        if all:
            products_mark_search_stale()
        done = products_reindex_stale()
        self.stdout.write(
            self.style.SUCCESS(_("已重建 %(count)s 件商品的搜索文本。") % {"count": done})
        )
