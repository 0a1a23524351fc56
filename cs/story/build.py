"""Building the story of a session: the one place (docs/rendering.md, "The story
of a session").

For a recording of Claude Code whose transcript was archived, the transcript
tells the conversation (each prompt, reply, tool call and result exactly once,
in order, paragraphs whole) and the screen tells what only it had: the header
(what was on the screen above the input when the first prompt was sent: the
banner), each question the program asked and the answer chosen (a block drawn
while nobody typed, taken away by the key that answered it), and the exit
message. Each transcript entry gets the position of the moment the screen showed
it (a player opens there). Without a transcript the screen tells it all: typed
lines are the prompts, and of the screen's lines only what was committed (in a
full-screen program: what stayed), never the live region's chrome.

A recording that is not Claude Code is told from the screen: its lines in
reading order (cs.index.render.reading_order) and what was typed.

Secrets are redacted in every entry (cs.redact, as configured) unless
`redact=False`. Tests: tests/test_story.py (recorded fixtures of three Claude
Code releases at 80 and 120 columns), tests/test_story_real.py (live).
"""

import bisect
import functools
import json
import re

from cs import config
from cs.claude import transcript as claude_transcript
from cs.index.paragraphs import Paragraphs, searchable
from cs.index.render import _is_claude, is_chrome, reading_order
from cs.log import store
from cs.log.timestamps import format_timestamp, parse_timestamp
from cs.story import screen as screens
from cs.story.model import (
    EXIT,
    FROM_BOTH,
    FROM_SCREEN,
    FROM_TRANSCRIPT,
    OUTPUT,
    PROMPT,
    REPLY,
    RESULT,
    SCREEN,
    TOOL,
    Entry,
    Story,
)

RESULT_LINES = 3  # a tool result's first lines, in the default view
_RULE_CHARS = frozenset("─━═╌╍┄┅┈┉╭╮╯╰│┃ ")
_PROMPT_GLYPHS = ("❯", ">", "›")
_QUESTION_ROWS = 3  # a block the program drew in one go, at least this tall
_QUIET_MS = 300  # drawn at least this long before the key that answered it
_ANSWERED_MS = 1500  # taken away within this after that key
# How Claude Code summarises a tool call: the input field it shows in brackets.
_TOOL_FIELDS = ("command", "file_path", "path", "pattern", "url", "query", "description", "prompt", "skill")


def build_story(logs_dir, session_id: str, db=None, redact: bool = True, transcript_entries=None) -> Story:
    """The story of one session (see the module doc). `db`: the index, where
    linked transcripts are found (None: the screen alone); `transcript_entries`:
    given instead of reading them (tests). A session cs did not record (taken
    in from its transcript alone) is told from that transcript."""
    if db is not None and transcript_entries is None and _transcript_only(db, session_id):
        return transcript_only_story(db, session_id, redact=redact)
    widths = set()

    def records():
        for segment, offset, _end, record in store.iter_session_records(logs_dir, session_id):
            if record.get("type") in ("start", "resize") and isinstance(record.get("cols"), int):
                widths.add(record["cols"])
            yield segment, offset, record

    view = screens.watch(records(), session_id)
    claude = _is_claude(view.render)
    notes = []
    if transcript_entries is None:
        transcript_entries = _transcript_of(db, session_id, notes) if claude and db is not None else []
    redactor = _redactor() if redact else None
    if redactor is not None:
        _redact_sources(redactor, view, transcript_entries, widths or {80})
    if claude:
        entries = claude_story(view, transcript_entries)
    else:
        entries = screen_story(view)
    if redactor is not None:
        _hide_found(redactor, entries)
    return Story(session_id, entries, claude=claude, has_transcript=bool(transcript_entries), notes=notes)


def _redactor():
    redactor = config.redactor()
    if not redactor.enabled:
        return None
    redactor.found = {}  # the secrets it hides, to hide their pieces wherever else they were drawn
    return redactor


def _redact_sources(redactor, view, transcript_entries, widths) -> None:
    """Secrets out of everything the story is made of, before it is made: the
    screen's rows as they were finished (a secret wrapped over two rows is
    seen whole: cs.redact.Redactor.lines), the screens the header and the
    questions are read from, and the transcript's texts."""
    texts = redactor.lines([line.text for line in view.lines], widths)
    for line, text in zip(view.lines, texts):
        line.text = text
    typed = redactor.lines([text for text, _m in view.typed], widths)
    view.typed = [(text, mark) for text, (_old, mark) in zip(typed, view.typed)]
    if view.header is not None:
        view.header = (redactor.lines(list(view.header[0]), widths), redactor.text(view.header[1]))
    for key in view.answer_keys:
        key.rows = redactor.lines(list(key.rows), widths)
    for entry in transcript_entries:
        entry.text = redactor.text(entry.text)


