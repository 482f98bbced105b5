import pytest
from django.core.management import call_command
from django.urls import reverse

from apps.core.errors import ApplicationError
from apps.orders.models import Address, Division
from apps.orders.services.addresses import address_delete, address_save, address_set_default
from apps.orders.services.divisions import division_rows
from tests.factories import UserFactory
from tests.orders.conftest import make_address

pytestmark = pytest.mark.django_db


def test_packaged_divisions_reach_township_level_with_official_codes():
    rows = division_rows()
    by_code = {code: (name, level, parent) for code, name, level, parent in rows}
    assert len(rows) == 44703
    assert by_code["23"] == ("黑龙江省", 1, "")
    assert by_code["230184"] == ("五常市", 3, "2301")
    assert by_code["230184100"] == ("五常镇", 4, "230184")
    assert sum(1 for row in rows if row[2] == 4) == 41352


def test_load_divisions_command_is_idempotent(divisions):
    call_command("load_divisions", "--only", "360732")
    count = Division.objects.count()
    call_command("load_divisions", "--only", "360732")
    assert Division.objects.count() == count
    assert Division.objects.get(code="360732").parent_id == "3607"


def test_first_address_is_default_and_exactly_one_default_stays(shopper, divisions):
    first = make_address(shopper)
    second = make_address(shopper, county="360732")
    third = make_address(shopper, county="110101", is_default=True)

    defaults = list(Address.objects.filter(user=shopper, is_default=True))
    assert defaults == [third]
    address_set_default(user=shopper, address=second)
    assert list(Address.objects.filter(user=shopper, is_default=True)) == [second]
    address_delete(user=shopper, address=second)
    assert Address.objects.filter(user=shopper, is_default=True).count() == 1
    assert first.full_text == "黑龙江省哈尔滨市五常市五常镇幸福村 8 号"
    assert third.full_text.startswith("北京市东城区")  # "市辖区" is not a place name


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contact_phone": "12345"}, "contact_phone"),
        ({"contact_phone": "010-62345678"}, "contact_phone"),
        ({"contact_name": " "}, "contact_name"),
        ({"detail": ""}, "detail"),
        ({"province": "36"}, "city"),  # 五常's city under the wrong province
        ({"township": "360732100"}, "township"),  # a township of another county
        ({"township": ""}, "township"),
        ({"county": "999999"}, "county"),
    ],
)
def test_address_validation(shopper, divisions, changes, field):
    data = {
        "contact_name": "王小明",
        "contact_phone": "13812345678",
        "province": "23",
        "city": "2301",
        "county": "230184",
        "township": "230184100",
        "detail": "幸福村 8 号",
        **changes,
    }
    with pytest.raises(ApplicationError) as exc:
        address_save(user=shopper, **data)
    assert field in exc.value.fields
    assert Address.objects.count() == 0


def test_address_form_works_without_javascript_level_by_level(client, shopper, divisions):
    client.force_login(shopper)
    url = reverse("orders:address_create")
    base = {"contact_name": "王小明", "contact_phone": "138 1234 5678", "detail": "幸福村 8 号"}

    page = client.get(url)
    assert '<option value="23">黑龙江省</option>' in page.content.decode()
    step = client.post(url, {**base, "province": "23", "refresh": "1"})
    assert step.status_code == 200
    assert '<option value="2301">哈尔滨市</option>' in step.content.decode()
    step = client.post(url, {**base, "province": "23", "city": "2301", "refresh": "1"})
    assert '<option value="230184">五常市</option>' in step.content.decode()
    step = client.post(
        url, {**base, "province": "23", "city": "2301", "county": "230184", "refresh": "1"}
    )
    assert '<option value="230184100">五常镇</option>' in step.content.decode()
    assert Address.objects.count() == 0
    done = client.post(
        url,
        {**base, "province": "23", "city": "2301", "county": "230184", "township": "230184100"},
    )

    assert done.status_code == 302
    address = Address.objects.get(user=shopper)
    assert (address.contact_phone, address.township_id, address.is_default) == (
        "+8613812345678",
        "230184100",
        True,
    )


