import datetime as dt

from celery import shared_task


@shared_task
def buyer_statements_generate_task(period_start: str | None = None) -> int:
    """Monthly statements (beat: the 1st of each month). `period_start` is an ISO date of a
    month's first day; by default the month that has just ended.

    Idempotent: one statement per organisation and month; a repeated run writes none again.
    """
    from apps.wholesale.services import buyer_statements_generate

    start = dt.date.fromisoformat(period_start) if period_start else None
    return buyer_statements_generate(period_start=start)
