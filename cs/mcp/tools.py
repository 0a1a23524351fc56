"""The tools `cs mcp` offers a model: what each is called, says and takes, and
what it answers. No SDK here: `cs.mcp.server` puts these on the wire.

Four tools (docs/mcp.md): `search_sessions` (the query rules of `cs search`),
`read_session` (the story of a session, cs.story, whole or around a hit's
position; the conversation alone or the screen alone), `list_sessions`
(newest first, the first prompt as title) and `session_stats` (what
`cs stats --json` knows). Every answer is text a model reads:

- bounded: at most `max_chars` characters (default DEFAULT_CHARS), cut at a
  whole hit, session or story entry, and ending with the `cursor` to pass for
  the next page when there is more;
- redacted: built from redacted data (the index's lines, Redactor.session for
  a session's fields, build_story(redact=True)), and the whole answer passed
  through the configured Redactor once more (a query that held a secret is not
  echoed back with it);
- plain about nothing: no match, no session, a session whose recording is gone
  each say so, and what to try next;
- without the session asking: the recording named by CS_SESSION_ID (the
  recorder sets it for the `claude` it runs, whose `cs mcp` inherits it) and
  every recording of the same Claude Code session (claude_links) are left out
  unless `include_current_session` is true.

Each tool call catches the index up first, by the rules of every reading
command (cs.index.indexer.catch_up: never waits on a watcher or another pass,
at most CATCH_UP_BUDGET_S); when that could not finish, the answer says its
results may be stale. Tests: tests/test_mcp.py.
"""

import re

from cs import config
from cs.ask import search as searching
from cs.ask import sessions
from cs.ask.filters import Filters
from cs.errors import CsError, NotFound
from cs.index import indexer
from cs.log import paths
from cs.log.timestamps import format_timestamp, parse_timestamp
from cs.mcp.arguments import check
from cs.units import parse_moment

DEFAULT_CHARS = 8000  # about 2,000 tokens: an answer a model can afford several of
MAX_CHARS = 40000  # Claude Code warns above 10,000 tokens of tool output
HIT_CHARS = 400  # a hit's text, around its first match
TITLE_CHARS = 160  # a session's first prompt, as its title
CONTEXT_ENTRIES = 2  # story entries shown before the one `around` points at
CATCH_UP_BUDGET_S = 1.0  # a tool call waits at most this long for new logs to be indexed

# ---------------------------------------------------------------- schemas

_CURSOR = {
    "type": "string",
    "maxLength": 20,
    "description": "The next-page handle a previous answer ended with; leave out for the first page.",
}
_MAX_CHARS = {
    "type": "integer",
    "minimum": 500,
    "maximum": MAX_CHARS,
    "default": DEFAULT_CHARS,
    "description": f"At most this many characters in the answer (default {DEFAULT_CHARS}); the rest comes "
    "with the cursor the answer ends with.",
}
_SINCE = {
    "type": "string",
    "maxLength": 40,
    "description": "Only from this time on: a duration ago (7d, 12h, 2w) or a date (2026-11-03, 2026-11-03T14:00:00Z).",
}
_UNTIL = {
    "type": "string",
    "maxLength": 40,
    "description": "Only before this time: a duration ago (7d, 12h) or a date (2026-11-03).",
}
_PROJECT = {
    "type": "string",
    "maxLength": 200,
    "description": "Only sessions of this project: the name of the git repository (its top folder) "
    "the session was started in, as list_sessions shows it.",
}
_INCLUDE_CURRENT = {
    "type": "boolean",
    "default": False,
    "description": "Also the session you are in now (left out by default: you already have it).",
}

