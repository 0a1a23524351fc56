"""Sharing a session with the team: what is shipped, shipping it, taking it back.

What leaves the machine (`shipment`), every text through cs's redactor as
configured (`cs.config.redactor()`, the user's redact_patterns included; with
`redact = off` nothing is shipped):

- `sessions`: its metadata (its index row, `Redactor.session`), with
  `git_remote` (origin's URL of its cwd as host/path, cs.team.remote,
  computed at ship time when the cwd still exists, else NULL), `cols`, `rows`,
  `log_bytes`, and, for a hand-off, the team session it continued
  (`continued_owner`, `continued_id`: cs.team.handoff);
- `entries`: its story (cs.story.build.build_story);
- `lines`: its searchable lines (the index's, without the screen's chrome and
  without what is still provisional on a live screen);
- `transcript_lines`: every line of the archived Claude Code transcript(s)
  linked to it (claude_links; a transcript-only session is linked to its own),
  subagents' files included, `line_no` from 0 in each archived file, the line's
  JSON with every string value redacted (`redact_json`: a valid transcript line
  still, which `cs resume --team` can write back for Claude Code);
- `usage`: its token usage (claude_usage), each (message id, request id) once;
- `recording` (only with `team_share_recording = on`): the recording as
  `cs replay` plays it, redacted (cs.playback.redacted.RedactedStream for the
  output, a second StreamRedactor for the input), one row per event that
  shows something: `o` output, `i` input, `r` a resize ("COLSxROWS"), at
  `elapsed` seconds from the start line. What the redactor still holds back at
  the end of a live log (the possible start of a secret) waits for the next
  shipment; the redactor's state is kept in the watermark, so an event once
  shipped never changes and a live recording shipped in pieces is the one
  shipped at once (tests/test_team_shipping.py::
  test_a_recording_shipped_in_pieces_equals_the_one_shipped_at_once).

Incremental (the watermark, `mark`: a dict kept per session by
cs.team.marks): `shipment(..., mark)` holds only what is new since -- lines
from the first id that was new or provisional, transcript lines from the byte
offset reached in each file, usage from the last rowid, recording events from
the log position reached, story entries from the first that changed, the
metadata when it changed -- and `Shipment.mark` is the watermark to keep once
`ship` has committed. Without a mark, for another team URL, or when the
redaction changed (redact, redact_patterns, cs's version), everything is
shipped again ("full") and what the session no longer holds is deleted; the
recording is never shipped again (an event once shipped never changes).

`ship` is idempotent: rows are upserted only where they differ, or inserted
where absent (lines keyed by their text's hash, cs.db.text_hash; transcript
lines by file and line number; usage by message and request id; recording
events by number, computed deterministically): a retry after a failure, or a
lost watermark, never duplicates. The owner is never sent: the database fills
it in (current_user) and its policies check it.

Tests: tests/test_team.py (test_alice_shares_and_bob_finds_it_attributed_to_her,
test_no_piece_of_a_secret_reaches_the_team_database, test_shipping_twice_changes_nothing,
test_a_line_redacted_since_it_was_shipped_leaves_the_team_database,
test_the_shared_story_is_the_story_cs_tells, test_alice_unshares_and_it_is_gone_for_bob,
test_sharing_with_redaction_off_is_refused) and tests/test_team_shipping.py (what more is
shipped, incrementally, by the watcher, through an outage)."""

import hashlib
import json
import os

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
    "cols",
    "rows",
    "log_bytes",
    "continued_owner",
    "continued_id",
)
RECORDING_BATCH_BYTES = 8 << 20  # of log read for the recording per shipment; the rest next time
# Values of a transcript line that are its structure, not its text: kept as they are.
_TRANSCRIPT_IDS = frozenset(
    (
        "uuid",
        "parentUuid",
        "logicalParentUuid",
        "leafUuid",
        "sessionId",
        "timestamp",
        "type",
        "requestId",
        "id",
        "tool_use_id",
        "messageId",
        "role",
        "userType",
        "version",
    )
)


