"""Loading the packaged official division list (apps/orders/data/divisions.csv.gz)."""

import csv
import gzip
import io
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from django.db import transaction

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "divisions.csv.gz"
BATCH_SIZE = 5000


@lru_cache(maxsize=1)
def _all_rows() -> tuple[tuple[str, str, int, str], ...]:
    with gzip.open(DATA_FILE, "rb") as raw:
        reader = csv.reader(io.TextIOWrapper(raw, encoding="utf-8"))
        next(reader)
        return tuple((code, name, int(level), parent) for code, name, level, parent in reader)


def division_rows(*, prefixes: Iterable[str] | None = None) -> list[tuple[str, str, int, str]]:
    """(code, name, level, parent) rows, parents before children.

    With `prefixes`, only divisions under those codes and their ancestors: tests load the few
    counties they need in milliseconds instead of all 44,703 rows.
    """
    rows = list(_all_rows())
    if prefixes is not None:
        wanted = tuple(prefixes)
        rows = [
            row
            for row in rows
            if row[0].startswith(wanted) or any(p.startswith(row[0]) for p in wanted)
        ]
    rows.sort(key=lambda row: (row[2], row[0]))
    return rows


@transaction.atomic
def divisions_load(*, model=None, prefixes: Iterable[str] | None = None) -> int:
    """Insert the divisions that are missing and rename changed ones; returns rows written.

    Idempotent: running it again on a loaded table writes nothing. `model` is the historical
    model when a migration calls it.
    """
    if model is None:
        from apps.orders.models import Division as model
    rows = division_rows(prefixes=prefixes)
    codes = [row[0] for row in rows]
    existing: dict[str, str] = {}
    for start in range(0, len(codes), BATCH_SIZE):
        chunk = codes[start : start + BATCH_SIZE]
        existing.update(model.objects.filter(code__in=chunk).values_list("code", "name"))
    new = [
        model(code=code, name=name, level=level, parent_id=parent or None)
        for code, name, level, parent in rows
        if code not in existing
    ]
    model.objects.bulk_create(new, batch_size=BATCH_SIZE, ignore_conflicts=True)
    renamed = [
        model(code=code, name=name)
        for code, name, _level, _parent in rows
        if code in existing and existing[code] != name
    ]
    model.objects.bulk_update(renamed, ["name"], batch_size=BATCH_SIZE)
    return len(new) + len(renamed)
