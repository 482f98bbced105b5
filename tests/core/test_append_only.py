"""apps.core.models.AppendOnlyModel: the one append-only base of ledgers, chains and events."""

import pytest

from apps.core.errors import ApplicationError
from apps.core.models import APPEND_ONLY_CODE, AppendOnlyError, AppendOnlyModel, StatusEvent
from apps.core.transitions import event_record
from apps.settlement.models import LedgerEntry
from apps.stores.models import StoreEvent
from apps.traceability.errors import TraceErrorCode
from apps.traceability.models import TraceEvent, TraceEventLot
from apps.wholesale.models import CreditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(store_a, shopper):
    return event_record(store_a, kind="note", actor=shopper, reason="开业")


def test_a_row_is_inserted_once_and_never_saved_again_or_deleted(event):
    event.reason = "改过的原因"
    with pytest.raises(AppendOnlyError) as refused:
        event.save()
    assert isinstance(refused.value, ApplicationError)
    assert refused.value.code == APPEND_ONLY_CODE
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert StoreEvent.objects.get(pk=event.pk).reason == "开业"


def test_set_based_updates_and_deletes_are_refused(event):
    rows = StoreEvent.objects.filter(pk=event.pk)
    with pytest.raises(AppendOnlyError):
        rows.update(reason="改过的原因")
    with pytest.raises(AppendOnlyError):
        rows.update(reason="改过的原因", actor=None)
    with pytest.raises(AppendOnlyError):
        rows.delete()
    assert StoreEvent.objects.get(pk=event.pk).reason == "开业"


def test_only_the_declared_bookkeeping_columns_may_be_updated(event, shopper):
    # Deleting a user sets an event's actor to NULL: the one change an event row allows.
    assert StoreEvent.objects.filter(pk=event.pk).update(actor=None) == 1
    assert StoreEvent.objects.get(pk=event.pk).actor is None
    shopper.delete()


def test_a_model_gives_its_own_message_and_code():
    error = TraceEvent.append_only_error()
    assert error.code == TraceErrorCode.EVENT_IMMUTABLE
    assert "追溯事件只能追加" in error.message
    assert LedgerEntry.append_only_error().code == APPEND_ONLY_CODE


def test_every_ledger_chain_and_event_table_is_on_the_one_base():
    from django.apps import apps

    event_models = [m for m in apps.get_models() if m.__name__.endswith(("Event", "StatusChange"))]
    status_events = {m for m in event_models if issubclass(m, StatusEvent)}
    # Carrier scans (TrackingEvent), the EPCIS log (TraceEvent) and the open platform's
    # outgoing events (WebhookEvent: facts for third-party apps) are not status events.
    assert {m.__name__ for m in event_models} - {m.__name__ for m in status_events} <= {
        "TrackingEvent",
        "TraceEvent",
        "WebhookEvent",
    }
    webhook_event = apps.get_model("open_platform", "WebhookEvent")
    for model in [
        *status_events,
        LedgerEntry,
        CreditEntry,
        TraceEvent,
        TraceEventLot,
        webhook_event,
    ]:
        assert issubclass(model, AppendOnlyModel), model
        assert model._meta.ordering == ["created_at", "id"] or model in {
            TraceEvent,
            TraceEventLot,
            webhook_event,  # newest first, as its admin lists them
        }, model
