"""REST API: shopper and merchant after-sales, reviews; isolation; the OpenAPI schema."""

from decimal import Decimal

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from apps.aftersales.models import AfterSale, Review
from apps.aftersales.services import aftersale_create, review_create
from apps.payments.models import Refund
from tests.aftersales.conftest import jpeg_upload, lines_of, not_an_image

pytestmark = pytest.mark.django_db

API = "/api/v1"


def create_body(order, lines, **extra):
    return {
        "order": order.number,
        "type": "refund_only",
        "reason": "quality",
        "lines": [{"order_line": line.pk, "quantity": q} for line, q in lines],
        **extra,
    }


def state(aftersale):
    aftersale.refresh_from_db()
    return aftersale.status, aftersale.amount_approved, aftersale.events.count()


# --- shopper ------------------------------------------------------------------------------


def test_shopper_creates_lists_and_reads(client_for, shopper, shipped_order):
    api = client_for(shopper)
    small, large = lines_of(shipped_order)

    created = api.post(
        f"{API}/aftersales/",
        create_body(shipped_order, [(small, 2), (large, 1)], amount="100.00"),
        format="json",
    )
    listed = api.get(f"{API}/aftersales/")
    number = created.json()["number"]
    photo = api.post(
        f"{API}/aftersales/{number}/photos/", {"image": jpeg_upload()}, format="multipart"
    )
    detail = api.get(f"{API}/aftersales/{number}/")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["status"], body["amount_requested"], body["order"]) == (
        "requested",
        "100.00",
        shipped_order.number,
    )
    assert sorted((x["order_line"], x["quantity"]) for x in body["lines"]) == [
        (small.pk, 2),
        (large.pk, 1),
    ]
    assert sum(Decimal(x["amount"]) for x in body["lines"]) == Decimal("100.00")
    assert listed.json()["count"] == 1
    assert photo.status_code == 201
    assert len(detail.json()["photos"]) == 1
    assert [e["to_status"] for e in detail.json()["events"]] == ["requested"]


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"lines": []}, 400, "invalid"),
        ({"amount": "9999.00"}, 400, "aftersale_amount_exceeded"),
        ({"amount": "1.001"}, 400, "invalid"),
        ({"type": "exchange"}, 400, "invalid"),
        ({"order": "NOPE"}, 404, "aftersale_not_found"),
    ],
)
def test_bad_input_gets_a_clear_error_and_creates_nothing(
    client_for, shopper, shipped_order, change, status, code
):
    small, _ = lines_of(shipped_order)

    response = client_for(shopper).post(
        f"{API}/aftersales/", {**create_body(shipped_order, [(small, 1)]), **change}, format="json"
    )

    assert response.status_code == status
    assert response.json()["code"] == code
    assert AfterSale.objects.count() == 0


def test_duplicate_lines_and_huge_quantities_are_refused(client_for, shopper, shipped_order):
    small, _ = lines_of(shipped_order)
    api = client_for(shopper)

    twice = api.post(
        f"{API}/aftersales/", create_body(shipped_order, [(small, 1), (small, 1)]), format="json"
    )
    huge = api.post(
        f"{API}/aftersales/", create_body(shipped_order, [(small, 10**12)]), format="json"
    )
    more = api.post(f"{API}/aftersales/", create_body(shipped_order, [(small, 4)]), format="json")

    assert (twice.status_code, huge.status_code, more.status_code) == (400, 400, 400)
    assert more.json()["code"] == "aftersale_quantity_exceeded"
    assert AfterSale.objects.count() == 0


def test_return_flow_over_the_api(client_for, shopper, merchant_a, shipped_order):
    small, _ = lines_of(shipped_order)
    buyer, merchant = client_for(shopper), client_for(merchant_a)
    number = buyer.post(
        f"{API}/aftersales/",
        create_body(shipped_order, [(small, 1)], type="return_and_refund"),
        format="json",
    ).json()["number"]

    approved = merchant.post(f"{API}/merchant/aftersales/{number}/approve/", {}, format="json")
    shipped = buyer.post(
        f"{API}/aftersales/{number}/ship-back/",
        {"carrier_name": "圆通速递", "tracking_number": "YT9876543210"},
        format="json",
    )
    received = merchant.post(f"{API}/merchant/aftersales/{number}/received/")

    assert approved.json()["status_display"] == "待寄回商品"
    assert shipped.json()["status"] == "returned"
    assert received.status_code == 200
    assert received.json()["status"] == "refunded"
    assert Refund.objects.get().amount == Decimal("59.90")


