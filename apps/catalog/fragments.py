"""The product page's body cached as rendered HTML, keyed by a version of every row it shows.

Rendering the product page costs most of its CPU in the ORM and the templates, not in
PostgreSQL. Its body (breadcrumb, gallery, buy box, attributes, store, description, reviews,
"more from this store") is kept in Django's cache and reused while nothing it shows changed:

- the key holds a *version*: one SQL query (`product_page_version`) returning an md5 of the
  `xmin` and `ctid` of every row the body shows (xmin: the transaction that last wrote the
  row; ctid: where that row version lies, which also changes on a second write within one
  transaction) —
  the product, its store and category path, its SKUs (stock, price, held), wholesale tiers
  and images, the top four of "more from this store" with their covers — plus what the
  other apps register (`version_part_register`: reviews, running flash prices, the shopper's
  buyer organisation). Any write to any of these rows, through save(), a queryset update()
  or raw SQL, writes a new row version and so changes the key: an edit shows at once, to everybody;
- the key also holds the shopper (user id, 0 for anonymous), the full path (?sku= chooses
  the SKU) and the language, so nothing personal is ever shared between shoppers;
- the CSRF token of the add-to-cart form is swapped for a placeholder before storing and
  the asking visitor's own token is put back (as the whole-page cache does);
- the product page's version is also None when the product is not on sale in an active
  store: the page answers 404 without any other query.

Entries expire after FRAGMENT_SECONDS whatever happens (old versions are never asked for
again). While the cache is down every read is a miss and the page renders as before; on a
database other than PostgreSQL (SQLite in development) nothing is cached.
"""

import hashlib
from collections.abc import Callable

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.http import HttpRequest
from django.utils.translation import get_language

from apps.catalog.page_cache import csrf_placeholder_put, csrf_placeholder_take

FRAGMENT_SECONDS = 600

# SQL expressions producing text; they may use %(product)s (the product id) and %(user)s
# (the shopper's id, 0 when anonymous) and the aliases p (catalog_product) and s (its store).
_PARTS: dict[str, str] = {}


# Python functions of the request whose result goes into the key: what a body shows that
# lives outside PostgreSQL (the promotions' running index, cached for 30 s).
_KEY_PARTS: dict[str, Callable[[HttpRequest], str]] = {}


def version_part_register(name: str, sql: str) -> None:
    """Add what another app shows on the product page body to its version (apps' ready())."""
    _PARTS[name] = sql


def key_part_register(name: str, part: Callable[[HttpRequest], str]) -> None:
    """Add a value computed per request (not read from PostgreSQL) to the body's key."""
    _KEY_PARTS[name] = part


def _rows(sql: str) -> str:
    return f"coalesce(({sql}), '')"


_OWN_PARTS = [
    "concat(p.xmin, ':', p.ctid)",
    "concat(s.xmin, ':', s.ctid)",
    "concat(c.xmin, ':', c.ctid)",
    "concat(cp.xmin, ':', cp.ctid)",
    _rows(
        "SELECT string_agg(concat(k.id, ':', k.xmin, ':', k.ctid), ',' ORDER BY k.id) "
        "FROM catalog_sku k WHERE k.product_id = p.id"
    ),
    _rows(
        "SELECT string_agg(concat(t.id, ':', t.xmin, ':', t.ctid), ',' ORDER BY t.id) "
        "FROM catalog_wholesaletier t JOIN catalog_sku k ON k.id = t.sku_id "
        "WHERE k.product_id = p.id"
    ),
    _rows(
        "SELECT string_agg(concat(i.id, ':', i.xmin, ':', i.ctid), ',' ORDER BY i.id) "
        "FROM catalog_productimage i WHERE i.product_id = p.id"
    ),
    # "More from this store": the same four rows products_more_from_store picks (same
    # order, same index), each with its images.
    _rows(
        "SELECT string_agg(concat(m.id, ':', m.xmin, ':', m.ctid, ':', ("
        "  SELECT string_agg(concat(mi.id, ':', mi.xmin, ':', mi.ctid), ',' ORDER BY mi.id) "
        "  FROM catalog_productimage mi WHERE mi.product_id = m.id)), ';') "
        "FROM (SELECT o.id, o.xmin, o.ctid FROM catalog_product o "
        "      WHERE o.store_id = p.store_id AND o.status = 'on_sale' AND o.id <> p.id "
        "      ORDER BY o.sales_count DESC, o.id DESC LIMIT 4) m"
    ),
]


def product_page_version(*, pk: int, user_id: int) -> str | None:
    """The version of the product page body (one query), None if the product is not on sale
    in an active store."""
    parts = [*_OWN_PARTS, *(_rows(sql) for _name, sql in sorted(_PARTS.items()))]
    sql = (
        f"SELECT md5(concat_ws('|', {', '.join(parts)})) "
        "FROM catalog_product p "
        "JOIN stores_store s ON s.id = p.store_id "
        "JOIN catalog_category c ON c.id = p.category_id "
        "LEFT JOIN catalog_category cp ON cp.id = c.parent_id "
        "WHERE p.id = %(product)s AND p.status = 'on_sale' AND s.status = 'active'"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"product": pk, "user": user_id})
        row = cursor.fetchone()
    return row[0] if row else None


