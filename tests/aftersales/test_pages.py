"""Shopper pages: apply from the order, follow the after-sale, send goods back, escalate,
withdraw; write reviews. Other shoppers get 404 and change nothing."""

from decimal import Decimal

import pytest

from apps.aftersales.models import AfterSale, Review
from apps.aftersales.services import aftersale_approve, aftersale_create, aftersale_reject
from tests.aftersales.conftest import jpeg_upload, lines_of, not_an_image

pytestmark = pytest.mark.django_db


@pytest.fixture
def shopper_client(client, shopper):
    client.force_login(shopper)
    return client


@pytest.fixture
def other_client(client, other_shopper):
    from django.test import Client

    other = Client()
    other.force_login(other_shopper)
    return other


def test_order_page_links_to_after_sale_and_review(shopper_client, completed_order):
    response = shopper_client.get(completed_order.get_absolute_url())

    html = response.content.decode()
    assert f"/aftersales/new/?order={completed_order.number}" in html
    assert f"/reviews/orders/{completed_order.number}/" in html


def test_apply_page_lists_lines_with_what_is_claimable(shopper_client, shipped_order):
    small, large = lines_of(shipped_order)

    response = shopper_client.get(f"/aftersales/new/?order={shipped_order.number}&line={small.pk}")

    assert response.status_code == 200
    html = response.content.decode()
    assert "最多可申请 3 件，¥179.70" in html
    assert "最多可申请 2 件，¥219.80" in html
    assert f'name="line_{small.pk}" value="3"' in html  # the line the shopper came from
    assert f'name="line_{large.pk}" value="0"' in html


def test_shopper_applies_with_photos_and_follows_it(shopper_client, shipped_order, merchant_a):
    small, large = lines_of(shipped_order)

    response = shopper_client.post(
        f"/aftersales/new/?order={shipped_order.number}",
        {
            "type": "return_and_refund",
            "reason": "damaged",
            "reason_text": "外袋破了",
            "amount": "",
            f"line_{small.pk}": "1",
            f"line_{large.pk}": "0",
            "photos": [jpeg_upload("1.jpg"), jpeg_upload("2.jpg")],
        },
    )

    aftersale = AfterSale.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/aftersales/{aftersale.number}/"
    assert (aftersale.type, aftersale.amount_requested, aftersale.photos.count()) == (
        "return_and_refund",
        Decimal("59.90"),
        2,
    )
    assert list(aftersale.lines.values_list("order_line_id", "quantity")) == [(small.pk, 1)]

    detail = shopper_client.get(response["Location"])
    html = detail.content.decode()
    assert "待商家处理" in html
    assert "外袋破了" in html
    assert "处理进度" in html


def test_apply_form_shows_service_errors(shopper_client, shipped_order):
    small, _ = lines_of(shipped_order)
    url = f"/aftersales/new/?order={shipped_order.number}"

    too_much = shopper_client.post(
        url,
        {"type": "refund_only", "reason": "quality", "amount": "60.00", f"line_{small.pk}": "1"},
    )
    nothing = shopper_client.post(url, {"type": "refund_only", "reason": "quality"})
    bad_photo = shopper_client.post(
        url,
        {
            "type": "refund_only",
            "reason": "quality",
            f"line_{small.pk}": "1",
            "photos": [not_an_image()],
        },
    )

    assert too_much.status_code == 400
    assert "退款金额不能超过 ¥59.90。" in too_much.content.decode()
    assert nothing.status_code == 400
    assert "请至少选择一件商品并填写数量。" in nothing.content.decode()
    assert bad_photo.status_code == 400
    assert "文件不是有效的图片。" in bad_photo.content.decode()
    assert AfterSale.objects.count() == 0


def test_ship_back_page_flow(shopper_client, shipped_order, merchant_a):
    small, _ = lines_of(shipped_order)
    aftersale = aftersale_create(
        buyer=shipped_order.buyer,
        order=shipped_order,
        type="return_and_refund",
        reason="quality",
        lines={small.pk: 1},
    )
    aftersale_approve(aftersale=aftersale, actor=merchant_a)
    url = f"/aftersales/{aftersale.number}/"
    assert "填写退货物流" in shopper_client.get(url).content.decode()

    bad = shopper_client.post(f"{url}ship-back/", {"carrier_name": "顺丰", "tracking_number": "x"})
    good = shopper_client.post(
        f"{url}ship-back/", {"carrier_name": "顺丰", "tracking_number": "SF1234567"}
    )

    assert bad.status_code == 400
    assert "请填写正确的运单号" in bad.content.decode()
    assert good.status_code == 302
    aftersale.refresh_from_db()
    assert (aftersale.status, aftersale.return_tracking_number) == ("returned", "SF1234567")