class Shipment:
    """One session as it is shipped (see the module doc): `session` (the
    fields above and git_remote; None when unchanged since the watermark),
    `entries` [(seq, ts, kind, source, text, segment, offset)] from
    `entries_from` (None: unchanged), `n_entries` in all, `lines`
    [(direction, text_hash, ts, kind, text, segment, offset)], `transcript`
    [(claude_session_id, line_no, ts, line)], `usage` [(message_id,
    request_id, claude_session_id, ts, model, input, output, cache_read,
    cache_write, sidechain)], `recording` [(seq, elapsed, kind, data,
    at_segment, at_offset)]; `full`: everything, what is not held any more
    deleted; `mark`: the watermark once shipped."""

    __slots__ = (
        "session_id",
        "month",
        "session",
        "entries",
        "entries_from",
        "n_entries",
        "lines",
        "transcript",
        "usage",
        "recording",
        "full",
        "mark",
        "prev",
    )

    def __init__(self, session_id, session, entries, lines, month=None):
        self.session_id, self.session, self.entries, self.lines = session_id, session, entries, lines
        self.month = month or month_of(session.get("started_at"))
        self.entries_from, self.n_entries = 0, len(entries or ())
        self.transcript, self.usage, self.recording = [], [], []
        self.full, self.mark, self.prev = True, {}, {}

    def empty(self) -> bool:
        """Nothing to send (a session unchanged since its watermark)."""
        return (
            self.session is None
            and self.entries is None
            and not (self.lines or self.transcript or self.usage or self.recording)
            and self.counts() == self.prev.get("counts")
        )

    def counts(self) -> list:
        return [self.n_entries, self.mark.get("lines", 0), bool(self.mark.get("recording", {}).get("seq"))]


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


def redaction_fingerprint(settings) -> str:
    """What the shipped text depends on besides the logs: when it changes, a session is shipped again in full."""
    import cs

    what = json.dumps([cs.__version__, bool(settings.redact), list(settings.redact_patterns)])
    return hashlib.blake2b(what.encode(), digest_size=8).hexdigest()


def _digest(value) -> str:
    return hashlib.blake2b(json.dumps(value, default=str, sort_keys=True).encode(), digest_size=8).hexdigest()


def shipment(db, logs_dir, session_id: str, mark: dict = None, url: str = None, recording: bool = None) -> Shipment:
    """What of one session is to be shipped, redacted: everything without a
    watermark (`mark`), else what is new since (see the module doc)."""
    from cs.ask import sessions

    settings = config.settings()
    r = redactor()
    recording = settings.team_share_recording if recording is None else recording
    cur = db.execute("SELECT * FROM sessions WHERE id = ?", [session_id])
    row = cur.fetchone()
    if row is None:
        raise CsError(f"session {session_id[:8]} is not indexed yet: `cs index`, then share it again")
    row = dict(zip([d[0] for d in cur.description], row))
    fingerprint = redaction_fingerprint(settings)
    mark = mark or {}
    full = mark.get("url") != url or mark.get("redaction") != fingerprint
    prev = {} if full else mark
    new = {
        "url": url,
        "redaction": fingerprint,
        "log_bytes": row.get("log_bytes") or 0,
        "local": local_key(db, session_id),
    }

    meta = sessions.session_dict(dict(row), r)
    values = {k: meta.get(k) for k in SESSION_FIELDS}
    values["git_remote"] = prev["git_remote"] if "git_remote" in prev else git_remote(row.get("cwd"), r)
    new["git_remote"] = values["git_remote"]
    new["meta"] = _digest(values)
    s = Shipment(session_id, values, None, [], month=month_of(row.get("started_at")))
    s.full, s.prev, s.mark = full, prev, new
    if not full and prev.get("meta") == new["meta"]:
        s.session = None

    story_key = [row.get("log_bytes"), row.get("last_event_at"), row.get("status"), new["local"]]
    if full or prev.get("story_key") != story_key:
        rows = story_rows(db, logs_dir, session_id)
        hashes = [_digest(e) for e in rows]
        old = [] if full else prev.get("entries", [])
        first = next((i for i, (a, b) in enumerate(zip(hashes, old)) if a != b), min(len(hashes), len(old)))
        if full or first < len(hashes) or len(hashes) != len(old):
            s.entries, s.entries_from = rows[first:], first
        s.n_entries = len(rows)
        new.update(story_key=story_key, entries=hashes)
    else:
        s.n_entries = len(prev.get("entries", []))
        new.update(story_key=story_key, entries=prev.get("entries", []))

    s.lines, new["lines_from"] = line_rows(db, session_id, r, since=prev.get("lines_from", 0))
    new["lines"] = prev.get("lines", 0)  # + the rows `ship` inserts
    s.transcript, new["transcript"] = transcript_rows(db, session_id, r, prev.get("transcript", {}))
    s.usage, new["usage_rowid"] = usage_rows(db, session_id, r, prev.get("usage_rowid", 0))
    rec = mark.get("recording") if mark.get("url") == url else None
    if recording:
        ended = row.get("status") != "running"
        s.recording, rec = recording_rows(logs_dir, session_id, rec, ended)
    if rec is not None:
        new["recording"] = rec
    return s


