"""Demand per category × buyer county × day (DemandDaily, DOMAIN.md "paid quantity + wholesale
requests + searches") and the search-term log it reads.

- Paid quantity: net pieces from SalesDaily (so the sales job runs first).
- Wholesale requests: apps.wholesale has no request-for-quote object, so a wholesale order is
  the B2B buyer's request. Paid ones are in the paid quantity already; this adds the pieces of
  wholesale orders placed that day (Asia/Shanghai) and never paid — awaiting payment, or
  cancelled unpaid: asked for, not bought.
- Searches: one per storefront search (SearchTerm, written by `search_term_record` when the
  catalog announces a search), counted for the category its term means (SearchTermCategory,
  found with the catalog's own search) and the county of the searcher's default address ("" for
  an anonymous search).

One INSERT … SELECT … GROUP BY over the union of the three. Incremental runs recompute every
day from the earliest day touched since the last run (orders changed, searches logged); a
full run also maps every term again (a term's category may have moved).
"""

import datetime as dt
import logging
import re
from collections import Counter

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection
from django.db.models import Min, Q
from django.utils import timezone

from apps.analytics.models import SalesDaily, SearchTerm, SearchTermCategory
from apps.analytics.services.runs import JobResult, job_run, last_watermark
from apps.analytics.services.sales import WATERMARK_MARGIN
from apps.catalog.search import normalize
from apps.catalog.selectors import ProductFilters, product_search_for_storefront
from apps.orders.models import Order

logger = logging.getLogger(__name__)

DEMAND_JOB = "demand_daily"
TERM_MAX_LENGTH = 60
# A term's category is the most frequent one among this many best search results.
TERM_MAPPING_RESULTS = 20

_SPACES = re.compile(r"\s+")


def search_term_normalize(query: str) -> str:
    """The term as the log keeps it: the catalog's normalisation, spaces collapsed, cut."""
    return _SPACES.sub(" ", normalize(query or "")).strip()[:TERM_MAX_LENGTH]


def search_term_record(*, query: str, user=None) -> SearchTerm | None:
    """Log one search (one INSERT). Never fails the search: a database error is logged."""
    term = search_term_normalize(query)
    if not term:
        return None
    user_id = user.pk if user is not None and user.is_authenticated else None
    try:
        # Exactly one query on the search's path, also for a page served from the page cache.
        # No savepoint: storefront requests do not run in a transaction (ATOMIC_REQUESTS off),
        # so a failed INSERT leaves nothing to roll back.
        return SearchTerm.objects.create(term=term, user_id=user_id)
    except DatabaseError:
        logger.exception("search term not logged")
        return None


def search_term_category(term: str) -> int | None:
    """The category the catalog's search finds most among its best results for `term`."""
    queryset, _did_you_mean = product_search_for_storefront(ProductFilters(q=term))
    ids = [c for c in queryset.values_list("category_id", flat=True)[:TERM_MAPPING_RESULTS] if c]
    if not ids:
        return None
    counts = Counter(ids)
    # The most frequent; on a tie the one ranked first.
    return max(ids, key=lambda c: (counts[c], -ids.index(c)))


def search_terms_map(*, since: dt.datetime | None, remap: bool = False) -> int:
    """Map the terms searched since `since` (all with None) that have no category yet (every
    one with `remap`). Returns how many were (re)mapped."""
    terms = SearchTerm.objects.all()
    if since is not None:
        terms = terms.filter(created_at__gte=since)
    terms = set(terms.values_list("term", flat=True).distinct())
    if not remap:
        terms -= set(
            SearchTermCategory.objects.filter(term__in=terms).values_list("term", flat=True)
        )
    now = timezone.now()
    for term in sorted(terms):
        SearchTermCategory.objects.update_or_create(
            term=term,
            defaults={"category_id": search_term_category(term), "mapped_at": now},
        )
    return len(terms)


_LOCAL_DAY = "({column} AT TIME ZONE %(tz)s)::date"

_INSERT_DEMAND = f"""
INSERT INTO analytics_demanddaily (
    date, category_id, region_code, region_name,
    paid_quantity, wholesale_quantity, searches, demand
)
SELECT day, category_id, region_code, MAX(region_name),
       SUM(paid), SUM(wholesale), SUM(searches), SUM(paid + wholesale + searches)
FROM (
    SELECT date AS day, category_id, region_code, region_name,
           quantity AS paid, 0 AS wholesale, 0 AS searches
    FROM analytics_salesdaily
    WHERE date >= %(from_day)s AND category_id IS NOT NULL
    UNION ALL
    SELECT {_LOCAL_DAY.format(column="o.created_at")}, p.category_id,
           COALESCE(o.address->>'county_code', ''), COALESCE(o.address->>'county_name', ''),
           0, l.quantity, 0
    FROM orders_orderline l
    JOIN orders_order o ON o.id = l.order_id
    JOIN catalog_product p ON p.id = l.product_id
    WHERE o.is_wholesale AND o.paid_at IS NULL AND o.created_at >= %(from_ts)s
          AND p.category_id IS NOT NULL
    UNION ALL
    SELECT {_LOCAL_DAY.format(column="s.created_at")}, m.category_id,
           COALESCE(a.county_id, ''), COALESCE(d.name, ''), 0, 0, 1
    FROM analytics_searchterm s
    JOIN analytics_searchtermcategory m ON m.term = s.term
    LEFT JOIN orders_address a ON a.user_id = s.user_id AND a.is_default
    LEFT JOIN orders_division d ON d.code = a.county_id
    WHERE s.created_at >= %(from_ts)s AND m.category_id IS NOT NULL
) demand
GROUP BY day, category_id, region_code
ORDER BY day  -- stored in date order: a page's few edge days are a few pages of the table
"""


