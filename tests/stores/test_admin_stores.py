from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.catalog.selectors import products_sellable
from apps.stores.models import Store, StoreEvent, StoreMember
from apps.stores.services import store_change_status
from tests.factories import ProductFactory, UserFactory
from tests.stores.helpers import fake_image_upload, image_upload, media_files

STORES = "/admin/stores/store/"
MEMBERS = "/admin/stores/storemember/"


def store_change(store) -> str:
    return f"{STORES}{store.pk}/change/"


def merchant_post_data(store: Store, **overrides) -> dict:
    data = {
        "description": "新的店铺简介",
        "contact_name": "新联系人",
        "contact_phone": "13900139000",
        # Inline management forms (members, events) of the change page.
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "_save": "1",
    }
    data.update(overrides)
    return data


# --- Store: changelist and change view ----------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("merchant_a", {"五常稻米合作社"}),
        ("merchant_b", {"赣南脐橙家庭农场"}),
        ("staff", {"五常稻米合作社", "赣南脐橙家庭农场"}),
    ],
)
def test_store_changelist_is_scoped(
    client, request, role, visible, store_a, store_b, django_assert_max_num_queries
):
    request.getfixturevalue("merchant_a")
    request.getfixturevalue("merchant_b")
    client.force_login(request.getfixturevalue(role))

    with django_assert_max_num_queries(9):
        response = client.get(STORES)

    assert response.status_code == 200
    assert {s.name for s in response.context["cl"].result_list} == visible


@pytest.mark.django_db
def test_merchant_gets_404_for_another_store(client, merchant_a, store_b):
    client.force_login(merchant_a)

    get = client.get(store_change(store_b))
    post = client.post(store_change(store_b), merchant_post_data(store_b))

    assert get.status_code == 404
    assert post.status_code == 404
    assert "赣南脐橙家庭农场" not in get.content.decode()
    store_b.refresh_from_db()
    assert store_b.description == ""
    assert store_b.contact_name == "张三"


@pytest.mark.django_db
def test_merchant_edits_only_profile_fields_of_own_store(client, merchant_a, store_a):
    client.force_login(merchant_a)

    response = client.post(
        store_change(store_a),
        merchant_post_data(
            store_a,
            name="改名",
            status="closed",
            commission_rate="0.0000",
            type="enterprise",
            is_featured="on",
        ),
    )

    assert response.status_code == 302
    store_a.refresh_from_db()
    assert store_a.description == "新的店铺简介"
    assert store_a.contact_name == "新联系人"
    assert store_a.contact_phone == "13900139000"
    assert store_a.name == "五常稻米合作社"
    assert store_a.status == Store.Status.ACTIVE
    assert store_a.commission_rate == settings.PLATFORM_DEFAULT_COMMISSION_RATE
    assert store_a.type == "family_farm"
    assert store_a.is_featured is False


@pytest.mark.django_db
def test_merchant_change_page_shows_status_history_but_no_status_actions(
    client, merchant_a, store_a, staff
):
    store_change_status(store=store_a, to_status="suspended", actor=staff, reason="抽检复查")
    client.force_login(merchant_a)

    html = client.get(store_change(store_a)).content.decode()

    assert "抽检复查" in html
    assert "suspend_stores" not in html
    assert 'name="commission_rate"' not in html
    assert 'name="description"' in html


@pytest.mark.django_db
def test_banner_upload_is_cleaned(client, merchant_a, store_a):
    client.force_login(merchant_a)

    response = client.post(
        store_change(store_a), merchant_post_data(store_a, banner=image_upload("banner.png"))
    )

    assert response.status_code == 302
    store_a.refresh_from_db()
    assert store_a.banner.name.startswith("stores/banners/")
    assert store_a.banner.name.endswith(".jpg")
    assert media_files(settings.MEDIA_ROOT) == [store_a.banner.name]


