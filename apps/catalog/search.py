"""Chinese product search: jieba segmentation + pinyin into a text document that PostgreSQL
indexes with full text ('simple' configuration, GIN); SQLite falls back to LIKE.

A shopper types `五常大米`, `wuchang`, a store name, a county or a category: the document holds
each as segmented words and as pinyin, and the query is segmented the same way.
"""

import logging
import re
from functools import lru_cache

import jieba
from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet
from pypinyin import lazy_pinyin

jieba.setLogLevel(logging.WARNING)

SEARCH_CONFIG = "simple"
MAX_QUERY_TERMS = 8
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
        for word in _clean_tokens(jieba.cut_for_search(text)):
            add(word)
            add(_pinyin(word))
        for word in _clean_tokens(jieba.cut(text)):
            add(word)
        # The whole Chinese run as pinyin too (e.g. "wuchangdaohuaxiangdami").
        for run in re.findall(r"[\u4e00-\u9fff]{2,}", text):
            add(_pinyin(run))
    return terms


def build_search_document(*texts: str) -> str:
    return " ".join(document_terms(*texts))


def query_terms(query: str) -> list[str]:
    """Segment what the shopper typed; only word characters survive, so no query syntax leaks."""
    terms = []
    for word in _clean_tokens(jieba.cut((query or "")[:100])):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_QUERY_TERMS]


def _tsquery(terms: list[str], operator: str) -> SearchQuery:
    raw = f" {operator} ".join(f"{t}:*" for t in terms)
    return SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)


def _vector() -> SearchVector:
    # Must match the expression of the GIN index product_search_gin exactly.
    return SearchVector("search_document", config=SEARCH_CONFIG)


def filter_by_search(queryset: QuerySet, query: str) -> tuple[QuerySet, bool]:
    """Narrow `queryset` (of Products) to matches of `query`.

    Returns (queryset, ranked): on PostgreSQL the queryset carries a `search_rank` annotation.
    All terms must match; if that finds nothing, any term may match (ranked lower).
    """
    terms = query_terms(query)
    if not terms:
        return queryset.none(), False
    if connection.vendor == "postgresql":
        vector = _vector()
        strict = _tsquery(terms, "&")
        matched = queryset.annotate(search_vector=vector).filter(search_vector=strict)
        if len(terms) > 1 and not matched.exists():
            strict = _tsquery(terms, "|")
            matched = queryset.annotate(search_vector=vector).filter(search_vector=strict)
        return matched.annotate(search_rank=SearchRank(vector, strict)), True

    condition = Q()
    for term in terms:
        condition &= Q(search_document__icontains=term)
    matched = queryset.filter(condition)
    if len(terms) > 1 and not matched.exists():
        condition = Q()
        for term in terms:
            condition |= Q(search_document__icontains=term)
        matched = queryset.filter(condition)
    return matched, False
