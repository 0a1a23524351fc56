"""Sessions: resolving ID prefixes, listing, and a session as text. Returns data."""

import json
from pathlib import Path

from cs import config
from cs.ask.filters import Filters
from cs.errors import CsError, NotFound
from cs.index.indexer import session_is_live
from cs.log import jsonl, paths, store


class SessionNotFound(NotFound):
    def __init__(self, prefix):
        super().__init__(f"no session with id {prefix!r} (see `cs list`)")


class AmbiguousSession(CsError, LookupError):
    def __init__(self, prefix, candidates):
        self.prefix, self.candidates = prefix, candidates
        shown = ", ".join(c[:13] for c in candidates[:5])
        more = " ..." if len(candidates) > 5 else ""
        super().__init__(f"session id {prefix!r} is ambiguous: {shown}{more}")


def resolve_id(db, prefix: str, logs_dir: Path = None) -> str:
    """The one session whose id starts with `prefix` (case-insensitive). Looks in
    the index, and in the logs directory for sessions not indexed yet."""
    p = prefix.strip().lower()
    if not p or any(c not in "0123456789abcdef-" for c in p):
        raise SessionNotFound(prefix)
    found = {
        row[0]
        for row in db.execute(
            "SELECT id FROM sessions WHERE id >= ? AND id < ? ORDER BY id LIMIT 11", [p, p + "\uffff"]
        ).fetchall()
    }
    logs_dir = Path(logs_dir) if logs_dir else paths.logs_dir()
    found.update(store.all_sessions(logs_dir, prefix=p))
    if not found:
        raise SessionNotFound(prefix)
    if len(found) > 1:
        raise AmbiguousSession(prefix, sorted(found))
    return found.pop()


def list_sessions(db, filters: Filters = None, limit: int = None, offset: int = 0) -> list:
    """Session rows (dicts) newest first."""
    f = filters or Filters()
    where, params = f.session_where("id", "cwd", "project")
    # A session overlaps [since, until) if it started before until and was
    # still going at since.
    f.time_where(where, params, "COALESCE(ended_at, last_event_at, started_at)", "started_at")
    sql = "SELECT * FROM sessions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY started_at DESC, id"
    if limit:
        sql += " LIMIT ? OFFSET ?"
        params.extend([int(limit), int(offset)])
    cur = db.execute(sql, params)
    cols = [d[0] for d in cur.description]
    redactor = config.redactor()
    return [session_dict(dict(zip(cols, row)), redactor) for row in cur.fetchall()]


def session_row(db, session_id: str):
    """The sessions row of one session as data (session_dict), or None."""
    cur = db.execute("SELECT * FROM sessions WHERE id = ?", [session_id])
    row = cur.fetchone()
    return None if row is None else session_dict(dict(zip([d[0] for d in cur.description], row)))


def session_dict(row: dict, redactor=None) -> dict:
    """A sessions row as data: argv (stored as JSON text) back to a list, and
    every field redacted (cs.redact.Redactor.session: an index built before
    a field was redacted, or a redact_patterns set since, hides it too)."""
    if isinstance(row.get("argv"), str):
        try:
            row["argv"] = json.loads(row["argv"])
        except ValueError:
            pass
    return (redactor or config.redactor()).session(row)


def iter_io(logs_dir: Path, session_id: str):
    """(segment, offset, timestamp, direction, bytes_or_None, record) across all
    segments, in order; events have direction None."""
    for n, offset, _end, record in store.iter_session_records(logs_dir, session_id):
        if record.get("session_id", "").lower() != session_id:
            continue
        if "direction" in record:
            data = None
            if not record.get("masked"):
                try:
                    data = jsonl.decode_data(record)
                except ValueError:
                    continue
            yield n, offset, record.get("timestamp"), record["direction"], data, record
        else:
            yield n, offset, record.get("timestamp"), None, None, record


