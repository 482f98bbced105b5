import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from apps.accounts.models import Notification
from apps.catalog.selectors import products_sellable
from apps.core.errors import ApplicationError
from apps.core.roles import MERCHANT
from apps.stores.errors import StoreErrorCode
from apps.stores.models import Store, StoreApplication, StoreEvent, StoreMember
from apps.stores.selectors import store_ids_for_user
from apps.stores.services import (
    store_application_approve,
    store_application_reject,
    store_application_submit,
    store_change_status,
    store_member_add,
    store_member_remove,
)
from apps.stores.validators import normalize_contact_phone, normalize_uscc
from tests.factories import ProductFactory, StoreFactory, UserFactory
from tests.stores.helpers import VALID_USCC, image_upload, media_files


def submit(applicant, **overrides) -> StoreApplication:
    data = {
        "applicant": applicant,
        "store_name": "赣南脐橙合作社",
        "store_type": "cooperative",
        "contact_name": "刘六",
        "contact_phone": "0797-8123456",
        "county_code": "360732",
        "township": "长冈乡",
        "licence_number": VALID_USCC,
        "licence_image": image_upload(),
        "description": "脐橙种植与销售。",
    }
    data.update(overrides)
    return store_application_submit(**data)


# --- validators ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000".replace("-", " "), "13800138000"),
        ("8613800138000", "13800138000"),
        ("0451-53612345", "0451-53612345"),
        ("045153612345", "0451-53612345"),
        ("010 12345678-801", "010-12345678-801"),
        ("02087654321", "020-87654321"),
    ],
)
def test_contact_phone_is_normalised(raw, normalised):
    assert normalize_contact_phone(raw) == normalised


@pytest.mark.parametrize("raw", ["", "12800138000", "1380013800", "400-800-8888", "abc"])
def test_bad_contact_phone_is_refused(raw):
    with pytest.raises(ValidationError):
        normalize_contact_phone(raw)


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "913100007109315730"])
def test_real_credit_codes_pass(code):
    assert normalize_uscc(code.lower()) == code


@pytest.mark.parametrize(
    "code", ["91350100M000100Y44", "91350100M000100Y4", "9135010OM000100Y43", "ABC"]
)
def test_bad_credit_codes_fail(code):
    with pytest.raises(ValidationError):
        normalize_uscc(code)


# --- submit -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_accepts_a_raw_upload_and_cleans_it(shopper):
    application = submit(shopper)

    assert application.status == StoreApplication.Status.SUBMITTED
    assert application.contact_phone == "0797-8123456"
    assert application.county_name == "江西省赣州市兴国县"
    assert media_files(settings.MEDIA_ROOT) == [application.licence_image.name]


@pytest.mark.django_db
def test_submit_refuses_a_bad_phone_before_writing_files(shopper):
    with pytest.raises(ApplicationError) as excinfo:
        submit(shopper, contact_phone="123")

    assert excinfo.value.code == StoreErrorCode.INVALID_PHONE
    assert list(excinfo.value.fields) == ["contact_phone"]
    assert StoreApplication.objects.count() == 0
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_submit_refuses_an_unknown_county(shopper):
    with pytest.raises(ApplicationError) as excinfo:
        submit(shopper, county_code="999999")

    assert excinfo.value.code == StoreErrorCode.UNKNOWN_DIVISION
    assert media_files(settings.MEDIA_ROOT) == []


@pytest.mark.django_db
def test_submit_refuses_a_second_open_application(shopper):
    submit(shopper)

    with pytest.raises(ApplicationError) as excinfo:
        submit(shopper, store_name="另一家")

    assert excinfo.value.code == StoreErrorCode.APPLICATION_ALREADY_OPEN
    assert StoreApplication.objects.count() == 1


@pytest.mark.django_db
def test_a_rejected_applicant_may_apply_again(shopper, staff):
    first = submit(shopper)
    store_application_reject(application=first, actor=staff, reason="照片不清晰")

    second = submit(shopper)

    assert second.pk != first.pk
    assert second.status == StoreApplication.Status.SUBMITTED


# --- approve / reject ---------------------------------------------------------------------


