import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Notification
from apps.accounts.services import notification_mark_read, notification_send
from tests.factories import UserFactory


def _header(body: str) -> str:
    return body[body.index("<header") : body.index("</header>")]


def _notify(user, n=1, **kwargs):
    return [
        notification_send(user=user, title=f"消息{i}", send_email=False, **kwargs) for i in range(n)
    ]


@pytest.mark.django_db
def test_inbox_lists_own_notifications_newest_first_with_unread_highlighted(
    client, shopper, django_assert_max_num_queries
):
    first, second, third = _notify(shopper, 3)
    notification_mark_read(user=shopper, notification_ids=[second.pk])
    _notify(UserFactory(), 1)  # someone else's
    client.force_login(shopper)

    # user, count, page, unread count (just dropped by the sends); the session is cached
    with django_assert_max_num_queries(4):
        response = client.get(reverse("accounts:inbox"))

    assert response.status_code == 200
    assert [n.pk for n in response.context["page"].object_list] == [third.pk, second.pk, first.pk]
    assert response.content.decode().count("inbox-item is-unread") == 2


@pytest.mark.django_db
def test_inbox_is_paginated_with_fixed_queries(client, shopper, django_assert_max_num_queries):
    _notify(shopper, 25)
    client.force_login(shopper)

    # user, count, page, unread count (just dropped by the sends); the session is cached
    with django_assert_max_num_queries(4):
        page_two = client.get(reverse("accounts:inbox") + "?page=2")

    assert len(page_two.context["page"].object_list) == 5
    assert "第 2 / 2 页" in page_two.content.decode()


@pytest.mark.django_db
def test_header_shows_unread_count(client, shopper):
    _notify(shopper, 3)
    client.force_login(shopper)

    body = client.get(reverse("accounts:profile")).content.decode()

    assert re.search(r'href="/me/inbox/">消息<span class="badge[^"]*">3</span>', _header(body))


@pytest.mark.django_db
def test_header_has_no_badge_without_unread(client, shopper):
    client.force_login(shopper)

    body = client.get(reverse("accounts:profile")).content.decode()

    assert 'href="/me/inbox/">消息</a>' in _header(body)


@pytest.mark.django_db
def test_mark_one_read(client, shopper):
    target, other = _notify(shopper, 2)
    client.force_login(shopper)

    response = client.post(reverse("accounts:inbox_mark_read", args=[target.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:inbox")
    target.refresh_from_db()
    other.refresh_from_db()
    assert (target.is_read, target.read_at is not None) == (True, True)
    assert other.is_read is False


@pytest.mark.django_db
def test_open_marks_read_and_follows_link(client, shopper):
    (notification,) = _notify(shopper, url="/me/")
    client.force_login(shopper)

    response = client.post(
        reverse("accounts:inbox_mark_read", args=[notification.pk]), {"open": "1"}
    )

    assert response["Location"] == "/me/"
    notification.refresh_from_db()
    assert notification.is_read is True


@pytest.mark.django_db
def test_cannot_mark_someone_elses_notification(client, shopper):
    (theirs,) = _notify(UserFactory())
    client.force_login(shopper)

    response = client.post(reverse("accounts:inbox_mark_read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.is_read is False


@pytest.mark.django_db
def test_mark_read_refuses_get_and_missing_csrf(shopper):
    (notification,) = _notify(shopper)
    client = Client(enforce_csrf_checks=True)
    client.force_login(shopper)

    assert (
        client.get(reverse("accounts:inbox_mark_read", args=[notification.pk])).status_code == 405
    )
    assert (
        client.post(reverse("accounts:inbox_mark_read", args=[notification.pk])).status_code == 403
    )
    assert client.post(reverse("accounts:inbox_mark_all_read")).status_code == 403
    notification.refresh_from_db()
    assert notification.is_read is False


@pytest.mark.django_db
def test_mark_all_read_touches_only_own(client, shopper):
    _notify(shopper, 3)
    (theirs,) = _notify(UserFactory())
    client.force_login(shopper)

    response = client.post(reverse("accounts:inbox_mark_all_read"))

    assert response.status_code == 302
    assert not Notification.objects.filter(user=shopper, is_read=False).exists()
    theirs.refresh_from_db()
    assert theirs.is_read is False
    assert "已将 3 条消息标为已读。" in client.get(reverse("accounts:inbox")).content.decode()


@pytest.mark.django_db
def test_inbox_requires_login(client):
    response = client.get(reverse("accounts:inbox"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_notification_send_emails_users_with_an_address(
    shopper, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=shopper, title="入驻申请已通过", body="欢迎开店", url="/admin/")

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.to, sent.subject) == ([shopper.email], "[田间] 入驻申请已通过")
    assert sent.body == "欢迎开店\n\n/admin/"
    assert Notification.objects.filter(user=shopper, title="入驻申请已通过").count() == 1


@pytest.mark.django_db
def test_notification_send_without_email_stays_in_inbox(
    phone_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(user=phone_user, title="入驻申请已通过")

    assert mail.outbox == []
    assert Notification.objects.filter(user=phone_user).count() == 1


def _badge(client) -> str | None:
    header = _header(client.get(reverse("accounts:profile")).content.decode())
    match = re.search(
        r'href="/me/inbox/">消息(?:<span class="badge[^"]*">(\d+)</span>)?</a>', header
    )
    return match.group(1) if match else "no inbox link"


@pytest.mark.django_db
def test_header_count_is_cached_and_changes_at_once(client, shopper, django_assert_max_num_queries):
    first, _second = _notify(shopper, 2)
    client.force_login(shopper)
    assert _badge(client) == "2"

    # a second page reads the count from the cache
    with django_assert_max_num_queries(10) as captured:
        assert _badge(client) == "2"
    assert not [q for q in captured.captured_queries if "accounts_notification" in q["sql"]]

    # a new notification shows on the next page
    _notify(shopper, 1)
    assert _badge(client) == "3"

    # so does one read through the inbox, and all read
    client.post(reverse("accounts:inbox_mark_read", args=[first.pk]))
    assert _badge(client) == "2"
    notification_mark_read(user=shopper)
    assert _badge(client) is None


@pytest.mark.django_db
def test_header_count_of_one_user_is_not_anothers(client, shopper):
    _notify(shopper, 2)
    other = UserFactory()
    _notify(other, 5)
    client.force_login(shopper)
    assert _badge(client) == "2"

    client.force_login(other)
    assert _badge(client) == "5"
    notification_mark_read(user=shopper)
    assert _badge(client) == "5"


@pytest.mark.django_db
def test_repeated_keyed_send_leaves_the_count(client, shopper):
    notification_send(user=shopper, title="已发货", send_email=False, key="shipment:1:shipped")
    client.force_login(shopper)
    assert _badge(client) == "1"

    notification_send(user=shopper, title="已发货", send_email=False, key="shipment:1:shipped")
    notification_send(user=shopper, title="已签收", send_email=False, key="shipment:1:delivered")

    assert _badge(client) == "2"
