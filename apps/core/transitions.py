"""The one way a stateful object changes its status.

A stateful model declares, as data:

    class Status(models.TextChoices): ...
    TRANSITIONS = {Status.A: {Status.B, ...}, ...}     # allowed moves
    TRANSITION_ERROR_CODE = MyErrorCode.INVALID_TRANSITION
    STATUS_TIMESTAMPS = {Status.B: "b_at"}             # optional: fields a move stamps

and an event model (a `StatusEvent` subclass) whose foreign key to it has
`related_name="events"` (a model whose event rows go by another name says so in
`EVENTS_RELATED_NAME`). A service locks the row, then calls `transition(...)` once per move:
it checks the table, saves `status` (plus stamped and caller-set fields) with `update_fields`,
and writes the event row, all inside the caller's transaction. A forbidden move raises
`ApplicationError` with the model's TRANSITION_ERROR_CODE, HTTP 409 and one wording for every
model.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.errors import ApplicationError


def status_label(model: type[models.Model], status: str) -> str:
    return dict(model.Status.choices).get(status, status)


def transition_check(obj: models.Model, to_status: str) -> None:
    """Raise the model's own error unless `obj` may move from its status to `to_status`."""
    model = type(obj)
    if to_status in model.TRANSITIONS.get(obj.status, ()):
        return
    raise ApplicationError(
        _("%(object)s「%(name)s」不能从「%(status)s」变为「%(to)s」。")
        % {
            "object": model._meta.verbose_name,
            "name": obj,
            "status": status_label(model, obj.status),
            "to": status_label(model, to_status),
        },
        code=model.TRANSITION_ERROR_CODE,
        status_code=409,
    )


def transition_allowed(obj: models.Model, to_status: str) -> bool:
    return to_status in type(obj).TRANSITIONS.get(obj.status, ())


def transition(
    obj: models.Model,
    to_status: str,
    *,
    actor=None,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    kind: str = "status",
    fields: Iterable[str] = (),
    at: datetime | None = None,
) -> models.Model:
    """Move a locked `obj` to `to_status` and record it; returns the event row.

    `fields` are other fields the caller already set on `obj` that must be saved with the
    move; `at` is the time stamped into the model's STATUS_TIMESTAMPS field (default now).
    """
    transition_check(obj, to_status)
    model = type(obj)
    from_status = obj.status
    obj.status = to_status
    update_fields = {"status", *fields}
    stamp = getattr(model, "STATUS_TIMESTAMPS", {}).get(to_status)
    if stamp:
        setattr(obj, stamp, at or timezone.now())
        update_fields.add(stamp)
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        update_fields.add("updated_at")
    obj.save(update_fields=sorted(update_fields))
    return event_record(
        obj,
        kind=kind,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        reason=reason,
        payload=payload,
    )


def event_record(
    obj: models.Model,
    *,
    kind: str,
    actor=None,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
) -> models.Model:
    """Write an event row about `obj` without a move (a notable fact: a note, a notice)."""
    status = getattr(obj, "status", "")
    events = getattr(obj, getattr(type(obj), "EVENTS_RELATED_NAME", "events"))
    max_reason = events.model._meta.get_field("reason").max_length
    return events.create(
        kind=kind,
        from_status=status if from_status is None else from_status,
        to_status=status if to_status is None else to_status,
        actor=actor if getattr(actor, "pk", None) else None,
        reason=(reason or "")[:max_reason],
        payload=payload or {},
    )
