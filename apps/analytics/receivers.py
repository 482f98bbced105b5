"""What analytics does when lower apps announce something (connected in apps.py)."""

from django.dispatch import receiver

from apps.analytics.services.demand import search_term_record
from apps.catalog.signals import search_performed


@receiver(search_performed, dispatch_uid="analytics-search-term")
def search_term_log(sender, *, query: str, user=None, **kwargs) -> None:
    search_term_record(query=query, user=user)