def _hide_found(redactor, entries) -> None:
    """Pieces of the secrets found anywhere in the session, wherever else they
    were drawn (out of order, finished on lines of their own)."""
    texts = redactor.hide_found([e.text for e in entries])
    for entry, text in zip(entries, texts):
        entry.text = text
        if entry.detail:
            entry.detail = redactor.hide_found([redactor.text(entry.detail)])[0]


def _transcript_only(db, session_id) -> bool:
    from cs.claude.unrecorded import is_transcript_only

    return is_transcript_only(db, session_id)


def _transcript_of(db, session_id, notes: list):
    """The linked transcript's entries; [] with a note when it cannot be read
    (encrypted without the identity, unreadable): the screen tells the story."""
    from cs.claude import conversation
    from cs.errors import CsError

    try:
        return conversation.entries(db, session_id, redact=False)
    except (CsError, OSError) as e:
        notes.append(f"Claude Code's transcript of this session could not be read ({e}); told from the screen alone")
        return []


# ---------------------------------------------------------------- Claude Code


def claude_story(view, transcript_entries) -> list:
    header = header_entry(view)
    told = _told(header.text.split("\n") if header else ())
    questions = question_entries(view)
    if transcript_entries:
        middle = transcript_story(view, transcript_entries)
        # What the transcript already said (a command's output) is not said again at the end.
        ending = exit_entry(view, told | _told(e.text for e in middle if e.kind == SCREEN))
    else:
        ending = exit_entry(view, told)
        told |= _told(row for entry in questions + [ending] if entry for row in entry.text.split("\n"))
        middle = screen_claude_story(view, told)
    middle = sorted(middle + questions, key=_when)
    return ([header] if header else []) + middle + ([ending] if ending else [])


def _told(rows) -> set:
    """Rows already told, by their words (a logo drawn in another frame, a
    row indented otherwise, are the same row)."""
    return {key for key in map(_words, rows) if key}


def _is_told(words: str, told: set, all_told: str) -> bool:
    """Told already: the same words, or a piece of a told row (the row drawn
    again narrower after a resize, wrapped in two); `all_told`: the told rows
    joined by newlines (one search instead of one per row)."""
    return words in told or (len(words) >= 8 and words in all_told)


_WORD = re.compile(r"[^\W_]+")


def _words(text: str) -> str:
    """A row's letters and digits, words apart by single spaces."""
    return " ".join(_WORD.findall(text))


def _when(entry):
    return entry.at[2] if entry.at and len(entry.at) > 2 else entry.ts or ""


def header_entry(view):
    """What was on the screen above the input when the first prompt was sent."""
    if view.header is None:
        return None
    rows, submitted = view.header
    probe = " ".join(submitted.split())[:20]
    input_row = max((i for i, row in enumerate(rows) if probe and probe in row.replace("\u00a0", " ")), default=None)
    if input_row is None:  # typed faster than it was echoed: the input is the last prompt row
        input_row = max((i for i, row in enumerate(rows) if row.strip()[:1] in _PROMPT_GLYPHS), default=None)
    if input_row is None:
        return None
    kept = []
    for row in rows[:input_row]:
        row = row.rstrip()
        if row and (_RULE_CHARS.issuperset(row) or is_chrome(row, view.cols)):
            continue
        if row or (kept and kept[-1]):
            kept.append(row)
    while kept and not kept[-1]:
        kept.pop()
    if not kept:
        return None
    mark = view.first_mark
    return Entry(mark[2] if mark else None, SCREEN, FROM_SCREEN, "\n".join(kept), at=mark)