def session_text(logs_dir: Path, session_id: str, redact: bool = True, found: dict = None) -> list:
    """The session as the screen showed it: [(kind, text, (segment, offset, ts))]
    with kind "output" or "input", in reading order (the index's own render
    path: cs.index.render.rendered_lines), secrets redacted as in the index
    (cs.redact, per the config) unless `redact` is False; the secrets it hid
    go into `found` ({secret: kind}) when given."""
    widths = set()

    def records():
        for n, offset, _end, record in store.iter_session_records(logs_dir, session_id):
            if record.get("type") in ("start", "resize") and isinstance(record.get("cols"), int):
                widths.add(record["cols"])  # the rows a secret may wrap over (cs.redact.Redactor.lines)
            yield n, offset, record

    from cs.index.render import rendered_lines  # (not at the top: `cs list` renders nothing)

    items = list(rendered_lines(records(), session_id))
    if redact and config.settings_cached().redact:
        redactor = config.redactor()
        redactor.found = {} if found is None else found
        for kind in ("output", "input"):
            redactor.in_key = 0
            where = [i for i, item in enumerate(items) if item[0] == kind]
            texts = redactor.lines([items[i][1] for i in where], widths or {80})
            for i, text in zip(where, texts):
                items[i] = (kind, text, items[i][2])
        # Pieces of what was found elsewhere (drawn out of order, finished apart).
        texts = redactor.hide_found([text for _kind, text, _mark in items])
        items = [(kind, text, mark) for (kind, _old, mark), text in zip(items, texts)]
    return items


def shown_secrets(logs_dir: Path, session_id: str) -> dict:
    """{secret: kind} of every secret the rendered session shows (what `cs
    show` hides): a byte stream redactor told them hides their pieces however
    they were drawn (cs.redact.StreamRedactor.know). Empty when redaction is
    off. Costs a render of the whole session."""
    found = {}
    if config.settings_cached().redact:
        session_text(logs_dir, session_id, found=found)
    return found


def raw_output(logs_dir: Path, session_id: str):
    """The original output bytes, chunk by chunk."""
    for _n, _offset, _ts, direction, data, _record in iter_io(logs_dir, session_id):
        if direction == "output" and data:
            yield data


def grep_lines(lines: list, pattern, context: int = 0) -> list:
    """Groups of (index, is_match) for lines matching `pattern` (a compiled
    regex) with `context` lines around; groups separate like grep's `--`."""
    hits = [i for i, text in enumerate(lines) if pattern.search(text)]
    groups, current = [], []
    for i in hits:
        lo, hi = max(0, i - context), min(len(lines) - 1, i + context)
        if current and lo <= current[-1] + 1:
            current.extend(range(current[-1] + 1, hi + 1))
        else:
            if current:
                groups.append(current)
            current = list(range(lo, hi + 1))
    if current:
        groups.append(current)
    hit_set = set(hits)
    return [[(i, i in hit_set) for i in g] for g in groups]


def live_status(logs_dir: Path, session: dict) -> str:
    """The status to show now: an indexed 'running' session whose lock is free
    has been cut off (or ended) since the last pass."""
    status = session.get("status") or "running"
    if status == "running" and not session_is_live(logs_dir, session["id"]):
        return "cut_off"
    return status


class NoRecording(NotFound):
    """A session cs took in from Claude Code's transcript alone: there is no
    screen to replay, show raw or export as a recording."""

    def __init__(self, session_id: str, what: str):
        short = session_id[:8]
        super().__init__(
            f"session {short} has no recording to {what}: cs did not record it (Claude Code ran without "
            f"the cs shell function) and keeps its transcript only; `cs show {short}` tells its conversation, "
            f"`cs export --format markdown {short}` writes it"
        )


def is_transcript_only(db, session_id: str) -> bool:
    """Was this session taken in from a Claude Code transcript alone
    (sessions.source 'transcript', cs.claude.unrecorded)?"""
    row = db.execute("SELECT source FROM sessions WHERE id = ?", [session_id]).fetchone()
    return row is not None and row[0] == "transcript"


def require_recording(db, session_id: str, what: str) -> None:
    """Raise NoRecording when the session has no log to `what` (replay, ...).
    Proved by tests/test_claude_unrecorded.py::test_readers_say_plainly_there_is_no_recording."""
    if is_transcript_only(db, session_id):
        raise NoRecording(session_id, what)