@pytest.mark.django_db
def test_fake_banner_is_refused_without_leaving_files(client, merchant_a, store_a):
    client.force_login(merchant_a)

    response = client.post(
        store_change(store_a), merchant_post_data(store_a, banner=fake_image_upload("b.jpg"))
    )

    assert response.status_code == 200
    assert "banner" in response.context["adminform"].form.errors
    store_a.refresh_from_db()
    assert store_a.banner.name == ""
    assert store_a.description == ""
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_merchant_cannot_add_or_delete_stores(client, merchant_a, store_a):
    client.force_login(merchant_a)

    assert client.get(f"{STORES}add/").status_code == 403
    assert client.post(f"{STORES}{store_a.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Store.objects.filter(pk=store_a.pk).exists()


# --- Store status (staff) -----------------------------------------------------------------


@pytest.mark.django_db
def test_staff_suspends_a_store_with_a_reason(client, staff, store_a):
    product = ProductFactory(store=store_a)
    client.force_login(staff)
    data = {"action": "suspend_stores", ACTION_CHECKBOX_NAME: [store_a.pk]}

    confirm = client.post(STORES, {**data, "index": 0})
    response = client.post(STORES, {**data, "apply": "1", "reason": "食品抽检不合格"})

    assert confirm.status_code == 200
    assert response.status_code == 302
    store_a.refresh_from_db()
    assert store_a.status == Store.Status.SUSPENDED
    event = StoreEvent.objects.get(store=store_a)
    assert (event.from_status, event.to_status, event.actor, event.reason) == (
        "active",
        "suspended",
        staff,
        "食品抽检不合格",
    )
    assert product not in products_sellable()


@pytest.mark.django_db
def test_suspending_needs_a_reason(client, staff, store_a):
    client.force_login(staff)

    response = client.post(
        STORES,
        {"action": "suspend_stores", ACTION_CHECKBOX_NAME: [store_a.pk], "apply": "1"},
    )

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    store_a.refresh_from_db()
    assert store_a.status == Store.Status.ACTIVE
    assert StoreEvent.objects.count() == 0


@pytest.mark.django_db
def test_a_disallowed_move_is_reported_not_applied(client, staff, store_a):
    store_change_status(store=store_a, to_status="closed", actor=staff, reason="停业")
    client.force_login(staff)

    response = client.post(
        STORES,
        {"action": "activate_stores", ACTION_CHECKBOX_NAME: [store_a.pk], "apply": "1"},
        follow=True,
    )

    messages = [str(m) for m in response.context["messages"]]
    assert any("不能从「已关闭」变为「营业中」" in m for m in messages)
    store_a.refresh_from_db()
    assert store_a.status == Store.Status.CLOSED


@pytest.mark.django_db
def test_merchant_cannot_change_status_by_posting_the_action(client, merchant_a, store_a):
    client.force_login(merchant_a)

    client.post(
        STORES,
        {
            "action": "suspend_stores",
            ACTION_CHECKBOX_NAME: [store_a.pk],
            "apply": "1",
            "reason": "x",
        },
    )

    store_a.refresh_from_db()
    assert store_a.status == Store.Status.ACTIVE
    assert StoreEvent.objects.count() == 0


@pytest.mark.django_db
def test_staff_edits_the_commission_rate(client, staff, store_a):
    client.force_login(staff)
    page = client.get(store_change(store_a))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data.update(
        {
            "county_code": "230184",
            "commission_rate": "0.0300",
            "banner": "",
            "licence_image": "",
            "food_permit_image": "",
            "members-TOTAL_FORMS": "0",
            "members-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        }
    )
    data = {k: v for k, v in data.items() if not (k == "is_featured" and v is False)}

    response = client.post(store_change(store_a), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    store_a.refresh_from_db()
    assert store_a.commission_rate == Decimal("0.0300")
    assert store_a.county_name == "黑龙江省哈尔滨市五常市"
    assert store_a.status == Store.Status.ACTIVE


# --- StoreMember ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("merchant_a", {"商家甲"}),
        ("merchant_b", {"商家乙"}),
        ("staff", {"商家甲", "商家乙"}),
    ],
)
def test_member_changelist_is_scoped(client, request, role, visible):
    request.getfixturevalue("merchant_a")
    request.getfixturevalue("merchant_b")
    client.force_login(request.getfixturevalue(role))

    response = client.get(MEMBERS)

    assert response.status_code == 200
    assert {m.user.name for m in response.context["cl"].result_list} == visible


@pytest.mark.django_db
def test_owner_sees_members_read_only(client, merchant_a, merchant_b, store_a):
    member = StoreMember.objects.get(user=merchant_a)
    other = StoreMember.objects.get(user=merchant_b)
    client.force_login(merchant_a)

    own_page = client.get(f"{MEMBERS}{member.pk}/change/")
    other_page = client.get(f"{MEMBERS}{other.pk}/change/")
    add_page = client.get(f"{MEMBERS}add/")
    delete = client.post(f"{MEMBERS}{member.pk}/delete/", {"post": "yes"})

    assert own_page.status_code == 200
    assert 'name="role"' not in own_page.content.decode()
    assert other_page.status_code == 404
    assert add_page.status_code == 403
    assert delete.status_code == 403
    assert StoreMember.objects.count() == 2


@pytest.mark.django_db
def test_staff_adds_a_clerk_through_the_service(client, staff, store_a):
    clerk = UserFactory(name="店员小赵")
    client.force_login(staff)

    response = client.post(
        f"{MEMBERS}add/", {"store": store_a.pk, "user": clerk.pk, "role": "clerk"}
    )

    assert response.status_code == 302
    member = StoreMember.objects.get(user=clerk)
    assert (member.store, member.role) == (store_a, "clerk")
    clerk.refresh_from_db()
    assert clerk.is_staff is True
    assert clerk.groups.filter(name="商家").exists()