def test_reject_escalate_and_withdraw_over_the_api(client_for, shopper, merchant_a, shipped_order):
    small, large = lines_of(shipped_order)
    buyer, merchant = client_for(shopper), client_for(merchant_a)
    first = buyer.post(
        f"{API}/aftersales/", create_body(shipped_order, [(small, 1)]), format="json"
    ).json()["number"]
    second = buyer.post(
        f"{API}/aftersales/", create_body(shipped_order, [(large, 1)]), format="json"
    ).json()["number"]

    no_reason = merchant.post(f"{API}/merchant/aftersales/{first}/reject/", {}, format="json")
    rejected = merchant.post(
        f"{API}/merchant/aftersales/{first}/reject/", {"reason": "无质量问题"}, format="json"
    )
    escalated = buyer.post(
        f"{API}/aftersales/{first}/escalate/", {"reason": "有发霉照片"}, format="json"
    )
    withdrawn = buyer.post(f"{API}/aftersales/{second}/withdraw/")
    too_late = buyer.post(f"{API}/aftersales/{second}/withdraw/")

    assert no_reason.status_code == 400
    assert rejected.json()["reject_reason"] == "无质量问题"
    assert escalated.json()["status"] == "disputed"
    assert withdrawn.json()["status"] == "withdrawn"
    assert too_late.status_code == 409
    assert too_late.json()["code"] == "aftersale_invalid_transition"


# --- isolation ----------------------------------------------------------------------------


def test_merchant_b_and_shopper_b_see_and_change_nothing(
    client_for, shipped_order, merchant_b, other_shopper
):
    small, _ = lines_of(shipped_order)
    aftersale = aftersale_create(
        buyer=shipped_order.buyer,
        order=shipped_order,
        type="refund_only",
        reason="quality",
        lines={small.pk: 1},
    )
    before = state(aftersale)
    merchant, stranger = client_for(merchant_b), client_for(other_shopper)
    number = aftersale.number

    responses = [
        merchant.get(f"{API}/merchant/aftersales/{number}/"),
        merchant.post(f"{API}/merchant/aftersales/{number}/approve/", {}, format="json"),
        merchant.post(
            f"{API}/merchant/aftersales/{number}/reject/", {"reason": "x"}, format="json"
        ),
        merchant.post(f"{API}/merchant/aftersales/{number}/received/"),
        stranger.get(f"{API}/aftersales/{number}/"),
        stranger.post(f"{API}/aftersales/{number}/withdraw/"),
        stranger.post(
            f"{API}/aftersales/{number}/photos/", {"image": jpeg_upload()}, format="multipart"
        ),
    ]

    assert [r.status_code for r in responses] == [404] * 7
    assert merchant.get(f"{API}/merchant/aftersales/").json()["count"] == 0
    assert stranger.get(f"{API}/aftersales/").json()["count"] == 0
    assert state(aftersale) == before
    assert aftersale.photos.count() == 0
    assert Refund.objects.count() == 0


def test_a_shopper_is_not_a_merchant(client_for, shopper):
    assert client_for(shopper).get(f"{API}/merchant/aftersales/").status_code == 403


def test_anonymous_gets_401(client_for):
    assert client_for(None).get(f"{API}/aftersales/").status_code == 401


def test_merchant_list_filters_by_status(client_for, merchant_a, shipped_order):
    small, large = lines_of(shipped_order)
    for line in (small, large):
        aftersale_create(
            buyer=shipped_order.buyer,
            order=shipped_order,
            type="refund_only",
            reason="quality",
            lines={line.pk: 1},
        )
    api = client_for(merchant_a)
    first = api.get(f"{API}/merchant/aftersales/").json()["results"][0]["number"]
    api.post(f"{API}/merchant/aftersales/{first}/approve/", {"amount": "10.00"}, format="json")

    requested = api.get(f"{API}/merchant/aftersales/?status=requested").json()
    refunded = api.get(f"{API}/merchant/aftersales/?status=refunded").json()

    assert requested["count"] == 1
    assert refunded["count"] == 1
    assert refunded["results"][0]["amount_approved"] == "10.00"
    assert refunded["results"][0]["buyer_name"] == "顾客小王"


# --- reviews ------------------------------------------------------------------------------


