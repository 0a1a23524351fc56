"""Reading what the team shared: `cs list --team`, `cs show --team`, `cs replay
--team`, `cs stats --team` and `cs web --team` (docs/team.md, "Reading").

Everything here comes from other people's machines and is untrusted: every
text handed out is redacted again with the reader's own patterns
(`cs.config.redactor()`, as search does) and then made `printable`: control
characters other than newline and tab -- an escape sequence's ESC, a CSI, a
BEL -- become their visible Unicode pictures (ESC -> U+241B), so that a row
written with SQL by another member cannot move this terminal's cursor, set
its title or answer for it. The local readers never meet such characters in
a story (the screen's text comes out of the renderer, which consumes them);
team text has not been through it on this machine.

A shared session is named by a unique id prefix, `OWNER/PREFIX` or a prefix
with `member=` (`resolve`); a prefix that is not hex and dashes, an owner
that is not a login name, a prefix matching nothing or several sessions: a
clear error, never a traceback. The story is rebuilt as a `cs.story.model.Story`
from the `entries` rows, so that `cs.story.text` renders it as it renders a
local one; the recording as the events the local player plays
(cs.playback.seek.seek_events).

Tests: tests/test_team_reading.py."""

import re
from datetime import timedelta

from cs import config
from cs.errors import CsError, NotFound, UsageError
from cs.team.connect import failed, psycopg

_PREFIX = re.compile(r"^[0-9a-f-]{1,36}$")
_OWNER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")
SESSION_COLUMNS = (
    "owner",
    "id",
    "month",
    "started_at",
    "ended_at",
    "status",
    "source",
    "command",
    "cwd",
    "project",
    "host",
    "git_branch",
    "git_commit",
    "git_remote",
    "exit_code",
    "claude_session_id",
    "continued_owner",
    "continued_id",
    "entries",
    "lines",
    "recording",
    "log_bytes",
    "shared_at",
)


def printable(text):
    """`text` with every control character but newline and tab shown as its
    picture (U+2400 + code; DEL as U+2421; C1 as U+FFFD): inert in a terminal."""
    if not isinstance(text, str) or not _CONTROLS.search(text):
        return text
    return _CONTROLS.sub(_picture, text)


def _picture(m) -> str:
    c = ord(m.group(0))
    if c < 0x20:
        return chr(0x2400 + c)
    return "\u2421" if c == 0x7F else "\ufffd"


def untrusted(value, redactor=None):
    """A text of the team database as it may be shown here: redacted with the
    reader's own patterns, then printable."""
    if not isinstance(value, str):
        return value
    return printable((redactor or config.redactor()).text(value))


def clean_row(row: dict, redactor=None) -> dict:
    """A row of the team database as it may be shown: times as RFC 3339,
    every string redacted (cs.redact.Redactor.session) and printable."""
    from cs.log.timestamps import format_timestamp

    r = redactor or config.redactor()
    out = {}
    for key, value in row.items():
        if hasattr(value, "tzinfo") and hasattr(value, "hour"):
            value = format_timestamp(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[key] = value
    out = r.session(out)
    return {k: (printable(v) if isinstance(v, str) else v) for k, v in out.items()}


def check_member(member):
    """A member's name as given to --member, checked (UsageError); None passes."""
    if member is not None and not _OWNER.match(member):
        raise UsageError(f"--member {member!r}: not a member's name (lower-case letters, digits and _)")
    return member


def parse_ref(ref: str, member=None):
    """(owner or None, id prefix) of `OWNER/PREFIX` or `PREFIX` (UsageError
    for anything else; an owner in the id and a different --member contradict)."""
    text = (ref or "").strip()
    owner, _, prefix = text.rpartition("/")
    owner = owner or None
    if owner is not None and not _OWNER.match(owner):
        raise UsageError(f"{ref!r}: {owner!r} is not a member's name (give OWNER/ID or an id prefix)")
    prefix = prefix.lower()
    if not _PREFIX.match(prefix):
        raise UsageError(f"{ref!r} is not a session id or id prefix (hex digits and dashes)")
    check_member(member)
    if owner and member and owner != member:
        raise UsageError(f"{ref!r} names {owner}'s session, but --member says {member}")
    return owner or member, prefix


def _run(conn, statement: str, params, doing: str):
    """Rows of one read (the transaction ended after it), psycopg's errors as TeamError."""
    pg = psycopg()
    try:
        cur = conn.execute(statement, params)
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row)) for row in cur.fetchall()]
        conn.rollback()
    except pg.Error as exc:
        raise failed(exc, doing) from None
    return rows


