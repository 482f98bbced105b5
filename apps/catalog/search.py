"""Chinese product search: what is indexed, how a query is read, and how results are ranked.

Indexing (`product_search_fields`, called by services/search.py): each part of a product is
normalised (traditional → simplified with OpenCC, full-width → half-width, lower case) and
turned into *terms*: jieba words at every granularity, the pinyin of each word, its pinyin
initials (五常 → wuchang, wc), and the pinyin / initials of every run of words to the end of a
Chinese phrase (五常稻花香大米 → wuchangdaohuaxiangdami, wcdhxdm; 稻花香大米 → dhxdm ...), so
that typing the start of a name in pinyin or initials finds it. The product keeps:

- `search_document`: every term of every part; PostgreSQL indexes it ('simple' full-text
  configuration, GIN) and it decides *whether* a product matches;
- one field per part, each " <normalised text> <terms> " (space-padded so that a whole term
  is `LIKE '% term %'`): `search_title`, `search_category` (leaf and parent),
  `search_detail` (subtitle, origin, grade, certifications), `search_description`,
  `search_store` (store name). They decide *how well* it matches (see `score_sql`).

Reading a query (`parse_query`): normalised the same way and segmented by jieba into at most
MAX_QUERY_TERMS groups. Each group is matched by any of its *forms*: the word itself, its
synonyms from the staff-edited table (`SearchSynonym`, read from the cache at query time, so
an edit needs no reindex), and for Latin letters that are not pinyin syllables, the split of
pinyin initials over several words (wcdm → wc + dm). Every group must match; if none does,
a second pass also accepts the pinyin of each Chinese word (homophone typos: 五长 → wuchang
finds 五常, offered as "did you mean 五常大米"); if that finds nothing either, any group may
match (a product matching more groups ranks higher).

Ranking (`score_sql`, docs/architecture.md "Search ranking"): relevance points, then a small
blend of sales and freshness that is worth less than one point, so it orders products of equal
relevance but can never lift a weaker match over a better one.
"""

import logging
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from itertools import combinations, pairwise, product

import jieba
import opencc
from django.contrib.postgres.search import SearchQuery
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.constants import PINYIN_DICT
from pypinyin.contrib.tone_convert import to_normal

from apps.stores.models import Store

jieba.setLogLevel(logging.WARNING)

SEARCH_CONFIG = "simple"
MAX_QUERY_TERMS = 8
# A query of this many terms or more is first looked up as a store name.
STORE_NAME_MIN_TERMS = 3
# Synonyms per query word that take part in matching (a long list would slow every search).
MAX_SYNONYMS = 6
# Suffix runs of a phrase indexed as words, pinyin and initials: at most this many words each.
MAX_RUN_WORDS = 6
# Only the start of a description is indexed (its words, no pinyin): the product's vector
# stays small enough to rank fast.
DESCRIPTION_CHARS = 300
SYNONYM_CACHE_KEY = "catalog:search-synonyms:v1"
SYNONYM_VERSION_KEY = "catalog:search-synonyms-version:v1"
# Kept until staff edit the table (synonyms_changed), so a search reads no synonym row.
SYNONYM_CACHE_SECONDS = None

_WORD = re.compile(r"\w+", re.UNICODE)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_LATIN = re.compile(r"^[a-z]+$")

# --- Relevance points (documented in docs/architecture.md "Search ranking") ---------------
# Per query word: the best of its matches, by part of the product and kind of match.
# (vector weight, stored field, points for a whole term, points for the start of a term): a
# whole term is a jieba word, a pinyin or initials token; 大 or wuch is the start of 大米 and
# wuchang. Detail is the subtitle, origin, grade, certifications and the start of the
# description.
FIELDS = [
    ("A", "search_title", 10, 7),
    ("B", "search_category", 9, 6),
    ("C", "search_detail", 4, 3),
    ("D", "search_store", 1, 1),
]
# A synonym, an initials split or a homophone scores one point below the word itself.
ALTERNATIVE_PENALTY = 1
# Every query word that matches anywhere adds this: more words matched always ranks higher
# (8 words x 10 points + the phrase bonus stay below it).
WORD_MATCHED_POINTS = 100
# The words typed together, in order, in the title (五常 大米 → 五常大米).
PHRASE_POINTS = 12
# Blend (< 1 point): sales saturate (half of SALES_WEIGHT at SALES_HALF units), new listings
# get a freshness share for their first weeks.
SALES_WEIGHT = 0.6
SALES_HALF = 50
FRESH_POINTS = ((timedelta(days=7), 0.39), (timedelta(days=30), 0.2))


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=50000)
def normalize(text: str) -> str:
    """Simplified characters, half-width letters and digits, lower case, single spaces."""
    text = unicodedata.normalize("NFKC", text or "")
    if _HAN.search(text):
        text = _converter().convert(text)
    return " ".join(text.lower().split())


