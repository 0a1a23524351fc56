"""Finding lines: what users type is literal by default.

`build_query` turns the words of `cs search` into SQL: each word (or "quoted
phrase") of three characters or more becomes one FTS5 string (the trigram
tokenizer matches it as a substring anywhere in a line: `1234` finds `E1234`),
quoted with its `"` doubled, so that `*`, `-`, `NEAR`, `AND`, `(`, `:` and `^`
are just characters; shorter terms fall back to LIKE, which the trigram index
cannot serve. All terms must match the same line. `--fts` passes raw FTS5
syntax; `--regex` filters with a Python regular expression.
"""

import re
import sqlite3
from datetime import timedelta

from cs.ask.filters import Filters
from cs.errors import CsError
from cs.log.timestamps import format_timestamp, parse_timestamp

MIN_FTS_TERM = 3  # the trigram tokenizer cannot match anything shorter


class QueryError(CsError, ValueError):
    """The user's query cannot be run (FTS5 syntax error, bad regex)."""


HIT_FIELDS = (
    "line_id",
    "session_id",
    "ts",
    "direction",
    "text",
    "segment",
    "offset",
    "project",
    "cwd",
    "command",
    "provisional",
    "kind",
    "spans",
    "short_id",
    "recorded",
)


class Hit:
    """One line found. (A plain class rather than a dataclass: importing
    dataclasses costs every `cs search` about 5 ms, for inspect.)"""

    __slots__ = HIT_FIELDS

    def __init__(
        self,
        line_id: int,
        session_id: str,
        ts: str,
        direction: str,
        text: str,
        segment: int,
        offset: int,
        project: str,
        cwd: str,
        command: str,
        provisional: bool,
        kind: str = None,  # transcript lines: prompt, reply, tool, result
        spans: list = None,  # [(start, end)] of matches in text
        short_id: str = None,  # the shortest unique prefix of session_id (8 characters or more)
        recorded: bool = True,  # False: a session cs did not record (Claude Code's transcript only)
    ):
        self.line_id, self.session_id, self.ts, self.direction, self.text = line_id, session_id, ts, direction, text
        self.segment, self.offset, self.project, self.cwd, self.command = segment, offset, project, cwd, command
        self.provisional, self.kind, self.short_id = provisional, kind, short_id
        self.recorded = recorded
        self.spans = [] if spans is None else spans

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in HIT_FIELDS)

    def __repr__(self):
        return "Hit(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in HIT_FIELDS) + ")"

    @property
    def source(self) -> str:
        """Where the line comes from: screen, typed, or transcript."""
        return SOURCES_BY_DIRECTION[self.direction]

    def replay_args(self) -> list:
        short = self.short_id or self.session_id
        if not self.recorded:  # nothing to replay: its story is what there is
            return ["cs", "show", short]
        if self.direction == "transcript" and not self.segment:  # a moment in time, not a place in the log
            return ["cs", "replay", short, "--at", self.ts]
        return ["cs", "replay", short, "--at", replay_position(self.segment, self.offset)]

    def as_dict(self) -> dict:
        return {
            "session_id": self.session_id,
            "timestamp": self.ts,
            "direction": self.direction,
            "source": self.source,
            "kind": self.kind,
            "text": self.text,
            "matches": [list(s) for s in self.spans],
            "project": self.project,
            "cwd": self.cwd,
            "command": self.command,
            "segment": self.segment,
            "offset": self.offset,
            "provisional": self.provisional,
            "replay": " ".join(self.replay_args()),
        }


# What `--source` says, and what the lines table stores.
DIRECTIONS_BY_SOURCE = {"screen": "output", "typed": "input", "transcript": "transcript"}
SOURCES_BY_DIRECTION = {v: k for k, v in DIRECTIONS_BY_SOURCE.items()}
KINDS = ("prompt", "reply", "tool", "result", "command", "notice", "chrome")
# A screen line and a transcript line this close in time may be the same words.
SAME_MOMENT_S = 600


def replay_position(segment: int, offset: int) -> str:
    return str(offset) if segment == 1 else f"{segment}:{offset}"


def split_terms(words) -> list:
    """The words of the command line -> literal terms. A double-quoted run is
    one term (a phrase), whether the shell kept the quotes in one argument
    (`cs search '"failed with error"'`) or the user quoted the whole query; an
    unmatched quote simply runs to the end. Nothing else is special."""
    text = " ".join(words)
    terms, i, n = [], 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
        elif text[i] == '"':
            j = text.find('"', i + 1)
            j = n if j < 0 else j
            phrase = text[i + 1 : j]
            if phrase.strip():
                terms.append(phrase)
            i = j + 1
        else:
            # A quote inside a word (x"y) is just a character.
            j = i
            while j < n and not text[j].isspace():
                j += 1
            terms.append(text[i:j])
            i = j
    if not terms and text.strip():
        terms = [text.strip()]  # only quotes: search for them literally
    return terms


