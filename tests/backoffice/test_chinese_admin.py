"""Every admin page a merchant or an operator opens reads in Chinese: the walk opens each
registered model's change list, add form and one change form, as a merchant and as platform
staff, and fails on an English word that is not a proper name or a unit."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse

from apps.core.roles import MERCHANT, roles_sync
from apps.stores.models import Store, StoreMember

pytestmark = pytest.mark.django_db

# Names, codes and units people read as they are.
ALLOWED = {
    "API",
    "CSV",
    "QR",
    "ID",
    "URL",
    "SKU",
    "JPEG",
    "JPG",
    "PNG",
    "WebP",
    "GIF",
    "EPCIS",
    "SMS",
    "GB",
    "KB",
    "MB",
    "kg",
    "km",
    "ml",
    "cm",
    "mm",
    "mg",
    "GS",
    "HMAC",
    "RSA",
    "SHA",
    "JSON",
    "LDAP",
    "EMS",
    "SF",
    "JD",
    "ZTO",
    "YTO",
    "STO",
    "YD",
    "GLN",
    "GTIN",
    "SSCC",
    "POS",
    "VIP",
    "PDF",
    "SLA",
    "Control",
    "Command",
    "Mac",
    "WeChat",
    "Alipay",
}
# File paths and addresses are data: "products/ab12.jpg", "ops@tianjian.local".
# A JSON example or a regular expression in a help text is a format, not prose; a masked
# value ("sh**********", a password hash's salt) is data.
DATA_TOKEN = re.compile(
    r"\S+\.(?:jpe?g|png|webp|gif|svg|csv|pdf)\b|\S+@\S+|https?://\S+|\{[^{}]*\}"
    r"|\S*\\[dws]\S*|\S*\*{3,}\S*",
    re.I,
)
# A word of letters on its own; letters inside a code such as JY1230184… are data.
WORD = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2,}(?![A-Za-z0-9])")
SKIP_TAGS = {"script", "style", "svg", "code", "pre"}
SEEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self._skip += 1
        attrs = dict(attrs)
        for name in SEEN_ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in {"submit", "button"} and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def english_words(html: str, *, data_words: set[str]) -> set[str]:
    parser = _VisibleText()
    parser.feed(html)
    text = DATA_TOKEN.sub(" ", " ".join(parser.parts))
    return {
        word
        for word in WORD.findall(text)
        if word not in ALLOWED and word.lower() not in data_words
    }


def _data_words() -> set[str]:
    """Words people typed into the demo data (product titles, lot numbers, e-mails...)
    are theirs, not the interface's."""
    from apps.catalog.models import Category
    from apps.channels.models import Channel
    from apps.logistics.models import Carrier

    texts = [f"{store.name} {store.slug}" for store in Store.objects.all()]
    texts += [category.slug for category in Category.objects.all()]
    texts += [f"{carrier.code} {carrier.name}" for carrier in Carrier.objects.all()]
    texts += [f"{channel.code} {channel.name}" for channel in Channel.objects.all()]
    return {word.lower() for text in texts for word in WORD.findall(text)}


def _pages(user) -> list[str]:
    urls = []
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        try:
            urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        except NoReverseMatch:  # a model without a change list
            continue
        obj = model_admin.get_queryset(_request_for(user)).order_by("pk").first()
        if obj is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
        urls.append(reverse("admin:{}_{}_add".format(*info)))
    return urls


def _request_for(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


@pytest.fixture
def demo(db):
    call_command("seed_demo", verbosity=0)
    roles_sync()


def _walk(client, user) -> dict[str, set[str]]:
    client.force_login(user)
    data_words = _data_words()
    found = {}
    for url in [reverse("admin:index"), *_pages(user)]:
        response = client.get(url)
        if response.status_code in (302, 403, 404):
            continue  # not this user's page (no permission, or added elsewhere)
        assert response.status_code == 200, url
        words = english_words(response.content.decode(), data_words=data_words)
        if words:
            found[url] = words
    return found


def test_staff_and_merchant_read_only_chinese(client, demo):
    from apps.accounts.models import User

    staff = User.objects.filter(is_superuser=True).order_by("pk").first()
    member = StoreMember.objects.select_related("user").order_by("pk").first()
    merchant = member.user
    merchant.is_staff = True
    merchant.save(update_fields=["is_staff"])
    merchant.groups.add(Group.objects.get(name=MERCHANT))

    assert _walk(client, staff) == {}
    assert _walk(client, merchant) == {}
