import io

import pytest
from django.conf import settings
from django.urls import reverse
from PIL import Image

from apps.stores.models import StoreApplication
from tests.factories import StoreFactory
from tests.stores.helpers import (
    VALID_USCC,
    fake_image_upload,
    has_exif,
    image_upload,
    media_files,
    noisy_png_upload,
)

APPLY_URL = "/stores/apply/"
LIST_URL = "/stores/applications/"


def application_data(**overrides):
    data = {
        "store_name": "五常稻香家庭农场",
        "store_type": "family_farm",
        "contact_name": "李四",
        "contact_phone": "+86 138 0013 8000",
        "county_code": "230184",
        "township": "龙凤山镇",
        "licence_number": VALID_USCC.lower(),
        "licence_image": image_upload(),
        "food_permit_number": "",
        "description": "自产自销五常稻花香大米。",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_urls_are_named():
    assert reverse("stores:apply") == APPLY_URL
    assert reverse("stores:application_list") == LIST_URL


@pytest.mark.django_db
@pytest.mark.parametrize("url", [APPLY_URL, LIST_URL])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_form_offers_a_province_city_county_picker_not_every_county(
    client, shopper, django_assert_max_num_queries
):
    client.force_login(shopper)

    with django_assert_max_num_queries(8):
        response = client.get(APPLY_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<option value="23">黑龙江省</option>' in html
    assert "五常市" not in html  # no county is listed before a city is chosen
    assert html.count("<option") < 60
    assert len(response.content) < 30_000
    assert "stores/county_picker.js" in html
    assert "如经营预包装/加工食品需提供" in html


@pytest.mark.django_db
def test_without_javascript_a_chosen_city_comes_back_with_its_counties(client, shopper):
    client.force_login(shopper)
    data = application_data(county_code="")
    data["county_code__province"] = "23"
    data["county_code__city"] = "2301"

    response = client.post(APPLY_URL, data)

    assert response.status_code == 400
    assert response.context["form"].errors["county_code"] == ["请选择区县。"]
    html = response.content.decode()
    assert '<option value="23" selected>黑龙江省</option>' in html
    assert '<option value="2301" selected>哈尔滨市</option>' in html
    assert '<option value="230184">五常市</option>' in html
    assert StoreApplication.objects.count() == 0


@pytest.mark.django_db
def test_good_application_is_saved_with_normalised_fields_and_a_clean_image(client, shopper):
    client.force_login(shopper)

    response = client.post(APPLY_URL, application_data())

    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    application = StoreApplication.objects.get()
    assert application.applicant == shopper
    assert application.status == StoreApplication.Status.SUBMITTED
    assert application.store_name == "五常稻香家庭农场"
    assert application.contact_phone == "13800138000"
    assert application.licence_number == VALID_USCC
    assert application.county_code == "230184"
    assert application.county_name == "黑龙江省哈尔滨市五常市"
    assert application.township == "龙凤山镇"
    assert application.food_permit_image.name == ""
    stored = application.licence_image.read()
    application.licence_image.close()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG"
        assert image.size == (64, 48)
    assert not has_exif(stored)
    assert media_files(settings.MEDIA_ROOT) == [application.licence_image.name]
    assert application.licence_image.name.startswith("stores/applications/")


@pytest.mark.django_db
def test_food_permit_is_stored_when_given(client, shopper):
    client.force_login(shopper)

    response = client.post(
        APPLY_URL,
        application_data(
            food_permit_number="JY12301840012345",
            food_permit_image=image_upload("permit.png"),
        ),
    )

    assert response.status_code == 302
    application = StoreApplication.objects.get()
    assert application.food_permit_number == "JY12301840012345"
    assert application.food_permit_image.name.endswith(".jpg")
    assert len(media_files(settings.MEDIA_ROOT)) == 2


@pytest.mark.django_db
def test_fake_image_is_refused_and_leaves_no_file(client, shopper):
    client.force_login(shopper)

    response = client.post(APPLY_URL, application_data(licence_image=fake_image_upload()))

    assert response.status_code == 400
    assert response.context["form"].errors["licence_image"] == ["文件不是有效的图片。"]
    assert StoreApplication.objects.count() == 0
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_oversized_image_is_refused_and_leaves_no_file(client, shopper, settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 100_000
    client.force_login(shopper)
    upload = noisy_png_upload(side=300)  # ~270 kB
    assert upload.size > 100_000

    response = client.post(APPLY_URL, application_data(licence_image=upload))

    assert response.status_code == 400
    assert response.context["form"].errors["licence_image"] == ["图片不能超过 0 MB。"]
    assert StoreApplication.objects.count() == 0
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_too_many_pixels_is_refused(client, shopper, settings):
    settings.IMAGE_UPLOAD_MAX_PIXELS = 1000
    client.force_login(shopper)

    response = client.post(APPLY_URL, application_data())

    assert response.status_code == 400
    assert response.context["form"].errors["licence_image"] == ["图片像素过多。"]
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_missing_fields_are_each_reported(client, shopper):
    client.force_login(shopper)

    response = client.post(APPLY_URL, {})

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {
        "store_name",
        "store_type",
        "contact_name",
        "contact_phone",
        "county_code",
        "township",
        "licence_number",
        "licence_image",
    }
    assert StoreApplication.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_phone", "12345", "请输入有效的手机号"),
        ("licence_number", "91350100M000100Y44", "校验位不正确"),
        ("licence_number", "91350100M00010OY43", "格式不正确"),
        ("licence_number", "9135010", "应为 18 位"),
        ("county_code", "2301", "请选择区县"),
        ("county_code", "239999", "未知的区县代码"),
        ("store_type", "self_operated", "选择一个有效的选项"),
    ],
)
def test_bad_values_get_field_errors(client, shopper, field, value, message):
    client.force_login(shopper)

    response = client.post(APPLY_URL, application_data(**{field: value}))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in errors[field][0]
    assert StoreApplication.objects.count() == 0
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_permit_number_without_its_image_is_refused(client, shopper):
    client.force_login(shopper)

    response = client.post(APPLY_URL, application_data(food_permit_number="JY123"))

    assert response.status_code == 400
    assert response.context["form"].errors["food_permit_image"] == [
        "填写了许可证号时请同时上传许可证照片。"
    ]


@pytest.mark.django_db
def test_a_taken_store_name_is_a_field_error(client, shopper):
    StoreFactory(name="五常稻香家庭农场")
    client.force_login(shopper)

    response = client.post(APPLY_URL, application_data())

    assert response.status_code == 400
    assert response.context["form"].errors["store_name"] == ["该店铺名称已被使用。"]
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_second_open_application_is_refused(client, shopper):
    client.force_login(shopper)
    client.post(APPLY_URL, application_data())
    first_files = media_files(settings.MEDIA_ROOT)

    response = client.post(APPLY_URL, application_data(store_name="另一个农场"))

    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["您已有一份正在审核的入驻申请。"]
    assert StoreApplication.objects.count() == 1
    assert media_files(settings.MEDIA_ROOT) == first_files


@pytest.mark.django_db
def test_form_page_says_an_application_is_under_review(client, shopper):
    client.force_login(shopper)
    client.post(APPLY_URL, application_data())

    response = client.get(APPLY_URL)

    html = response.content.decode()
    assert "正在审核中" in html
    assert 'name="licence_image"' not in html


@pytest.mark.django_db
def test_applicant_sees_own_applications_with_status_and_reason(
    client, shopper, django_assert_max_num_queries
):
    from tests.factories import UserFactory

    other = UserFactory()
    StoreApplication.objects.create(
        applicant=shopper,
        store_name="旧申请农场",
        store_type="family_farm",
        contact_name="李四",
        contact_phone="13800138000",
        county_code="230184",
        township="龙凤山镇",
        licence_number=VALID_USCC,
        licence_image="stores/applications/a.jpg",
        status=StoreApplication.Status.REJECTED,
        reject_reason="营业执照照片不清晰",
    )
    StoreApplication.objects.create(
        applicant=other,
        store_name="别人的农场",
        store_type="family_farm",
        contact_name="王五",
        contact_phone="13900139000",
        county_code="230184",
        township="龙凤山镇",
        licence_number=VALID_USCC,
        licence_image="stores/applications/b.jpg",
    )
    client.force_login(shopper)

    with django_assert_max_num_queries(8):
        response = client.get(LIST_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert "旧申请农场" in html
    assert "已驳回" in html
    assert "营业执照照片不清晰" in html
    assert "别人的农场" not in html
