"""`cs team prune --older AGE|DATE`: the admin removes what the team shared
before a moment (by when the session started).

Whole months before the moment's month go as partitions (DROP TABLE of each
table's month, the referencing tables first, the sessions' month detached
before it is dropped: no row-by-row delete, no bloat); in the moment's own month, the sessions that started before it are
deleted (their rows go by cascade). Only the tables' owner, the admin who ran
`cs team init`, may drop partitions: a member is told so. `dry_run` counts and
changes nothing. Test: tests/test_team_prune.py.
"""

import re

from cs.errors import CsError
from cs.team.connect import failed, psycopg

# Referencing tables first: a month of sessions is dropped after the rows that refer to it.
TABLES = ("entries", "lines", "transcript_lines", "usage", "recording", "sessions")
_MONTH = re.compile(r"^sessions_(\d{4})_(\d{2})$")


def months(conn) -> list:
    """The first day of every month that has partitions, oldest first."""
    from datetime import date

    rows = conn.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = 'cs_team.sessions'::regclass"
    ).fetchall()
    found = [_MONTH.match(name) for (name,) in rows]
    return sorted(date(int(m[1]), int(m[2]), 1) for m in found if m)


def prune(conn, before, dry_run: bool = False) -> dict:
    """Remove the sessions started before `before` (an aware datetime);
    {"sessions": n, "months": [dropped month, ...], "before": iso}."""
    from datetime import UTC, date

    from psycopg import sql

    pg = psycopg()
    cutoff = before.astimezone(UTC)
    first = date(cutoff.year, cutoff.month, 1)
    try:
        with conn.transaction():
            if not dry_run and not _owns_tables(conn):
                raise CsError("only the team database's admin (who ran `cs team init`) prunes it")
            old = [m for m in months(conn) if m < first]
            gone = conn.execute(
                "SELECT count(*) FROM sessions WHERE month < %s OR (month = %s AND started_at < %s)",
                [first, first, cutoff],
            ).fetchone()[0]
            if not dry_run:
                for month in old:
                    for table in TABLES:
                        name = sql.Identifier("cs_team", f"{table}_{month:%Y_%m}")
                        if table == "sessions":  # referenced by the others' foreign keys: detached first
                            conn.execute(sql.SQL("ALTER TABLE cs_team.sessions DETACH PARTITION {}").format(name))
                        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
                conn.execute("DELETE FROM sessions WHERE month = %s AND started_at < %s", [first, cutoff])
    except pg.Error as exc:
        raise failed(exc, "cannot prune the team database") from None
    return {"sessions": gone, "months": [m.isoformat() for m in old], "before": cutoff.isoformat()}


def _owns_tables(conn) -> bool:
    return conn.execute(
        "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class WHERE oid = 'cs_team.sessions'::regclass"
    ).fetchone()[0]
