"""Searching what the team shared: the local query rules (literal words and
"phrases", each matching anywhere in a line, case-insensitively), in
PostgreSQL: one ILIKE per term, served by the pg_trgm GIN index on
lines.text; with `fts=True` the words are PostgreSQL full-text
(`websearch_to_tsquery('simple', …)`: words, "phrases", `or`, `-word`),
served by the GIN index on to_tsvector('simple', text). `member` keeps one
member's lines. Every hit names its owner, and is redacted again on the way
out (the reader's own redact_patterns) and made printable
(cs.team.read.printable). Tests: tests/test_team.py
(test_alice_shares_and_bob_finds_it_attributed_to_her,
test_the_trigram_index_serves_a_substring_search), tests/test_team_reading.py
(test_bob_searches_words_and_substrings_and_by_member,
test_the_full_text_index_serves_a_word_search)."""

from cs import config
from cs.ask.search import like_pattern, split_terms
from cs.team.connect import failed, psycopg

# The full-text condition, as the index lines_text_words is defined (the same
# expression, or the planner cannot use it).
FTS_CONDITION = "to_tsvector('simple', l.text) @@ websearch_to_tsquery('simple', %s)"


def search(conn, words, limit: int = 20, member=None, fts: bool = False) -> list:
    """Hits, newest first: dicts of owner, session_id, ts, direction, kind,
    text, project, command."""
    from cs.team.read import check_member, printable

    pg = psycopg()
    check_member(member)
    if fts:
        where, params = [FTS_CONDITION], [" ".join(words)]
    else:
        terms = split_terms(words)
        where, params = ["l.text ILIKE %s"] * len(terms), [*map(like_pattern, terms)]
    if member:
        where.append("l.owner = %s")
        params.append(member)
    statement = (
        "SELECT l.owner, l.session_id, l.ts, l.direction, l.kind, l.text, s.project, s.command"
        " FROM lines l JOIN sessions s ON s.owner = l.owner AND s.id = l.session_id AND s.month = l.month"
        f" WHERE {' AND '.join(where)} ORDER BY l.ts DESC NULLS LAST, l.session_id LIMIT %s"
    )
    try:
        rows = conn.execute(statement, [*params, int(limit)]).fetchall()
        conn.rollback()
    except pg.Error as exc:
        raise failed(exc, "cannot search the team database") from None
    r = config.redactor()
    names = ("owner", "session_id", "ts", "direction", "kind", "text", "project", "command")
    hits = []
    for row in rows:
        hit = dict(zip(names, row))
        hit["ts"] = hit["ts"].isoformat() if hit["ts"] is not None else None
        hits.append({k: printable(v) for k, v in r.session(hit).items()})
    return hits
