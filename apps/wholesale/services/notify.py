from django.urls import reverse

from apps.accounts.services import notification_send
from apps.wholesale.models import BuyerOrganisation


def members_notify(
    organisation: BuyerOrganisation, *, title: str, body: str, url: str = ""
) -> None:
    """Tell every member of an organisation in the site inbox (and by e-mail after commit)."""
    url = url or reverse("wholesale:centre")
    for member in organisation.members.select_related("user"):
        notification_send(user=member.user, title=title, body=body, url=url)
