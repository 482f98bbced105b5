import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.accounts.models import Notification
from apps.stores.models import Store, StoreApplication, StoreMember
from apps.stores.services import store_application_submit
from tests.factories import UserFactory
from tests.stores.helpers import VALID_USCC, image_upload

CHANGELIST = "/admin/stores/storeapplication/"


def change_url(application) -> str:
    return f"{CHANGELIST}{application.pk}/change/"


def make_application(*, name="五常稻花香合作社", applicant=None) -> StoreApplication:
    return store_application_submit(
        applicant=applicant or UserFactory(),
        store_name=name,
        store_type="cooperative",
        contact_name="张三",
        contact_phone="13800138000",
        county_code="230184",
        township="龙凤山镇",
        licence_number=VALID_USCC,
        licence_image=image_upload(),
    )


@pytest.fixture
def application(db):
    return make_application()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["reviewer", "staff"])
def test_reviewers_list_applications_with_filters(
    client, request, role, application, django_assert_max_num_queries
):
    make_application(name="第二家合作社")
    client.force_login(request.getfixturevalue(role))

    with django_assert_max_num_queries(10):
        response = client.get(CHANGELIST, {"status__exact": "submitted"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "五常稻花香合作社" in html
    assert "第二家合作社" in html
    assert response.context["cl"].result_count == 2


@pytest.mark.django_db
def test_merchants_cannot_see_applications(client, merchant_a, application):
    client.force_login(merchant_a)

    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(application)).status_code == 403


@pytest.mark.django_db
def test_detail_shows_the_licence_image_read_only(client, reviewer, application):
    client.force_login(reviewer)

    response = client.get(change_url(application))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<img src="{application.licence_image.url}"' in html
    assert 'name="store_name"' not in html  # nothing of the application is editable
    assert 'value="approve_applications"' in html
    assert 'value="reject_applications"' in html


@pytest.mark.django_db
def test_approve_from_the_changelist(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(
        CHANGELIST,
        {"action": "approve_applications", ACTION_CHECKBOX_NAME: [application.pk], "index": 0},
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.APPROVED
    assert application.reviewed_by == reviewer
    store = Store.objects.get(name="五常稻花香合作社")
    assert store.status == Store.Status.ACTIVE
    assert StoreMember.objects.get(store=store).user == application.applicant
    assert Notification.objects.filter(user=application.applicant).count() == 1


@pytest.mark.django_db
def test_approve_from_the_change_form(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(
        change_url(application),
        {"CHANGE_FORM-action": "approve_applications", ACTION_CHECKBOX_NAME: application.pk},
    )

    assert response.status_code == 302
    assert response["Location"] == change_url(application)
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.APPROVED


@pytest.mark.django_db
def test_approving_twice_reports_an_error_and_opens_one_store(client, reviewer, application):
    client.force_login(reviewer)
    data = {"action": "approve_applications", ACTION_CHECKBOX_NAME: [application.pk], "index": 0}
    client.post(CHANGELIST, data)

    response = client.post(CHANGELIST, data, follow=True)

    messages = [str(m) for m in response.context["messages"]]
    assert any("已处理" in m for m in messages)
    assert Store.objects.count() == 1


@pytest.mark.django_db
def test_reject_asks_for_a_reason_first(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(
        CHANGELIST,
        {"action": "reject_applications", ACTION_CHECKBOX_NAME: [application.pk], "index": 0},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="reason"' in html
    assert 'name="action" value="reject_applications"' in html
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.SUBMITTED


@pytest.mark.django_db
def test_reject_without_a_reason_changes_nothing(client, reviewer, application):
    client.force_login(reviewer)

    response = client.post(
        CHANGELIST,
        {
            "action": "reject_applications",
            ACTION_CHECKBOX_NAME: [application.pk],
            "apply": "1",
            "reason": "",
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"reason": ["该字段是必填项。"]}
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.SUBMITTED
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_reject_with_a_reason_from_the_change_form(client, reviewer, application):
    client.force_login(reviewer)
    first = client.post(
        change_url(application),
        {"CHANGE_FORM-action": "reject_applications", ACTION_CHECKBOX_NAME: application.pk},
    )
    assert 'name="CHANGE_FORM-action" value="reject_applications"' in first.content.decode()

    response = client.post(
        change_url(application),
        {
            "CHANGE_FORM-action": "reject_applications",
            ACTION_CHECKBOX_NAME: application.pk,
            "apply": "1",
            "reason": "营业执照照片模糊，请重新拍摄",
        },
    )

    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.REJECTED
    assert application.reject_reason == "营业执照照片模糊，请重新拍摄"
    assert application.reviewed_by == reviewer
    assert Store.objects.count() == 0


@pytest.mark.django_db
def test_applicant_sees_the_result_on_the_status_page(client, reviewer, application):
    client.force_login(reviewer)
    client.post(
        CHANGELIST,
        {
            "action": "reject_applications",
            ACTION_CHECKBOX_NAME: [application.pk],
            "apply": "1",
            "reason": "经营范围与主体类型不符",
        },
    )
    client.force_login(application.applicant)

    html = client.get("/stores/applications/").content.decode()

    assert "已驳回" in html
    assert "经营范围与主体类型不符" in html


@pytest.mark.django_db
def test_staff_without_review_permission_cannot_approve(client, application):
    viewer = UserFactory(is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_storeapplication"))
    client.force_login(viewer)

    page = client.get(change_url(application)).content.decode()
    response = client.post(
        CHANGELIST,
        {"action": "approve_applications", ACTION_CHECKBOX_NAME: [application.pk], "index": 0},
    )

    assert "approve_applications" not in page
    assert response.status_code in (200, 302)
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.SUBMITTED
    assert Store.objects.count() == 0