def local_key(db, session_id: str) -> list:
    """What changes locally when a session has something new to ship: its row's
    size and last event, its lines, its usage, its transcripts indexed."""
    row = db.execute(
        "SELECT s.log_bytes, s.last_event_at, s.status, (SELECT max(id) FROM lines WHERE session_id = s.id),"
        " (SELECT count(*) FROM lines WHERE session_id = s.id AND provisional = 1),"
        " (SELECT max(rowid) FROM claude_usage WHERE session_id = s.id),"
        " (SELECT sum(t.indexed_offset) FROM claude_transcripts t JOIN claude_links l"
        "  ON t.claude_session_id = l.claude_session_id OR substr(t.claude_session_id, 1, 37) = l.claude_session_id || '/'"
        "  WHERE l.session_id = s.id)"
        " FROM sessions s WHERE s.id = ?",
        [session_id],
    ).fetchone()
    return list(row) if row else None


def git_remote(cwd, r):
    """origin's URL of the git checkout at `cwd` as host/path
    (cs.team.remote.normalized: no scheme, no user or password, no .git),
    redacted; None when cwd is gone or has none."""
    from cs.team import remote

    if not cwd or not os.path.isdir(cwd):
        return None
    found = remote.of_checkout(cwd)
    return r.text(found) if found else None


def story_rows(db, logs_dir, session_id: str) -> list:
    from cs.story.build import build_story

    story = build_story(logs_dir, session_id, db=db, redact=True)
    return [
        (seq, e.ts, e.kind, e.source, e.text, *(tuple(e.at[:2]) if e.at is not None else (None, None)))
        for seq, e in enumerate(story.entries)
    ]


def line_rows(db, session_id: str, r, since: int = 0):
    """The searchable lines from line id `since` on, redacted again (an index
    built before a pattern was added), one per (direction, hash of the shipped
    text); and the id to go on from next time (the first line still provisional,
    or the one after the last)."""
    from cs.db import text_hash

    rows = db.execute(
        "SELECT id, direction, ts, kind, text, segment, offset, provisional FROM lines WHERE session_id = ? AND id >= ?"
        " ORDER BY segment, offset, id",
        [session_id, since],
    ).fetchall()
    provisional = [row[0] for row in rows if row[7]]
    next_from = min(provisional) if provisional else max((row[0] for row in rows), default=since - 1) + 1
    rows = [row[1:7] for row in rows if not row[7] and row[3] != "chrome"]
    screen = [i for i, row in enumerate(rows) if row[0] != "transcript"]
    texts = [row[3] for row in rows]
    for i, text in zip(screen, r.lines([texts[i] for i in screen])):
        texts[i] = text
    out = {}
    for (direction, ts, kind, _raw, segment, offset), text in zip(rows, texts):
        text = text if direction != "transcript" else r.text(text)
        out.setdefault((direction, text_hash(text)), (direction, text_hash(text), ts, kind, text, segment, offset))
    return list(out.values()), max(next_from, since)


def redact_json(value, r):
    """A transcript line's JSON with every string value redacted
    (`Redactor.session` on each object, down through its objects and lists);
    ids, times and types kept (_TRANSCRIPT_IDS): it stays a transcript line."""
    if isinstance(value, dict):
        keep = {k: v for k, v in value.items() if k in _TRANSCRIPT_IDS}
        out = r.session({k: v for k, v in value.items() if k not in _TRANSCRIPT_IDS})
        for k, v in out.items():
            if isinstance(v, (dict, list)):
                out[k] = redact_json(v, r)
        return {k: keep[k] if k in keep else out[k] for k in value}
    if isinstance(value, list):
        return [
            redact_json(v, r) if isinstance(v, (dict, list)) else r.text(v) if isinstance(v, str) else v for v in value
        ]
    return r.text(value) if isinstance(value, str) else value