def request_key_extra(request: HttpRequest) -> str:
    """The registered key parts for this request (computed once per request)."""
    extra = getattr(request, "_catalog_fragment_extra", None)
    if extra is None:
        extra = "|".join(part(request) for _name, part in sorted(_KEY_PARTS.items()))
        request._catalog_fragment_extra = extra
    return extra


def _key(request: HttpRequest, pk: int, version: str, user_id: int) -> str:
    extra = request_key_extra(request)
    where = hashlib.sha256(f"{request.get_full_path()}|{extra}".encode()).hexdigest()[:24]
    return f"product-body:{pk}:{version}:{user_id}:{get_language() or ''}:{where}"


def product_body_cached(
    request: HttpRequest, *, pk: int, render: Callable[[], tuple[str, dict] | None]
) -> tuple[str, dict] | None:
    """The product page body (HTML) and its small context for the page around it, from the
    cache when nothing it shows changed, else from `render()` (None: 404)."""
    if connection.vendor != "postgresql":  # the version reads xmin: PostgreSQL only
        return render()
    user = getattr(request, "user", None)
    user_id = user.pk if user is not None and user.is_authenticated else 0
    version = product_page_version(pk=pk, user_id=user_id)
    if version is None:
        return None
    key = _key(request, pk, version, user_id)
    cached = cache.get(key)
    if cached is None:
        rendered = render()
        if rendered is None:
            return None
        body, extra = rendered
        stored = csrf_placeholder_put(request, body)
        if stored is not None:
            cache.set(key, (stored, extra), FRAGMENT_SECONDS)
        return body, extra
    body, extra = cached
    return csrf_placeholder_take(request, body), extra


# --- listing bodies (home, category pages) -------------------------------------------------
#
# The body of a listing (everything inside the page's content block: shelves or the sort bar,
# filters, cards and pagination) is cached under a version read by one SQL query that runs
# the very queries the body shows, reduced to text: the rows themselves (`t::text`, every
# column selected, store and category columns and the "all SKUs held" flag included), so an
# edit by save(), update() or raw SQL changes the version at once; plus the `xmin`/`ctid` of
# every category and of the images of the products shown (the covers). What the body shows
# does not depend on the shopper (no user, no CSRF token in these templates), so bodies are
# shared; the key holds the full path, the language and the registered key parts (the
# promotions' running index, which decides the cards' badges).

_CATEGORIES_PART = _rows(
    "SELECT string_agg(concat(cc.id, ':', cc.xmin, ':', cc.ctid), ',' ORDER BY cc.id) "
    "FROM catalog_category cc"
)


def listing_version(*, shown: list, covers_of: list) -> str:
    """md5 of the rows `shown` (querysets, evaluated by PostgreSQL only), of the images of
    the products whose ids `covers_of` (values("pk") querysets) select, and of every
    category: one query."""
    parts, params = [_CATEGORIES_PART], []
    for queryset in shown:
        try:
            sql, args = queryset.query.sql_with_params()
        except EmptyResultSet:  # an empty slice (no products): nothing shown
            parts.append("'-'")
            continue
        parts.append(_rows(f"SELECT string_agg(t::text, '|') FROM ({sql}) t"))
        params += args
    for queryset in covers_of:
        try:
            sql, args = queryset.query.sql_with_params()
        except EmptyResultSet:
            parts.append("'-'")
            continue
        parts.append(
            _rows(
                "SELECT string_agg(concat(i.id, ':', i.xmin, ':', i.ctid), ',' ORDER BY i.id) "
                f"FROM catalog_productimage i WHERE i.product_id IN ({sql})"
            )
        )
        params += args
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT md5(concat_ws('|', {', '.join(parts)}))", params)
        return cursor.fetchone()[0]


def listing_body_cached(
    request: HttpRequest,
    *,
    name: str,
    shown: Callable[[], list],
    covers_of: Callable[[], list],
    render: Callable[[], str],
) -> str:
    """A listing's body (HTML) from the cache while the rows it shows are unchanged, else
    from `render()`. `shown`/`covers_of` give the querysets of listing_version."""
    if connection.vendor != "postgresql":
        return render()
    version = listing_version(shown=shown(), covers_of=covers_of())
    extra = request_key_extra(request)
    where = hashlib.sha256(f"{request.get_full_path()}|{extra}".encode()).hexdigest()[:24]
    key = f"listing-body:{name}:{version}:{get_language() or ''}:{where}"
    cached = cache.get(key)
    if cached is not None:
        return csrf_placeholder_take(request, cached)
    body = render()
    stored = csrf_placeholder_put(request, body)
    if stored is not None:
        cache.set(key, stored, FRAGMENT_SECONDS)
    return body