SEARCH = {
    "name": "search_sessions",
    "description": (
        "Search everything recorded in past Claude Code sessions on this machine: what the terminal "
        "screen showed (command output, errors, permission prompts), what the user typed, and Claude "
        "Code's own transcript (prompts, replies, tool calls, tool results), kept even after Claude Code "
        "deleted its transcripts. Words match literally anywhere in a line, case-insensitively "
        '("1234" finds "E1234"); all words must be on the same line; "double quotes" make a phrase. '
        "Newest first. Each hit gives the session id, time (UTC), project, where the line comes from, "
        "the matching text and a position: pass the session id and position to read_session to read "
        "what happened around it. Secrets are shown as [REDACTED:kind]."
    ),
    "inputSchema": {
        "type": "object",
        "properties": {
            "query": {
                "type": "string",
                "maxLength": 1000,
                "description": 'Words to find, e.g. flaky test, "connection refused", E1234.',
            },
            "syntax": {
                "type": "string",
                "enum": ["literal", "fts"],
                "default": "literal",
                "description": "literal (default): words as written. fts: SQLite FTS5 syntax, for OR, NOT, "
                'NEAR and prefix*: e.g. "flaky OR intermittent".',
            },
            "source": {
                "type": "string",
                "enum": ["screen", "typed", "transcript"],
                "description": "Only what the screen showed, what the user typed, or Claude Code's transcript.",
            },
            "kind": {
                "type": "string",
                "enum": ["prompt", "reply", "tool", "result", "command", "notice"],
                "description": "Only transcript lines of this kind: the user's prompts, Claude's replies, "
                "tool calls, tool results, slash commands, notices.",
            },
            "project": _PROJECT,
            "since": _SINCE,
            "until": _UNTIL,
            "session": {
                "type": "string",
                "maxLength": 100,
                "description": "Only in this session (its id or a unique prefix of it).",
            },
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 50,
                "default": 10,
                "description": "At most this many hits per page (default 10).",
            },
            "include_current_session": _INCLUDE_CURRENT,
            "cursor": _CURSOR,
            "max_chars": _MAX_CHARS,
        },
        "required": ["query"],
        "additionalProperties": False,
    },
}

READ = {
    "name": "read_session",
    "description": (
        "Read one recorded session as the story of what happened in it, in order: the user's prompts "
        "(> ), Claude's replies (● ), tool calls (⚙ ) and their results (⎿ ), and what only the screen "
        "showed (questions and the answers chosen, program output, how the session ended). Give `around` "
        "(a hit's position from search_sessions) to start just before that moment; long sessions come "
        "in pages: pass the cursor an answer ends with to read on. `view` narrows it to the "
        "conversation alone or the screen alone. Secrets are shown as [REDACTED:kind]."
    ),
    "inputSchema": {
        "type": "object",
        "properties": {
            "session": {
                "type": "string",
                "maxLength": 100,
                "description": "The session id (or a unique prefix of it), from search_sessions or list_sessions.",
            },
            "around": {
                "type": "string",
                "maxLength": 40,
                "description": "Start just before this moment: a hit's position from search_sessions "
                "(e.g. 1:6205) or a time (2026-11-03T14:02:31Z).",
            },
            "view": {
                "type": "string",
                "enum": ["story", "conversation", "screen"],
                "default": "story",
                "description": "story (default): the conversation and what only the screen showed. "
                "conversation: prompts, replies, tool calls and results only. screen: as the terminal "
                "showed it, without Claude Code's transcript.",
            },
            "whole_tool_io": {
                "type": "boolean",
                "default": False,
                "description": "Tool calls' whole input and results' whole text (default: one line, the first lines).",
            },
            "cursor": _CURSOR,
            "max_chars": _MAX_CHARS,
        },
        "required": ["session"],
        "additionalProperties": False,
    },
}

LIST = {
    "name": "list_sessions",
    "description": (
        "List recorded sessions, newest first: id, start time (UTC), duration, project, command, status, "
        "and the first prompt as a title. Use it to find a session by when or where it happened; "
        "search_sessions finds one by what was said."
    ),
    "inputSchema": {
        "type": "object",
        "properties": {
            "project": _PROJECT,
            "since": _SINCE,
            "until": _UNTIL,
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": 100,
                "default": 20,
                "description": "At most this many sessions per page (default 20).",
            },
            "include_current_session": _INCLUDE_CURRENT,
            "cursor": _CURSOR,
            "max_chars": _MAX_CHARS,
        },
        "additionalProperties": False,
    },
}

STATS = {
    "name": "session_stats",
    "description": (
        "Figures about the recorded sessions, as JSON: how many, total and median duration, per day and "
        "week, busiest hours, top projects, exit statuses; Claude's tokens (input, output, cache read, "
        "cache write) by model, project and day, each API response counted once. For a period "
        "(since/until) or a project."
    ),
    "inputSchema": {
        "type": "object",
        "properties": {
            "project": _PROJECT,
            "since": _SINCE,
            "until": _UNTIL,
            "include_current_session": _INCLUDE_CURRENT,
        },
        "additionalProperties": False,
    },
}

TOOLS = (SEARCH, READ, LIST, STATS)