def resolve(conn, ref: str, member=None) -> dict:
    """The shared session `ref` names (see parse_ref): its raw `sessions` row
    (owner, id and month say where its rows are). NotFound when none matches,
    UsageError (listing them) when several do."""
    owner, prefix = parse_ref(ref, member)
    where, params = ["starts_with(id, %s)"], [prefix]
    if owner:
        where.append("owner = %s")
        params.append(owner)
    rows = _run(
        conn,
        f"SELECT {', '.join(SESSION_COLUMNS)} FROM sessions WHERE {' AND '.join(where)}"
        " ORDER BY started_at DESC NULLS LAST, owner, id LIMIT 6",
        params,
        "cannot read the team database",
    )
    if not rows:
        whose = f" of {owner}'s" if owner else ""
        raise NotFound(f"no shared session{whose} matches {ref!r} (`cs list --team` lists them)")
    if len(rows) > 1:
        shown = ", ".join(f"{printable(r['owner'])}/{r['id'][:8]}" for r in rows[:5])
        raise UsageError(
            f"{ref!r} matches {len(rows) if len(rows) < 6 else 'more than 5'} shared sessions ({shown}):"
            " give more of the id, or OWNER/ID, or --member"
        )
    return rows[0]


def _session_filters(member, project, since, until, alias="s"):
    where, params = [], []
    if member:
        where.append(f"{alias}.owner = %s")
        params.append(member)
    if project:
        where.append(f"{alias}.project = %s")
        params.append(project)
    if since:
        where.append(f"{alias}.started_at >= %s")
        params.append(since)
    if until:
        where.append(f"{alias}.started_at < %s")
        params.append(until)
    return where, params


def members(conn) -> list:
    """The owners of shared sessions, by name (printable)."""
    rows = _run(conn, "SELECT DISTINCT owner FROM sessions ORDER BY 1", [], "cannot read the team database")
    return [printable(r["owner"]) for r in rows]


def list_sessions(conn, member=None, project=None, since=None, until=None, limit=None, offset=0) -> list:
    """Shared sessions, newest first, each naming its owner: dicts of the
    SESSION_COLUMNS (cleaned: clean_row). since/until: RFC 3339 bounds on the start."""
    check_member(member)
    where, params = _session_filters(member, project, since, until)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    statement = (
        f"SELECT {', '.join('s.' + c for c in SESSION_COLUMNS)} FROM sessions s{clause}"
        " ORDER BY s.started_at DESC NULLS LAST, s.owner, s.id"
    )
    if limit:
        statement += " LIMIT %s"
        params.append(int(limit))
    if offset:
        statement += " OFFSET %s"
        params.append(int(offset))
    r = config.redactor()
    return [clean_row(row, r) for row in _run(conn, statement, params, "cannot list the team's sessions")]


def story(conn, session: dict):
    """The shared story of `session` (a resolve row) as a cs.story.model.Story,
    each entry's text redacted again with the reader's patterns and printable."""
    from cs.log.timestamps import format_timestamp
    from cs.story.model import Entry, Story

    rows = _run(
        conn,
        "SELECT kind, source, text, ts, at_segment, at_offset FROM entries"
        " WHERE owner = %s AND session_id = %s AND month = %s ORDER BY seq",
        [session["owner"], session["id"], session["month"]],
        "cannot read the shared story",
    )
    r = config.redactor()
    entries = []
    for row in rows:
        at = (row["at_segment"], row["at_offset"]) if row["at_segment"] is not None else None
        ts = format_timestamp(row["ts"]) if row["ts"] is not None else None
        entries.append(Entry(ts, printable(row["kind"]), printable(row["source"]), untrusted(row["text"], r), at=at))
    return Story(session["id"], entries, claude=session.get("claude_session_id") is not None)