def transcript_line(raw: bytes, r):
    """(ts, line) of one archived transcript line as shipped: redacted JSON
    (a line that is not JSON: redacted as text)."""
    from cs.log.timestamps import parse_timestamp

    text = raw.rstrip(b"\n").decode("utf-8", "replace")
    try:
        record = json.loads(text)
    except ValueError:
        return None, r.text(text).replace("\x00", "")
    ts = record.get("timestamp") if isinstance(record, dict) else None
    ts = parse_timestamp(ts) if isinstance(ts, str) else None
    return ts, json.dumps(redact_json(record, r), ensure_ascii=False, separators=(",", ":"))


def transcript_rows(db, session_id: str, r, reached: dict):
    """The archived transcript lines of the Claude sessions linked to this one,
    from where `reached` ({file key: [byte offset, line_no]}) says; and where
    they now reach (complete lines only: a line still being copied waits)."""
    from cs.claude import archive
    from cs.claude import index as claude_index

    ids = [
        c
        for (c,) in db.execute(
            "SELECT DISTINCT claude_session_id FROM claude_links WHERE session_id = ? ORDER BY claude_session_id",
            [session_id],
        ).fetchall()
    ]
    rows, now = [], dict(reached)
    for claude_id in ids:
        for key, path in claude_index.transcript_files(claude_id):
            offset, line_no = reached.get(key, [0, 0])
            data = _read_from(path, offset, archive)
            if not data:
                continue
            data = data[: data.rfind(b"\n") + 1]
            for raw in data.splitlines(keepends=True):
                ts, line = transcript_line(raw, r)
                rows.append((key, line_no, ts, line))
                line_no += 1
            now[key] = [offset + len(data), line_no]
    return rows, now


def _read_from(path, offset: int, archive) -> bytes:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read()
    except FileNotFoundError:
        try:
            data = archive.read_archived(path)  # encrypted at rest (.gz.age)
        except CsError:
            return b""  # no identity: shipped when it can be read
        return (data or b"")[offset:]


def usage_rows(db, session_id: str, r, after: int = 0):
    """Token usage attributed to this session after rowid `after`; the last rowid."""
    rows = db.execute(
        "SELECT rowid, message_id, request_id, claude_session_id, ts, model, input_tokens, output_tokens,"
        " cache_read_tokens, cache_write_tokens, sidechain FROM claude_usage WHERE session_id = ? AND rowid > ?"
        " ORDER BY rowid",
        [session_id, after],
    ).fetchall()
    out = [
        (m, q, c, ts, r.text(model) if model else model, *n, bool(side)) for _id, m, q, c, ts, model, *n, side in rows
    ]
    return out, max([after] + [row[0] for row in rows])


def recording_rows(logs_dir, session_id: str, rec: dict, ended: bool):
    """The recording's events from where `rec` (the recording's watermark)
    left off, redacted as `cs replay` shows them, and the new watermark. At
    most RECORDING_BATCH_BYTES of log per call; once the log's `end` is read
    (or the session is over, `ended`), what the redactors held is given up as
    the last events and nothing more is read."""
    from cs.playback import events as ev
    from cs.playback.redacted import RedactedStream, start_width

    rec = dict(rec or {"seg": 1, "off": 0, "seq": 0, "t0": None, "t": 0.0, "pipe": False, "done": False})
    if rec["done"]:
        return [], rec
    shown, typed = RedactedStream(), config.stream_redactor()
    if rec.get("out"):
        shown.restore(rec["out"])
        typed.restore(rec["in"])
    rows, read = [], 0
    seq, t0, last_t, pipe = rec["seq"], rec["t0"], rec["t"], rec["pipe"]
    seg, off, done = rec["seg"], rec["off"], False

    def emit(kind, data, pos, t):
        nonlocal seq
        data = data.replace("\x00", "")
        if data:
            rows.append((seq, t, kind, data, *pos))
            seq += 1

    segments = ev.segment_paths(logs_dir, session_id)
    for n in sorted(k for k in segments if k >= seg):
        if n > seg:
            seg, off = n, 0
        try:
            for base, block in ev.segment_blocks(segments[n], off):
                if base == "end":
                    off = block
                    break
                for e in ev.events_in(block, base, n):
                    t = e.t
                    if t0 is None:
                        t0 = t
                    elapsed = last_t if t != t or t0 != t0 else max(last_t, round(t - t0, 6))
                    last_t = elapsed
                    if e.kind == "start":
                        shown.resize(start_width(e.data))
                        typed.resize(start_width(e.data))
                        pipe = ev.piped(e.data)
                    elif e.kind == "o":
                        data = ev.onlcr(e.data) if pipe else e.data
                        emit("o", shown.feed(data).decode("utf-8", "replace"), e.pos, elapsed)
                    elif e.kind == "i":
                        emit("i", typed.feed(e.data.decode("utf-8", "replace")), e.pos, elapsed)
                    elif e.kind == "r" and isinstance(e.data.get("cols"), int) and isinstance(e.data.get("rows"), int):
                        emit(
                            "o", shown.flush().decode("utf-8", "replace"), e.pos, elapsed
                        )  # as the export: held text first
                        shown.resize(e.data["cols"])
                        typed.resize(e.data["cols"])
                        emit("r", f"{e.data['cols']}x{e.data['rows']}", e.pos, elapsed)
                    elif e.kind == "end":
                        done = True
                read += len(block)
                off = base + len(block)
                if read >= RECORDING_BATCH_BYTES:
                    break
        except ev.LogVanished:
            break
        if read >= RECORDING_BATCH_BYTES:
            break
    if (done or ended) and read < RECORDING_BATCH_BYTES:
        emit("o", shown.flush().decode("utf-8", "replace"), (seg, off), last_t)
        emit("i", typed.flush(), (seg, off), last_t)
        done = True
    rec.update(seg=seg, off=off, seq=seq, t0=t0, t=last_t, pipe=pipe, done=done)
    rec.update(out=shown.snapshot(), **{"in": typed.snapshot()})
    return rows, rec


