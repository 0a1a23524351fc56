"""One session's log rendered into lines: what the screen showed (cs.index.screen),
what was typed (cs.index.keys), and the session's metadata from its event lines.

`SessionRender.feed_record` is the one render path: the indexer feeds it every
log line it reads (cs.index.indexer), and `cs show` (`rendered_lines`, through
cs.ask.sessions.session_text) feeds it the same way, so both see the same
lines. A SessionRender is pickled between indexing passes of a live session.
Tests: tests/test_index.py, tests/test_screen_recordings.py.
"""

import binascii
import copy
import json
import math
import re
import shlex
from dataclasses import dataclass, field

from cs.index.keys import InputLines
from cs.index.paragraphs import Paragraphs, searchable
from cs.index.screen import Screen
from cs.log import jsonl

DEFAULT_COLS, DEFAULT_ROWS = 80, 24

# sessions columns filled straight from same-named keys of start/end events.
_EVENT_COLUMNS = (
    "cwd",
    "host",
    "user",
    "term",
    "git_branch",
    "git_commit",
    "cs_version",
    "format",
    "exit_code",
    "signal",
    "claude_session_id",
)
# Keys a start event may use for the repository top level (project name).


@dataclass
class SessionRender:
    """Everything needed to render one session, and to resume where it stopped."""

    session_id: str
    screen: Screen = None
    keys: InputLines = None
    positions: dict = field(default_factory=dict)  # segment -> offset consumed
    meta: dict = field(default_factory=dict)  # sessions columns seen so far
    bytes_in: int = 0
    bytes_out: int = 0
    ended: bool = False
    last_output_ms: int = None  # time of the previous output chunk
    claude_links: dict = field(default_factory=dict)  # Claude session id -> (how, config dir)
    # Continuation rows joined (cs.index.paragraphs); None in a state pickled before it existed.
    paragraphs: Paragraphs = None
    # Lines as `cs show` prints them (rows a program word-wrapped stay rows) rather than
    # as the index stores them (one searchable line).
    display: bool = False

    def feed_output(self, data: bytes, mark, on_lines=None) -> list:
        """Feed one output chunk; returns lines finished before it.

        When to settle the screen (judge changed rows: pop_finished) depends
        only on the log, never on where an indexing pass happened to stop, so
        incremental indexing and a rebuild agree line for line. We settle
        before a chunk that comes after a pause in the output (SETTLE_GAP_MS):
        a frame a program writes at once may reach the log in several chunks
        (the PTY splits it), and a half-drawn frame is not something a person
        saw."""
        now = _ts_ms(mark[2])
        last, self.last_output_ms = self.last_output_ms, now
        popped = ()
        if last is None or now is None or abs(now - last) >= SETTLE_GAP_MS:
            popped = self.screen.pop_finished()
        # In pieces: the renderer's working memory (its token list, the rows
        # that scrolled off) is bounded per piece, whatever the size of the
        # chunk; the lines are the same (escapes and UTF-8 cut at a piece's
        # end are carried; nothing is settled between pieces). `on_lines`, if
        # given, takes the lines finished so far after each piece.
        if len(data) <= FEED_PIECE:
            self.screen.feed(data, mark)
            return popped
        popped = list(popped)
        for i in range(0, len(data), FEED_PIECE):
            self.screen.feed(data[i : i + FEED_PIECE], mark)
            popped.extend(self.screen.take_retired())
            if on_lines is not None:
                on_lines(popped)
                popped = []
        return popped

    def feed_record(self, record: dict, mark, on_output, on_input) -> bool:
        """One parsed log line at `mark` (segment, offset, timestamp): finished
        screen lines go to `on_output`, submitted typed lines to `on_input`,
        event lines update the metadata. False for a line whose data is not
        base64 (the caller counts it as bad)."""
        direction = record.get("direction")
        if direction == "output":
            try:
                data = _b64decode(record["data"])
            except (ValueError, TypeError, KeyError):
                return False
            self.bytes_out += len(data)
            if len(data) <= FEED_PIECE:  # (the common case: no callback to build)
                lines = self.feed_output(data, mark)
            else:
                lines = self.feed_output(data, mark, lambda lines: self._emit(lines, on_output))
            if lines:
                self._emit(lines, on_output)
        elif direction == "input":
            masked = record.get("masked")
            if masked is not None:
                self.bytes_in += _int(masked)
            else:
                try:
                    data = _b64decode(record["data"])
                except (ValueError, TypeError, KeyError):
                    return False
                self.bytes_in += len(data)
                on_input(self.keys.feed(data, mark))
        else:
            _apply_event(self, record, mark[2])
        ts = mark[2]
        self.meta["last_event_at"] = ts
        if "started_at" not in self.meta:
            self.meta["started_at"] = ts
        return True

    def close(self, on_output, on_input) -> None:
        """The session is over: what is still on the screen or half typed is final."""
        paragraphs = self._paragraphs()
        lines = paragraphs.feed(self.screen.close(), self.screen.cols) + paragraphs.close()
        on_output(lines if self.display else [(searchable(t), m) for t, m in lines])
        on_input(self.keys.close())

    def _emit(self, lines, on_output) -> None:
        """Screen lines, continuation rows joined (cs.index.paragraphs), to `on_output`."""
        lines = self._paragraphs().feed(lines, self.screen.cols)
        if lines:
            on_output(lines if self.display else [(searchable(t), m) for t, m in lines])

    def _paragraphs(self) -> Paragraphs:
        if self.paragraphs is None:
            self.paragraphs = Paragraphs()
        return self.paragraphs

    def provisional_lines(self) -> list:
        """What a live session shows (or has finished since the last settle),
        judged on a copy: settling the real renderer here would make the
        result depend on pass boundaries."""
        screen = copy.deepcopy(self.screen)
        paragraphs = copy.deepcopy(self._paragraphs())
        lines = paragraphs.feed(screen.pop_finished(), screen.cols) + paragraphs.close() + screen.visible()
        return [((t if self.display else searchable(t)).rstrip(), m) for t, m in lines]

    def __post_init__(self):
        if self.screen is None:
            self.screen = Screen(DEFAULT_COLS, DEFAULT_ROWS)
        if self.keys is None:
            self.keys = InputLines()

    def positions_key(self):
        return sorted(self.positions.items())