def recording(conn, session: dict):
    """(start, events) of the shared recording of `session`: `start` as a log's
    start line gives the terminal (cols, rows), `events` the player's events
    as tuples (kind, RFC 3339 time, data, position): o/i bytes, r
    {"cols", "rows"}, each at the session's start plus its `elapsed`, at
    position (1, seq) (cs.playback.seek.seek_events plays them). CsError
    when the owner did not share the recording."""
    from datetime import UTC, datetime

    from cs.log.timestamps import format_timestamp

    who = f"{printable(session['owner'])}/{session['id'][:8]}"
    if not session.get("recording"):
        raise CsError(
            f"{who}: {printable(session['owner'])} shared its story but not its recording"
            f" (`cs show --team {who}` tells the story)"
        )
    rows = _run(
        conn,
        "SELECT seq, elapsed, kind, data FROM recording WHERE owner = %s AND session_id = %s AND month = %s ORDER BY seq",
        [session["owner"], session["id"], session["month"]],
        "cannot read the shared recording",
    )
    if not rows:
        raise CsError(f"{who}: its recording is shared but holds no events yet")
    began = session.get("started_at") or datetime.fromtimestamp(0, UTC)
    start = {"type": "start", "timestamp": format_timestamp(began), "cols": 80, "rows": 24}
    events, sized = [], False
    for row in rows:
        ts = format_timestamp(began + timedelta(seconds=max(0.0, float(row["elapsed"]))))
        kind, data = row["kind"], row["data"] or ""
        if kind == "r":
            size = _size(data)
            if size is None:
                continue
            if not sized and not any(e[0] == "o" for e in events):
                start["cols"], start["rows"] = size
                sized = True
                continue
            events.append(("r", ts, {"type": "resize", "cols": size[0], "rows": size[1]}, (1, row["seq"])))
        elif kind in ("o", "i"):
            events.append((kind, ts, data.encode("utf-8", "surrogateescape"), (1, row["seq"])))
    return start, events


def _size(text: str):
    m = re.match(r"^(\d{1,4})x(\d{1,4})$", text.strip())
    if not m:
        return None
    cols, rows = int(m.group(1)), int(m.group(2))
    return (cols, rows) if cols > 0 and rows > 0 else None


TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")


def stats(conn, member=None, project=None, since=None, until=None) -> dict:
    """The team's figures: sessions, searchable lines, story entries and
    tokens (input / output / cache read / cache write; each API response
    once: the usage table's key) per member, per project and per model."""
    check_member(member)
    where, params = _session_filters(member, project, since, until)
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    tokens = ", ".join(f"coalesce(sum(u.{f}), 0) AS {f}" for f in TOKEN_FIELDS)
    doing = "cannot read the team's figures"
    by = {}
    for name, key in (("by_member", "s.owner"), ("by_project", "coalesce(s.project, '-')")):
        rows = _run(
            conn,
            f"SELECT {key} AS key, count(*) AS sessions, sum(s.lines) AS lines, sum(s.entries) AS entries,"
            " sum(extract(epoch FROM s.ended_at - s.started_at)) AS seconds"
            f" FROM sessions s{clause} GROUP BY 1 ORDER BY 2 DESC, 1",
            params,
            doing,
        )
        usage = _run(
            conn,
            f"SELECT {key} AS key, {tokens} FROM usage u JOIN sessions s"
            f" ON s.owner = u.owner AND s.id = u.session_id AND s.month = u.month{clause} GROUP BY 1",
            params,
            doing,
        )
        by[name] = _figures(rows, usage)
    models = _run(
        conn,
        f"SELECT coalesce(u.model, '-') AS key, count(DISTINCT (s.owner, s.id)) AS sessions, {tokens}"
        f" FROM usage u JOIN sessions s ON s.owner = u.owner AND s.id = u.session_id AND s.month = u.month{clause}"
        " GROUP BY 1 ORDER BY 1",
        params,
        doing,
    )
    by["by_model"] = {
        untrusted(m["key"]): {"sessions": m["sessions"], **{f: int(m[f]) for f in TOKEN_FIELDS}} for m in models
    }
    total = {f: sum(row[f] for row in by["by_member"].values()) for f in TOKEN_FIELDS}
    total.update(
        sessions=sum(row["sessions"] for row in by["by_member"].values()),
        lines=sum(row["lines"] for row in by["by_member"].values()),
        entries=sum(row["entries"] for row in by["by_member"].values()),
        seconds=round(sum(row["seconds"] for row in by["by_member"].values()), 1),
    )
    return {"total": total, **by}


def _figures(rows, usage) -> dict:
    spent = {u["key"]: [int(u[f]) for f in TOKEN_FIELDS] for u in usage}
    out = {}
    for row in rows:
        figures = {
            "sessions": row["sessions"],
            "lines": int(row["lines"] or 0),
            "entries": int(row["entries"] or 0),
            "seconds": round(float(row["seconds"] or 0), 1),
        }
        figures.update(zip(TOKEN_FIELDS, spent.get(row["key"], [0, 0, 0, 0])))
        out[untrusted(row["key"])] = figures
    return out
