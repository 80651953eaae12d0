"""search_cases: one API, one results contract, on SQLite FTS5 and PostgreSQL.

Spoiler rule: a learner's query is matched against the public document of every case
whose reveal they have not earned, and against the full document only of cases whose
reveal they may see now (quiz.rules.revealed_cases). Titles and snippets come from the
document that matched, so a hit on an unanswered case can only quote pre-reveal text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe

from teachingfile import roles
from teachingfile.models import Case, Category, Modality, Rating, Region
from teachingfile.roles import AnyUser
from teachingfile.search.models import SearchEntry

MAX_TERMS = 12
# Matches ranked per query at most; beyond this a query is too broad to rank usefully.
RANK_CANDIDATES = 500
SNIPPET_CHARS = 220
_WORD = re.compile(r"\w+", re.UNICODE)
_MARKUP = re.compile(r"[*#`]+|(?<!\w)_+|_+(?!\w)")
# Dropped on both engines so that both match the same words (PostgreSQL's english
# configuration ignores these; FTS5 would match nearly every document on them).
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now""".split()  # noqa: SIM905 - a word list reads better as prose
)


@dataclass(frozen=True)
class SearchFilters:
    modality: str = ""
    region: str = ""
    category: str = ""
    difficulty: int | None = None
    status: str = ""  # faculty only; ignored for everyone else

    @classmethod
    def from_params(cls, params: Any) -> SearchFilters:
        """Keep only recognised values: a bad filter is ignored, never an error."""
        difficulty = params.get("difficulty", "")
        return cls(
            modality=params.get("modality", "")
            if params.get("modality") in Modality.values
            else "",
            region=params.get("region", "") if params.get("region") in Region.values else "",
            category=(
                params.get("category", "") if params.get("category") in Category.values else ""
            ),
            difficulty=int(difficulty) if difficulty in {"1", "2", "3", "4", "5"} else None,
            status=params.get("status", "") if params.get("status") in Case.Status.values else "",
        )


@dataclass(frozen=True)
class SearchHit:
    case: Case  # loaded with the listing fields only
    revealed: bool  # matched on the full document: this user may see the reveal
    known_title: str  # empty unless revealed
    snippet: SafeString
    rank: float  # higher is better, on both engines


@dataclass(frozen=True)
class SearchResults:
    query: str
    terms: list[str]
    total: int
    limit: int
    offset: int
    hits: list[SearchHit] = field(default_factory=list)
    # True when the query matched more than RANK_CANDIDATES cases: total is a floor.
    more: bool = False

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.hits) < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def query_terms(query: str) -> list[str]:
    terms = [t for t in _WORD.findall(query.lower()) if t not in STOP_WORDS]
    return list(dict.fromkeys(terms))[:MAX_TERMS]


def _scope_sql(user: AnyUser) -> tuple[str, list[Any]]:
    if roles.is_faculty(user):
        return "e.scope = %s", [SearchEntry.Scope.FULL]
    if not user.is_authenticated:
        return "e.scope = %s", [SearchEntry.Scope.PUBLIC]
    # The reveal rule belongs to the quiz; the library reaches it through the project wiring
    # (settings.REVEALED_CASES_RULE) rather than importing quiz. It gives the rule's own SQL
    # (quiz.rules.revealed_case_ids_sql): a case half answered, or held by a running exam,
    # is matched and quoted from its public document only.
    revealed_case_ids_sql: Callable[[AnyUser], tuple[str, list[Any]]] = import_string(
        settings.REVEALED_CASES_RULE
    )
    sub_sql, sub_params = revealed_case_ids_sql(user)
    sql = (
        f"((e.scope = %s AND e.case_id IN ({sub_sql})) "
        f"OR (e.scope = %s AND e.case_id NOT IN ({sub_sql})))"
    )
    params = [SearchEntry.Scope.FULL, *sub_params, SearchEntry.Scope.PUBLIC, *sub_params]
    return sql, params