def question_entries(view) -> list:
    """Blocks the program drew while nobody typed and took away at a key that
    was not typing: a question (a permission, a choice) and the answer."""
    out = []
    replaced = [line for line in view.lines if line.how == screens.REPLACED]
    ends = [_ms(line.end_ts) for line in replaced]
    key_times = sorted(t for t in (_ms(ts) for ts, _typing in view.key_times) if t is not None)
    for key in view.answer_keys:  # (keys typed into a line are not kept: cs.story.screen)
        at = _ms(key.mark[2])
        if at is None:
            continue
        before = key_times[max(0, bisect.bisect_left(key_times, at) - 1)] if key_times else None
        previous_key = before if before is not None and before < at else None
        lo = bisect.bisect_left(ends, at)
        hi = bisect.bisect_right(ends, at + _ANSWERED_MS)
        groups = {}
        for line in replaced[lo:hi]:
            began = _ms(line.mark[2]) if line.mark else None
            if began is None or at - began < _QUIET_MS:
                continue
            if previous_key is not None and began <= previous_key:
                continue
            groups.setdefault(line.mark[:2], []).append(line)
        if not groups:
            continue
        block = max(groups.values(), key=len)
        if len(block) < _QUESTION_ROWS:
            continue
        rows = _in_screen_order(block, key.rows, view.cols)
        answer = _answer(rows, key.data)
        text = "\n".join(rows) + (f"\n→ {answer}" if answer else "")
        out.append(Entry(block[0].mark[2], SCREEN, FROM_SCREEN, text, at=block[0].mark))
    return out


def _in_screen_order(block, rows, cols: int) -> list:
    """The block's texts in the order the screen showed them at the key: the
    longest run of screen rows that are the block's (rules and blank rows
    inside it included)."""
    wanted = {_key(line.text) for line in block}
    best, start, count, best_count = None, None, 0, 0
    for i, row in enumerate(rows + [None]):
        inside = row is not None and (_key(row) in wanted or (start is not None and _RULE_CHARS.issuperset(row)))
        if inside:
            if start is None:
                start, count = i, 0
            count += _key(row) in wanted
            continue
        if start is not None and count > best_count:
            best, best_count = (start, i), count
        start = None
    if best is None:
        return [line.text for line in block]
    shown = [(row.rstrip(), None) for row in rows[best[0] : best[1]] if not _RULE_CHARS.issuperset(row)]
    # A hint drawn inside the block (a tip, wrapped over two rows) is chrome there too.
    joiner = Paragraphs()
    kept = [text for text, _m in joiner.feed(shown, cols) + joiner.close() if not is_chrome(text.split("\n")[0], cols)]
    return _dedent([row for text in kept for row in text.split("\n")])


def _dedent(rows) -> list:
    indent = min((len(r) - len(r.lstrip(" ")) for r in rows if r.strip()), default=0)
    return [r[indent:] for r in rows]


def _answer(rows, key: bytes) -> str:
    """The option the key chose: the digit's option, or the highlighted one."""
    if key[:1].isdigit():
        for row in rows:
            text = row.strip().lstrip("".join(_PROMPT_GLYPHS)).strip()
            if text.startswith(key.decode() + "."):
                return text
    if key in (b"\r", b"\n"):
        for row in rows:
            text = row.strip()
            if text[:1] in _PROMPT_GLYPHS:
                return text[1:].strip()
        return "Enter"
    if key == b"\x1b":
        return "Esc (cancelled)"
    return key.decode("ascii", "replace")


def exit_entry(view, told):
    """What the program printed as it ended (the resume line), and the status."""
    last_typed = max((m for _t, m in view.typed if m), default=None, key=lambda m: m[:2])
    rows = []
    at = None
    for line in view.lines if last_typed is not None else ():  # (nothing typed: no exit to tell apart)
        if line.how != screens.FINAL or line.alt:
            continue
        if line.mark and line.mark[:2] <= last_typed[:2]:
            continue
        if _is_echo(line.text, view) or _words(line.text) in told or is_chrome(line.text, view.cols):
            continue
        rows.append(line.text.rstrip())
        at = at or line.mark
    status = _status_line(view)
    if status:
        rows.append(status)
    if not rows:
        return None
    ts = view.meta.get("ended_at") or (at[2] if at else None)
    return Entry(ts, EXIT, FROM_SCREEN, "\n".join(rows), at=at or view.last_mark)


def _status_line(view):
    status = view.meta.get("exit_code")
    if isinstance(status, int) and not isinstance(status, bool):
        return f"exit status {status}"
    if view.meta.get("signal"):
        return f"ended by signal {view.meta['signal']}"
    return None


