"""The API's token authentication (DRF's, with its query compiled once per process)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from apps.core.prepared import PreparedQuery


class PreparedTokenAuthentication(TokenAuthentication):
    """DRF's token authentication (`Authorization: Token <key>`, same answers and checks) with
    its one query compiled once per process (apps.core.prepared): it runs on every API call."""

    query = PreparedQuery(
        lambda p: (
            TokenAuthentication()
            .get_model()
            .objects.filter(key=p.key)
            .select_related("user")
            .order_by("pk")[:1]
        )
    )

    def authenticate_credentials(self, key):
        found = self.query.run(key=key)
        if not found:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token = found[0]
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