def _words(tokens) -> list[str]:
    out = []
    for token in tokens:
        out.extend(w.lower() for w in _WORD.findall(token))
    return out


@lru_cache(maxsize=50000)
def _pinyin(word: str) -> str:
    return "".join(lazy_pinyin(word)) if _HAN.search(word) else ""


# Readings of a mistyped word tried in the homophone pass (五长 reads wuzhang or wuchang).
MAX_HOMOPHONES = 4


@lru_cache(maxsize=5000)
def _readings(word: str) -> tuple[str, ...]:
    """Every pinyin reading of `word` (heteronyms: 长 is zhang or chang), a few at most."""
    if not _HAN.search(word) or len(word) < 2:
        return ()
    choices = pinyin(word, style=Style.NORMAL, heteronym=True)
    readings = ["".join(parts) for parts in product(*choices)]
    return tuple(dict.fromkeys(readings))[:MAX_HOMOPHONES]


@lru_cache(maxsize=50000)
def _initials(word: str) -> str:
    if not _HAN.search(word):
        return ""
    return "".join(p[0] for p in lazy_pinyin(word, style=Style.FIRST_LETTER) if p)


@lru_cache(maxsize=1)
def pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (interjections without a vowel left out)."""
    readings = {r for value in set(PINYIN_DICT.values()) for r in value.split(",")}
    syllables = {to_normal(r).replace("ü", "v") for r in readings}
    return frozenset(s for s in syllables if s.isascii() and re.search("[aeiouv]", s))


def pinyin_split(text: str) -> list[str] | None:
    """Latin letters as the fewest whole pinyin syllables (wuchangdami → wu chang da mi), or
    None when they are not pinyin (wcdm, qc: initials)."""
    syllables = pinyin_syllables()
    best: list[list[str] | None] = [[]] + [None] * len(text)
    for end in range(1, len(text) + 1):
        for start in range(max(0, end - 6), end):
            head = best[start]
            better = best[end] is None or len(head or ()) + 1 < len(best[end])
            if head is not None and text[start:end] in syllables and better:
                best[end] = [*head, text[start:end]]
    return best[len(text)]


def is_pinyin(text: str) -> bool:
    """Whether Latin letters read as whole pinyin syllables (wuchang, qicheng, dami)."""
    return pinyin_split(text) is not None


def _pinyin_word_splits(term: str) -> list[tuple[str, ...]]:
    """wuchangdami → (wuchang, dami): full pinyin of several two-syllable words typed
    together, which need not stand next to each other in the title."""
    syllables = pinyin_split(term)
    if syllables is None or len(syllables) < 4:
        return []
    pairs = ["".join(syllables[i : i + 2]) for i in range(0, len(syllables), 2)]
    if len(syllables) % 2:
        pairs[-2:] = ["".join(pairs[-2:])]
    return [tuple(pairs)]


def _initial_splits(term: str) -> list[tuple[str, ...]]:
    """wcdm → [(wc, dm)]: pinyin initials of two to four words typed together."""
    if len(term) < 4 or len(term) > 12:
        return []
    splits = []
    for cuts in (1, 2, 3):
        for positions in combinations(range(2, len(term) - 1), cuts):
            bounds = [0, *positions, len(term)]
            parts = tuple(term[a:b] for a, b in pairwise(bounds))
            if all(2 <= len(p) <= 4 for p in parts):
                splits.append(parts)
    return splits[:6]


# --- Indexing -----------------------------------------------------------------------------


@lru_cache(maxsize=20000)
def text_terms(text: str, *, with_pinyin: bool = True) -> tuple[str, ...]:
    """Every term a shopper might type for `text` (see the module docstring)."""
    text = normalize(text)
    terms: list[str] = []

    def add_word(word: str) -> None:
        terms.append(word)
        if with_pinyin and len(word) > 1 and _HAN.search(word):
            terms.append(_pinyin(word))
            terms.append(_initials(word))
        elif with_pinyin and _HAN.search(word):
            terms.append(_pinyin(word))

    for word in _words(jieba.cut_for_search(text)):
        add_word(word)
    for word in _words(jieba.cut(text)):
        add_word(word)
    if with_pinyin:
        for run in _HAN_RUN.findall(text):
            if len(run) < 2:
                continue
            words = _words(jieba.cut(run))
            for start in range(len(words)):
                tail = "".join(words[start : start + MAX_RUN_WORDS])
                if len(tail) > 1:
                    terms += [tail, _pinyin(tail), _initials(tail)]
    seen: set[str] = set()
    return tuple(t for t in terms if t and not (t in seen or seen.add(t)))


def _terms(*texts: str, with_pinyin: bool = True) -> list[str]:
    terms: list[str] = []
    for text in texts:
        if text:
            terms.extend(text_terms(text[:DESCRIPTION_CHARS], with_pinyin=with_pinyin))
    return list(dict.fromkeys(terms))


@dataclass(frozen=True)
class SearchFields:
    """What a product stores for search: the terms of each part (space-padded, so that a whole
    term is `LIKE '% term %'` without PostgreSQL) and all of them together."""

    document: str
    title: str
    category: str
    detail: str
    store: str


def product_search_fields(
    *,
    title: str,
    category: list[str],
    detail: list[str],
    description: str,
    store: str,
) -> SearchFields:
    """The stored search text of one product (see the module docstring)."""
    parts = [
        _terms(title),
        _terms(*category),
        [*_terms(*detail), *_terms(description, with_pinyin=False)],
        _terms(store),
    ]
    document = dict.fromkeys(term for part in parts for term in part)
    title_f, category_f, detail_f, store_f = (f" {' '.join(dict.fromkeys(p))} " for p in parts)
    return SearchFields(f" {' '.join(document)} ", title_f, category_f, detail_f, store_f)


def build_search_document(*texts: str) -> str:
    """All terms of `texts` (the matching document alone)."""
    terms: list[str] = []
    for text in texts:
        if text:
            terms.extend(text_terms(text))
    return " ".join(dict.fromkeys(terms))


# --- Synonyms -----------------------------------------------------------------------------


def parse_synonym_words(words: str) -> list[str]:
    return [w for w in (normalize(p) for p in re.split(r"[\s,，、;；/]+", words or "")) if w]


_local_synonyms: dict[str, object] = {"version": None, "mapping": {}}


def synonym_map() -> dict[str, list[str]]:
    """word → the words it also stands for, from the active SearchSynonym rows.

    Shared through the cache (read from the table once after an edit), and kept in the
    process as long as the cached table's version is the same: a search reads one small key.
    """
    version = cache.get(SYNONYM_VERSION_KEY)
    if version is not None and version == _local_synonyms["version"]:
        return _local_synonyms["mapping"]  # type: ignore[return-value]
    mapping = cache.get(SYNONYM_CACHE_KEY) if version is not None else None
    if mapping is None:
        from apps.catalog.models import SearchSynonym

        mapping = {}
        for words, one_way in SearchSynonym.objects.filter(is_active=True).values_list(
            "words", "one_way"
        ):
            group = parse_synonym_words(words)
            if len(group) < 2:
                continue
            heads = group[:1] if one_way else group
            for head in heads:
                others = mapping.setdefault(head, [])
                others.extend(w for w in group if w != head and w not in others)
        version = uuid.uuid4().hex
        cache.set_many(
            {SYNONYM_CACHE_KEY: mapping, SYNONYM_VERSION_KEY: version}, SYNONYM_CACHE_SECONDS
        )
    _local_synonyms.update(version=version, mapping=mapping)
    return mapping


def synonyms_changed() -> None:
    """Forget the cached table: the next search reads the edited one (no reindex needed)."""
    cache.delete_many([SYNONYM_CACHE_KEY, SYNONYM_VERSION_KEY])


# --- Reading a query ----------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """One way a query word can match: all its segments must be found."""

    segments: tuple[str, ...]
    alternative: bool  # a synonym, an initials split or a homophone, not the word itself


@dataclass(frozen=True)
class TermGroup:
    term: str
    forms: tuple[Form, ...]
    homophones: tuple[str, ...] = ()  # readings of a Chinese word (second pass only)


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # normalised
    groups: tuple[TermGroup, ...] = field(default_factory=tuple)

    @property
    def terms(self) -> list[str]:
        return [g.term for g in self.groups]


def query_terms(query: str) -> list[str]:
    """Segment what the shopper typed; only word characters survive, so no query syntax leaks."""
    terms: list[str] = []
    for word in _words(jieba.cut(normalize((query or "")[:100]))):
        if word not in terms:
            terms.append(word)
    return terms[:MAX_QUERY_TERMS]


def _segments(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_words(jieba.cut(text)))) or (text,)


def _words_and_synonyms(text: str, synonyms: dict[str, list[str]]) -> list[str]:
    """The query's words; a run typed as one piece that is in the synonym table stays whole
    (荷兰薯 rather than 荷兰 + 薯), so that staff can add any word without a dictionary."""
    words: list[str] = []
    for chunk in text.split():
        if chunk in synonyms:
            words.append(chunk)
        else:
            words.extend(_words(jieba.cut(chunk)))
    return list(dict.fromkeys(words))[:MAX_QUERY_TERMS]


def parse_query(query: str, *, synonyms: dict[str, list[str]] | None = None) -> ParsedQuery:
    if synonyms is None:
        synonym_map()
        return _parse_cached(query, str(_local_synonyms["version"]))
    return _parse(query, synonyms)


@lru_cache(maxsize=2000)
def _parse_cached(query: str, version: str) -> ParsedQuery:
    """A query read once per version of the synonym table (a new version after every edit)."""
    return _parse(query, _local_synonyms["mapping"])  # type: ignore[arg-type]


def _parse(query: str, synonyms: dict[str, list[str]]) -> ParsedQuery:
    text = normalize((query or "")[:100])
    groups = []
    for term in _words_and_synonyms(text, synonyms):
        forms = [Form(_segments(term) if _HAN.search(term) else (term,), alternative=False)]
        for word in synonyms.get(term, [])[:MAX_SYNONYMS]:
            forms.append(Form(_segments(word), alternative=True))
        if _LATIN.match(term) and len(term) >= 2:
            splits = _pinyin_word_splits(term) if is_pinyin(term) else _initial_splits(term)
            forms += [Form(split, alternative=True) for split in splits]
        groups.append(TermGroup(term, tuple(dict.fromkeys(forms)), _readings(term)))
    return ParsedQuery(text, tuple(groups))


def _with_homophones(parsed: ParsedQuery) -> ParsedQuery:
    groups = []
    for group in parsed.groups:
        forms = (*group.forms, *(Form((r,), alternative=True) for r in group.homophones))
        groups.append(TermGroup(group.term, tuple(dict.fromkeys(forms)), group.homophones))
    return ParsedQuery(parsed.text, tuple(groups))


def _loose(parsed: ParsedQuery) -> ParsedQuery:
    """The any-word fallback: single characters (的, 买, 新) would match almost everything on
    their own, so they only count when nothing longer was typed."""
    long = tuple(g for g in parsed.groups if len(g.term) > 1)
    return ParsedQuery(parsed.text, long or parsed.groups)


# --- Matching -----------------------------------------------------------------------------


def _tsquery(parsed: ParsedQuery, operator: str) -> SearchQuery:
    def form_sql(form: Form) -> str:
        parts = [f"{s}:*" for s in form.segments]
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"

    groups = ["(" + " | ".join(form_sql(f) for f in g.forms) + ")" for g in parsed.groups]
    return SearchQuery(f" {operator} ".join(groups), search_type="raw", config=SEARCH_CONFIG)


def _like_condition(parsed: ParsedQuery, operator: str) -> Q:
    """The same match without PostgreSQL (SQLite in development and tests)."""
    condition = Q()
    for group in parsed.groups:
        alternatives = Q()
        for form in group.forms:
            every = Q()
            for segment in form.segments:
                every &= Q(search_document__contains=f" {segment}")
            alternatives |= every
        condition = condition & alternatives if operator == "&" else condition | alternatives
    return condition


def _matching(queryset: QuerySet, parsed: ParsedQuery, operator: str) -> QuerySet:
    if connection.vendor == "postgresql":
        # Product.search_vector: stored to_tsvector of search_document, GIN-indexed.
        return queryset.filter(search_vector=_tsquery(parsed, operator))
    return queryset.filter(_like_condition(parsed, operator))


# --- Ranking ------------------------------------------------------------------------------


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _condition(forms: list[Form], weight: str, column: str, prefix: bool) -> tuple[str, list]:
    """Any of `forms` found in one part of the product, as a whole term or a term's start."""
    if connection.vendor == "postgresql":
        star = "*" if prefix else ""

        def one(form: Form) -> str:
            parts = [f"'{s}':{star}{weight}" for s in form.segments]
            return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"

        return "search_vector @@ %s::tsquery", [" | ".join(one(f) for f in forms)]
    tail = "%" if prefix else " %"
    ors, params = [], []
    for form in forms:
        ors.append(" AND ".join(f"{column} LIKE %s ESCAPE '\\'" for _ in form.segments))
        params += [f"% {_escape_like(s)}{tail}" for s in form.segments]
    return "(" + " OR ".join(f"({o})" for o in ors) + ")", params


