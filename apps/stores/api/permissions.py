"""Who may call the merchant side of the API: members of a store, or platform staff who see
every store. Which rows each may touch is the selectors' business (stores.selectors)."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.stores.selectors import user_can_manage_all_stores, user_is_merchant


class IsStoreMemberOrStaff(BasePermission):
    """Each app's merchant endpoints subclass it only to say, in `message`, what is refused."""

    message = _("只有店铺成员或平台人员可以使用商家接口。")

    def has_permission(self, request: Request, view) -> bool:
        return user_is_merchant(request.user) or user_can_manage_all_stores(request.user)
