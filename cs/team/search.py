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


# Lines looked at first, newest first, before the indexes are asked (see `search`).
RECENT_WINDOW = 20_000
_COLUMNS = "l.owner, l.session_id, l.ts, l.direction, l.kind, l.text, s.project, s.command"
_SESSION = "JOIN sessions s ON s.owner = l.owner AND s.id = l.session_id AND s.month = l.month"


def statements(where: list, member: bool) -> tuple:
    """(the recent window's statement, the indexed statement) for these conditions.

    A common word would make the trigram (or full-text) index hand over
    every line holding it -- at a team's scale, millions -- only for the
    newest 20 to be kept. So the newest RECENT_WINDOW lines are read first
    (the ts index, newest first, no sort) and filtered: when they hold
    `limit` hits, those are the newest of all. Only a rarer query -- fewer
    hits than that among them, so few in all that the index's answer is
    small -- goes to the indexes. Test: tests/test_team_reading.py
    (test_a_common_word_is_answered_from_the_newest_lines_a_rare_one_by_the_index)."""
    cond = " AND ".join(where)
    recent = (
        f"SELECT {_COLUMNS} FROM (SELECT owner, session_id, month, ts, direction, kind, text FROM lines"
        + (" WHERE owner = %s" if member else "")
        + f" ORDER BY ts DESC NULLS LAST LIMIT %s) l {_SESSION}"
        f" WHERE {cond} ORDER BY l.ts DESC NULLS LAST, l.session_id LIMIT %s"
    )
    indexed = (
        f"SELECT {_COLUMNS} FROM lines l {_SESSION} WHERE {cond}"
        + (" AND l.owner = %s" if member else "")
        + " ORDER BY l.ts DESC NULLS LAST, l.session_id LIMIT %s"
    )
    return recent, indexed


def search(conn, words, limit: int = 20, member=None, fts: bool = False) -> list:
    """Hits, newest first: dicts of owner, session_id, ts, direction, kind,
    text, project, command (see `statements` for how they are found)."""
    from cs.team.read import check_member, printable

    pg = psycopg()
    check_member(member)
    if fts:
        where, params = [FTS_CONDITION], [" ".join(words)]
    else:
        terms = split_terms(words)
        where, params = ["l.text ILIKE %s"] * len(terms), [*map(like_pattern, terms)]
    recent, indexed = statements(where, bool(member))
    limit = int(limit)
    mine = [member] if member else []
    try:
        rows = conn.execute(recent, [*mine, RECENT_WINDOW, *params, limit]).fetchall()
        if len(rows) < limit:
            rows = conn.execute(indexed, [*params, *mine, limit]).fetchall()
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
