"""Reviews: who may write them, once per line, one merchant reply, the product's rating."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import Client

from apps.accounts.models import Notification
from apps.aftersales.errors import ReviewErrorCode
from apps.aftersales.models import Review, ReviewPhoto
from apps.aftersales.selectors import product_rating
from apps.aftersales.services import review_create, review_reply, review_set_visible
from apps.core.errors import ApplicationError, NotFoundError
from tests.aftersales.conftest import jpeg_upload, lines_of

pytestmark = pytest.mark.django_db


def review(line, rating=5, text="米香浓郁，煮粥很好喝", **kwargs) -> Review:
    return review_create(
        buyer=line.order.buyer, order_line=line, rating=rating, text=text, **kwargs
    )


def refused(code, call, **kwargs):
    with pytest.raises(ApplicationError) as info:
        call(**kwargs)
    assert info.value.code == code, info.value.message
    return info.value


# --- writing ------------------------------------------------------------------------------


def test_buyer_of_a_completed_order_reviews_each_line(completed_order, rice):
    small, large = lines_of(completed_order)

    first = review(small, 5, photos=[jpeg_upload()])
    second = review(large, 4, "")

    assert (first.product_id, first.store_id, first.rating) == (rice.pk, rice.store_id, 5)
    assert first.photos.count() == 1
    assert second.text == ""
    assert product_rating(product_id=rice.pk) == {"average": Decimal("4.5"), "count": 2}


@pytest.mark.parametrize("state", ["paid", "shipped"])
def test_an_order_not_completed_cannot_be_reviewed(make_order, state):
    order = make_order(state)
    small, _ = lines_of(order)

    refused(
        ReviewErrorCode.ORDER_NOT_COMPLETED,
        review_create,
        buyer=order.buyer,
        order_line=small,
        rating=5,
    )

    assert Review.objects.count() == 0


def test_a_line_is_reviewed_once(completed_order):
    small, _ = lines_of(completed_order)
    review(small, 5)

    refused(
        ReviewErrorCode.ALREADY_REVIEWED,
        review_create,
        buyer=completed_order.buyer,
        order_line=small,
        rating=1,
        text="改差评",
    )

    assert list(Review.objects.values_list("rating", "text")) == [(5, "米香浓郁，煮粥很好喝")]


def test_another_buyer_gets_not_found(completed_order, other_shopper):
    small, _ = lines_of(completed_order)

    with pytest.raises(NotFoundError):
        review_create(buyer=other_shopper, order_line=small, rating=1, text="刷差评")

    assert Review.objects.count() == 0


@pytest.mark.parametrize("rating", [0, 6, -1, "5", None, True, 4.5])
def test_rating_is_one_to_five(completed_order, rating):
    small, _ = lines_of(completed_order)

    refused(
        ReviewErrorCode.RATING_INVALID,
        review_create,
        buyer=completed_order.buyer,
        order_line=small,
        rating=rating,
    )

    assert Review.objects.count() == 0


def test_photos_are_checked_before_anything_is_saved(completed_order):
    small, _ = lines_of(completed_order)

    with pytest.raises(ApplicationError):
        review(small, photos=[jpeg_upload(f"{i}.jpg") for i in range(7)])

    assert (Review.objects.count(), ReviewPhoto.objects.count()) == (0, 0)


# --- merchant reply -----------------------------------------------------------------------


def test_merchant_replies_once(completed_order, merchant_a, shopper):
    small, _ = lines_of(completed_order)
    written = review(small, 3, "有点碎米")

    replied = review_reply(review=written, actor=merchant_a, text="感谢反馈，已加强筛选")
    refused(
        ReviewErrorCode.ALREADY_REPLIED,
        review_reply,
        review=written,
        actor=merchant_a,
        text="第二次回复",
    )

    replied.refresh_from_db()
    assert replied.reply_text == "感谢反馈，已加强筛选"
    assert replied.replied_by == merchant_a
    assert Notification.objects.filter(user=shopper, title__contains="商家回复").count() == 1


def test_reply_needs_text(completed_order, merchant_a):
    small, _ = lines_of(completed_order)
    written = review(small)

    refused(
        ReviewErrorCode.REPLY_REQUIRED, review_reply, review=written, actor=merchant_a, text=" "
    )

    written.refresh_from_db()
    assert (written.reply_text, written.replied_at) == ("", None)


def test_another_store_cannot_reply(completed_order, merchant_b, shopper):
    small, _ = lines_of(completed_order)
    written = review(small)

    for actor in (merchant_b, shopper):
        with pytest.raises(NotFoundError):
            review_reply(review=written, actor=actor, text="不是我的店")

    written.refresh_from_db()
    assert (written.reply_text, written.replied_at) == ("", None)


# --- moderation and rating ----------------------------------------------------------------


def test_hidden_reviews_leave_the_rating(completed_order, rice, staff, merchant_a):
    small, large = lines_of(completed_order)
    spam = review(small, 1, "广告")
    review(large, 5)

    with pytest.raises(ApplicationError):
        review_set_visible(review=spam, actor=merchant_a, is_visible=False)
    review_set_visible(review=spam, actor=staff, is_visible=False)

    assert product_rating(product_id=rice.pk) == {"average": Decimal("5.0"), "count": 1}


def test_no_reviews_means_no_average(rice):
    assert product_rating(product_id=rice.pk) == {"average": None, "count": 0}


# --- template tags and the reviews page ---------------------------------------------------


def _reviews_for(make_order, rice, merchant_a, count: int) -> None:
    """`count` completed orders with both lines reviewed, photos on some, replies on others."""
    for i in range(count):
        order = make_order("completed")
        small, large = lines_of(order)
        first = review(small, 5 - i % 3, f"第{i}单小袋", photos=[jpeg_upload()] if i % 2 else ())
        review(large, 4, f"第{i}单大袋")
        if i % 2 == 0:
            review_reply(review=first, actor=merchant_a, text=f"谢谢第{i}位")


def test_product_reviews_tag_uses_a_fixed_number_of_queries(
    make_order, rice, merchant_a, django_assert_max_num_queries
):
    _reviews_for(make_order, rice, merchant_a, 3)
    template = Template(
        "{% load review_tags %}{% product_rating product %}{% product_reviews product limit=5 %}"
    )

    with django_assert_max_num_queries(2):  # reviews with count and average, photos
        html = template.render(Context({"product": rice}))

    # the latest five of six, newest first, with the merchant's reply
    assert html.count('class="rv-item"') == 5
    assert html.index("第2单大袋") < html.index("第2单小袋") < html.index("第1单大袋")
    assert "第0单小袋" not in html
    assert "谢谢第2位" in html
    assert "6 条评价" in html
    assert "<strong>4.0</strong>" in html  # (5+4 + 4+4 + 3+4) / 6


def test_reviews_page_is_paginated_with_a_query_ceiling(
    make_order, rice, merchant_a, django_assert_max_num_queries
):
    _reviews_for(make_order, rice, merchant_a, 6)  # 12 reviews: two pages of 10
    client = Client()

    with django_assert_max_num_queries(8):
        first = client.get(f"/p/{rice.pk}/reviews/")
    second = client.get(f"/p/{rice.pk}/reviews/?page=2")

    assert first.status_code == 200
    assert first.content.decode().count('class="rv-item"') == 10
    assert second.content.decode().count('class="rv-item"') == 2
    # the buyer's name is masked on public pages
    assert "顾**" in first.content.decode()
    assert "顾客小王" not in first.content.decode()


def test_reviews_page_of_an_unknown_product_is_404(db):
    assert Client().get("/p/999999/reviews/").status_code == 404


def test_product_page_shows_rating_and_latest_reviews(completed_order, rice):
    small, _ = lines_of(completed_order)
    review(small, 4, "很新鲜")

    response = Client().get(rice.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert "很新鲜" in html
    assert f"/p/{rice.pk}/reviews/" in html
    assert "<strong>4.0</strong>" in html
    assert "1 条评价" in html


def test_product_tags_without_reviews_cost_one_query(rice, django_assert_num_queries):
    template = Template(
        "{% load review_tags %}{% product_rating product %}{% product_reviews product %}"
    )

    with django_assert_num_queries(1):
        html = template.render(Context({"product": rice}))

    assert "暂无评价" in html
    assert "还没有评价" in html