SETTLE_GAP_MS = 8
FEED_PIECE = 64 * 1024


def _ts_ms(ts):
    """Milliseconds within the month of an RFC3339 timestamp (cheap; only
    differences between neighbouring chunks matter). The seconds part is
    converted once per second of log (chunks come many to a second)."""
    try:
        head = ts[:19]
        if head != _ts_second[0]:
            seconds = ((int(ts[8:10]) * 24 + int(ts[11:13])) * 60 + int(ts[14:16])) * 60 + int(ts[17:19])
            _ts_second[:] = [head, seconds * 1000]
        return _ts_second[1] + int(ts[20:23])
    except (TypeError, ValueError):
        return None


_ts_second = [None, 0]  # (the "YYYY-MM-DDTHH:MM:SS" last converted, its milliseconds)


def valid_ts(ts) -> bool:
    """A timestamp a log line may have (checked before anything trusts it)."""
    return isinstance(ts, str) and len(ts) <= 40 and ts.isascii()


def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _apply_event(render, record, ts) -> None:
    kind, meta = record.get("type"), render.meta
    if kind == "resize":
        cols, rows = record.get("cols"), record.get("rows")
        if _int(cols) > 0 and _int(rows) > 0:
            render.screen.resize(cols, rows)
            meta.setdefault("cols", cols)
            meta.setdefault("rows", rows)
        return
    if kind == "start":
        meta["started_at"] = ts
        argv = record.get("argv")
        if isinstance(argv, list):
            meta["argv"] = json.dumps(argv)
            meta["command"] = record.get("command") or shlex.join(str(a) for a in argv)
        elif isinstance(record.get("command"), str):
            meta["command"] = record["command"]
        cols, rows = _int(record.get("cols")), _int(record.get("rows"))
        if cols > 0 and rows > 0:
            meta["cols"], meta["rows"] = cols, rows
            render.screen.resize(cols, rows)
        project = jsonl.project_of(record)
        if project:
            meta["project"] = project
    elif kind == "claude_session":
        claude_id = record.get("claude_session_id")
        if isinstance(claude_id, str) and len(claude_id) <= 64:
            how, config_dir = record.get("how"), record.get("config_dir")
            render.claude_links[claude_id.lower()] = (
                how if isinstance(how, str) else "running",
                config_dir if isinstance(config_dir, str) else None,
            )
    elif kind == "continued":
        owner, sid = record.get("team_owner"), record.get("team_session_id")
        if isinstance(owner, str) and isinstance(sid, str) and 0 < len(owner) <= 63 and 0 < len(sid) <= 64:
            meta["continued_owner"], meta["continued_id"] = owner, sid
    elif kind == "end":
        render.ended = True
        meta["ended_at"] = ts
        # The recorder's own counts include bytes that passed while logging
        # had failed: they win over what we counted from the log.
        for key in ("bytes_in", "bytes_out"):
            if _int(record.get(key)) > 0 and sql_value(record[key]) is not None:
                meta[key] = record[key]
    for key in _EVENT_COLUMNS:
        value = record.get(key)
        if value is not None and not isinstance(value, (dict, list)):
            meta[key] = value