@pytest.mark.django_db
def test_approve_opens_an_active_store_owned_by_the_applicant(shopper, staff):
    application = submit(shopper)

    store = store_application_approve(application=application, actor=staff)

    store.refresh_from_db()
    application.refresh_from_db()
    assert store.status == Store.Status.ACTIVE
    assert store.name == "赣南脐橙合作社"
    assert store.type == "cooperative"
    assert store.county_code == "360732"
    assert store.licence_number == VALID_USCC
    assert store.licence_image.name == application.licence_image.name
    assert store.commission_rate == settings.PLATFORM_DEFAULT_COMMISSION_RATE
    assert application.status == StoreApplication.Status.APPROVED
    assert application.store == store
    assert application.reviewed_by == staff
    member = StoreMember.objects.get(store=store)
    assert (member.user, member.role) == (shopper, StoreMember.Role.OWNER)
    shopper.refresh_from_db()
    assert shopper.is_staff is True
    assert list(shopper.groups.values_list("name", flat=True)) == [MERCHANT]
    event = StoreEvent.objects.get(store=store)
    assert (event.from_status, event.to_status, event.actor) == ("", "active", staff)
    notification = Notification.objects.get(user=shopper)
    assert notification.title == "入驻申请已通过"


@pytest.mark.django_db
def test_an_application_is_reviewed_only_once(shopper, staff):
    application = submit(shopper)
    store_application_approve(application=application, actor=staff)

    with pytest.raises(ApplicationError) as excinfo:
        store_application_reject(application=application, actor=staff, reason="重复")

    assert excinfo.value.code == StoreErrorCode.APPLICATION_NOT_PENDING
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.APPROVED
    assert Store.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_requires_a_reason(shopper, staff, reason):
    application = submit(shopper)

    with pytest.raises(ApplicationError) as excinfo:
        store_application_reject(application=application, actor=staff, reason=reason)

    assert excinfo.value.code == StoreErrorCode.REASON_REQUIRED
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.SUBMITTED
    assert Notification.objects.count() == 0


@pytest.mark.django_db
def test_reject_records_the_reason_and_tells_the_applicant(shopper, staff):
    application = submit(shopper)

    store_application_reject(application=application, actor=staff, reason=" 营业执照已过期 ")

    application.refresh_from_db()
    assert application.status == StoreApplication.Status.REJECTED
    assert application.reject_reason == "营业执照已过期"
    assert application.store is None
    assert Store.objects.count() == 0
    notification = Notification.objects.get(user=shopper)
    assert "营业执照已过期" in notification.body


@pytest.mark.django_db
def test_approve_refuses_a_name_taken_meanwhile(shopper, staff):
    application = submit(shopper)
    StoreFactory(name="赣南脐橙合作社")

    with pytest.raises(ApplicationError) as excinfo:
        store_application_approve(application=application, actor=staff)

    assert excinfo.value.code == StoreErrorCode.NAME_TAKEN
    application.refresh_from_db()
    assert application.status == StoreApplication.Status.SUBMITTED
    assert StoreMember.objects.count() == 0


# --- status ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_suspended_store_sells_nothing_until_reactivated(store_a, store_b, staff):
    own = ProductFactory(store=store_a)
    other = ProductFactory(store=store_b)

    store_change_status(store=store_a, to_status="suspended", actor=staff, reason="抽检不合格")

    assert list(products_sellable()) == [other]
    event = StoreEvent.objects.get(store=store_a)
    assert (event.from_status, event.to_status, event.reason) == (
        "active",
        "suspended",
        "抽检不合格",
    )

    store_change_status(store=store_a, to_status="active", actor=staff)

    assert set(products_sellable()) == {own, other}


@pytest.mark.django_db
def test_a_closed_store_cannot_reopen(store_a, staff):
    store_change_status(store=store_a, to_status="closed", actor=staff, reason="经营者申请")

    with pytest.raises(ApplicationError) as excinfo:
        store_change_status(store=store_a, to_status="active", actor=staff)

    assert excinfo.value.code == StoreErrorCode.INVALID_TRANSITION
    store_a.refresh_from_db()
    assert store_a.status == Store.Status.CLOSED


# --- members --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_removing_the_last_owner_is_refused(store_a, merchant_a):
    member = StoreMember.objects.get(store=store_a, user=merchant_a)

    with pytest.raises(ApplicationError) as excinfo:
        store_member_remove(member=member)

    assert excinfo.value.code == StoreErrorCode.LAST_OWNER
    assert StoreMember.objects.filter(pk=member.pk).exists()


@pytest.mark.django_db
def test_a_removed_clerk_loses_merchant_access(store_a, merchant_a):
    clerk = UserFactory()
    member = store_member_add(store=store_a, user=clerk, role=StoreMember.Role.CLERK)

    store_member_remove(member=member)

    clerk = type(clerk).objects.get(pk=clerk.pk)
    assert store_ids_for_user(clerk) == []
    assert clerk.groups.count() == 0
    assert clerk.is_staff is False