def transcript_story(view, transcript_entries) -> list:
    """The transcript's entries, each at the moment the screen showed it (no
    position without a screen: view None)."""
    marks = _OutputMarks(view)
    typed = list(view.typed) if view is not None else []
    screen_rows = [(_key(line.text), line.mark) for line in view.lines if line.mark] if view is not None else []
    out = []
    for e in transcript_entries:
        ts = _canonical(e.ts)
        kind = e.kind
        if kind in (claude_transcript.PROMPT, claude_transcript.COMMAND):
            at = _take_typed(typed, e.text)
            out.append(Entry(ts, PROMPT, FROM_BOTH if at else FROM_TRANSCRIPT, e.text.strip(), at=at or marks.at(ts)))
        elif kind == claude_transcript.REPLY:
            if not e.text.strip():
                continue
            at = _shown_at(screen_rows, e.text) or marks.at(ts)
            out.append(Entry(ts, REPLY, FROM_TRANSCRIPT, e.text.strip(), at=at))
        elif kind == claude_transcript.TOOL:
            name, summary, whole = tool_summary(e)
            out.append(Entry(ts, TOOL, FROM_TRANSCRIPT, summary, at=marks.at(ts), detail=whole))
        elif kind == claude_transcript.RESULT:
            text = e.text.rstrip()
            out.append(Entry(ts, RESULT, FROM_TRANSCRIPT, first_lines(text), at=marks.at(ts), detail=text))
        elif kind == claude_transcript.NOTICE:
            out.append(Entry(ts, SCREEN, FROM_TRANSCRIPT, e.text.strip(), at=marks.at(ts)))
    return out


def tool_summary(entry):
    """(name, "Name(the input Claude Code shows)", the whole input) of a tool call."""
    name = entry.tool_name or entry.text.split(" ", 1)[0]
    raw = entry.text[len(name) :].strip()
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        value = None
    shown = ""
    if isinstance(value, dict):
        for field in _TOOL_FIELDS:
            if isinstance(value.get(field), str) and value[field].strip():
                shown = value[field]
                break
        else:
            shown = next((v for v in value.values() if isinstance(v, str) and v.strip()), "")
    shown = " ".join(shown.split())
    if len(shown) > 160:
        shown = shown[:159] + "…"
    return name, f"{name}({shown})", raw


def first_lines(text: str, n: int = RESULT_LINES) -> str:
    lines = text.split("\n")
    kept = lines[:n]
    if len(lines) > n:
        kept.append(f"… +{len(lines) - n} lines")
    return "\n".join(kept)


def _take_typed(typed, text):
    """The mark of the typed line that submitted this prompt (used once)."""
    want = _key(text)
    for i, (line, mark) in enumerate(typed):
        if _key(line) == want:
            del typed[i]
            return mark
    return None


def _shown_at(screen_rows, text):
    """The mark of the first screen row that shows part of this text."""
    whole = _key(text)
    for key, mark in screen_rows:
        bare = key.lstrip("●⏺•").strip()
        if len(bare) >= 12 and bare in whole:
            return mark
    return None


class _OutputMarks:
    """The position of the output at a moment (the first chunk at or after it)."""

    def __init__(self, view):
        lines = view.lines if view is not None else ()
        self.marks = sorted((line.mark for line in lines if line.mark), key=lambda m: m[2])
        self.times = [m[2] for m in self.marks]

    def at(self, ts):
        if not self.marks or not ts:
            return None
        i = bisect.bisect_left(self.times, ts)
        return self.marks[min(i, len(self.marks) - 1)]


# ---------------------------------------------------- Claude Code, screen only


