"""Chinese product search: jieba segmentation + pinyin into a text document that PostgreSQL
indexes with full text ('simple' configuration, GIN); SQLite falls back to LIKE.

A shopper types `五常大米`, `wuchang`, a store name, a county or a category: the document holds
each as segmented words and as pinyin, and the query is segmented the same way.
"""

import logging
import re
from functools import lru_cache

import jieba
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Case, Expression, IntegerField, Q, QuerySet, Value, When
from pypinyin import lazy_pinyin

from apps.stores.models import Store

jieba.setLogLevel(logging.WARNING)

SEARCH_CONFIG = "simple"
MAX_QUERY_TERMS = 8
# A query of this many terms or more is first looked up as a store name.
STORE_NAME_MIN_TERMS = 3
_WORD = re.compile(r"\w+", re.UNICODE)
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _clean_tokens(tokens) -> list[str]:
    out = []
    for token in tokens:
        out.extend(w.lower() for w in _WORD.findall(token))
    return out


@lru_cache(maxsize=20000)
def _pinyin(word: str) -> str:
    return "".join(lazy_pinyin(word)) if _HAN.search(word) else ""


def document_terms(*texts: str) -> list[str]:
    """Every word a shopper might type for these texts: segments (all granularities) + pinyin."""
    terms: list[str] = []
    seen: set[str] = set()

    def add(term: str) -> None:
        if term and term not in seen:
            seen.add(term)
            terms.append(term)

    for text in texts:
        if not text:
            continue
        for term in _text_terms(text):
            add(term)
    return terms


# Store names, origins, categories and grades repeat across thousands of products, and
# segmenting is most of the cost of a bulk reindex: remember each text's terms.
@lru_cache(maxsize=20000)
def _text_terms(text: str) -> tuple[str, ...]:
    terms: list[str] = []
    for word in _clean_tokens(jieba.cut_for_search(text)):
        terms += [word, _pinyin(word)]
    terms += _clean_tokens(jieba.cut(text))
    # The whole Chinese run as pinyin too (e.g. "wuchangdaohuaxiangdami").
    terms += [_pinyin(run) for run in re.findall(r"[\u4e00-\u9fff]{2,}", text)]
    return tuple(terms)


def build_search_document(*texts: str) -> str:
    return " ".join(document_terms(*texts))


def query_terms(query: str) -> list[str]:
    """Segment what the shopper typed; only word characters survive, so no query syntax leaks."""
    terms = []
    for word in _clean_tokens(jieba.cut((query or "")[:100])):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_QUERY_TERMS]


def _loose_terms(terms: list[str]) -> list[str]:
    """Terms for the any-word fallback: single characters (的, 买, 新) would match almost
    everything on their own, so they only count when nothing longer was typed."""
    return [t for t in terms if len(t) > 1] or terms


def _tsquery(terms: list[str], operator: str) -> SearchQuery:
    raw = f" {operator} ".join(f"{t}:*" for t in terms)
    return SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)


def _vector() -> SearchVector:
    # Must match the expression of the GIN index product_search_gin exactly.
    return SearchVector("search_document", config=SEARCH_CONFIG)


def _rank(terms: list[str], *, all_matched: bool) -> Expression:
    """Relevance: each typed word found in the title scores 2, in the search document 1.

    Not ts_rank: the tsvector is an index expression, not a stored column, so ts_rank re-parses
    every matching document (~0.1-0.2 ms a row; a broad query over 10,000 products spent most
    of the page's time there). Substring tests on the stored text cost microseconds and rank by
    what matters to a shopper: how many of the typed words match, and whether in the title.
    When every word matched (`all_matched`) the document part is the same for all rows and is
    left out; single characters only count when nothing longer was typed.
    """
    score: Expression = Value(0, output_field=IntegerField())
    for term in _loose_terms(terms):
        score += Case(When(title__icontains=term, then=2), default=0, output_field=IntegerField())
        if not all_matched:
            score += Case(
                When(search_document__contains=term, then=1),
                default=0,
                output_field=IntegerField(),
            )
    return score


def _stores_named(query: str, terms: list[str]) -> list[int]:
    """Ids of stores whose name contains the whole query, for queries of many terms only
    (short queries are estimated well and are not worth the extra lookup)."""
    text = " ".join((query or "").split())[:100]
    if len(terms) < STORE_NAME_MIN_TERMS or len(text) < 4:
        return []
    return list(Store.objects.filter(name__icontains=text).values_list("id", flat=True)[:5])


def filter_by_search(queryset: QuerySet, query: str) -> tuple[QuerySet, bool]:
    """Narrow `queryset` (of Products) to matches of `query`.

    Returns (queryset, ranked): on PostgreSQL the queryset carries a `search_rank` alias.
    All terms must match; if that finds nothing, any term may match (ranked lower).
    """
    terms = query_terms(query)
    if not terms:
        return queryset.none(), False
    if connection.vendor == "postgresql":
        # alias(), not annotate(): the vector is only for the WHERE clause (GIN index); selecting
        # it would re-parse every returned document.
        vector = _vector()
        matched = queryset.alias(search_vector=vector).filter(search_vector=_tsquery(terms, "&"))
        store_ids = _stores_named(query, terms)
        if store_ids:
            # The shopper typed (part of) a store's name. Its products match every term anyway
            # (the store name is in their documents), so OR-ing them in changes no result; it
            # only gives PostgreSQL an exact estimate: matching many terms that always occur
            # together, it multiplies their selectivities, expects 1 row instead of ~1,000 and
            # picks nested loops (the store-name search was 3-4x slower than any other).
            matched = queryset.alias(search_vector=vector).filter(
                Q(store_id__in=store_ids) | Q(search_vector=_tsquery(terms, "&"))
            )
            return matched.alias(search_rank=_rank(terms, all_matched=True)), True
        all_matched = True
        if len(terms) > 1 and not matched.exists():
            terms, all_matched = _loose_terms(terms), False
            matched = queryset.alias(search_vector=vector).filter(
                search_vector=_tsquery(terms, "|")
            )
        return matched.alias(search_rank=_rank(terms, all_matched=all_matched)), True

    condition = Q()
    for term in terms:
        condition &= Q(search_document__icontains=term)
    matched = queryset.filter(condition)
    if len(terms) > 1 and not matched.exists():
        condition = Q()
        for term in _loose_terms(terms):
            condition |= Q(search_document__icontains=term)
        matched = queryset.filter(condition)
    return matched, False
