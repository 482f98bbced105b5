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

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections, models
from django.db.models.expressions import RawSQL
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


def transition_sources(model: type[models.Model], to_status: str) -> set[str]:
    """The statuses a `model` row may move to `to_status` from (its TRANSITIONS, read backwards)."""
    return {source for source, targets in model.TRANSITIONS.items() if to_status in targets}


def transition_many(
    queryset: models.QuerySet,
    to_status: str,
    *,
    from_statuses: Iterable[str] | None = None,
    actor=None,
    reason: str = "",
    payload: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    kind: str = "status",
    values: dict[str, Any] | None = None,
    returning: Iterable[str] = (),
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Move every row of `queryset` that may go to `to_status` and record one event row each,
    set-based, inside the caller's transaction; returns the rows moved, in pk order, as dicts
    {"pk", "from_status", <each `returning` column>}.

    The rows' statuses are guarded, not checked one by one: a row whose status is not an
    allowed source of the move (the model's TRANSITIONS, narrowed by `from_statuses`) is left
    alone and gets no event, so a second call, or a concurrent one, moves nothing twice.
    `from_statuses` naming a status the table does not allow is a programming error
    (ValueError). Three statements whatever the number of rows:

    1. SELECT … FOR UPDATE of the rows in an allowed source status, in pk order (the lock order
       every service keeps). It reads each row's own from-status — a move with several sources
       records each row's — and the `returning` columns, as they are before the move.
       A row a concurrent transaction moved meanwhile is re-read once that commits and dropped
       if its status no longer qualifies (PostgreSQL's READ COMMITTED re-check).
    2. UPDATE … SET status, the STATUS_TIMESTAMPS field (`at`, default now), `updated_at`
       and `values` (plain values or expressions such as F("round") + 1) WHERE pk IN (the
       locked rows) AND status IN (the allowed sources).
    3. One INSERT of the event rows (`kind`, `actor`, `reason`, and `payload`: one dict for
       all, or a function of the returned row dict for each). On PostgreSQL the rows travel as
       one JSON array (INSERT … SELECT FROM jsonb_array_elements), elsewhere through
       bulk_create.
    """
    model = queryset.model
    sources = transition_sources(model, to_status)
    if from_statuses is not None:
        narrowed = set(from_statuses)
        if not narrowed <= sources:
            raise ValueError(
                f"{model.__name__}: {', '.join(sorted(map(str, narrowed - sources)))}"
                f" may not move to {to_status}"
            )
        sources = narrowed
    returning = tuple(returning)
    locked = list(
        queryset.filter(status__in=sources)
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "status", *returning)
    )
    if not locked:
        return []
    rows = [
        {"pk": row[0], "from_status": row[1], **dict(zip(returning, row[2:], strict=True))}
        for row in locked
    ]
    pks = [row["pk"] for row in rows]
    now = timezone.now()
    changes = {"status": to_status, **(values or {})}
    stamp = getattr(model, "STATUS_TIMESTAMPS", {}).get(to_status)
    if stamp:
        changes[stamp] = at or now
    if any(f.name == "updated_at" for f in model._meta.concrete_fields):
        changes["updated_at"] = now
    target = model._base_manager.using(queryset.db).filter(status__in=sources)
    if connections[queryset.db].vendor == "postgresql":
        # One array parameter, not a placeholder per row (a job's batch is a thousand rows).
        qn = connections[queryset.db].ops.quote_name
        column = f"{qn(model._meta.db_table)}.{qn(model._meta.pk.column)}"
        target = target.filter(
            RawSQL(f"{column} = ANY(%s)", (pks,), output_field=models.BooleanField())
        )
    else:
        target = target.filter(pk__in=pks)
    target.update(**changes)
    _events_insert(
        model,
        rows,
        to_status,
        actor=actor,
        reason=reason,
        payload=payload,
        kind=kind,
        created_at=now,
        using=queryset.db,
    )
    return rows


def _events_set_based(connection) -> bool:
    """Whether event rows go in by one INSERT … SELECT (PostgreSQL) rather than bulk_create."""
    return connection.vendor == "postgresql"


def _events_insert(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    to_status: str,
    *,
    actor,
    reason: str,
    payload,
    kind: str,
    created_at: datetime,
    using: str,
) -> None:
    related = model._meta.get_field(getattr(model, "EVENTS_RELATED_NAME", "events"))
    event_model, owner = related.related_model, related.field
    max_reason = event_model._meta.get_field("reason").max_length
    reason = (reason or "")[:max_reason]
    actor_id = getattr(actor, "pk", None)
    connection = connections[using]
    if not _events_set_based(connection):
        event_model.objects.using(using).bulk_create(
            event_model(
                **{owner.attname: row["pk"]},
                kind=kind,
                from_status=row["from_status"],
                to_status=to_status,
                actor_id=actor_id,
                reason=reason,
                payload=(payload(row) if callable(payload) else payload) or {},
                created_at=created_at,
            )
            for row in rows
        )
        return
    # No Python object per row: the job-sized callers (the commission release) need it. The
    # rows travel as one JSON array (one encode, one parameter); what is the same for every
    # row (one source status, one payload) is a parameter of its own.
    sources = {row["from_status"] for row in rows}
    varying_source, varying_payload = len(sources) > 1, callable(payload)
    document = [
        [
            row["pk"],
            *([row["from_status"]] if varying_source else []),
            *([payload(row) or {}] if varying_payload else []),
        ]
        for row in rows
    ]
    encode = DjangoJSONEncoder().encode
    source_sql = "e->>1" if varying_source else "%(source)s"
    payload_sql = f"e->{1 + varying_source}" if varying_payload else "%(payload)s::jsonb"
    table = connection.ops.quote_name(event_model._meta.db_table)
    column = connection.ops.quote_name(owner.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({column}, from_status, to_status, kind, actor_id, reason,"
            f" payload, created_at) SELECT (e->>0)::bigint, {source_sql}, %(to_status)s,"
            f" %(kind)s, %(actor)s, %(reason)s, {payload_sql}, %(created_at)s"
            " FROM jsonb_array_elements(%(rows)s::jsonb) AS e",
            {
                "rows": encode(document),
                "source": None if varying_source else sources.pop(),
                "payload": None if varying_payload else encode(payload or {}),
                "to_status": to_status,
                "kind": kind,
                "actor": actor_id,
                "reason": reason,
                "created_at": created_at,
            },
        )
