"""The read-replica router: analytics aggregates read from "replica" when one is configured."""

from django.test import override_settings

from apps.analytics.models import JobRun, PriceDaily, PriceObservation, SalesDaily
from apps.analytics.routers import AnalyticsReplicaRouter
from apps.orders.models import Order

REPLICA = {"default": {}, "replica": {}}


def test_without_a_replica_nothing_is_routed():
    assert AnalyticsReplicaRouter().db_for_read(PriceDaily) is None


@override_settings(DATABASES=REPLICA)
def test_with_a_replica_only_the_aggregates_are_read_from_it():
    router = AnalyticsReplicaRouter()

    assert router.db_for_read(PriceDaily) == "replica"
    assert router.db_for_read(SalesDaily) == "replica"
    assert router.db_for_read(PriceObservation) is None  # edited in the back office
    assert router.db_for_read(JobRun) is None
    assert router.db_for_read(Order) is None
    assert router.db_for_write(PriceDaily) is None
    assert router.allow_migrate("replica", "analytics") is False
    assert router.allow_migrate("default", "analytics") is True