_INT64 = 1 << 63


def sql_value(value):
    """A value from a log line as SQLite can store it: integers beyond 64 bits,
    NaN and infinities become NULL, a lone surrogate becomes U+FFFD, anything
    else that is not a scalar NULL. (Log lines are untrusted: an exit code of
    10^30 must cost that field, not the session.)"""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_INT64 <= value < _INT64 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return None


# base64.b64decode minus its wrapper: `data` is a str (parse_line checks),
# and a non-ASCII or malformed one raises ValueError all the same.
_b64decode = binascii.a2b_base64


def rendered_lines(records, session_id: str) -> list:
    """("output" | "input", text, mark) for the lines of a session's records
    [(segment, offset, record)], the session closed at the end, in reading
    order (`reading_order`): what `cs show` prints. The same lines as the index
    holds (an output line holding rows a program word-wrapped keeps them as
    rows here, "\n" between them; the index stores it as one searchable line),
    save that Claude Code's chrome is shown once."""
    render = SessionRender(session_id, display=True)
    render.paragraphs = _Rows()  # rows as finished: joined once they are in reading order
    rows, typed = [], []
    on_output, on_input = rows.extend, typed.extend
    for segment, offset, record in records:
        ts = record.get("timestamp")
        if str(record.get("session_id", "")).lower() != session_id or not valid_ts(ts):
            continue
        render.feed_record(record, (segment, offset, ts), on_output, on_input)
    render.close(on_output, on_input)
    return reading_order(rows, typed, render.screen.cols, _is_claude(render))


class _Rows(Paragraphs):
    """A joiner that joins nothing (rendered_lines joins after ordering)."""

    def feed(self, lines, cols: int) -> list:
        return list(lines)

    def close(self) -> list:
        return []


def _is_claude(render) -> bool:
    """The session recorded Claude Code (its command is `claude`, or it is
    linked to a Claude Code session)."""
    if render.claude_links:
        return True
    try:
        argv = json.loads(render.meta.get("argv") or "[]")
    except ValueError:
        return False
    return bool(argv) and isinstance(argv[0], str) and argv[0].rsplit("/", 1)[-1] == "claude"


def _order_key(item):
    mark = item[2]
    return mark[:2] if mark else (float("inf"), 0)