def _group_case(group: TermGroup) -> tuple[str, list]:
    """CASE giving one query word its best match: WORD_MATCHED_POINTS + part points.

    The word itself and its alternatives are tested separately (an alternative scores
    ALTERNATIVE_PENALTY less); CASE takes the first true branch, so branches go best first.
    """
    branches: list[tuple[int, str, list]] = []
    kinds = [
        ([f for f in group.forms if not f.alternative], 0),
        ([f for f in group.forms if f.alternative], ALTERNATIVE_PENALTY),
    ]
    for forms, penalty in kinds:
        if not forms:
            continue
        for weight, column, whole, part in FIELDS:
            tests = [(part, True)] if whole == part else [(whole, False), (part, True)]
            for points, prefix in tests:
                sql, params = _condition(forms, weight, column, prefix)
                branches.append((max(points - penalty, 1), sql, params))
    branches.sort(key=lambda b: -b[0])  # stable: the word itself before an alternative
    sql, params = "CASE", []
    for points, condition, condition_params in branches:
        sql += f" WHEN {condition} THEN {WORD_MATCHED_POINTS + points}"
        params += condition_params
    return sql + " ELSE 0 END", params


def _phrase_case(parsed: ParsedQuery) -> tuple[str, list]:
    """The words typed together, in order, at the start of a title term (the title's phrase
    suffixes are indexed: 五常稻花香大米 holds 稻花香大米, 花香大米 ...)."""
    phrase = "".join(parsed.terms)
    if connection.vendor == "postgresql":
        condition, params = "search_vector @@ %s::tsquery", [f"'{phrase}':*A"]
    else:
        condition, params = "search_title LIKE %s ESCAPE '\\'", [f"% {_escape_like(phrase)}%"]
    return f"CASE WHEN {condition} THEN {PHRASE_POINTS} ELSE 0 END", params


