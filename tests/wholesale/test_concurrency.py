"""Concurrent movements on one organisation, with real threads and connections (PostgreSQL)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.core.errors import ApplicationError
from apps.wholesale.models import BuyerOrganisation, CreditEntry
from apps.wholesale.selectors import credit_balance
from apps.wholesale.services import credit_charge, credit_record_repayment
from tests.factories import UserFactory
from tests.wholesale.helpers import make_organisation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_together(count: int, work) -> list:
    """Start `count` threads at the same moment; each returns its result or its error."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_charges_cannot_exceed_the_limit():
    organisation = make_organisation(credit_limit="1000.00")

    results = run_together(
        12,
        lambda i: credit_charge(
            organisation=organisation, amount=Decimal("150.00"), reference=f"PO-{i}"
        ),
    )

    charged = [r for r in results if isinstance(r, CreditEntry)]
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert len(charged) == 6  # 6 × 150 = 900; a 7th would make 1050
    assert len(refused) == 6
    assert {r.code for r in refused} == {"wholesale_credit_exceeded"}
    organisation = BuyerOrganisation.objects.get(pk=organisation.pk)
    assert credit_balance(organisation=organisation) == Decimal("900.00")
    assert CreditEntry.objects.filter(organisation=organisation).count() == 6


def test_a_retried_charge_racing_itself_is_booked_once():
    organisation = make_organisation(credit_limit="1000.00")

    results = run_together(
        8,
        lambda i: credit_charge(
            organisation=organisation, amount=Decimal("400.00"), reference="PO-SAME"
        ),
    )

    assert all(isinstance(r, CreditEntry) for r in results), results
    assert len({r.pk for r in results}) == 1
    assert CreditEntry.objects.filter(organisation=organisation).count() == 1


def test_two_staff_recording_the_same_debt_cannot_both_clear_it():
    organisation = make_organisation(credit_limit="1000.00")
    credit_charge(organisation=organisation, amount=Decimal("300.00"), reference="PO-1")
    staff = [UserFactory(is_staff=True), UserFactory(is_staff=True)]

    results = run_together(
        2,
        lambda i: credit_record_repayment(
            organisation=organisation, amount=Decimal("300.00"), actor=staff[i]
        ),
    )

    assert sorted(type(r).__name__ for r in results) == ["ApplicationError", "CreditEntry"]
    assert credit_balance(organisation=organisation) == Decimal("0.00")