def test_review_create_read_reply(
    client_for, shopper, merchant_a, merchant_b, completed_order, rice
):
    small, _large = lines_of(completed_order)
    buyer = client_for(shopper)

    created = buyer.post(
        f"{API}/reviews/", {"order_line": small.pk, "rating": 5, "text": "好吃"}, format="json"
    )
    again = buyer.post(f"{API}/reviews/", {"order_line": small.pk, "rating": 1}, format="json")
    bad_photo = buyer.post(
        f"{API}/reviews/{created.json()['id']}/photos/",
        {"image": not_an_image()},
        format="multipart",
    )
    photo = buyer.post(
        f"{API}/reviews/{created.json()['id']}/photos/",
        {"image": jpeg_upload()},
        format="multipart",
    )
    review_id = created.json()["id"]
    other_store = client_for(merchant_b).post(
        f"{API}/merchant/reviews/{review_id}/reply/", {"text": "不是我的"}, format="json"
    )
    replied = client_for(merchant_a).post(
        f"{API}/merchant/reviews/{review_id}/reply/", {"text": "谢谢惠顾"}, format="json"
    )
    twice = client_for(merchant_a).post(
        f"{API}/merchant/reviews/{review_id}/reply/", {"text": "再谢"}, format="json"
    )
    public = client_for(None).get(f"{API}/products/{rice.pk}/reviews/")
    rating = client_for(None).get(f"{API}/products/{rice.pk}/rating/")

    assert created.status_code == 201
    assert again.status_code == 409
    assert again.json()["code"] == "review_already_reviewed"
    assert bad_photo.status_code == 400
    assert photo.status_code == 201
    assert other_store.status_code == 404
    assert replied.json()["reply_text"] == "谢谢惠顾"
    assert twice.status_code == 409
    assert public.json()["count"] == 1
    result = public.json()["results"][0]
    assert (
        result["buyer_name"],
        result["rating"],
        result["reply_text"],
        len(result["photos"]),
    ) == (
        "顾**",
        5,
        "谢谢惠顾",
        1,
    )
    assert "order_line" not in result
    assert rating.json() == {"average": "5.0", "count": 1}


def test_review_refusals_over_the_api(
    client_for, shopper, other_shopper, shipped_order, make_order
):
    small, _ = lines_of(shipped_order)

    not_completed = client_for(shopper).post(
        f"{API}/reviews/", {"order_line": small.pk, "rating": 5}, format="json"
    )
    completed = make_order("completed")
    done_line, _ = lines_of(completed)
    stranger = client_for(other_shopper).post(
        f"{API}/reviews/", {"order_line": done_line.pk, "rating": 1}, format="json"
    )
    out_of_range = client_for(shopper).post(
        f"{API}/reviews/", {"order_line": done_line.pk, "rating": 6}, format="json"
    )

    assert not_completed.status_code == 409
    assert not_completed.json()["code"] == "review_order_not_completed"
    assert stranger.status_code == 404
    assert out_of_range.status_code == 400
    assert Review.objects.count() == 0


def test_public_reviews_list_query_ceiling(
    client_for, make_order, rice, django_assert_max_num_queries
):
    for _ in range(3):
        order = make_order("completed")
        for line in lines_of(order):
            review_create(
                buyer=order.buyer, order_line=line, rating=4, text="不错", photos=[jpeg_upload()]
            )
    api = client_for(None)

    with django_assert_max_num_queries(5):
        response = api.get(f"{API}/products/{rice.pk}/reviews/")

    assert response.json()["count"] == 6
    assert all(len(r["photos"]) == 1 for r in response.json()["results"])


def test_unknown_product_reviews_are_404(client_for):
    assert client_for(None).get(f"{API}/products/999999/reviews/").status_code == 404


# --- schema -------------------------------------------------------------------------------


def test_openapi_schema_of_the_aftersales_api_has_no_warnings():
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(
        patterns=[path("api/v1/", include("apps.aftersales.api.urls"))],
    )

    schema = generator.get_schema(request=None, public=True)

    assert dict(GENERATOR_STATS._warn_cache) == {}
    assert dict(GENERATOR_STATS._error_cache) == {}
    paths = schema["paths"]
    assert set(paths) == {
        "/api/v1/aftersales/",
        "/api/v1/aftersales/{number}/",
        "/api/v1/aftersales/{number}/photos/",
        "/api/v1/aftersales/{number}/ship-back/",
        "/api/v1/aftersales/{number}/escalate/",
        "/api/v1/aftersales/{number}/withdraw/",
        "/api/v1/merchant/aftersales/",
        "/api/v1/merchant/aftersales/{number}/",
        "/api/v1/merchant/aftersales/{number}/approve/",
        "/api/v1/merchant/aftersales/{number}/reject/",
        "/api/v1/merchant/aftersales/{number}/received/",
        "/api/v1/products/{id}/reviews/",
        "/api/v1/products/{id}/rating/",
        "/api/v1/reviews/",
        "/api/v1/reviews/{id}/photos/",
        "/api/v1/merchant/reviews/",
        "/api/v1/merchant/reviews/{id}/reply/",
    }
    # list endpoints are paginated lists
    listed = paths["/api/v1/aftersales/"]["get"]["responses"]["200"]["content"]
    assert "Paginated" in listed["application/json"]["schema"]["$ref"]