# ---------------------------------------------------------------- the archive


class Archive:
    """The index (opened once, caught up at each call), the logs, and which
    sessions are the one asking. `current` is the recording id in
    CS_SESSION_ID, or None."""

    def __init__(self, current: str = None):
        self.current = _session_id_or_none(current)
        self._db = None
        self._opened = None  # the index file's identity when opened
        self._story = None  # (key, story): pages of one session build it once

    def db(self):
        """The index, opened again when `cs index --rebuild` has put a new
        file in its place since (the old one is only read by us).
        tests/test_mcp.py::test_a_long_running_server_reads_what_a_watcher_indexes_and_a_rebuilt_index."""
        identity = _identity(paths.db_path())
        if self._db is not None and identity != self._opened:
            self.forget()
        if self._db is None:
            try:
                self._db = indexer.open_index_recovering()
            except OSError as e:
                raise CsError(f"cannot open the index ({e}); `cs doctor` says what is wrong") from None
            self._opened = _identity(paths.db_path())
        return self._db

    def forget(self) -> None:
        """Drop the connection: the next call opens the index afresh."""
        db, self._db, self._story = self._db, None, None
        if db is not None:
            try:
                db.conn.close()
            except Exception:  # noqa: BLE001 - it is being dropped anyway
                pass

    def caught_up(self) -> str:
        """Catch the index up (the reading commands' rules); a note for the
        answer when the results may be stale, else ''."""
        result = indexer.catch_up(self.db(), budget=CATCH_UP_BUDGET_S)
        return f"Note: {result.stale}.\n\n" if result.stale else ""

    def asking(self) -> tuple:
        """The recordings of the conversation asking: CS_SESSION_ID's, and
        every recording linked to the same Claude Code session (a --resume).
        tests/test_mcp_claude.py (set by the recorder, inherited through Claude Code)."""
        if not self.current:
            return ()
        rows = (
            self.db()
            .execute(
                "SELECT DISTINCT b.session_id FROM claude_links a JOIN claude_links b"
                " ON b.claude_session_id = a.claude_session_id WHERE a.session_id = ?",
                [self.current],
            )
            .fetchall()
        )
        return tuple(sorted({self.current, *(r[0] for r in rows)}))


def _identity(path):
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _session_id_or_none(text):
    text = (text or "").strip().lower()
    return text if _UUID.match(text) else None


def call(archive: Archive, name: str, arguments) -> str:
    """The answer of tool `name` to `arguments`, redacted. Raises CsError
    (the message is the tool error a model reads) for anything it cannot do.
    tests/test_mcp.py::test_each_tool_answers_and_leaves_the_asking_session_out,
    ::test_hostile_arguments_are_tool_errors."""
    tool = next((t for t in TOOLS if t["name"] == name), None)
    if tool is None:
        raise CsError(f"no tool named {name!r}; the tools are {', '.join(t['name'] for t in TOOLS)}")
    args = check(name, tool["inputSchema"], arguments)
    note = archive.caught_up()
    answer = _ANSWERS[name](archive, args)
    return config.redactor().text(note + answer)


# ---------------------------------------------------------------- search


def search_sessions(archive: Archive, args: dict) -> str:
    db = archive.db()
    filters = _filters(archive, args)
    filters.direction, filters.kind = _source_and_kind(args["source"], args["kind"])
    if args["session"]:
        filters.session = _resolve(db, args["session"])
        filters.exclude = ()  # a session asked for by name is searched, the one asking too
    offset, limit = _cursor(args["cursor"]), args["limit"]
    words = [args["query"]]
    if not args["query"].strip():
        raise CsError("search_sessions: `query` is empty; give the words to find")
    try:
        hits = searching.search(db, words, filters, limit=offset + limit + 1, mode=args["syntax"])
    except searching.QueryError as e:
        raise CsError(
            f"search_sessions: {e}" + ("; or use syntax literal" if args["syntax"] == "fts" else "")
        ) from None
    page, more = hits[offset : offset + limit], len(hits) > offset + limit
    left_out = _left_out_note(archive, filters)
    if not page:
        where = "no more hits" if offset else f"nothing matched {_quoted(args['query'])}"
        return f"{where.capitalize()}{_scope(args)}.{left_out}\n" + (
            "" if offset else "Try fewer or other words, a part of a word, or no filters.\n"
        )
    blocks = [_hit_block(offset + i + 1, hit) for i, hit in enumerate(page)]
    head = f"Hits for {_quoted(args['query'])}{_scope(args)}, newest first:{left_out}\n\n"
    tail = (
        "To read around a hit: read_session with its session and position as `around`.\n"
        if not more
        else "More hits: call search_sessions again with the same arguments and cursor {cursor}.\n"
    )
    return _bounded(head, blocks, tail, args["max_chars"], offset, more)