def _filter_sql(user: AnyUser, filters: SearchFilters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if roles.is_faculty(user):
        if filters.status:
            clauses.append("c.status = %s")
            params.append(filters.status)
    else:
        clauses.append("c.status = %s")
        params.append(Case.Status.PUBLISHED)
    if filters.modality:
        # Codes are space-separated; pad both sides to match whole codes only.
        clauses.append("(' ' || c.modalities || ' ') LIKE %s")
        params.append(f"% {filters.modality} %")
    if filters.region:
        clauses.append("c.region = %s")
        params.append(filters.region)
    if filters.category:
        clauses.append("c.category = %s")
        params.append(filters.category)
    if filters.difficulty:
        clauses.append(
            f"c.id IN (SELECT case_id FROM {Rating._meta.db_table} "  # noqa: S608 - our table
            "GROUP BY case_id HAVING ROUND(AVG(difficulty)) = %s)"
        )
        params.append(filters.difficulty)
    return " AND ".join(clauses) or "1 = 1", params


def _match_sql(terms: list[str]) -> tuple[str, str, str, str, list[Any]]:
    """Leading CTEs, FROM clause, WHERE clause and rank expression for this engine."""
    entries = SearchEntry._meta.db_table
    if connection.vendor == "sqlite":
        # Terms are \w+ only, so quoting them cannot change the FTS5 query syntax.
        match = " ".join(f'"{term}"*' for term in terms)
        return (
            "",
            # CROSS JOIN fixes the join order in SQLite: the full-text match drives, never
            # a filter on cases (probing FTS5 once per case is a thousand times slower).
            f"search_fts CROSS JOIN {entries} e ON e.id = search_fts.rowid",
            "search_fts MATCH %s",
            # bm25 is lower-is-better; titles count five times the body.
            "-bm25(search_fts, 5.0, 1.0)",
            [match],
        )
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        return (
            # The GIN matches first, materialised: left to itself the planner may start
            # from a filter on cases, or read every document in id order for the LIMIT.
            f"hits AS MATERIALIZED (SELECT id, case_id, scope FROM {entries} "  # noqa: S608
            "WHERE document @@ to_tsquery('english', %s)), ",
            f"hits e JOIN {entries} d ON d.id = e.id CROSS JOIN to_tsquery('english', %s) q",
            "TRUE",
            "ts_rank_cd(d.document, q)",
            [tsquery, tsquery],
        )
    raise NotImplementedError(
        f"Full-text search needs SQLite or PostgreSQL, not {connection.vendor}"
    )


def search_cases(
    *,
    query: str,
    user: AnyUser,
    filters: SearchFilters | None = None,
    limit: int = 20,
    offset: int = 0,
) -> SearchResults:
    """Ranked cases matching every word of the query (as prefixes), within the filters."""
    filters = filters or SearchFilters()
    terms = query_terms(query)
    limit = max(1, min(limit, 100))
    offset = max(0, offset)
    if not terms:
        return SearchResults(query=query, terms=[], total=0, limit=limit, offset=offset)

    ctes, from_sql, match_sql, rank_sql, match_params = _match_sql(terms)
    scope_sql, scope_params = _scope_sql(user)
    filter_sql, filter_params = _filter_sql(user, filters)
    case_join = "CROSS JOIN" if connection.vendor == "sqlite" else "JOIN"
    # Rank the matches once (materialised: FTS5 allows bm25 only in a plain scan), then
    # count them and read the text of just the page shown. Ranking costs per match, so a
    # broad query ranks its first RANK_CANDIDATES matches only and says there are more.
    # Only our table names and fixed fragments are formatted in; values are parameters.
    sql = (
        f"WITH {ctes}matches AS MATERIALIZED "  # noqa: S608
        f"(SELECT e.id AS entry_id, c.public_id, {rank_sql} AS rank "
        f"FROM {from_sql} {case_join} {Case._meta.db_table} c ON c.id = e.case_id "
        f"WHERE {match_sql} AND {scope_sql} AND {filter_sql} LIMIT {RANK_CANDIDATES + 1}) "
        "SELECT e.case_id, e.scope, e.body, m.rank, (SELECT COUNT(*) FROM matches) "
        f"FROM matches m JOIN {SearchEntry._meta.db_table} e ON e.id = m.entry_id "
        "ORDER BY m.rank DESC, m.public_id LIMIT %s OFFSET %s"
    )
    params = [*match_params, *scope_params, *filter_params, limit, offset]
    postgres = connection.vendor == "postgresql"
    with transaction.atomic() if postgres else nullcontext(), connection.cursor() as cursor:
        if postgres:
            # The planner prices reading documents from TOAST far too low and prefers a
            # sequential scan over the GIN index for common words; forbid it here only.
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = rows[0][4] if rows else 0
    return SearchResults(
        query=query,
        terms=terms,
        total=min(found, RANK_CANDIDATES),
        more=found > RANK_CANDIDATES,
        limit=limit,
        offset=offset,
        hits=_hits(rows, terms),
    )


def _hits(rows: list[tuple[Any, ...]], terms: list[str]) -> list[SearchHit]:
    if not rows:
        return []
    ids = [row[0] for row in rows]
    cases = Case.objects.filter(pk__in=ids).for_listing().in_bulk()
    revealed_ids = [row[0] for row in rows if row[1] == SearchEntry.Scope.FULL]
    # Known titles are read only for cases this user is entitled to see revealed.
    known = (
        dict(Case.objects.filter(pk__in=revealed_ids).values_list("pk", "known_title"))
        if revealed_ids
        else {}
    )
    return [
        SearchHit(
            case=cases[case_id],
            revealed=scope == SearchEntry.Scope.FULL,
            known_title=known.get(case_id, ""),
            snippet=make_snippet(body, terms),
            rank=float(rank),
        )
        for case_id, scope, body, rank, _total in rows
        if case_id in cases
    ]


def make_snippet(body: str, terms: list[str], size: int = SNIPPET_CHARS) -> SafeString:
    """A window of the matched document around the first hit, terms marked, HTML-escaped.

    Built in Python from the same stored text on both engines, so both give the same
    snippet; it only ever quotes the document that matched.
    """
    # Markdown emphasis and heading marks are noise in a one-line quotation.
    text = " ".join(_MARKUP.sub("", body).split())
    if not text:
        return mark_safe("")
    pattern = re.compile(r"\b(" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)
    first = pattern.search(text)
    start = 0 if first is None else max(0, first.start() - size // 3)
    if start:
        # Begin at a word boundary.
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first.start() else start  # type: ignore[union-attr]  # start>0 means a match
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    window = text[start:end]
    pieces: list[str] = ["… " if start else ""]
    cursor = 0
    for match in pattern.finditer(window):
        pieces.append(escape(window[cursor : match.start()]))
        pieces.append(f"<mark>{escape(match.group(0))}</mark>")
        cursor = match.end()
    pieces.append(escape(window[cursor:]))
    pieces.append(" …" if end < len(text) else "")
    return mark_safe("".join(pieces))  # every piece is escaped above