def test_escalate_and_withdraw_pages(shopper_client, shipped_order, merchant_a):
    small, large = lines_of(shipped_order)
    rejected = aftersale_create(
        buyer=shipped_order.buyer,
        order=shipped_order,
        type="refund_only",
        reason="quality",
        lines={small.pk: 1},
    )
    aftersale_reject(aftersale=rejected, actor=merchant_a, reason="无质量问题")
    pending = aftersale_create(
        buyer=shipped_order.buyer,
        order=shipped_order,
        type="refund_only",
        reason="quality",
        lines={large.pk: 1},
    )

    empty = shopper_client.post(f"/aftersales/{rejected.number}/escalate/", {"reason": ""})
    escalated = shopper_client.post(
        f"/aftersales/{rejected.number}/escalate/", {"reason": "明显发霉"}
    )
    withdrawn = shopper_client.post(f"/aftersales/{pending.number}/withdraw/")
    again = shopper_client.post(f"/aftersales/{pending.number}/withdraw/")

    assert empty.status_code == 400
    assert escalated.status_code == 302
    assert withdrawn.status_code == 302
    assert again.status_code == 302  # refused: shown as a message
    rejected.refresh_from_db()
    pending.refresh_from_db()
    assert (rejected.status, rejected.dispute_reason) == ("disputed", "明显发霉")
    assert pending.status == "withdrawn"
    follow = shopper_client.get(f"/aftersales/{pending.number}/")
    assert "买家已撤销" in follow.content.decode()


def test_list_page_with_filters_and_query_ceiling(
    shopper_client, make_order, merchant_a, django_assert_max_num_queries
):
    for _ in range(3):
        order = make_order("shipped")
        small, large = lines_of(order)
        aftersale = aftersale_create(
            buyer=order.buyer,
            order=order,
            type="refund_only",
            reason="quality",
            lines={small.pk: 1, large.pk: 1},
        )
        aftersale_approve(aftersale=aftersale, actor=merchant_a)

    with django_assert_max_num_queries(12):
        response = shopper_client.get("/aftersales/")
    refunded = shopper_client.get("/aftersales/?filter=refunded")
    open_ones = shopper_client.get("/aftersales/?filter=open")

    assert response.content.decode().count('class="as-card"') == 3
    assert refunded.content.decode().count('class="as-card"') == 3
    assert open_ones.content.decode().count('class="as-card"') == 0


def test_another_shopper_gets_404_and_changes_nothing(other_client, shipped_order):
    small, _ = lines_of(shipped_order)
    aftersale = aftersale_create(
        buyer=shipped_order.buyer,
        order=shipped_order,
        type="return_and_refund",
        reason="quality",
        lines={small.pk: 1},
    )

    responses = [
        other_client.get(f"/aftersales/{aftersale.number}/"),
        other_client.get(f"/aftersales/new/?order={shipped_order.number}"),
        other_client.post(
            f"/aftersales/new/?order={shipped_order.number}",
            {"type": "refund_only", "reason": "quality", f"line_{small.pk}": "1"},
        ),
        other_client.post(f"/aftersales/{aftersale.number}/withdraw/"),
        other_client.post(f"/aftersales/{aftersale.number}/escalate/", {"reason": "x"}),
        other_client.get(f"/reviews/orders/{shipped_order.number}/"),
    ]

    assert [r.status_code for r in responses] == [404] * 6
    aftersale.refresh_from_db()
    assert aftersale.status == "requested"
    assert AfterSale.objects.count() == 1
    assert other_client.get("/aftersales/").content.decode().count('class="as-card"') == 0


def test_anonymous_is_sent_to_log_in(client, shipped_order):
    response = client.get(f"/aftersales/new/?order={shipped_order.number}")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- reviews ------------------------------------------------------------------------------


def test_review_page_writes_one_review_per_line(shopper_client, completed_order):
    small, _large = lines_of(completed_order)
    url = f"/reviews/orders/{completed_order.number}/"
    assert shopper_client.get(url).content.decode().count("发布评价") == 2

    response = shopper_client.post(
        url,
        {
            "line": str(small.pk),
            f"line-{small.pk}-rating": "4",
            f"line-{small.pk}-text": "煮饭很香",
            f"line-{small.pk}-photos": [jpeg_upload()],
        },
    )
    again = shopper_client.post(
        url, {"line": str(small.pk), f"line-{small.pk}-rating": "1", f"line-{small.pk}-text": "改"}
    )

    assert response.status_code == 302
    assert again.status_code == 400
    assert "这件商品已经评价过了。" in again.content.decode()
    review = Review.objects.get()
    assert (review.order_line_id, review.rating, review.text, review.photos.count()) == (
        small.pk,
        4,
        "煮饭很香",
        1,
    )
    page = shopper_client.get(url).content.decode()
    assert page.count("发布评价") == 1  # only the large bag is left
    assert "煮饭很香" in page


def test_review_page_of_an_order_not_completed(shopper_client, shipped_order):
    small, _ = lines_of(shipped_order)
    url = f"/reviews/orders/{shipped_order.number}/"

    page = shopper_client.get(url)
    post = shopper_client.post(url, {"line": str(small.pk), f"line-{small.pk}-rating": "5"})

    assert "确认收货、订单完成后才能评价。" in page.content.decode()
    assert "发布评价" not in page.content.decode()
    assert post.status_code == 400
    assert Review.objects.count() == 0


def test_unshipped_order_offers_only_refund_and_has_it_chosen(shopper_client, paid_order):
    (line, *_) = lines_of(paid_order)
    url = f"/aftersales/new/?order={paid_order.number}&line={line.pk}"

    html = shopper_client.get(url).content.decode()

    assert 'value="return_and_refund"' not in html
    radio = html[html.index('value="refund_only"') :].split(">", 1)[0]
    assert "checked" in radio
    # What the browser then sends (the preselected radio) is accepted as it stands.
    response = shopper_client.post(
        url, {"type": "refund_only", "reason": "no_longer_needed", f"line_{line.pk}": "1"}
    )
    assert response.status_code == 302
    assert AfterSale.objects.get(order=paid_order).type == AfterSale.Type.REFUND_ONLY