def _source_and_kind(source, kind):
    """(direction, kind) for the search, as `cs search --source --kind`:
    a kind is about transcript lines."""
    if kind and source and source != "transcript":
        raise CsError(f"search_sessions: kind {kind} is about transcript lines; it cannot go with source {source}")
    if kind:
        source = "transcript"
    return (searching.DIRECTIONS_BY_SOURCE[source] if source else None), kind


def _hit_block(n: int, hit) -> str:
    where = {"output": "screen", "input": "typed", "transcript": f"transcript {hit.kind or ''}".strip()}
    head = (
        f"[{n}] session {hit.short_id or hit.session_id} · {_utc(hit.ts)} · project {hit.project or '-'}"
        f" · {where[hit.direction]} · position {position_of(hit)}"
    )
    if hit.provisional:
        head += " · (live: still on the screen)"
    return head + "\n    " + _around_match(hit.text, hit.spans) + "\n"


def position_of(hit) -> str:
    """Where read_session(around=...) opens for a hit: the recording's
    segment:offset, or the time for a transcript line the screen did not show."""
    if hit.direction == "transcript" and not hit.segment:
        return hit.ts
    return f"{hit.segment}:{hit.offset}"


def _around_match(text: str, spans) -> str:
    text = " ".join(text.split())
    if len(text) <= HIT_CHARS:
        return text
    first = spans[0][0] if spans else 0
    start = max(0, min(first - HIT_CHARS // 3, len(text) - HIT_CHARS))
    return ("…" if start else "") + text[start : start + HIT_CHARS] + ("…" if start + HIT_CHARS < len(text) else "")


# ---------------------------------------------------------------- read


def read_session(archive: Archive, args: dict) -> str:
    db = archive.db()
    sid = _resolve(db, args["session"])
    row = sessions.session_row(db, sid)
    story = _story(archive, sid, args["view"], row)
    entries = story.entries
    if args["view"] == "conversation":
        entries = [e for e in entries if e.kind in ("prompt", "reply", "tool", "result")]
    head = _session_head(sid, row) + "\n"
    if not entries:
        return head + _nothing_to_read(archive, sid, args["view"], story)
    if args["cursor"] is not None:
        start = _cursor(args["cursor"])
    elif args["around"]:
        start = max(0, _entry_at(entries, args["around"]) - CONTEXT_ENTRIES)
    else:
        start = 0
    if start >= len(entries):
        return head + f"No more: the {args['view']} has {len(entries)} entries.\n"
    from cs.story.text import as_lines

    blocks = [
        (f"[{_utc(e.ts)}]\n" if e.kind == "prompt" and e.ts else "")
        + "\n".join(as_lines([e], tools=args["whole_tool_io"]))
        + "\n"
        for e in entries[start:]
    ]
    head += f"{_VIEWS[args['view']]}, from entry {start + 1} of {len(entries)}:\n\n"
    tail = f"More: read_session with session {sid[:13]} and cursor {{cursor}}.\n"
    return _bounded(head, blocks, tail, args["max_chars"], start, more=False)


_VIEWS = {
    "story": "The story (conversation and screen)",
    "conversation": "The conversation",
    "screen": "The screen",
}


def _story(archive: Archive, sid: str, view: str, row):
    """The story of `sid` (its screen alone for view screen), built once
    while a model pages through it."""
    from cs.story.build import build_story

    key = (sid, view == "screen", row and (row.get("log_bytes"), row.get("last_event_at")))
    if archive._story is None or archive._story[0] != key:
        db = None if view == "screen" else archive.db()
        archive._story = (key, build_story(paths.logs_dir(), sid, db=db, redact=True))
    return archive._story[1]


def _session_head(sid: str, row) -> str:
    if row is None:
        return f"Session {sid} (not indexed yet)"
    status = sessions.live_status(paths.logs_dir(), row)
    exit_code = row.get("exit_code")
    ended = f"{status}" + (f", exit {exit_code}" if exit_code is not None else "")
    return (
        f"Session {sid} · started {_utc(row.get('started_at'))} · project {row.get('project') or '-'}"
        f" · {row.get('command') or '-'} · {ended}"
    )


def _nothing_to_read(archive: Archive, sid: str, view: str, story) -> str:
    from cs.log import store

    if not store.session_segments(paths.logs_dir(), sid):
        return (
            "Its recording is gone (pruned or forgotten): there is nothing left to read. "
            "search_sessions may still find other sessions about the same thing.\n"
        )
    if view == "conversation" and not story.has_transcript:
        return "It has no conversation to tell (not a Claude Code session, or nothing was said); try view screen.\n"
    return f"Its {view} is empty: nothing was shown or said.\n"


def _entry_at(entries, around: str) -> int:
    """The index of the entry at `around`: a recording position (the last
    entry at or before it) or a time (the last entry at or before it).
    tests/test_mcp.py::test_read_around_a_hit_and_page_on."""
    match = re.fullmatch(r"(?:(\d{1,6}):)?(\d{1,15})", around.strip())
    if match:
        target = (int(match.group(1) or 1), int(match.group(2)))
        at = [(i, e.at[:2]) for i, e in enumerate(entries) if e.at]
        before = [(pos, i) for i, pos in at if tuple(pos) <= target]
        return max(before)[1] if before else 0
    moment = parse_timestamp(around.strip())
    if moment is None:
        raise CsError(
            f"read_session: `around` must be a position from search_sessions (like 1:6205) or a time "
            f"(like 2026-11-03T14:02:31Z), not {_quoted(around)}"
        )
    target = format_timestamp(moment)
    before = [i for i, e in enumerate(entries) if _entry_time(e) and _entry_time(e) <= target]
    return before[-1] if before else 0


def _entry_time(entry):
    return entry.at[2] if entry.at and len(entry.at) > 2 and entry.at[2] else entry.ts


# ---------------------------------------------------------------- list


def list_sessions(archive: Archive, args: dict) -> str:
    db = archive.db()
    filters = _filters(archive, args)
    offset, limit = _cursor(args["cursor"]), args["limit"]
    rows = sessions.list_sessions(db, filters, limit=limit + 1, offset=offset)
    page, more = rows[:limit], len(rows) > limit
    left_out = _left_out_note(archive, filters)
    if not page:
        return ("No more sessions" if offset else "No sessions") + f"{_scope(args)}.{left_out}\n"
    redactor = config.redactor()
    blocks = [_session_block(db, row, redactor) for row in page]
    head = f"Sessions{_scope(args)}, newest first:{left_out}\n\n"
    tail = "More: call list_sessions again with the same arguments and cursor {cursor}.\n" if more else ""
    return _bounded(head, blocks, tail, args["max_chars"], offset, more)


def _session_block(db, row: dict, redactor) -> str:
    status = sessions.live_status(paths.logs_dir(), row)
    exit_code = row.get("exit_code")
    line = (
        f"{row['id'][:13]} · {_utc(row['started_at'])} · {_duration(row)} · project {row.get('project') or '-'}"
        f" · {(row.get('command') or '-')[:60]} · {status}" + (f", exit {exit_code}" if exit_code is not None else "")
    )
    title = first_prompt(db, row["id"])
    return line + "\n    " + (_quoted(redactor.text(title)) if title else "(no prompt)") + "\n"


def first_prompt(db, session_id: str):
    """The session's first prompt: the transcript's, else the first line
    typed; one line, at most TITLE_CHARS characters; None if there is none."""
    for where in ("direction = 'transcript' AND kind = 'prompt'", "direction = 'input'"):
        row = db.execute(
            f"SELECT text FROM lines WHERE session_id = ? AND {where} ORDER BY ts, id LIMIT 1", [session_id]
        ).fetchone()
        if row and row[0].strip():
            text = " ".join(row[0].split())
            return text if len(text) <= TITLE_CHARS else text[: TITLE_CHARS - 1] + "…"
    return None


def _duration(row: dict) -> str:
    a, b = parse_timestamp(row.get("started_at")), parse_timestamp(row.get("ended_at") or row.get("last_event_at"))
    if a is None or b is None:
        return "-"
    secs = max(0, int((b - a).total_seconds()))
    return f"{secs}s" if secs < 60 else f"{secs // 60} min" if secs < 3600 else f"{secs / 3600:.1f} h"


# ---------------------------------------------------------------- stats


def session_stats(archive: Archive, args: dict) -> str:
    import json

    from cs.claude import stats

    filters = _filters(archive, args)
    figures = stats.compute(archive.db(), filters)
    hours = figures["sessions"]["by_hour"]
    figures["sessions"]["by_hour"] = {h: n for h, n in hours.items() if n}  # (24 zeros say little)
    text = json.dumps(figures, ensure_ascii=False, separators=(",", ":"))
    if len(text) > MAX_CHARS:  # years of days: the days go, the weeks stay
        figures["sessions"].pop("per_day")
        figures["tokens"].pop("by_day")
        figures["note"] = "per-day figures left out to keep this short; narrow since/until to see them"
        text = json.dumps(figures, ensure_ascii=False, separators=(",", ":"))
    return f"Stats{_scope(args)}:{_left_out_note(archive, filters)}\n{text}\n"


_ANSWERS = {
    "search_sessions": search_sessions,
    "read_session": read_session,
    "list_sessions": list_sessions,
    "session_stats": session_stats,
}


# ---------------------------------------------------------------- shared


def _filters(archive: Archive, args: dict) -> Filters:
    """The Filters of the arguments (project, since, until), and the
    session asking left out unless include_current_session."""
    return Filters(
        project=args.get("project") or None,
        since=_moment(args.get("since"), "since"),
        until=_moment(args.get("until"), "until"),
        exclude=() if args.get("include_current_session") else archive.asking(),
    )


def _moment(text, name: str):
    if not text:
        return None
    try:
        return format_timestamp(parse_moment(text.strip()))
    except (ValueError, OverflowError) as e:
        raise CsError(f"`{name}`: {e}") from None


def _resolve(db, prefix: str) -> str:
    try:
        return sessions.resolve_id(db, prefix)
    except NotFound:
        raise NotFound(
            f"no session with id {_quoted(prefix)}: it was never recorded here, or it was pruned or forgotten. "
            "search_sessions or list_sessions give the ids there are."
        ) from None


def _cursor(text) -> int:
    if text is None:
        return 0
    if not re.fullmatch(r"\d{1,9}", text.strip()):
        raise CsError(f"`cursor` must be the handle a previous answer ended with, not {_quoted(text)}")
    return int(text)


def _bounded(head: str, blocks: list, tail: str, max_chars: int, first: int, more: bool) -> str:
    """head, as many whole blocks as fit in max_chars, and tail, a blank line
    between each; `{cursor}` in tail is the handle of the first block left
    out (a tail without it is a hint, shown only when nothing is left out).
    A first block too long alone is cut, and says so.
    tests/test_mcp.py::test_read_around_a_hit_and_page_on (every page within its cap)."""
    head, tail = head.strip("\n"), tail.strip("\n")
    out, used, taken = [head], len(head), 0
    reserve = len(tail) + 80  # the tail, its cursor, the blank lines
    for block in blocks:
        block = block.strip("\n")
        if used + 2 + len(block) + reserve > max_chars:
            if taken == 0:  # one block bigger than the page: its beginning
                room = max(100, max_chars - used - reserve - 80)
                out.append(
                    block[:room] + f"… [cut: {len(block) - room} more characters; a larger max_chars shows them]"
                )
                taken = 1
            break
        out.append(block)
        used += 2 + len(block)
        taken += 1
    if taken < len(blocks):
        more = True
        if "{cursor}" not in tail:
            tail = "More: call again with the same arguments and cursor {cursor}."
    if more:
        out.append(tail.format(cursor=f'"{first + taken}"'))
    elif tail and "{cursor}" not in tail:
        out.append(tail)
    return "\n\n".join(out) + "\n"


def _left_out_note(archive: Archive, filters: Filters) -> str:
    if not filters.exclude:
        return ""
    return f"\n(The session you are in, {archive.current[:8]}, is left out; include_current_session true includes it.)"


def _scope(args: dict) -> str:
    parts = []
    for name in ("project", "source", "kind", "session", "since", "until"):
        if args.get(name):
            parts.append(f"{name} {args[name]}")
    return (" (" + ", ".join(parts) + ")") if parts else ""


def _quoted(text: str) -> str:
    text = " ".join(str(text).split())
    return '"' + (text if len(text) <= 80 else text[:77] + "...") + '"'


def _utc(ts) -> str:
    moment = parse_timestamp(ts)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "-"
