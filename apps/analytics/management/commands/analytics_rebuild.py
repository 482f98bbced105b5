from django.core.management.base import BaseCommand

from apps.analytics.services.demand import demand_aggregate
from apps.analytics.services.forecasts import demand_forecast
from apps.analytics.services.prices import prices_aggregate
from apps.analytics.services.sales import sales_aggregate

JOBS = {
    "prices": prices_aggregate,
    "sales": sales_aggregate,
    # Reads SalesDaily: after the sales job.
    "demand": demand_aggregate,
    # Always a full recompute; it reads the demand aggregate, so it runs after it.
    "forecast": lambda full: demand_forecast(),
}


class Command(BaseCommand):
    help = "运行统计任务（默认增量；--full 全量重建）。"

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="清空并全量重建所有统计表")
        parser.add_argument("--only", choices=sorted(JOBS), action="append", help="只运行这些任务")

    def handle(self, *args, full: bool, only: list[str] | None, **options):
        for name in only or JOBS:
            run = JOBS[name](full=full)
            seconds = (run.finished_at - run.started_at).total_seconds()
            self.stdout.write(
                f"{name}: {run.rows} rows from {run.date_from or '-'} in {seconds:.2f} s"
            )