def fts_string(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def like_pattern(term: str) -> str:
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filter_sql(filters: Filters):
    where, params = filters.session_where("l.session_id", "s.cwd", "s.project")
    filters.time_where(where, params, "l.ts", "l.ts")
    if filters.direction:
        where.append("l.direction = ?")
        params.append(filters.direction)
    if filters.kind:
        where.append("l.kind = ?")
        params.append(filters.kind)
    else:  # the screen's chrome only when asked for (--kind chrome)
        where.append("(l.kind IS NULL OR l.kind != 'chrome')")
    return where, params


_SELECT = """
SELECT l.id, l.session_id, l.ts, l.direction, l.text, l.segment, l.offset,
       s.project, s.cwd, s.command, l.provisional, l.kind
FROM lines l JOIN sessions s ON s.id = l.session_id
"""


def search(db, words, filters: Filters = None, limit: int = 20, mode: str = "literal", rank: bool = False) -> list:
    """Lines matching `words`, newest first (or by relevance with `rank`).

    mode: "literal" (default), "fts" (raw FTS5 query), "regex" (Python regex)."""
    filters = filters or Filters()
    where, params = _filter_sql(filters)
    order = "l.ts DESC, l.id DESC"
    pattern = None
    if mode == "regex":
        source = " ".join(words)
        try:
            pattern = re.compile(source)
        except re.error as e:
            raise QueryError(f"invalid regular expression {source!r}: {e}") from None
        db.conn.create_function("cs_regexp", 1, lambda text: pattern.search(text) is not None, deterministic=True)
        sql = _SELECT + " WHERE " + " AND ".join(where + ["cs_regexp(l.text)"])

        def spans_for(text):
            return [m.span() for m in pattern.finditer(text) if m.end() > m.start()]
    else:
        if mode == "fts":
            match = " ".join(words).strip()
            if not match:
                raise QueryError("empty query")
            short = []
            spans_for = None
        else:
            terms = split_terms(words)
            if not terms:
                raise QueryError("nothing to search for")
            long_terms = [t for t in terms if len(t) >= MIN_FTS_TERM]
            short = [t for t in terms if len(t) < MIN_FTS_TERM]
            match = " AND ".join(fts_string(t) for t in long_terms)

            def spans_for(text):
                return literal_spans(text, terms)

        for term in short:
            where.append("l.text LIKE ? ESCAPE '\\'")
            params.append(like_pattern(term))
        newest = None
        if match and not (rank or mode == "fts" or filters.cwd or filters.project):
            newest = _newest_ids(db, match, where, params, int(limit) * 3)
        if newest is not None:
            # (the ids of exactly the lines the query below would choose)
            sql = _SELECT + " WHERE " + (f"l.id IN ({', '.join('?' * len(newest))})" if newest else "0")
            params = list(newest)
        elif match and not (rank or mode == "fts" or filters.cwd or filters.project):
            # Newest first, nothing asked of the sessions table: the lines are
            # chosen first, and only the chosen ones joined to their session
            # (a common word matches thousands of lines: ~5 ms less).
            params.insert(0, match)
            params.append(int(limit) * 3)
            sql = (
                "SELECT l.id, l.session_id, l.ts, l.direction, l.text, l.segment, l.offset,"
                " s.project, s.cwd, s.command, l.provisional, l.kind FROM ("
                "SELECT l.id, l.session_id, l.ts, l.direction, l.text, l.segment, l.offset, l.provisional, l.kind"
                " FROM lines_fts f JOIN lines l ON l.id = f.rowid WHERE lines_fts MATCH ?"
                + "".join(" AND " + w for w in where)
                + f" ORDER BY {order} LIMIT ?) l JOIN sessions s ON s.id = l.session_id"
            )
        elif match:
            sql = (
                "SELECT l.id, l.session_id, l.ts, l.direction, l.text, l.segment, l.offset,"
                " s.project, s.cwd, s.command, l.provisional, l.kind"
                + (", highlight(lines_fts, 0, char(1), char(2))" if mode == "fts" else "")
                + " FROM lines_fts f JOIN lines l ON l.id = f.rowid"
                " JOIN sessions s ON s.id = l.session_id WHERE lines_fts MATCH ?"
            )
            params.insert(0, match)
            if where:
                sql += " AND " + " AND ".join(where)
            if rank:
                order = "f.rank, l.ts DESC"
        else:
            sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += f" ORDER BY {order} LIMIT ?"
    params.append(int(limit) * 3)  # room for screen lines that a transcript line says again
    try:
        rows = db.execute(sql, params).fetchall()
    except sqlite3.OperationalError as e:
        if mode == "fts":
            raise QueryError(f"invalid FTS5 query {match!r}: {e}") from None
        raise
    hits = []
    for row in rows:
        text = row[4]
        if mode == "fts":
            spans = marker_spans(row[12])
        else:
            spans = spans_for(text)
        hits.append(Hit(*row[:10], provisional=bool(row[10]), kind=row[11], spans=spans))
    if filters.direction is None:  # asked for the screen alone, the screen is what they get
        hits = _without_repeats(db, hits)
    hits = hits[: int(limit)]
    prefixes = unique_prefixes(db, {h.session_id for h in hits})
    _redact_session_fields(hits)
    unrecorded = _transcript_only(db, {h.session_id for h in hits if h.direction == "transcript" and not h.segment})
    for hit in hits:
        hit.short_id = prefixes.get(hit.session_id)
        hit.recorded = hit.session_id not in unrecorded
    return hits


def _redact_session_fields(hits: list) -> None:
    """The session's fields a hit carries (project, cwd, command), redacted
    as every reader's (cs.redact.Redactor.session; the text was redacted
    when it was indexed)."""
    from cs import config

    redactor = config.redactor()
    for hit in hits:
        meta = redactor.session({"project": hit.project, "cwd": hit.cwd, "command": hit.command})
        hit.project, hit.cwd, hit.command = meta["project"], meta["cwd"], meta["command"]


def _transcript_only(db, session_ids) -> set:
    """Those of these sessions cs did not record (sessions.source 'transcript')."""
    if not session_ids:
        return set()
    ids = sorted(session_ids)
    marks = ", ".join("?" * len(ids))
    rows = db.execute(f"SELECT id FROM sessions WHERE source = 'transcript' AND id IN ({marks})", ids).fetchall()
    return {sid for (sid,) in rows}


# Newest first without sorting every match. FTS5 hands out the lines matching a
# query by descending id, and stops when asked; line_ts_blocks (kept by the
# indexer, migrations/0005_line_ts_blocks.sql) says, for each block of 4096 ids,
# the newest ts a line of it has had. Reading matches by descending id and
# keeping the best k by (ts, id), we may stop as soon as the k-th best is at
# least as new as anything a smaller id can be: the lines not read are no
# better (an equal ts has a smaller id). Lines are indexed about in the order
# they happen, so for a common word that is after a few hundred matches
# instead of all of them. Reading a match costs about what sorting it does
# (2-4 us), so this is tried only when the newest lines are in the last
# NEWEST_IN_LAST blocks (an index built in another order, say, sessions indexed
# by id, has them anywhere), and given up after GIVE_UP matches (then the query
# sorts them all, as before).
STREAM_BATCH = 256
GIVE_UP = 1024
STREAM_MAX_K = 300
NEWEST_IN_LAST = 4


def _newest_ids(db, match: str, where: list, params: list, k: int):
    """The ids of the k newest lines (ts, then id, descending) matching
    `match` and `where`, in that order; None if it is cheaper to let SQLite sort.
    One read transaction: the bounds and the matches are of the same moment."""
    if k > STREAM_MAX_K:
        return None
    own = not db.conn.in_transaction
    if own:
        db.execute("BEGIN")
    try:
        return _newest_ids_read(db, match, where, params, k)
    finally:
        if own and db.conn.in_transaction:
            db.execute("COMMIT")


def _newest_ids_read(db, match, where, params, k):
    import heapq
    from bisect import bisect_right

    try:
        # (`through` first: blocks only grow, so those read after cover it)
        (through,) = db.execute("SELECT through FROM line_ts_progress WHERE id = 1").fetchone()
        blocks = db.execute("SELECT block, max_ts FROM line_ts_blocks ORDER BY block").fetchall()
    except (sqlite3.OperationalError, TypeError):
        return None  # an index without the table (read-only, older)
    starts, bounds, newest = [], [], ""
    for block, max_ts in blocks:
        newest = max(newest, max_ts)
        starts.append(block)
        bounds.append(newest)
    if len(bounds) > NEWEST_IN_LAST and not bounds[-1 - NEWEST_IN_LAST] < bounds[-1]:
        return None  # the newest lines are not where reading starts
    cur = db.execute(
        "SELECT l.id, l.ts FROM lines_fts f JOIN lines l ON l.id = f.rowid WHERE lines_fts MATCH ?"
        + "".join(" AND " + w for w in where)
        + " ORDER BY f.rowid DESC",
        [match, *params],
    )
    try:
        best, read = [], 0  # a min-heap of the k best (ts, id)
        while True:
            rows = cur.fetchmany(STREAM_BATCH)
            if not rows:
                break  # every match read
            for line_id, ts in rows:
                if len(best) < k:
                    heapq.heappush(best, (ts, line_id))
                elif (ts, line_id) > best[0]:
                    heapq.heapreplace(best, (ts, line_id))
            read += len(rows)
            if len(best) >= k:
                below = rows[-1][0] - 1  # every match not read has an id up to this
                if below > through:
                    pass  # lines the indexer has not yet put in line_ts_blocks: no bound
                else:
                    i = bisect_right(starts, below >> 12) - 1
                    if i < 0 or best[0][0] >= bounds[i]:
                        break  # nothing older can be newer than the k-th best
            if read >= GIVE_UP:
                return None
    finally:
        cur.close()
    return [line_id for _ts, line_id in sorted(best, reverse=True)]


def _normal(text: str) -> str:
    """Words only: what a screen line and a transcript line share when they
    say the same thing (the screen adds bullets, indents and wraps)."""
    return " ".join(re.findall(r"\w+", text.lower()))


def _without_repeats(db, hits: list) -> list:
    """Screen lines whose words a transcript line of the same session, written
    at about the same moment, holds too: shown once, as the transcript's
    unwrapped text (tests/test_claude_e2e_transcripts.py)."""
    out, cache, shown_at = [], {}, {}
    for hit in hits:
        if hit.direction == "output" and len(_normal(hit.text)) >= 8:
            key = (hit.session_id, hit.ts[:15])
            if key not in cache:
                cache[key] = [
                    _normal(t)
                    for (t,) in db.execute(
                        "SELECT text FROM lines WHERE session_id = ? AND direction = 'transcript'"
                        " AND ts BETWEEN ? AND ?",
                        [hit.session_id, _shift(hit.ts, -SAME_MOMENT_S), _shift(hit.ts, SAME_MOMENT_S)],
                    ).fetchall()
                ]
            words = _normal(hit.text)
            said = next((said for said in cache[key] if words in said), None)
            if said is not None:
                at = shown_at.setdefault((hit.session_id, said), (hit.segment, hit.offset))
                shown_at[(hit.session_id, said)] = min(at, (hit.segment, hit.offset))
                continue
        out.append(hit)
    for hit in out:  # one result: the transcript's whole text, at the screen's position
        if hit.direction == "transcript":
            at = shown_at.get((hit.session_id, _normal(hit.text)))
            if at is not None:
                hit.segment, hit.offset = at
    return out


def _shift(ts: str, seconds: float) -> str:
    moment = parse_timestamp(ts)
    if moment is None:
        return ts
    return format_timestamp(moment + timedelta(seconds=seconds))


def unique_prefixes(db, session_ids, minimum: int = 8) -> dict:
    """session id -> its shortest prefix (at least `minimum` characters) that
    no other indexed session shares, so that a printed `cs replay <prefix>` is
    never ambiguous (tests/test_hardening_values.py::test_replay_prefix_is_unique)."""
    out = {}
    for sid in session_ids:
        longest = 0
        for sql in (
            "SELECT id FROM sessions WHERE id < ? ORDER BY id DESC LIMIT 1",
            "SELECT id FROM sessions WHERE id > ? ORDER BY id LIMIT 1",
        ):
            row = db.execute(sql, [sid]).fetchone()
            if row:
                other = row[0]
                common = 0
                while common < min(len(sid), len(other)) and sid[common] == other[common]:
                    common += 1
                longest = max(longest, common)
        out[sid] = sid[: max(minimum, longest + 1)]
    return out


def literal_spans(text: str, terms) -> list:
    """Where each term occurs in text, case-insensitively (as FTS5 and LIKE match)."""
    low = text.lower()
    spans = []
    for term in terms:
        t = term.lower()
        start = low.find(t)
        while start >= 0 and t:
            spans.append((start, start + len(t)))
            start = low.find(t, start + len(t))
    return merge_spans(spans)


def marker_spans(marked: str) -> list:
    """Spans from FTS5 highlight() output with \\x01 ... \\x02 markers."""
    spans, pos, start = [], 0, None
    for ch in marked:
        if ch == "\x01":
            start = pos
        elif ch == "\x02":
            if start is not None:
                spans.append((start, pos))
            start = None
        else:
            pos += 1
    return merge_spans(spans)


def merge_spans(spans) -> list:
    out = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
