"""The share button (分享赚佣金) on product and store pages, without the catalog knowing
distribution: `{% load distribution_tags %}`, then `{% share_button product=product %}` or
`{% share_button store=store %}`.

An anonymous visitor costs no query (nothing is shown); a signed-in user costs one
(`share_state_for_user`). An active promoter gets the page's share link with their code and the
page's poster; anyone else, while distribution is on, a link to the promoter centre.
"""

from django import template
from django.urls import reverse
from django.utils.http import urlencode

from apps.distribution.selectors import share_state_for_user, share_url

register = template.Library()


@register.inclusion_tag("distribution/tags/share_button.html", takes_context=True)
def share_button(context, product=None, store=None) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    state = share_state_for_user(user_id=user.pk)
    if not state.is_enabled:
        return {"show": False}
    if state.code is None:
        return {"show": True, "centre_url": reverse("distribution:centre")}
    target = product if product is not None else store
    query = {"product": product.pk} if product is not None else {"store": store.slug}
    return {
        "show": True,
        "code": state.code,
        "link": share_url(target.get_absolute_url(), state.code),
        "poster_url": f"{reverse('distribution:poster')}?{urlencode(query)}",
        "is_store": product is None,
    }