def ship(conn, s: Shipment) -> dict:
    """Send one shipment in one transaction; {"session": changed or not,
    "entries", "lines", "transcript", "usage", "recording": rows written,
    "removed": rows deleted}. Afterwards `s.mark` is the watermark to keep."""
    pg = psycopg()
    counts = dict.fromkeys(("entries", "lines", "transcript", "usage", "recording", "removed"), 0)
    counts["session"] = False
    try:
        with conn.transaction():
            if s.session is not None or s.full:
                conn.execute("SELECT ensure_month(%s)", [s.month])
                counts["session"] = _upsert_session(conn, s)
            if s.entries is not None:
                counts["entries"], counts["removed"] = _upsert_entries(conn, s)
            counts["lines"], gone = _upsert_lines(conn, s)
            counts["removed"] += gone
            counts["transcript"] = _upsert_transcript(conn, s)
            counts["usage"] = _insert_usage(conn, s)
            counts["recording"] = _insert_recording(conn, s)
            s.mark["lines"] = len(s.lines) if s.full else s.mark["lines"] + counts["lines"]
            s.mark["counts"] = s.counts()
            if s.full or s.mark["counts"] != s.prev.get("counts"):
                _update_counts(conn, s)
    except pg.errors.ForeignKeyViolation as exc:  # the session went from the team database meanwhile
        s.mark.clear()
        raise failed(exc, f"cannot share {s.session_id[:8]} (it is shipped whole next time)") from None
    except pg.Error as exc:
        raise failed(exc, f"cannot share {s.session_id[:8]}") from None
    return counts


def _upsert_session(conn, s: Shipment) -> bool:
    from psycopg.types.json import Jsonb

    values = dict(s.session, argv=Jsonb(s.session["argv"]) if s.session.get("argv") is not None else None)
    values.update(id=s.session_id, month=s.month)
    cols = list(values)
    changed = [c for c in cols if c not in ("id", "month")]
    statement = (
        f"INSERT INTO sessions ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
        f" ON CONFLICT (owner, id, month) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in changed)}, updated_at = now()"
        f" WHERE ({', '.join(f'sessions.{c}' for c in changed)}) IS DISTINCT FROM"
        f" ({', '.join(f'excluded.{c}' for c in changed)})"
    )
    return conn.execute(statement, [values[c] for c in cols]).rowcount > 0


def _update_counts(conn, s: Shipment) -> None:
    entries, lines, recording = s.mark["counts"]
    conn.execute(
        "UPDATE sessions SET entries = %s, lines = %s, recording = %s, updated_at = now()"
        " WHERE owner = current_user AND id = %s AND month = %s AND (entries, lines, recording) IS DISTINCT FROM (%s, %s, %s)",
        [entries, lines, recording, s.session_id, s.month, entries, lines, recording],
    )


_ENTRY_COLS = ("ts", "kind", "source", "text", "at_segment", "at_offset")


