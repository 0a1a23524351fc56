"""Searching what the team shared: the local query rules (literal words and
"phrases", each matching anywhere in a line, case-insensitively), in
PostgreSQL: one ILIKE per term, served by the pg_trgm GIN index on
lines.text. Every hit names its owner, and is redacted again on the way out
(the reader's own redact_patterns). Test: tests/test_team.py
(test_alice_shares_and_bob_finds_it_attributed_to_her)."""

from cs import config
from cs.ask.search import like_pattern, split_terms
from cs.team.connect import failed, psycopg


def search(conn, words, limit: int = 20) -> list:
    """Hits, newest first: dicts of owner, session_id, ts, direction, kind,
    text, project, command."""
    pg = psycopg()
    terms = split_terms(words)
    where = " AND ".join(["l.text ILIKE %s"] * len(terms))
    statement = (
        "SELECT l.owner, l.session_id, l.ts, l.direction, l.kind, l.text, s.project, s.command"
        " FROM lines l JOIN sessions s ON s.owner = l.owner AND s.id = l.session_id"
        f" WHERE {where} ORDER BY l.ts DESC NULLS LAST, l.session_id LIMIT %s"
    )
    try:
        rows = conn.execute(statement, [*map(like_pattern, terms), int(limit)]).fetchall()
        conn.rollback()
    except pg.Error as exc:
        raise failed(exc, "cannot search the team database") from None
    r = config.redactor()
    names = ("owner", "session_id", "ts", "direction", "kind", "text", "project", "command")
    hits = []
    for row in rows:
        hit = dict(zip(names, row))
        hit["ts"] = hit["ts"].isoformat() if hit["ts"] is not None else None
        hits.append(r.session(hit))
    return hits