def reading_order(rows, typed, cols: int, claude: bool) -> list:
    """A session's lines in the order a person reads them (docs/rendering.md
    "Reading order"): every line where its content was written (its mark: where
    it took its final form, carried along when a redraw moved it), rows a
    program word-wrapped joined once they are in that order. In a session of
    Claude Code, a row it repainted is shown once, where it first was, and the
    chrome it redraws all the time (`is_chrome`: the input box and what is
    typed in it, the status and mode lines, spinners) is shown once per
    distinct text, after the conversation, in the order it was last seen."""
    keyed = sorted(
        ((m[:2] if m else (float("inf"), 0), i, text, m) for i, (text, m) in enumerate(rows)),
        key=lambda k: (k[0], k[1]),
    )
    content, chrome = [], {}
    if claude:
        # A full-screen Claude Code scrolls by repainting: a row of a reply
        # can leave the screen, come back one row up, and be finished again
        # later. A row of some length is shown once, where it was first
        # finished (its earliest mark); a short one ("}", "") may well repeat
        # in earnest, so only its copies finished at one moment are merged.
        # The chrome is shown once per text, after the conversation.
        seen = set()
        for k, i, text, m in keyed:
            key = _row_key(text)
            if is_chrome(text, cols):
                last = chrome.get(key)
                if last is None or i > last[0]:
                    chrome[key] = (i, text, m)
                continue
            once = key if len(key) >= _UNIQUE_ROW else (key, k)
            if once not in seen:
                seen.add(once)
                content.append((text, m))
    else:
        content = [(text, m) for _k, _i, text, m in keyed]
    joiner = Paragraphs()
    joined = joiner.feed(content, cols) + joiner.close()
    lines = [("output", t, m) for t, m in joined] + [("input", t, m) for t, m in typed]
    lines.sort(key=_order_key)  # (stable: output before the input of the same chunk)
    lines.extend(("output", text, m) for _i, text, m in sorted(chrome.values(), key=lambda c: c[0]))
    return lines


# A row at least this long (stripped) is not repeated by chance in a Claude Code
# session: a second copy is a repaint of the first.
_UNIQUE_ROW = 12

# Claude Code's spinner ("✻ Frolicking… (esc to interrupt)", "· Noodling…"): a
# glyph, one word, an ellipsis.
_SPINNER = re.compile(r"\S [\w-]+…")
# A short line that ends in an ellipsis is work in progress ("Waiting for
# permission…"): the next frame replaces it.
_IN_PROGRESS = re.compile(r"^\S.{0,58}…$")
_RULE = frozenset("─━═╌╍┄┅┈┉")
# A hint under a tool call ("⎿  Tip: Use /memory to ..."): shown while it works.
_HINT = re.compile(r"(?:⎿\s*)?Tip:")
# Its mode and status line under the input box ("⏵⏵ auto mode on (shift+tab to
# cycle) · esc to interrupt", "⏸ plan mode on", "? for shortcuts"): a row that
# may be drawn just once in a variant, so counting redraws does not catch it.
_STATUS_START = ("⏵⏵", "⏸", "? for shortcuts")
_STATUS_PARTS = ("(shift+tab to cycle)", "? for shortcuts")


def _row_key(text: str) -> str:
    """What two rows are compared by (numbers are not masked: the rows of a
    reply differ only in them often enough)."""
    return text.strip()


def is_chrome(text: str, cols: int) -> bool:
    """A row that is Claude Code's chrome rather than conversation: the input
    box (its rules, and the prompt with what is being typed, `❯`/`>` and a
    no-break space: the transcript's copy of a prompt has a plain space), a
    spinner, the mode and status line under the box, a status line drawn
    right-aligned."""
    stripped = text.strip()
    if not stripped or "\n" in text:
        return False
    if _RULE.issuperset(stripped):
        return True
    if stripped in ("❯", ">") or stripped.startswith(("❯\u00a0", ">\u00a0")):
        return True
    if _SPINNER.match(stripped) or _IN_PROGRESS.match(stripped) or _HINT.match(stripped):
        return True
    if stripped.startswith(_STATUS_START) or any(part in stripped for part in _STATUS_PARTS):
        return True
    return len(text) - len(text.lstrip(" ")) >= max(cols // 3, 20)
