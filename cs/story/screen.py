"""The screen of a recording, watched as it is drawn: which rows were committed
and which were the live region a program redraws.

The index's renderer (cs.index.screen, through cs.index.render.SessionRender:
the same lines, the same marks) finishes a line in one of two ways, and the two
are told apart here by when they are collected: a row that *left the screen*
(scrolled off the top or out of a scroll region, cut by a resize) is handed over
while output is fed (`take_retired`), a row *replaced or erased in place* is
judged when the screen settles (`pop_finished`). How terminal UIs draw gives the
meaning (docs/rendering.md, "The story of a session"): in Ink's inline mode
(Claude Code's older releases, most CLIs) what scrolls into the terminal's
history is the record, and a row drawn then replaced within the live region at
the bottom was chrome; a full-screen program (the alternate screen: Claude Code
2.1) repaints everything, so there the last frame and the transcript tell the
story. Rows a whole-screen erase took away are `CLEARED` (a clear is no
live redraw); what is still on the screen at the end is `FINAL`.

Beside the lines, what the story needs from the keys: the lines submitted with
Enter, the screen at the moment the first one was (its header: the banner), and
the screen at each key that may answer a question (Enter, a digit, Esc, y/n).
Tests: tests/test_story.py.
"""

import binascii

from cs.index.render import SETTLE_GAP_MS, SessionRender, _ts_ms, valid_ts

SCROLLED, REPLACED, CLEARED, LEFT, FINAL = "scrolled", "replaced", "cleared", "left", "final"
# Erasing the whole screen (ESC[2J, ESC[3J): what it takes away was not a live
# region's frame. Its rows are judged at the next settles (an erased row waits
# one settle for a redraw).
_CLEARED_SETTLES = 2
FEED_PIECE = 64 * 1024
# The alternate screen on and off (xterm's three spellings).
_ALT_ON = (b"\x1b[?1049h", b"\x1b[?1047h", b"\x1b[?47h")
_ALT_OFF = (b"\x1b[?1049l", b"\x1b[?1047l", b"\x1b[?47l")
# Keys that may answer a question a program asks: Enter, Esc alone, a digit, y/n.
_ANSWER_KEYS = frozenset([b"\r", b"\n", b"\x1b", b"y", b"n", b"Y", b"N"] + [str(d).encode() for d in range(10)])


class ScreenLine:
    """A finished line: its text, the mark where it began, when and how it was
    finished, whether on the alternate screen, and how many lines were finished
    with it (a whole screen erased at once is a clear, not a live redraw)."""

    __slots__ = ("text", "mark", "end_ts", "how", "alt", "batch")

    def __init__(self, text, mark, end_ts, how, alt, batch=1):
        self.text, self.mark, self.end_ts, self.how, self.alt, self.batch = text, mark, end_ts, how, alt, batch

    def __repr__(self):
        return f"ScreenLine({self.how}, {self.text[:50]!r}, {self.mark})"


class Key:
    """A key press that may answer a question, with the screen it was pressed on."""

    __slots__ = ("data", "mark", "rows")

    def __init__(self, data, mark, rows):
        self.data, self.mark, self.rows = data, mark, rows


