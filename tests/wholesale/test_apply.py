import io

import pytest
from PIL import Image
from rest_framework.authtoken.models import Token

from apps.wholesale.models import BuyerMember, BuyerOrganisation, BuyerOrganisationEvent
from tests.factories import UserFactory
from tests.wholesale.helpers import application, fake_image_upload, jpeg_upload, uscc

APPLY = "/wholesale/apply/"
pytestmark = pytest.mark.django_db


def media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(APPLY)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_shopper_applies_with_a_licence_image(client, shopper, settings):
    client.force_login(shopper)

    response = client.post(APPLY, {**application(), "licence_image": jpeg_upload()})

    assert response.status_code == 302
    assert response["Location"] == "/wholesale/"
    organisation = BuyerOrganisation.objects.get()
    assert organisation.name == "城关镇便民超市"
    assert organisation.kind == "supermarket"
    assert organisation.licence_number == uscc(1)
    assert organisation.contact_phone == "13900001111"
    assert organisation.status == "pending"
    assert organisation.credit_limit == 0
    assert BuyerMember.objects.get().user == shopper
    event = BuyerOrganisationEvent.objects.get()
    assert (event.from_status, event.to_status, event.actor) == ("", "pending", shopper)
    stored = media_files(settings)
    assert len(stored) == 1
    assert stored[0].suffix == ".jpg"
    with Image.open(io.BytesIO(stored[0].read_bytes())) as image:
        assert image.format == "JPEG"


def test_centre_shows_the_pending_application(client, shopper):
    client.force_login(shopper)
    client.post(APPLY, application())

    response = client.get("/wholesale/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "城关镇便民超市" in html
    assert "待审核" in html
    assert "您的申请正在审核中" in html


def test_licence_number_is_normalised_from_spaces_and_lower_case(client, shopper):
    client.force_login(shopper)
    spaced = " ".join(uscc(1).lower()[i : i + 6] for i in range(0, 18, 6))

    client.post(APPLY, application(licence_number=spaced))

    assert BuyerOrganisation.objects.get().licence_number == uscc(1)


@pytest.mark.parametrize(
    ("licence_number", "message"),
    [
        ("9135010", "统一社会信用代码应为 18 位。"),
        (uscc(1)[:17] + ("0" if uscc(1)[17] != "0" else "1"), "统一社会信用代码校验位不正确"),
        ("91350100MA000000I1", "格式不正确"),
    ],
)
def test_bad_licence_number_is_refused_on_its_field(client, shopper, licence_number, message):
    client.force_login(shopper)

    response = client.post(APPLY, application(licence_number=licence_number))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["licence_number"]
    assert message in errors["licence_number"][0]
    assert not BuyerOrganisation.objects.exists()
    assert not BuyerMember.objects.exists()


def test_a_fake_image_is_refused_and_nothing_is_stored(client, shopper, settings):
    client.force_login(shopper)

    response = client.post(APPLY, {**application(), "licence_image": fake_image_upload()})

    assert response.status_code == 400
    assert response.context["form"].errors == {"licence_image": ["文件不是有效的图片。"]}
    assert not BuyerOrganisation.objects.exists()
    assert media_files(settings) == []


def test_bad_phone_and_missing_kind_are_refused(client, shopper):
    client.force_login(shopper)

    response = client.post(APPLY, application(kind="", contact_phone="12345"))

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"kind"}
    response = client.post(APPLY, application(contact_phone="12345"))
    assert set(response.context["form"].errors) == {"contact_phone"}
    assert not BuyerOrganisation.objects.exists()


def test_a_second_application_is_refused(client, shopper):
    client.force_login(shopper)
    client.post(APPLY, application())

    page = client.get(APPLY)
    response = client.post(APPLY, application(name="另一家店", licence_number=uscc(2)))

    assert "当前状态：待审核" in page.content.decode()
    assert 'name="licence_number"' not in page.content.decode()
    assert response.status_code == 400
    assert "每个账号只能关联一个采购单位" in response.content.decode()
    assert list(BuyerOrganisation.objects.values_list("name", flat=True)) == ["城关镇便民超市"]