def score_sql(parsed: ParsedQuery, *, now=None) -> RawSQL:
    """Relevance points + blend (see the module docstring and docs/architecture.md)."""
    now = now or timezone.now()
    parts, params = [], []
    for group in parsed.groups:
        sql, group_params = _group_case(group)
        parts.append(sql)
        params += group_params
    if len(parsed.groups) > 1:
        sql, phrase_params = _phrase_case(parsed)
        parts.append(sql)
        params += phrase_params
    fresh = "CASE"
    for age, points in FRESH_POINTS:
        fresh += f" WHEN published_at >= %s THEN {points}"
        params.append(now - age)
    fresh += " ELSE 0 END"
    sales = f"CAST(sales_count AS DOUBLE PRECISION) * {SALES_WEIGHT} / (sales_count + {SALES_HALF})"
    relevance = " + ".join(parts) or "0"
    return RawSQL(f"({relevance}) + {sales} + ({fresh})", params)


# --- Putting it together ------------------------------------------------------------------


def _stores_named(query: str, terms: list[str]) -> list[int]:
    """Ids of stores whose name contains the whole query, for queries of many terms only
    (short queries are estimated well and are not worth the extra lookup)."""
    text = " ".join((query or "").split())[:100]
    if len(terms) < STORE_NAME_MIN_TERMS or len(text) < 4:
        return []
    return list(Store.objects.filter(name__icontains=text).values_list("id", flat=True)[:5])