# The roll-ups the pages read, read back from the daily rows just written (so always their sums):
# per day × category (the daily chart), and per month × category × county (the ranking).
_INSERT_CATEGORY_DAYS = """
INSERT INTO analytics_demandcategorydaily (
    date, category_id, paid_quantity, wholesale_quantity, searches, demand
)
SELECT date, category_id,
       SUM(paid_quantity), SUM(wholesale_quantity), SUM(searches), SUM(demand)
FROM analytics_demanddaily
WHERE date >= %(from_day)s
GROUP BY date, category_id
"""

_INSERT_MONTHS = """
INSERT INTO analytics_demandmonthly (
    month, category_id, region_code, region_name,
    paid_quantity, wholesale_quantity, searches, demand
)
SELECT date_trunc('month', date)::date, category_id, region_code, MAX(region_name),
       SUM(paid_quantity), SUM(wholesale_quantity), SUM(searches), SUM(demand)
FROM analytics_demanddaily
WHERE date >= %(month_from)s
GROUP BY 1, category_id, region_code
"""

DEMAND_TABLES = (
    "analytics_demanddaily",
    "analytics_demandcategorydaily",
    "analytics_demandmonthly",
)


def demand_recompute(*, date_from: dt.date) -> int:
    """Rebuild DemandDaily for every day from `date_from` on, its per-category days from then
    and its monthly roll-up from `date_from`'s month on (caller's transaction). Returns the
    DemandDaily rows written (the roll-ups' rows are not counted)."""
    month_from = date_from.replace(day=1)
    params = {
        "tz": settings.TIME_ZONE,
        "from_day": date_from,
        "from_ts": timezone.make_aware(dt.datetime.combine(date_from, dt.time.min)),
        "month_from": month_from,
    }
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM analytics_demanddaily WHERE date >= %s", [date_from])
        cursor.execute("DELETE FROM analytics_demandcategorydaily WHERE date >= %s", [date_from])
        cursor.execute("DELETE FROM analytics_demandmonthly WHERE month >= %s", [month_from])
        cursor.execute(_INSERT_DEMAND, params)
        rows = cursor.rowcount
        cursor.execute(_INSERT_CATEGORY_DAYS, params)
        cursor.execute(_INSERT_MONTHS, params)
    return rows


def _first_touched(since: dt.datetime | None) -> dt.datetime | None:
    """The earliest moment whose day changed: orders paid or wholesale orders placed (changed
    since `since`), searches logged since then. None: nothing to do."""
    orders = Order.objects.filter(Q(paid_at__isnull=False) | Q(is_wholesale=True))
    searches = SearchTerm.objects.all()
    if since is not None:
        orders = orders.filter(updated_at__gte=since)
        searches = searches.filter(created_at__gte=since)
    first = orders.aggregate(placed=Min("created_at"), paid=Min("paid_at"))
    moments = [first["placed"], first["paid"], searches.aggregate(first=Min("created_at"))["first"]]
    if since is None:  # everything: from the first day of the sales aggregate too
        first_day = SalesDaily.objects.using(DEFAULT_DB_ALIAS).aggregate(first=Min("date"))["first"]
        if first_day is not None:
            moments.append(timezone.make_aware(dt.datetime.combine(first_day, dt.time.min)))
    moments = [m for m in moments if m is not None]
    return min(moments) if moments else None


def demand_aggregate(*, full: bool = False):
    """The demand job: map new search terms, then recompute the touched days (or all)."""

    def work() -> JobResult:
        started = timezone.now()
        watermark = None if full else last_watermark(DEMAND_JOB)
        since = None
        if watermark is not None:
            since = dt.datetime.fromisoformat(watermark) - WATERMARK_MARGIN
        search_terms_map(since=since, remap=full)
        if full:
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(DEMAND_TABLES)}")
        first = _first_touched(since)
        if first is None:
            return JobResult(rows=0, watermark=started.isoformat())
        date_from = timezone.localtime(first).date()
        rows = demand_recompute(date_from=date_from)
        if full:
            with connection.cursor() as cursor:
                # Fresh statistics for the emptied tables, so the pages read them by index.
                cursor.execute(f"ANALYZE {', '.join(DEMAND_TABLES)}")
        return JobResult(rows=rows, watermark=started.isoformat(), date_from=date_from)

    return job_run(job=DEMAND_JOB, is_full=full, work=work)
