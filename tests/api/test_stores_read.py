import pytest

from apps.stores.models import Store, StoreType
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def test_store_list_shows_active_stores_without_private_fields(api_client, store_a, store_b):
    StoreFactory(name="待开业农场", status=Store.Status.PENDING)
    StoreFactory(name="暂停的农场", status=Store.Status.SUSPENDED)
    StoreFactory(name="关闭的农场", status=Store.Status.CLOSED)

    response = api_client.get("/api/v1/stores/")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [item["id"] for item in body["results"]] == [store_a.pk, store_b.pk]
    assert body["results"][0] == {
        "id": store_a.pk,
        "name": "五常稻米合作社",
        "slug": "wuchang-rice",
        "type": "family_farm",
        "type_display": "家庭农场",
        "is_self_operated": False,
        "description": "",
        "banner": None,
        "county_code": "230184",
        "county_name": "黑龙江省哈尔滨市五常市",
        "township": "",
        "is_featured": False,
        "created_at": body["results"][0]["created_at"],
    }


def test_store_list_filters_by_type_and_featured(api_client, store_a, store_b):
    own = StoreFactory(name="田间自营", type=StoreType.SELF_OPERATED, is_featured=True)

    by_type = api_client.get("/api/v1/stores/?type=self_operated").json()
    featured = api_client.get("/api/v1/stores/?is_featured=true").json()
    by_county = api_client.get("/api/v1/stores/?county=3607").json()

    assert [item["id"] for item in by_type["results"]] == [own.pk]
    assert by_type["results"][0]["is_self_operated"] is True
    assert [item["id"] for item in featured["results"]] == [own.pk]
    assert [item["id"] for item in by_county["results"]] == [store_b.pk]


def test_store_list_bad_type_is_400(api_client, store_a):
    response = api_client.get("/api/v1/stores/?type=bank")

    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": "选择一个有效的选项。 bank 不在可用的选项中。",
        "fields": {"type": ["选择一个有效的选项。 bank 不在可用的选项中。"]},
    }


def test_store_detail(api_client, store_b):
    response = api_client.get(f"/api/v1/stores/{store_b.pk}/")

    assert response.status_code == 200
    assert response.json()["name"] == "赣南脐橙家庭农场"


@pytest.mark.parametrize(
    "status", [Store.Status.PENDING, Store.Status.SUSPENDED, Store.Status.CLOSED]
)
def test_store_detail_of_inactive_store_is_404(api_client, store_a, status):
    Store.objects.filter(pk=store_a.pk).update(status=status)

    response = api_client.get(f"/api/v1/stores/{store_a.pk}/")

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到。", "fields": {}}


def test_store_list_query_count(api_client, django_assert_max_num_queries):
    StoreFactory.create_batch(25)

    with django_assert_max_num_queries(2):
        response = api_client.get("/api/v1/stores/?page_size=25")

    assert len(response.json()["results"]) == 25


def test_store_api_is_read_only(api_client, store_a):
    response = api_client.delete(f"/api/v1/stores/{store_a.pk}/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert Store.objects.filter(pk=store_a.pk).exists()