class ScreenView:
    """Everything the story reads off a recording's screen and keys."""

    def __init__(self, session_id):
        self.render = SessionRender(session_id, display=True)
        self.lines = []  # ScreenLine, in the order they were finished
        self.typed = []  # (text, mark) of each line submitted with Enter
        self.answer_keys = []  # Key
        self.header = None  # (rows of the screen, the submitted text) at the first submitted line
        self.key_times = []  # (time, typed text) of every key press
        self.alt = False
        self._cleared = 0  # settles left whose erased rows a clear took away
        self.first_mark = None
        self.last_mark = None

    @property
    def meta(self):
        return self.render.meta

    @property
    def cols(self):
        return self.render.screen.cols

    @property
    def rows(self):
        return self.render.screen.rows

    def _collect(self, lines, how, ts) -> None:
        if lines:  # (most calls find none: the hot path stays short)
            alt, batch = self.alt, len(lines)
            self.lines.extend(ScreenLine(text, mark, ts, how, alt, batch) for text, mark in lines if text.strip())

    def output(self, data: bytes, mark) -> None:
        screen, render = self.render.screen, self.render
        ts = mark[2]
        if self.first_mark is None:
            self.first_mark = mark
        self.last_mark = mark
        self._collect(screen.take_retired(), SCROLLED, ts)
        now = _ts_ms(ts)
        last, render.last_output_ms = render.last_output_ms, now
        if last is None or now is None or abs(now - last) >= SETTLE_GAP_MS:
            self._collect(screen.pop_finished(), CLEARED if self._cleared else REPLACED, ts)
            if self._cleared:
                self._cleared -= 1
        modes = b"\x1b[?" in data  # (one search first: most chunks switch nothing)
        if b"\x1b[2J" in data or b"\x1b[3J" in data:
            self._cleared = _CLEARED_SETTLES
        leaves_alt = modes and self.alt and any(seq in data for seq in _ALT_OFF)
        if len(data) <= FEED_PIECE:
            screen.feed(data, mark)
            self._collect(screen.take_retired(), LEFT if leaves_alt else SCROLLED, ts)
        else:
            for i in range(0, len(data), FEED_PIECE):
                screen.feed(data[i : i + FEED_PIECE], mark)
                self._collect(screen.take_retired(), LEFT if leaves_alt else SCROLLED, ts)
        if modes:
            self.alt = _last_alt_switch(data, self.alt)

    def keys(self, data: bytes, mark) -> None:
        # Typing: printable keys, no Enter among them (a line pasted and submitted at once is not).
        self.key_times.append((mark[2], data[:1] >= b" " and data != b"\x7f" and not (b"\r" in data or b"\n" in data)))
        keys = self.render.keys
        typing = bool(keys._buf)  # something typed and not yet submitted
        if data in _ANSWER_KEYS and not typing:  # (a key typed into a line answers no question)
            self.answer_keys.append(Key(data, mark, self.render.screen.display()))
        submitted = keys.feed(data, mark)
        if submitted and self.header is None:
            self.header = (self.render.screen.display(), submitted[0][0])
        self.typed.extend(submitted)

    def event(self, record, mark) -> None:
        if record.get("type") == "resize":
            self._collect(self.render.screen.take_retired(), SCROLLED, mark[2])
            self._collect(self.render.screen.pop_finished(), REPLACED, mark[2])
            self.render.feed_record(record, mark, _ignore, _ignore)
            self._collect(self.render.screen.take_retired(), SCROLLED, mark[2])
            return
        self.render.feed_record(record, mark, _ignore, _ignore)

    def close(self) -> None:
        screen = self.render.screen
        ts = self.last_mark[2] if self.last_mark else None
        self._collect(screen.take_retired(), SCROLLED, ts)
        self._collect(screen.pop_finished(), REPLACED, ts)
        self._collect(screen.close(), FINAL, ts)
        self.typed.extend(self.render.keys.close())


def _last_alt_switch(data: bytes, current: bool) -> bool:
    on = max(data.rfind(seq) for seq in _ALT_ON)
    off = max(data.rfind(seq) for seq in _ALT_OFF)
    if on < 0 and off < 0:
        return current
    return on > off


def _ignore(_lines) -> None:
    pass


def watch(records, session_id: str) -> ScreenView:
    """Feed a session's records [(segment, offset, record)] to a ScreenView."""
    view = ScreenView(session_id)
    for segment, offset, record in records:
        ts = record.get("timestamp")
        if str(record.get("session_id", "")).lower() != session_id or not valid_ts(ts):
            continue
        mark = (segment, offset, ts)
        direction = record.get("direction")
        if direction == "output":
            try:
                data = binascii.a2b_base64(record["data"])
            except (ValueError, TypeError, KeyError):
                continue
            if data:
                view.output(data, mark)
        elif direction == "input":
            if record.get("masked") is not None:
                continue  # a password: never text
            try:
                data = binascii.a2b_base64(record["data"])
            except (ValueError, TypeError, KeyError):
                continue
            view.keys(data, mark)
        else:
            view.event(record, mark)
    view.close()
    return view
