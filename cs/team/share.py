"""Sharing a session with the team: what is shipped, shipping it, taking it back.

What leaves the machine (`shipment`): the session's metadata (its index row),
its story (cs.story.build.build_story: each entry's time, kind, source, text
and position) and its searchable lines (the index's lines, without the
screen's chrome and without what is still provisional on a live screen), every
text through cs's redactor as configured (`cs.config.redactor()`, the user's
redact_patterns included); with `redact = off` nothing is shipped.

`ship` is idempotent: the session row and the entries are upserted only where
they differ, lines are keyed by their text's hash (cs.db.text_hash), and what
the session no longer holds (a line redacted since) is deleted; shipping the
same session twice changes no row. The owner is never sent: the database
fills it in (current_user) and its policies check it.

Tests: tests/test_team.py (test_alice_shares_and_bob_finds_it_attributed_to_her,
test_no_piece_of_a_secret_reaches_the_team_database, test_shipping_twice_changes_nothing,
test_a_line_redacted_since_it_was_shipped_leaves_the_team_database,
test_the_shared_story_is_the_story_cs_tells, test_alice_unshares_and_it_is_gone_for_bob,
test_sharing_with_redaction_off_is_refused)."""

from cs import config
from cs.errors import CsError
from cs.team.connect import failed, psycopg

SESSION_FIELDS = (
    "started_at",
    "ended_at",
    "status",
    "source",
    "command",
    "argv",
    "cwd",
    "project",
    "host",
    "git_branch",
    "git_commit",
    "exit_code",
    "claude_session_id",
    "cs_version",
)


class Shipment:
    """One session as it is shipped: `session` (the fields above), `entries`
    [(seq, ts, kind, source, text, segment, offset)], `lines`
    [(direction, text_hash, ts, kind, text, segment, offset)]."""

    __slots__ = ("session_id", "month", "session", "entries", "lines")

    def __init__(self, session_id, session, entries, lines):
        self.session_id, self.session, self.entries, self.lines = session_id, session, entries, lines
        self.month = month_of(session.get("started_at"))


def month_of(started_at):
    """The partition of a session: the first day of the month it started (UTC;
    this month when the time is unknown)."""
    from datetime import UTC, date, datetime

    from cs.log.timestamps import parse_timestamp

    when = parse_timestamp(started_at) if started_at else None
    when = when.astimezone(UTC) if when is not None else datetime.now(UTC)
    return date(when.year, when.month, 1)


def redactor():
    """The configured redactor; CsError when redaction is off (nothing unredacted leaves)."""
    r = config.redactor(config.settings())
    if not r.enabled:
        raise CsError("redaction is off (`cs config redact`): sharing ships only redacted text; `cs config redact on`")
    return r


def shipment(db, logs_dir, session_id: str) -> Shipment:
    """Everything of one session that is shipped, redacted (see the module doc)."""
    from cs.ask import sessions

    r = redactor()
    cur = db.execute("SELECT * FROM sessions WHERE id = ?", [session_id])
    row = cur.fetchone()
    if row is None:
        raise CsError(f"session {session_id[:8]} is not indexed yet: `cs index`, then share it again")
    meta = sessions.session_dict(dict(zip([d[0] for d in cur.description], row)), r)
    return Shipment(
        session_id,
        {k: meta.get(k) for k in SESSION_FIELDS},
        story_rows(db, logs_dir, session_id),
        line_rows(db, session_id, r),
    )


def story_rows(db, logs_dir, session_id: str) -> list:
    from cs.story.build import build_story

    story = build_story(logs_dir, session_id, db=db, redact=True)
    return [
        (seq, e.ts, e.kind, e.source, e.text, *(tuple(e.at[:2]) if e.at is not None else (None, None)))
        for seq, e in enumerate(story.entries)
    ]


def line_rows(db, session_id: str, r) -> list:
    """The searchable lines, redacted again (an index built before a pattern
    was added), one per (direction, hash of the shipped text)."""
    from cs.db import text_hash

    rows = db.execute(
        "SELECT direction, ts, kind, text, segment, offset FROM lines WHERE session_id = ? AND provisional = 0"
        " AND (kind IS NULL OR kind != 'chrome') ORDER BY segment, offset, id",
        [session_id],
    ).fetchall()
    screen = [i for i, row in enumerate(rows) if row[0] != "transcript"]
    texts = [row[3] for row in rows]
    for i, text in zip(screen, r.lines([texts[i] for i in screen])):
        texts[i] = text
    out = {}
    for (direction, ts, kind, _raw, segment, offset), text in zip(rows, texts):
        text = text if direction != "transcript" else r.text(text)
        out.setdefault((direction, text_hash(text)), (direction, text_hash(text), ts, kind, text, segment, offset))
    return list(out.values())


