import datetime as dt

from celery import shared_task


@shared_task
def settlement_statements_generate_task(period_start: str | None = None) -> int:
    """Weekly statements (beat: Monday 02:00 Asia/Shanghai). `period_start` is the ISO date a
    period begins on; by default the period that has just ended.

    Idempotent: one statement per store and period (unique constraint), and an entry already
    in a statement is never taken again.
    """
    from apps.settlement.services import settlement_statements_generate

    start = dt.date.fromisoformat(period_start) if period_start else None
    return settlement_statements_generate(period_start=start)
