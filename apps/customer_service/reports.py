"""The figures staff learn from (DOMAIN.md: analyse complaints): a fixed number of aggregate
queries over a window of days, for the dashboard page and its CSV export."""

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone

from apps.customer_service.models import CallbackVisit, Case, SurveyResponse


@dataclass
class Dashboard:
    since: datetime
    total: int = 0
    by_category: list[tuple[str, int]] = field(default_factory=list)
    by_store: list[tuple[str, int]] = field(default_factory=list)
    by_product: list[tuple[str, int]] = field(default_factory=list)
    by_lot: list[tuple[str, int]] = field(default_factory=list)
    first_response_met: float | None = None
    resolution_met: float | None = None
    median_first_response_minutes: float | None = None
    median_close_hours: float | None = None
    reopen_rate: float | None = None
    callback_completion: float | None = None
    callback_score: float | None = None
    survey_score: float | None = None
    weekly: list[dict] = field(default_factory=list)


def _share(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _top(cases, path: str, limit: int = 10) -> list[tuple[str, int]]:
    rows = (
        cases.exclude(**{f"{path}__isnull": True})
        .values(path)
        .annotate(n=Count("id"))
        .order_by("-n", path)[:limit]
    )
    return [(str(row[path]), row["n"]) for row in rows]


def service_dashboard(*, days: int = 90, now: datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    since = now - timedelta(days=days)
    cases = Case.objects.filter(created_at__gte=since)
    board = Dashboard(since=since)
    labels = dict(Case.Category.choices)
    board.by_category = [(str(labels.get(k, k)), n) for k, n in _top(cases, "category")]
    board.by_store = _top(cases, "store__name")
    board.by_product = _top(cases, "order_line__title")
    board.by_lot = _top(cases, "lot__lot_number")
    counts = cases.aggregate(
        total=Count("id"),
        responded=Count("id", filter=Q(first_responded_at__isnull=False)),
        responded_in_time=Count("id", filter=Q(first_responded_at__lte=F("first_response_due"))),
        resolved=Count("id", filter=Q(resolved_at__isnull=False)),
        resolved_in_time=Count("id", filter=Q(resolved_at__lte=F("resolution_due"))),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
    )
    board.total = counts["total"]
    board.first_response_met = _share(counts["responded_in_time"], counts["responded"])
    board.resolution_met = _share(counts["resolved_in_time"], counts["resolved"])
    board.reopen_rate = _share(counts["reopened"], counts["resolved"])
    first = [
        (answered - opened).total_seconds() / 60
        for opened, answered in cases.filter(first_responded_at__isnull=False).values_list(
            "created_at", "first_responded_at"
        )
    ]
    closed = [
        (done - opened).total_seconds() / 3600
        for opened, done in cases.filter(closed_at__isnull=False).values_list(
            "created_at", "closed_at"
        )
    ]
    board.median_first_response_minutes = round(statistics.median(first), 1) if first else None
    board.median_close_hours = round(statistics.median(closed), 1) if closed else None
    visits = CallbackVisit.objects.filter(due_date__gte=since.date(), due_date__lte=now.date())
    visit_counts = visits.aggregate(
        due=Count("id", filter=~Q(status=CallbackVisit.Status.CANCELLED)),
        done=Count("id", filter=Q(status=CallbackVisit.Status.DONE)),
        score=Avg("score"),
    )
    board.callback_completion = _share(visit_counts["done"], visit_counts["due"])
    if visit_counts["score"] is not None:
        board.callback_score = round(float(visit_counts["score"]), 2)
    survey = SurveyResponse.objects.filter(created_at__gte=since).aggregate(s=Avg("average_score"))
    if survey["s"] is not None:
        board.survey_score = round(float(survey["s"]), 2)
    board.weekly = list(
        cases.annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(
            opened=Count("id"),
            resolved=Count("id", filter=Q(resolved_at__isnull=False)),
            in_time=Count("id", filter=Q(resolved_at__lte=F("resolution_due"))),
        )
        .order_by("week")
    )
    return board


def dashboard_chart_data(board: Dashboard) -> dict:
    """What dashboard.js draws (the same numbers as the page's tables)."""
    from django.utils.translation import gettext as _

    return {
        "labels": {"opened": _("新增"), "resolved": _("已解决"), "in_time": _("按时解决")},
        "weeks": [row["week"].date().isoformat() for row in board.weekly],
        "opened": [row["opened"] for row in board.weekly],
        "resolved": [row["resolved"] for row in board.weekly],
        "in_time": [row["in_time"] for row in board.weekly],
        "categories": [label for label, _n in board.by_category],
        "category_counts": [n for _label, n in board.by_category],
    }


def dashboard_csv_rows(board: Dashboard) -> list[list]:
    """The CSV export: the weekly trend, then every breakdown and the headline figures."""
    from django.utils.translation import gettext as _

    rows: list[list] = [[_("周"), _("新增"), _("已解决"), _("按时解决")]]
    rows += [
        [row["week"].date(), row["opened"], row["resolved"], row["in_time"]] for row in board.weekly
    ]
    for title, pairs in (
        (_("类别"), board.by_category),
        (_("店铺"), board.by_store),
        (_("商品"), board.by_product),
        (_("批次"), board.by_lot),
    ):
        rows += [[], [title, _("数量")], *[list(pair) for pair in pairs]]
    rows += [
        [],
        [_("指标"), _("数值")],
        [_("工单数"), board.total],
        [_("首次响应达标率（%）"), board.first_response_met],
        [_("解决时限达标率（%）"), board.resolution_met],
        [_("首次响应中位数（分钟）"), board.median_first_response_minutes],
        [_("结案中位数（小时）"), board.median_close_hours],
        [_("重开率（%）"), board.reopen_rate],
        [_("回访完成率（%）"), board.callback_completion],
        [_("回访满意度"), board.callback_score],
        [_("调查满意度"), board.survey_score],
    ]
    return rows