def ship(conn, s: Shipment) -> dict:
    """Upsert one shipment in one transaction; {"session": changed or not,
    "entries": rows written, "lines": rows written, "removed": rows deleted}."""
    pg = psycopg()
    try:
        with conn.transaction():
            conn.execute("SELECT ensure_month(%s)", [s.month])
            counts = {"session": _upsert_session(conn, s)}
            counts["entries"], removed = _upsert_entries(conn, s)
            lines, gone = _upsert_lines(conn, s)
            counts.update(lines=lines, removed=removed + gone)
    except pg.Error as exc:
        raise failed(exc, f"cannot share {s.session_id[:8]}") from None
    return counts


def _upsert_session(conn, s: Shipment) -> bool:
    from psycopg.types.json import Jsonb

    values = dict(s.session, argv=Jsonb(s.session["argv"]) if s.session.get("argv") is not None else None)
    values.update(id=s.session_id, month=s.month, entries=len(s.entries), lines=len(s.lines))
    cols = list(values)
    changed = [c for c in cols if c not in ("id", "month")]
    statement = (
        f"INSERT INTO sessions ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        f" ON CONFLICT (owner, id, month) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in changed)}, updated_at = now()"
        f" WHERE ({', '.join(f'sessions.{c}' for c in changed)}) IS DISTINCT FROM"
        f" ({', '.join(f'excluded.{c}' for c in changed)})"
    )
    return conn.execute(statement, [values[c] for c in cols]).rowcount > 0


_ENTRY_COLS = ("ts", "kind", "source", "text", "at_segment", "at_offset")


def _upsert_entries(conn, s: Shipment):
    statement = (
        "INSERT INTO entries (session_id, month, seq, ts, kind, source, text, at_segment, at_offset)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (owner, session_id, month, seq) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _ENTRY_COLS)
        + f" WHERE ({', '.join(f'entries.{c}' for c in _ENTRY_COLS)}) IS DISTINCT FROM"
        f" ({', '.join(f'excluded.{c}' for c in _ENTRY_COLS)})"
    )
    written = _many(conn, statement, [(s.session_id, s.month, *row) for row in s.entries])
    removed = conn.execute(
        "DELETE FROM entries WHERE owner = current_user AND session_id = %s AND month = %s AND seq >= %s",
        [s.session_id, s.month, len(s.entries)],
    ).rowcount
    return written, removed


def _upsert_lines(conn, s: Shipment):
    statement = (
        'INSERT INTO lines (session_id, month, direction, text_hash, ts, kind, text, segment, "offset")'
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )
    written = _many(conn, statement, [(s.session_id, s.month, *row) for row in s.lines])
    keep = {}
    for direction, h, *_rest in s.lines:
        keep.setdefault(direction, []).append(h)
    removed = conn.execute(
        "DELETE FROM lines WHERE owner = current_user AND session_id = %s AND month = %s AND NOT (direction = ANY(%s)"
        " AND text_hash = ANY(CASE direction WHEN 'input' THEN %s::bigint[] WHEN 'output' THEN %s::bigint[]"
        " ELSE %s::bigint[] END))",
        [s.session_id, s.month, list(keep), keep.get("input", []), keep.get("output", []), keep.get("transcript", [])],
    ).rowcount
    return written, removed


def _many(conn, statement: str, rows: list) -> int:
    """executemany, the rows it changed (psycopg pipelines the statements)."""
    if not rows:
        return 0
    with conn.cursor() as cur:
        cur.executemany(statement, rows)
        return max(cur.rowcount, 0)


def unship(conn, prefixes) -> list:
    """Delete my shared sessions whose ids start with each prefix (their
    entries and lines go with them); the ids removed. CsError for a prefix
    that matches none of mine, or more than one."""
    pg = psycopg()
    ids = []
    try:
        with conn.transaction():
            for prefix in prefixes:
                found = mine(conn, prefix)
                if len(found) != 1:
                    what = "none of your shared sessions" if not found else f"{len(found)} of your shared sessions"
                    raise CsError(f"{prefix!r} matches {what} (`cs team status` lists them)")
                conn.execute("DELETE FROM sessions WHERE owner = current_user AND id = %s", found)
                ids.extend(found)
    except pg.Error as exc:
        raise failed(exc, "cannot unshare") from None
    return ids


def mine(conn, prefix: str) -> list:
    p = prefix.strip().lower()
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM sessions WHERE owner = current_user AND starts_with(id, %s) ORDER BY id LIMIT 2", [p]
        ).fetchall()
    ]


def shared_count(conn) -> int:
    return conn.execute("SELECT count(*) FROM sessions WHERE owner = current_user").fetchone()[0]


def my_sessions(conn, limit: int = 10) -> list:
    """My shared sessions, newest first: dicts of id, started_at, project, command."""
    rows = conn.execute(
        "SELECT id, started_at, project, command FROM sessions WHERE owner = current_user"
        " ORDER BY started_at DESC NULLS LAST, id LIMIT %s",
        [int(limit)],
    ).fetchall()
    return [{"id": i, "started_at": t.isoformat() if t else None, "project": p, "command": c} for i, t, p, c in rows]
