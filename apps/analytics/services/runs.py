"""Running an aggregation job: one transaction, one lock per job, one JobRun row per run.

The job's work happens in a single transaction: when it fails, its deletes and inserts roll
back, the previous aggregates stay as they were, and the JobRun row (saved outside that
transaction) records the error. A PostgreSQL advisory lock keyed on the job's name makes a run
that overlaps another of the same job wait for it instead of interleaving with it.
"""

import logging
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.analytics.errors import AnalyticsErrorCode
from apps.analytics.models import JobRun
from apps.core.errors import ApplicationError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    rows: int
    watermark: str
    date_from: object = None  # the first day recomputed, None when there was nothing to do


def require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise ApplicationError(
            _("统计任务需要 PostgreSQL 数据库。"), code=AnalyticsErrorCode.JOB_NEEDS_POSTGRES
        )


def last_watermark(job: str) -> str | None:
    run = (
        JobRun.objects.filter(job=job, status=JobRun.Status.SUCCEEDED)
        .exclude(watermark="")
        .order_by("-started_at", "-id")
        .first()
    )
    return run.watermark if run else None


def job_run(*, job: str, is_full: bool, work: Callable[[], JobResult]) -> JobRun:
    """Run `work` for `job` under its lock and in one transaction; record the run.

    Re-raises the job's exception after recording it, so Celery marks the task failed too.
    """
    require_postgres()
    run = JobRun.objects.create(job=job, is_full=is_full)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # The web's short timeouts do not fit a rebuild; SET LOCAL ends with the
                # transaction.
                timeout = int(settings.ANALYTICS_JOB_TIMEOUT_MS)
                cursor.execute(f"SET LOCAL statement_timeout = {timeout}")
                cursor.execute(f"SET LOCAL lock_timeout = {timeout}")
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [zlib.crc32(job.encode())])
            job_memory_set()
            result = work()
    except Exception as exc:
        logger.exception("analytics job %s failed", job)
        run.status = JobRun.Status.FAILED
        run.error = f"{type(exc).__name__}: {exc}"[:4000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    run.status = JobRun.Status.SUCCEEDED
    run.rows = result.rows
    run.watermark = result.watermark
    run.date_from = result.date_from
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "rows", "watermark", "date_from", "finished_at"])
    return run


# Memory for the sorts of a job's statements and for the index builds of a full rebuild
# (PostgreSQL's defaults, 4 MB and 64 MB, spill a full rebuild's sorts to temporary files).
WORK_MEM = "256MB"
MAINTENANCE_WORK_MEM = "512MB"


def job_memory_set() -> None:
    """Raise the sort and index-build memory for the rest of the job's transaction, and turn
    off JIT compilation: for the jobs' statements over millions of rows PostgreSQL's JIT
    (inlining and optimising some 200 expressions) cost more than it saved (docs/benchmarks.md)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        cursor.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
        cursor.execute("SET LOCAL jit = off")


@contextmanager
def secondary_indexes_deferred(*tables: str) -> Iterator[None]:
    """Drop the tables' indexes other than the primary key, and build them again at the end.

    For a full rebuild of emptied tables, inside the job's transaction: one index build after
    the bulk INSERT costs a fraction of maintaining the index row by row during it. Unique
    constraints are re-added as constraints with their names, other indexes by their own
    definitions, so the schema ends exactly as it was; a failure rolls the drops back with the
    rest of the transaction (DROP and CREATE INDEX are transactional). The tables are locked
    (ACCESS EXCLUSIVE) until the job commits, as TRUNCATE already does.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(x.indexrelid), t.relname, c.conname,
                   pg_get_constraintdef(c.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.conrelid = x.indrelid
            WHERE x.indrelid = ANY(%s::regclass[]) AND NOT x.indisprimary
            ORDER BY t.relname, i.relname
            """,
            [list(tables)],
        )
        dropped = cursor.fetchall()
        for index, _definition, table, constraint, _constraint_def in dropped:
            if constraint:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{constraint}"')
            else:
                cursor.execute(f'DROP INDEX "{index}"')
    yield
    with connection.cursor() as cursor:
        for _index, definition, table, constraint, constraint_def in dropped:
            if constraint:
                cursor.execute(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{constraint}" {constraint_def}'
                )
            else:
                cursor.execute(definition)