def test_changing_the_province_drops_stale_lower_choices(client, shopper, divisions):
    client.force_login(shopper)
    response = client.post(
        reverse("orders:address_create"),
        {"province": "36", "city": "2301", "county": "230184", "refresh": "1"},
    )
    html = response.content.decode()
    assert '<option value="36" selected>江西省</option>' in html
    assert '<option value="3607">赣州市</option>' in html  # offered, not selected
    assert "五常市" not in html  # the old county's level is empty until a city is chosen
    assert "This field is required" not in html
    assert "必填" not in html


def test_saving_with_a_stale_lower_choice_is_refused(client, shopper, divisions):
    client.force_login(shopper)
    response = client.post(
        reverse("orders:address_create"),
        {
            "contact_name": "王小明",
            "contact_phone": "13812345678",
            "province": "36",
            "city": "2301",
            "county": "230184",
            "township": "230184100",
            "detail": "1 号",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["city"]
    assert Address.objects.count() == 0


def test_address_pages_show_only_own_addresses(client, shopper, divisions):
    other = UserFactory()
    theirs = make_address(other, detail="别人家")
    make_address(shopper, detail="我家")
    client.force_login(shopper)

    listing = client.get(reverse("orders:address_list")).content.decode()
    edit = client.get(reverse("orders:address_edit", args=[theirs.pk]))
    delete = client.post(reverse("orders:address_delete", args=[theirs.pk]))
    default = client.post(reverse("orders:address_default", args=[theirs.pk]))

    assert "我家" in listing
    assert "别人家" not in listing
    assert (edit.status_code, delete.status_code, default.status_code) == (404, 404, 404)
    assert Address.objects.filter(pk=theirs.pk, is_default=True).exists()


def test_address_api_crud_and_isolation(api_client, shopper, divisions):
    other = UserFactory()
    theirs = make_address(other)
    api_client.force_authenticate(shopper)
    payload = {
        "contact_name": "王小明",
        "contact_phone": "13812345678",
        "province": "36",
        "city": "3607",
        "county": "360732",
        "township": "360732100",
        "detail": "潋江镇 1 号",
    }

    created = api_client.post(reverse("api-address-list"), payload, format="json")
    bad = api_client.post(
        reverse("api-address-list"), {**payload, "contact_phone": "123"}, format="json"
    )
    listed = api_client.get(reverse("api-address-list"))
    foreign = api_client.get(reverse("api-address-detail", args=[theirs.pk]))
    foreign_delete = api_client.delete(reverse("api-address-detail", args=[theirs.pk]))

    assert created.status_code == 201
    assert created.json()["full_text"] == "江西省赣州市兴国县潋江镇潋江镇 1 号"
    assert created.json()["is_default"] is True
    assert bad.status_code == 400
    assert "contact_phone" in bad.json()["fields"]
    assert [a["id"] for a in listed.json()] == [created.json()["id"]]
    assert (foreign.status_code, foreign_delete.status_code) == (404, 404)
    assert Address.objects.filter(pk=theirs.pk).exists()


def test_division_endpoint_lists_children(client, divisions):
    provinces = client.get(reverse("api-division-list")).json()
    counties = client.get(reverse("api-division-list"), {"parent": "2301"}).json()
    assert {"code": "23", "name": "黑龙江省", "level": 1} in provinces
    assert {"code": "230184", "name": "五常市", "level": 3} in counties


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contact_name": "王\u200b小明"}, "contact_name"),
        ({"detail": "幸福村\u202e号 8"}, "detail"),
    ],
)
def test_address_refuses_invisible_characters(shopper, divisions, changes, field):
    data = {
        "contact_name": "王小明",
        "contact_phone": "13812345678",
        "province": "23",
        "city": "2301",
        "county": "230184",
        "township": "230184100",
        "detail": "幸福村 8 号",
        **changes,
    }
    with pytest.raises(ApplicationError) as exc:
        address_save(user=shopper, **data)
    assert list(exc.value.fields) == [field]
    assert Address.objects.count() == 0