def screen_claude_story(view, told) -> list:
    """Claude Code's session from the screen alone: typed lines are the
    prompts; of the screen's lines those committed (scrolled into the history,
    or, in the full-screen mode, kept), never the live region's."""
    out = [Entry(m[2] if m else None, PROMPT, FROM_SCREEN, t.strip(), at=m) for t, m in view.typed if t.strip()]
    typed_keys = {_key(t) for t, _m in view.typed}
    typing = _TypingTimes(view)
    all_told = "\n".join(told)
    seen, rows = set(), []
    for line in sorted(view.lines, key=lambda line: line.mark[:2] if line.mark else (float("inf"), 0)):
        if line.how == screens.REPLACED and not line.alt and line.batch < max(6, view.rows // 4):
            continue  # the live region of an inline program (a clear takes a whole screen at once)
        if line.how in (screens.REPLACED, screens.LEFT) and typing.drawn_while_typing(line):
            continue  # a menu or picker that popped up while typing, and went
        key = _key(line.text)
        words = _words(key)
        if not words or _is_told(words, told, all_told):
            continue  # nothing but drawing, or told already (the header, a question, the exit)
        if is_chrome(line.text, view.cols) or _is_echo(line.text, view, typed_keys):
            continue
        if key in seen and len(key) >= 12:
            continue  # a full-screen repaint of a row already told
        seen.add(key)
        rows.append((line.text, line.mark))
    joiner = Paragraphs()
    bodies = {}  # id of a screen entry -> its rows (joined once at the end: += on .text would copy it each time)
    for text, mark in joiner.feed(rows, view.cols) + joiner.close():
        kind, body = _screen_kind(text)
        if kind == SCREEN and out and out[-1].kind == SCREEN and out[-1].source == FROM_SCREEN:
            bodies.setdefault(id(out[-1]), [out[-1].text]).append(body)  # rows of one screen moment stay together
            continue
        out.append(Entry(mark[2] if mark else None, kind, FROM_SCREEN, body, at=mark))
    for entry in out:
        if id(entry) in bodies:
            entry.text = "\n".join(bodies[id(entry)])
    return out


class _TypingTimes:
    """When keys were pressed: a row drawn right after a key that typed text
    (no Enter since) and gone a few seconds later answered the typing (a
    completion menu): it is not a record."""

    DRAWN_AFTER_MS, GONE_WITHIN_MS = 2000, 6000

    def __init__(self, view):
        keys = [(t, typing) for t, typing in ((_ms(ts), typing) for ts, typing in view.key_times) if t is not None]
        keys.sort(key=lambda key: key[0])  # (stable: keys of one moment stay in the order they came)
        self.times = [t for t, _typing in keys]
        self.typing = [typing for _t, typing in keys]

    def drawn_while_typing(self, line) -> bool:
        began, ended = _ms(line.mark[2]) if line.mark else None, _ms(line.end_ts)
        if began is None or ended is None or ended - began > self.GONE_WITHIN_MS:
            return False
        i = bisect.bisect_right(self.times, began)
        return i > 0 and self.typing[i - 1] and began - self.times[i - 1] <= self.DRAWN_AFTER_MS


def _screen_kind(text: str):
    """A paragraph Claude Code drew after its bullet is a reply (its wrapped
    rows joined again); anything else a screen moment, rows as shown."""
    first = text.lstrip()
    if first[:1] in ("●", "⏺"):
        return REPLY, searchable(first[1:].strip())
    return SCREEN, "\n".join(_dedent(text.split("\n")))


def _is_echo(text: str, view, typed_keys=None) -> bool:
    """The screen's copy of a typed prompt (`❯ text` in the input or the log)."""
    stripped = text.replace("\u00a0", " ").strip()
    if not stripped or stripped[0] not in _PROMPT_GLYPHS:
        return False
    typed_keys = typed_keys if typed_keys is not None else {_key(t) for t, _m in view.typed}
    return _key(stripped[1:]) in typed_keys or not stripped[1:].strip()


# ---------------------------------------------------------- any other program


def screen_story(view) -> list:
    """A recording of something other than Claude Code: its lines in reading
    order, what was typed as prompts."""
    rows = [(line.text, line.mark) for line in view.lines]
    lines = reading_order(rows, view.typed, view.cols, claude=False)
    out = []
    for direction, text, mark in lines:
        kind = PROMPT if direction == "input" else OUTPUT
        out.append(Entry(mark[2] if mark else None, kind, FROM_SCREEN, text, at=mark))
    status = _status_line(view)
    if status:
        out.append(Entry(view.meta.get("ended_at"), EXIT, FROM_SCREEN, status, at=view.last_mark))
    return out


# ------------------------------------------------------------------- helpers


def _key(text: str) -> str:
    """What two texts are compared by: spaces folded, no-break spaces plain."""
    return " ".join(text.replace("\u00a0", " ").split())


def _canonical(ts):
    moment = parse_timestamp(ts)
    return format_timestamp(moment) if moment else ts


@functools.lru_cache(maxsize=4096)
def _ms(ts):
    """Milliseconds since the epoch of a timestamp (the lines of one chunk share
    theirs: cached)."""
    moment = parse_timestamp(ts)
    return int(moment.timestamp() * 1000) if moment else None


def transcript_only_story(db, session_id: str, redact: bool = True) -> Story:
    """The story of a session cs did not record (cs.claude.unrecorded): the
    conversation from Claude Code's archived transcript alone, told as
    transcript_story tells it, with no position (there is no screen). Tests:
    tests/test_claude_unrecorded.py::test_an_unrecorded_transcript_is_a_session_of_its_own."""
    from cs.claude import conversation

    items = conversation.entries(db, session_id, redact=False)
    redactor = _redactor() if redact else None
    if redactor is not None:
        for item in items:
            item.text = redactor.text(item.text)
    entries = transcript_story(None, items)
    if redactor is not None:
        _hide_found(redactor, entries)
    return Story(session_id, entries, claude=True, has_transcript=bool(entries), has_screen=False)