def _upsert_entries(conn, s: Shipment):
    written = _bulk(
        conn,
        s,
        "INSERT INTO entries (session_id, month, seq, ts, kind, source, text, at_segment, at_offset)",
        ("int4", "timestamptz", "text", "text", "text", "int4", "int8"),
        s.entries,
        " ON CONFLICT (owner, session_id, month, seq) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in _ENTRY_COLS)
        + f" WHERE ({', '.join(f'entries.{c}' for c in _ENTRY_COLS)}) IS DISTINCT FROM"
        f" ({', '.join(f'excluded.{c}' for c in _ENTRY_COLS)})",
    )
    removed = conn.execute(
        "DELETE FROM entries WHERE owner = current_user AND session_id = %s AND month = %s AND seq >= %s",
        [s.session_id, s.month, s.n_entries],
    ).rowcount
    return written, removed


def _upsert_lines(conn, s: Shipment):
    written = _bulk(
        conn,
        s,
        'INSERT INTO lines (session_id, month, direction, text_hash, ts, kind, text, segment, "offset")',
        ("text", "int8", "timestamptz", "text", "text", "int4", "int8"),
        s.lines,
        " ON CONFLICT DO NOTHING",
    )
    if not s.full:
        return written, 0
    # What the team holds and the session no longer does (a line redacted since): read the keys
    # and delete the few that went, by key (an anti-join against the parameters would be planned
    # as a loop over every row).
    held = {(row[0], row[1]) for row in s.lines}
    there = conn.execute(
        "SELECT direction, text_hash FROM lines WHERE owner = current_user AND session_id = %s AND month = %s",
        [s.session_id, s.month],
    ).fetchall()
    gone = [key for key in there if tuple(key) not in held]
    removed = 0
    for direction in {d for d, _h in gone}:
        removed += conn.execute(
            "DELETE FROM lines WHERE owner = current_user AND session_id = %s AND month = %s AND direction = %s"
            " AND text_hash = ANY(%s::int8[])",
            [s.session_id, s.month, direction, [h for d, h in gone if d == direction]],
        ).rowcount
    return written, removed


def _upsert_transcript(conn, s: Shipment) -> int:
    return _bulk(
        conn,
        s,
        "INSERT INTO transcript_lines (session_id, month, claude_session_id, line_no, ts, line)",
        ("text", "int4", "timestamptz", "text"),
        s.transcript,
        " ON CONFLICT (owner, session_id, month, claude_session_id, line_no)"
        " DO UPDATE SET ts = excluded.ts, line = excluded.line"
        " WHERE (transcript_lines.ts, transcript_lines.line) IS DISTINCT FROM (excluded.ts, excluded.line)",
    )


def _insert_usage(conn, s: Shipment) -> int:
    return _bulk(
        conn,
        s,
        "INSERT INTO usage (session_id, month, message_id, request_id, claude_session_id, ts, model, input_tokens,"
        " output_tokens, cache_read_tokens, cache_write_tokens, sidechain)",
        ("text", "text", "text", "timestamptz", "text", "int8", "int8", "int8", "int8", "bool"),
        s.usage,
        " ON CONFLICT DO NOTHING",
    )


def _insert_recording(conn, s: Shipment) -> int:
    return _bulk(
        conn,
        s,
        "INSERT INTO recording (session_id, month, seq, elapsed, kind, data, at_segment, at_offset)",
        ("int4", "float8", "text", "text", "int4", "int8"),
        s.recording,
        " ON CONFLICT DO NOTHING",
    )


BULK_ROWS = 5000  # rows per statement: a few MB of parameters at most


def _bulk(conn, s: Shipment, insert: str, types: tuple, rows: list, tail: str) -> int:
    """Many rows of this session in one statement each BULK_ROWS (`insert`
    ... SELECT the session, its month and unnest(one array per column of
    `types`) `tail`): the server parses one statement, not one per row; the
    rows it inserted or changed."""
    written = 0
    arrays = ", ".join(f"%s::{t}[]" for t in types)
    statement = f"{insert} SELECT %s, %s, u.* FROM unnest({arrays}) AS u{tail}"
    for at in range(0, len(rows), BULK_ROWS):
        columns = [list(c) for c in zip(*rows[at : at + BULK_ROWS])]
        written += max(conn.execute(statement, [s.session_id, s.month, *columns]).rowcount, 0)
    return written


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