def test_a_licence_already_applied_for_by_another_user_is_refused(client, shopper):
    UserFactory()
    other = UserFactory()
    client.force_login(other)
    client.post(APPLY, application())
    client.force_login(shopper)

    response = client.post(APPLY, application(name="同一执照"))

    assert response.status_code == 400
    assert "该统一社会信用代码已有采购单位申请或认证" in str(
        response.context["form"].errors["licence_number"]
    )
    assert BuyerOrganisation.objects.count() == 1
    assert not BuyerMember.objects.filter(user=shopper).exists()


def test_a_rejected_applicant_corrects_and_resubmits(client, shopper, staff):
    from apps.wholesale.services import buyer_organisation_reject

    client.force_login(shopper)
    client.post(APPLY, application())
    organisation = BuyerOrganisation.objects.get()
    buyer_organisation_reject(organisation=organisation, actor=staff, reason="执照照片不清晰")

    page = client.get(APPLY)
    response = client.post(
        APPLY, {**application(name="城关镇便民超市（新址）"), "licence_image": jpeg_upload()}
    )

    assert "执照照片不清晰" in page.content.decode()
    assert page.context["form"].initial["name"] == "城关镇便民超市"
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.status == "pending"
    assert organisation.name == "城关镇便民超市（新址）"
    assert organisation.reject_reason == ""
    assert organisation.reviewed_by is None
    assert BuyerOrganisation.objects.count() == 1
    statuses = list(organisation.events.order_by("id").values_list("from_status", "to_status"))
    assert statuses == [("", "pending"), ("pending", "rejected"), ("rejected", "pending")]


# --- API ------------------------------------------------------------------------------------


def token_client(api_client, user):
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def test_api_apply_then_read_mine(api_client, shopper):
    client = token_client(api_client, shopper)

    created = client.post(
        "/api/v1/wholesale/organisation/",
        {**application(), "licence_image": jpeg_upload()},
        format="multipart",
    )
    mine = client.get("/api/v1/wholesale/organisation/")

    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    assert created.json()["licence_image"].endswith(".jpg")
    body = mine.json()
    assert mine.status_code == 200
    assert body["name"] == "城关镇便民超市"
    assert body["kind_display"] == "商超"
    assert body["status_display"] == "待审核"
    assert (body["credit_limit"], body["credit_owed"], body["credit_available"]) == (
        "0.00",
        "0.00",
        "0.00",
    )


def test_api_without_organisation_is_404(api_client, shopper):
    response = token_client(api_client, shopper).get("/api/v1/wholesale/organisation/")

    assert response.status_code == 404
    assert response.json()["code"] == "wholesale_no_organisation"


def test_api_bad_licence_number_names_the_field(api_client, shopper):
    response = token_client(api_client, shopper).post(
        "/api/v1/wholesale/organisation/", application(licence_number="123"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"licence_number": ["统一社会信用代码应为 18 位。"]}
    assert not BuyerOrganisation.objects.exists()


def test_api_fake_image_is_refused(api_client, shopper):
    response = token_client(api_client, shopper).post(
        "/api/v1/wholesale/organisation/",
        {**application(), "licence_image": fake_image_upload()},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["code"] == "image_invalid"
    assert not BuyerOrganisation.objects.exists()


def test_api_second_application_is_a_conflict(api_client, shopper):
    client = token_client(api_client, shopper)
    client.post("/api/v1/wholesale/organisation/", application(), format="json")

    response = client.post(
        "/api/v1/wholesale/organisation/",
        application(name="另一家", licence_number=uscc(3)),
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["code"] == "wholesale_already_member"
    assert BuyerOrganisation.objects.count() == 1


def test_api_anonymous_is_401(api_client):
    response = api_client.post("/api/v1/wholesale/organisation/", application(), format="json")

    assert response.status_code == 401
    assert not BuyerOrganisation.objects.exists()