# Products whose every active SKU is held by a lot recall. Held SKUs are few: the partial index
# sku_held_idx finds them. Written out once: building it as a queryset on every search cost
# more Python than the query costs PostgreSQL.
_HELD_ONLY = RawSQL(
    "SELECT held.product_id FROM catalog_sku held WHERE held.is_held AND held.is_active "
    "AND NOT EXISTS (SELECT 1 FROM catalog_sku other WHERE other.product_id = held.product_id "
    "AND other.is_active AND NOT other.is_held)",
    [],
)


def _not_all_held(queryset: QuerySet) -> QuerySet:
    """Leave out products held entirely: a search never shows them."""
    return queryset.exclude(pk__in=_HELD_ONLY)


@dataclass
class SearchMatch:
    queryset: QuerySet
    ranked: bool
    # The query as it probably was meant, when it found nothing as typed (五长大米 → 五常大米).
    did_you_mean: str = ""
    parsed: ParsedQuery | None = None


def search_products(
    queryset: QuerySet, query: str, *, probe: Callable[[QuerySet], object] | None = None
) -> SearchMatch:
    """Narrow `queryset` (of Products) to matches of `query`, with a `search_score` alias.

    Every query word must match (as itself, a synonym or initials); failing that, a homophone
    of a Chinese word may stand for it (and `did_you_mean` says what was found); failing that,
    any word may match.

    `probe` tells whether the every-word match found anything (default: `.exists()`, one
    query). A caller that reads that match anyway (its count, its facets) passes a function
    that does so and returns something falsy when it is empty: the probe costs no query of
    its own. It is not called for a store-name query.
    """
    parsed = parse_query(query)
    if not parsed.groups:
        return SearchMatch(queryset.none(), False)
    queryset = _not_all_held(queryset)
    store_ids = _stores_named(query, parsed.terms)
    if store_ids and connection.vendor == "postgresql":
        # The shopper typed (part of) a store's name. Its products match every term anyway
        # (the store name is in their documents), so OR-ing them in changes no result; it
        # only gives PostgreSQL an exact estimate: matching many terms that always occur
        # together, it multiplies their selectivities, expects 1 row instead of ~1,000 and
        # picks nested loops (the store-name search was 3-4x slower than any other).
        matched = queryset.filter(
            Q(store_id__in=store_ids) | Q(search_vector=_tsquery(parsed, "&"))
        )
        return SearchMatch(matched.alias(search_score=score_sql(parsed)), True, parsed=parsed)
    matched = _matching(queryset, parsed, "&")
    did_you_mean = ""
    if not (probe(matched) if probe is not None else matched.exists()):
        sounds_like = _with_homophones(parsed)
        if sounds_like != parsed:
            candidate = _matching(queryset, sounds_like, "&")
            found = candidate.alias(search_score=score_sql(sounds_like)).order_by(
                "-search_score", "-id"
            )
            top = found.values_list("search_title", flat=True).first()
            if top is not None:
                did_you_mean = _corrected(parsed, top)
                return SearchMatch(
                    candidate.alias(search_score=score_sql(sounds_like)),
                    True,
                    did_you_mean,
                    sounds_like,
                )
        if len(parsed.groups) > 1:
            parsed = _loose(_with_homophones(parsed))
            matched = _matching(queryset, parsed, "|")
    return SearchMatch(matched.alias(search_score=score_sql(parsed)), True, parsed=parsed)


def _corrected(parsed: ParsedQuery, title_field: str) -> str:
    """The query with each Chinese word replaced by the title's word that sounds the same."""
    words = [w for w in title_field.split() if _HAN.search(w)]
    out = []
    for group in parsed.groups:
        replacement = group.term
        if group.homophones and f" {group.term} " not in title_field:
            replacement = next(
                (w for w in words if w != group.term and _pinyin(w) in group.homophones),
                group.term,
            )
        out.append(replacement)
    corrected = "".join(out) if all(_HAN.search(t) for t in out) else " ".join(out)
    return corrected if corrected != parsed.text.replace(" ", "") else ""


def filter_by_search(queryset: QuerySet, query: str) -> tuple[QuerySet, bool]:
    """Compatibility wrapper: the queryset of `search_products` and whether it is ranked."""
    match = search_products(queryset, query)
    return match.queryset, match.ranked


def warm_up() -> None:
    """Load jieba's dictionary, OpenCC and the pinyin tables now rather than on the first
    search of a worker (4.5 s). Called by config/wsgi.py when a web worker starts."""
    jieba.initialize()
    _converter()
    pinyin_syllables()
    text_terms("五常稻花香大米 赣南脐橙")
    query_terms("五常大米 wcdm")
