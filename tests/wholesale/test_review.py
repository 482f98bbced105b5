"""Staff verify or reject applications, grant credit and record repayments in the admin."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.accounts.models import Notification
from apps.wholesale.models import BuyerOrganisation, BuyerOrganisationEvent, CreditEntry
from apps.wholesale.services import credit_charge
from tests.factories import UserFactory
from tests.wholesale.helpers import make_organisation

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/wholesale/buyerorganisation/"


def change_url(organisation) -> str:
    return f"{CHANGELIST}{organisation.pk}/change/"


def act(client, action: str, organisation, **data):
    return client.post(
        CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [organisation.pk], **data}
    )


@pytest.fixture
def applicant(db):
    return UserFactory(name="申请人")


@pytest.fixture
def pending(applicant):
    return make_organisation(user=applicant, verified=False)


def test_staff_list_applications_with_what_is_owed(
    client, staff, pending, organisation, django_assert_max_num_queries
):
    credit_charge(organisation=organisation, amount=Decimal("120.50"), reference="PO-1")
    client.force_login(staff)

    with django_assert_max_num_queries(12):
        response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    html = response.content.decode()
    assert "¥120.50" in html
    assert "待审核" in html


def test_detail_is_read_only_with_the_review_actions(client, staff, pending):
    client.force_login(staff)

    response = client.get(change_url(pending))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="name"' not in html
    for action in [
        "verify_organisations",
        "reject_organisations",
        "set_credit_limit",
        "record_repayment",
    ]:
        assert f'value="{action}"' in html


@pytest.mark.parametrize("role", ["shopper", "merchant_a"])
def test_non_staff_cannot_reach_the_admin_pages(client, request, role, pending):
    client.force_login(request.getfixturevalue(role))

    assert client.get(CHANGELIST).status_code in (302, 403)
    response = act(client, "verify_organisations", pending)

    assert response.status_code in (302, 403)
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_staff_without_the_review_permission_cannot_verify(client, pending):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_buyerorganisation"))
    client.force_login(viewer)

    response = act(client, "verify_organisations", pending)

    assert response.status_code == 200  # the changelist again: the action is not offered
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert not Notification.objects.filter(user=pending.members.get().user).exists()


def test_verify_records_who_and_when_and_notifies_the_applicant(client, staff, pending, applicant):
    client.force_login(staff)

    response = act(client, "verify_organisations", pending)

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "verified"
    assert pending.reviewed_by == staff
    assert pending.reviewed_at is not None
    event = pending.events.order_by("-id").first()
    assert (event.from_status, event.to_status, event.actor) == ("pending", "verified", staff)
    note = Notification.objects.get(user=applicant)
    assert note.title == "批发采购认证已通过"
    assert note.url == "/wholesale/"


def test_reject_asks_for_a_reason_first(client, staff, pending):
    client.force_login(staff)

    page = act(client, "reject_organisations", pending)
    blank = act(client, "reject_organisations", pending, apply="1", reason="  ")

    assert page.status_code == 200
    assert "驳回批发采购申请" in page.content.decode()
    assert blank.status_code == 200
    assert blank.context["form"].errors["reason"]
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_reject_with_reason_notifies_the_applicant(client, staff, pending, applicant):
    client.force_login(staff)

    response = act(client, "reject_organisations", pending, apply="1", reason="营业执照已过期")

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert pending.reject_reason == "营业执照已过期"
    assert pending.reviewed_by == staff
    event = pending.events.order_by("-id").first()
    assert (event.to_status, event.reason) == ("rejected", "营业执照已过期")
    note = Notification.objects.get(user=applicant)
    assert note.title == "批发采购认证未通过"
    assert "营业执照已过期" in note.body


def test_verifying_twice_is_refused_with_a_message(client, staff, organisation):
    client.force_login(staff)
    events_before = organisation.events.count()

    response = act(client, "verify_organisations", organisation)

    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("不能从「已认证」变为「已认证」" in m for m in messages)
    assert organisation.events.count() == events_before


def test_verify_from_the_change_form(client, staff, pending):
    client.force_login(staff)

    response = client.post(
        change_url(pending),
        {"CHANGE_FORM-action": "verify_organisations", ACTION_CHECKBOX_NAME: [pending.pk]},
    )

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "verified"


def test_staff_grant_a_credit_limit_with_an_audit_row(client, staff, buyer, organisation):
    client.force_login(staff)

    page = act(client, "set_credit_limit", organisation)
    response = act(
        client,
        "set_credit_limit",
        organisation,
        apply="1",
        credit_limit="5000.00",
        reason="年度合作",
    )

    assert page.status_code == 200
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.credit_limit == Decimal("5000.00")
    event = organisation.events.filter(kind="credit_limit").order_by("-id").first()
    assert (event.from_credit_limit, event.to_credit_limit) == (
        Decimal("1000.00"),
        Decimal("5000.00"),
    )
    assert (event.actor, event.reason) == (staff, "年度合作")
    note = Notification.objects.filter(user=buyer).order_by("-id").first()
    assert note.title == "账期授信额度已调整"


def test_a_pending_organisation_cannot_get_credit(client, staff, pending):
    client.force_login(staff)

    act(client, "set_credit_limit", pending, apply="1", credit_limit="100", reason="x")

    pending.refresh_from_db()
    assert pending.credit_limit == 0
    assert not pending.events.filter(kind="credit_limit").exists()


def test_negative_credit_limit_is_refused_by_the_form(client, staff, organisation):
    client.force_login(staff)

    response = act(
        client, "set_credit_limit", organisation, apply="1", credit_limit="-1", reason="x"
    )

    assert response.status_code == 200
    assert response.context["form"].errors["credit_limit"]
    organisation.refresh_from_db()
    assert organisation.credit_limit == Decimal("1000.00")


def test_staff_record_a_repayment_once_even_if_submitted_twice(client, staff, buyer, organisation):
    credit_charge(organisation=organisation, amount=Decimal("300.00"), reference="PO-9")
    client.force_login(staff)
    page = act(client, "record_repayment", organisation)
    token = page.context["form"].initial["token"]
    data = {"apply": "1", "amount": "120.00", "reference": "BANK-001", "token": token}

    first = act(client, "record_repayment", organisation, **data)
    second = act(client, "record_repayment", organisation, **data)

    assert "当前应付" in page.content.decode()
    assert (first.status_code, second.status_code) == (302, 302)
    repayment = CreditEntry.objects.get(kind="repayment")
    assert repayment.amount == Decimal("-120.00")
    assert (repayment.reference, repayment.actor) == ("BANK-001", staff)
    assert Notification.objects.filter(user=buyer, title="已收到还款").count() == 1


def test_repayment_over_what_is_owed_is_refused_on_the_form(client, staff, organisation):
    credit_charge(organisation=organisation, amount=Decimal("50.00"), reference="PO-2")
    client.force_login(staff)

    response = act(client, "record_repayment", organisation, apply="1", amount="50.01", token="t1")

    assert response.status_code == 200
    assert "超过当前应付 ¥50.00" in str(response.context["form"].errors["amount"])
    assert not CreditEntry.objects.filter(kind="repayment").exists()


def test_wholesale_permissions_belong_to_platform_operations(staff):
    assert staff.has_perm("wholesale.review_buyerorganisation")
    assert staff.has_perm("wholesale.manage_credit_buyerorganisation")
    assert staff.has_perm("wholesale.view_creditentry")
    assert not staff.has_perm("wholesale.change_buyerorganisation")
    assert not staff.has_perm("wholesale.delete_creditentry")


def test_events_are_listed_on_the_organisation_page(client, staff, organisation):
    client.force_login(staff)

    html = client.get(change_url(organisation)).content.decode()

    assert "审核与授信记录" in html
    assert "¥0.00 → ¥1000.00" in html
    assert BuyerOrganisationEvent.objects.filter(organisation=organisation).count() == 3


def test_ledger_admin_is_read_only(client, staff, organisation):
    entry = credit_charge(organisation=organisation, amount=Decimal("10.00"), reference="PO-3")
    client.force_login(staff)

    listing = client.get("/admin/wholesale/creditentry/")
    delete = client.post(f"/admin/wholesale/creditentry/{entry.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert delete.status_code == 403
    assert CreditEntry.objects.filter(pk=entry.pk).exists()
    assert BuyerOrganisation.objects.filter(pk=organisation.pk).exists()
