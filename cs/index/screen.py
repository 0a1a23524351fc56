"""Terminal output -> the lines a person saw.

`ScreenText` here is the reference implementation; `cs/index/_screen.c` is its
native twin (same lines, same marks, same order: tests/test_screen_native.py),
and `Screen`, at the end of this module, is the one of the two that cs uses
(docs/rendering.md "Speed").

A small screen-grid terminal model (rows x cols of cells) that keeps only text:
cursor moves, erases, scrolling, scroll regions, insert/delete, the alternate
screen and wide characters are honoured; colours and other attributes are
skipped. Lines come out when they are *finished* (see docs/rendering.md):

* a row that leaves the screen (scrolled off, pushed out of a scroll region,
  deleted, cut by a resize, alternate screen left) is finished at once;
* any other change is judged when the caller *settles* the screen, i.e. at
  pop_finished() / visible() / close(): each changed row's content is compared
  with what the row showed at the previous settle. If the new content is the
  same line evolving (extended, trimmed by one word, or only numbers/symbols
  changed: streaming text, typing, spinners, timers) the row keeps one line
  and only its latest version counts. If it was replaced by something else,
  the old content is finished -- unless it still lives on (as a prefix) in
  some row of the screen, as when a redraw moves text up a row.
  An erased row keeps its old content pending for one more settle, so an
  erase-and-redraw split across chunks is harmless.

Speed: a literal-prefix substitution drops colours, one C-level split cuts the
rest into printable runs and control/escape tokens; what a token does is
classified once and cached (Claude Code repeats the same few hundred), printable
runs go into a row by slice assignment, the common cursor moves are handled
inline, and only runs holding wide or zero-width characters are walked character by
character.
"""

import os
import re
import unicodedata

from cs.log.utf8 import decode_chunk

# Colours and other attributes: dropped first (a literal-prefix scan, fast).
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
# Then one C-level split cuts the text into printable runs and the tokens
# between them (control characters and escape sequences, each captured whole).
# The pattern starts with a character class so that re can skip through
# printable text quickly; what follows is told apart by lookbehind. OSC
# strings (titles, hyperlinks), DCS/SOS/PM/APC strings and charset
# designations are tokens too, with no effect on text.
_TOKEN_BODY = (
    r"[\x00-\x1f\x7f-\x9f]"
    r"(?:(?<=\x1b)(?:\[([0-?]*[ -/]*)([@-~])"
    r"|\][^\x07\x1b]*(?:\x07|\x1b\\)"
    r"|[PX^_][^\x1b]*\x1b\\"
    r"|[ -/]+[0-~]"
    r"|([0-~]?))"
    r"|(?<=\r)(\n?)"
    r"|(?<=([\n\x08\t\x0b\x0c]))"
    r"|)"
)
_TOKENS = re.compile("(" + re.sub(r"\((?!\?)", "(?:", _TOKEN_BODY) + ")")
# The same, matched against one token, tells what it is: CSI parameters, CSI
# final, the second character of another ESC sequence, "\n" or "" after CR,
# another control character; all None for tokens with no effect on text.
_TOKEN_PARTS = re.compile(_TOKEN_BODY)

# An escape sequence cut off by the end of a chunk (kept for the next chunk).
_INCOMPLETE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[PX^_][^\x1b]*\x1b?|[ -/]*)\Z")
_MAX_CARRY = 1 << 16  # an incomplete CSI/ESC longer than this is nonsense: dropped
# Where an OSC/DCS/SOS/PM/APC string cut off by the end of a chunk ends: BEL,
# ST (ESC \\), or any other ESC (which aborts it, as in xterm); CAN/SUB cancel it.
_STRING_END = re.compile(r"[\x07\x18\x1a]|\x1b\\?")

# Bounds on what the byte stream can ask for (its numbers are untrusted, see
# docs/rendering.md "Bounds"): a parameter larger than _MAX_PARAM counts as
# _MAX_PARAM (and is never converted from its digits: 5,000 of them would
# raise), the grid is at most MAX_COLS x MAX_ROWS whatever the log says, and a
# cell holds at most _MAX_CELL characters (a base and its combining marks).
_MAX_PARAM = 9999
MAX_COLS, MAX_ROWS = 1000, 500
_MAX_CELL = 8


def _num(digits: str) -> int:
    """A CSI parameter's digits as a number, capped at _MAX_PARAM."""
    return _MAX_PARAM if len(digits) > 4 else int(digits)


def clamp_size(cols, rows) -> tuple:
    """(cols, rows) within 1..MAX_COLS x 1..MAX_ROWS."""
    return max(1, min(int(cols), MAX_COLS)), max(1, min(int(rows), MAX_ROWS))


# Frequent private modes with no effect on text (cursor, mouse, paste, focus).
_UNMODELLED_MODES = frozenset(
    "?%d" % m for m in (1, 12, 25, 1000, 1002, 1003, 1004, 1005, 1006, 1015, 1016, 2004, 2026, 2031)
)

# What a token does (see _token_op): kinds handled inline in feed(), then
# those that go through a method. Tuples: (kind, n) for relative moves (plus
# the parameters, for the method used outside the scroll region), (kind, row,
# col) for an absolute move, (kind, with CR) for a line feed, (kind, params,
# final) for other CSI sequences, (kind, character) for ESC and controls.
_CUP, _CUD, _CHA, _CUF, _NOTHING, _LF, _CR, _EL, _EL2, _CUU, _CSI, _ESC, _CONTROL = range(13)
_TOKEN_OPS = {"": (_NOTHING,)}
_MAX_TOKEN_OPS = 8192


def _token_op(tok: str) -> tuple:
    """Classify a token once; short tokens (nearly all of them) are cached."""
    p, f, esc, cr, ctl = _TOKEN_PARTS.match(tok).groups()
    op = (_NOTHING,)
    if f is not None:
        if not p:
            n = 1
        elif p.isdigit():
            n = _num(p) or 1
        else:
            n = 0
        if f == "m":
            pass  # colours and attributes
        elif n and f in "GCBA":
            op = ({"G": _CHA, "C": _CUF, "B": _CUD, "A": _CUU}[f], n, None, p)
        elif f == "H" and not p:
            op = (_CUP, 1, 1)
        elif f == "H" and not n and p[0] != "?" and _two_numbers(p):
            r, _, c = p.partition(";")
            op = (_CUP, _num(r) or 1, _num(c) or 1)
        elif f == "K" and not p:
            op = (_EL,)  # (x == cols, a pending wrap: nothing to erase)
        elif f == "K" and p == "2":
            op = (_EL2,)
        elif p and (p[0] in "<=>" or p[-1] in " !\"#$%&'()*+,-./"):
            pass  # private-prefixed or intermediate-byte sequences: no text effect
        elif p and p[0] == "?" and (f not in "hl" or p in _UNMODELLED_MODES):
            pass
        elif p.startswith("?") or f in _CSI_FINALS:
            op = (_CSI, p, f)
    elif cr is not None:
        op = (_LF, True) if cr else (_CR,)
    elif ctl == "\n":
        op = (_LF, False)
    elif ctl is not None:
        op = (_CONTROL, ctl)
    elif esc and esc in "78DEMc":
        op = (_ESC, esc)
    if len(tok) <= 16:
        if len(_TOKEN_OPS) > _MAX_TOKEN_OPS:
            _TOKEN_OPS.clear()
            _TOKEN_OPS[""] = (_NOTHING,)
        _TOKEN_OPS[tok] = op
    return op


def _two_numbers(p: str) -> bool:
    r, _, c = p.partition(";")
    return r.isdigit() and c.isdigit()


# Letter words: what a row's content is judged by when it changes in place.
_WORDS = re.compile(r"[^\W\d_]{2,}")

# Non-ASCII characters known to take exactly one cell (grows as text is seen):
# a C-level test on it decides whether a run can be slice-assigned. The test
# is a regex search for a character outside the set (scanning a string is
# cheaper than set.issuperset, which makes a string of each character); it is
# recompiled as the set grows, up to a bound, and a stale one only sends more
# runs to the exact test in _all_narrow.
_NARROW = set()
_MAX_NARROW_PATTERN = 2048


def _outside(chars) -> "callable":
    """search(run): a match if `run` holds a character that is neither ASCII
    nor in `chars`."""
    return re.compile("[^\\x00-\\x7f" + "".join(re.escape(c) for c in sorted(chars)) + "]").search


_not_known_narrow = _outside(())


def _all_narrow(run: str) -> bool:
    global _not_known_narrow
    if _NARROW.issuperset(run):
        return True
    narrow, grew = True, False
    for ch in set(run).difference(_NARROW):
        if ch.isascii() or char_width(ch) == 1:
            _NARROW.add(ch)
            grew = True
        else:
            narrow = False
    if grew and len(_NARROW) <= _MAX_NARROW_PATTERN:
        _not_known_narrow = _outside(_NARROW)
    return narrow


def char_width(ch: str) -> int:
    """Cells a character takes: 2 for East Asian wide/fullwidth (CJK, most
    emoji), 0 for combining marks and format characters, else 1."""
    if unicodedata.east_asian_width(ch) in "WF":
        return 2
    if unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 1


def same_line(old: str, new: str) -> bool:
    """Is `new` the row's line `old` evolving, rather than other content?

    Extended (streaming, typing), trimmed of at most one word (backspace, a word
    re-wrapped to the next row), or changed without losing any letter word
    (spinner glyphs, timers, counters, a word inserted) -> same line."""
    if new.startswith(old):
        return True
    if old.startswith(new):
        return " " not in old[len(new) :].strip()
    old_words = _words(old)
    if not old_words:
        return not _words(new)
    return old_words <= _words(new)


_word_cache = {}


def _words(text: str) -> frozenset:
    """The letter words of a row's text (cached: spinner and status rows come
    back again and again)."""
    words = _word_cache.get(text)
    if words is None:
        if len(_word_cache) > 4096:
            _word_cache.clear()
        words = _word_cache[text] = frozenset(_WORDS.findall(text))
    return words


class _Row:
    """One screen row. `shown` is the line this row holds (its content at the
    last settle, or its old content while the row is blank after an erase) and
    `mark` the mark of the chunk where it began; `dirty`/`tmark` record that
    the cells changed since the last settle and in which chunk that began."""

    __slots__ = ("cells", "shown", "mark", "dirty", "tmark", "erased", "wrapped")

    def __init__(self, cols):
        self.cells = [" "] * cols
        self.erased = False  # blank at the last settle, still holding `shown`
        self.shown = ""
        self.mark = None
        self.dirty = False
        self.tmark = None
        self.wrapped = False  # the terminal autowrapped from this row to the next

    def text(self) -> str:
        """The row's line: right-stripped, unless the terminal autowrapped
        from it (then its trailing blanks are the gap before the next row's
        text: cs.index.paragraphs joins the two)."""
        text = "".join(self.cells)
        stripped = text.rstrip()
        return text if stripped and getattr(self, "wrapped", False) else stripped


def _earlier(mark, than) -> bool:
    """Is `mark` before `than`? (Marks are the caller's: (segment, offset, ts)
    tuples for cs, numbers in tests; None or marks that do not compare: no.)"""
    if mark is None or than is None:
        return False
    try:
        return bool(mark < than)
    except TypeError:
        return False


class ScreenText:
    """Feed output chunks; collect rendered lines with the mark of the chunk in
    which each line began (the indexer passes (segment, offset, timestamp))."""

    # Defaults for a renderer pickled by a version that did not have them.
    _in_string = False
    _string_esc = False

    def __init__(self, cols: int = 80, rows: int = 24):
        self.cols, self.rows = clamp_size(cols, rows)
        self._utf8_carry = b""
        self._in_string = False  # inside an OSC/DCS... string cut off by a chunk's end
        self._string_esc = False  # ... whose last chunk ended with ESC (maybe ST's first half)
        self._fed = False  # data arrived since the last settle
        self._carry = ""
        self._finished = []
        self._touched = []  # rows changed since the last settle
        self._erased = []  # rows found blank at the last settle, still holding a line
        self._blank = [" "] * self.cols
        self._main = self._blank_grid()
        self._alt = None  # the alternate screen's grid while it is shown
        self.grid = self._main
        self.x = self.y = 0
        self._saved = (0, 0)
        self._saved_main = (0, 0)
        self.top, self.bottom = 0, self.rows - 1
        self.autowrap = True
        self._wide = False  # a wide character was drawn: check cell halves
        self._mark = None

    # ----------------------------------------------------------------- public

    def resize(self, cols: int, rows: int) -> None:
        cols, rows = clamp_size(cols, rows)
        if (cols, rows) == (self.cols, self.rows):
            return
        self._settle()
        for grid in (self._main, self._alt):
            if grid is not None:
                self._resize_grid(grid, cols, rows)
        self.cols, self.rows = cols, rows
        self._blank = [" "] * cols
        self.top, self.bottom = 0, rows - 1
        self.x, self.y = min(self.x, cols - 1), min(self.y, rows - 1)

    def feed(self, data: bytes, mark=None) -> None:
        if self._utf8_carry or data[-1:] >= b"\x80":
            text = self._decode(data)
        else:
            text = data.decode("utf-8", "replace")
        if self._in_string:
            text = self._skip_string_body(text)
        if self._carry:
            text = self._carry + text
            self._carry = ""
        last = text.rfind("\x1b")
        if last >= 0 and not (last < len(text) - 2 and text[last + 1] == "[" and "@" <= text[-1] <= "~"):
            text = self._keep_incomplete_tail(text)
        if not text:
            return
        self._fed = True
        self._mark = mark
        parts = _TOKENS.split(_SGR.sub("", text) if "m" in text else text)
        parts.append("")  # pair the last run with a token that does nothing
        # The hot loop: each token's meaning comes from a cache (_token_op);
        # the commonest (cursor moves, CR/LF, erase in line) and narrow text
        # are handled inline with the cursor and the scroll region in locals;
        # everything else goes through methods, with the cursor stored before
        # the call and reloaded after it.
        x, y, cols, rows, grid = self.x, self.y, self.cols, self.rows, self.grid
        top, bottom, wide = self.top, self.bottom, self._wide
        touched = self._touched
        op_of = _TOKEN_OPS.get
        it = iter(parts)
        for run, tok in zip(it, it):
            if run:
                n = len(run)
                if x + n <= cols and (run.isascii() or not _not_known_narrow(run) or _all_narrow(run)):
                    row = grid[y]
                    if row.tmark is None:
                        row.tmark = mark
                    if not row.dirty:
                        row.dirty = True
                        touched.append(row)
                    end = x + n
                    if wide:
                        cells = row.cells
                        if x and cells[x] == "":
                            cells[x - 1] = " "  # overwrote the right half of a wide char
                        if end < cols and cells[end] == "":
                            cells[end] = " "  # overwrote the left half of a wide char
                    row.cells[x:end] = run
                    x = end
                else:
                    self.x, self.y = x, y
                    self._draw(run)
                    x, y, grid, wide = self.x, self.y, self.grid, self._wide
            op = op_of(tok) or _token_op(tok)
            kind = op[0]
            if kind == _CHA:
                x = (op[1] if op[1] <= cols else cols) - 1
            elif kind == _CUP:
                y = (op[1] if op[1] <= rows else rows) - 1
                x = (op[2] if op[2] <= cols else cols) - 1
            elif kind == _CUD:
                if y <= bottom:
                    y += op[1]
                    if y > bottom:
                        y = bottom
                    if x >= cols:
                        x = cols - 1
                else:
                    self.x, self.y = x, y
                    self._cud(op[3])
                    x, y = self.x, self.y
            elif kind == _CR:
                x = 0
            elif kind == _CUF:
                x += op[1]
                if x >= cols:
                    x = cols - 1
            elif kind == _NOTHING:
                pass
            elif kind == _LF:
                if op[1]:
                    x = 0
                if y == bottom:
                    self.x, self.y = x, y
                    self._scroll_up(1)
                elif y < rows - 1:
                    y += 1
            elif kind == _EL:
                if x < cols:
                    row = grid[y]  # erase to the end of the line
                    cells = row.cells
                    if x and cells[x] == "":
                        cells[x - 1] = " "
                    cells[x:] = self._blank[x:]
                    row.wrapped = False
                    if x == 0:
                        row.tmark = None
                    elif row.tmark is None:
                        row.tmark = mark
                    if not row.dirty:
                        row.dirty = True
                        touched.append(row)
            elif kind == _EL2:
                row = grid[y]  # erase the whole line (Ink does it a lot)
                row.cells[:] = self._blank
                row.wrapped = False
                row.tmark = None
                if not row.dirty:
                    row.dirty = True
                    touched.append(row)
            elif kind == _CUU:
                if y >= top:
                    y -= op[1]
                    if y < top:
                        y = top
                    if x >= cols:
                        x = cols - 1
                else:
                    self.x, self.y = x, y
                    self._cuu(op[3])
                    x, y = self.x, self.y
            else:
                self.x, self.y = x, y
                if kind == _CSI:
                    self._dispatch_csi(op[1], op[2])
                elif kind == _ESC:
                    self._esc(op[1])
                else:
                    self._control(op[1])
                x, y, grid, rows, top, bottom = (self.x, self.y, self.grid, self.rows, self.top, self.bottom)
        self.x, self.y = x, y

    def _decode(self, data: bytes) -> str:
        """UTF-8 with a character split across chunks carried to the next."""
        text, self._utf8_carry = decode_chunk(self._utf8_carry, data)
        return text

    def pop_finished(self) -> list:
        """(text, mark) for lines finished since the last call."""
        self._settle()
        out, self._finished = self._finished, []
        return out

    def take_retired(self) -> list:
        """(text, mark) for lines that left the screen since the last call,
        without settling (so the result does not depend on when it is
        called: pop_finished() later returns the rest, in order)."""
        out, self._finished = self._finished, []
        return out

    def visible(self) -> list:
        """(text, mark) for every line not yet finished, top to bottom: the
        screen's rows, and content that is erased or hidden by the alternate
        screen but not yet judged. Provisional: the next call replaces it."""
        self._settle()
        grids = [self._main] + ([self._alt] if self._alt is not None else [])
        return [(r.shown, r.mark) for grid in grids for r in grid if r.shown]

    def display(self) -> list:
        """The current screen's rows as text, right-stripped (like pyte's
        Screen.display); for comparisons and debugging."""
        return ["".join(r.cells).rstrip() for r in self.grid]

    def close(self) -> list:
        """End of stream: everything not yet returned, as finished."""
        self._settle()
        if self._alt is not None:
            for row in self._alt:
                self._retire(row)
        for row in self._main:
            self._retire(row)
        self._main = self._blank_grid()
        self._alt = None
        self.grid = self._main
        out, self._finished = self._finished, []
        return out

    def state(self) -> dict:
        """The renderer's state as plain values (rows as cell lists; the rows
        touched or erased since the last settle as (grid, index)): what a
        pickle holds, and how a native renderer and this one hand a live
        session to each other (load_state)."""
        grids = [self._main] + ([self._alt] if self._alt is not None else [])
        where = {id(r): (g, i) for g, grid in enumerate(grids) for i, r in enumerate(grid)}

        def row(r):
            return (list(r.cells), r.shown, r.mark, r.dirty, r.tmark, r.erased, getattr(r, "wrapped", False))

        return {
            "cols": self.cols,
            "rows": self.rows,
            "x": self.x,
            "y": self.y,
            "saved": tuple(self._saved),
            "saved_main": tuple(self._saved_main),
            "top": self.top,
            "bottom": self.bottom,
            "autowrap": self.autowrap,
            "utf8_carry": self._utf8_carry,
            "in_string": self._in_string,
            "string_esc": self._string_esc,
            "fed": self._fed,
            "carry": self._carry,
            "finished": list(self._finished),
            "mark": self._mark,
            "main": [row(r) for r in self._main],
            "alt": None if self._alt is None else [row(r) for r in self._alt],
            "touched": [where[id(r)] for r in self._touched if r.dirty and id(r) in where],
            "erased": [where[id(r)] for r in self._erased if r.erased and id(r) in where],
        }

    def load_state(self, st: dict) -> None:
        self.cols, self.rows = clamp_size(st["cols"], st["rows"])
        self._blank = [" "] * self.cols

        def grid(rows):
            out = []
            for cells, shown, mark, dirty, tmark, erased, *wrapped in rows:
                r = _Row(self.cols)
                r.cells, r.shown, r.mark, r.dirty, r.tmark, r.erased = list(cells), shown, mark, dirty, tmark, erased
                r.wrapped = bool(wrapped and wrapped[0])
                out.append(r)
            return out

        self._main = grid(st["main"])
        self._alt = None if st["alt"] is None else grid(st["alt"])
        self.grid = self._main if self._alt is None else self._alt
        grids = [self._main] + ([self._alt] if self._alt is not None else [])
        self._touched = [grids[g][i] for g, i in st["touched"]]
        self._erased = [grids[g][i] for g, i in st["erased"]]
        self.x, self.y = st["x"], st["y"]
        self._saved, self._saved_main = tuple(st["saved"]), tuple(st["saved_main"])
        self.top, self.bottom, self.autowrap = st["top"], st["bottom"], bool(st["autowrap"])
        self._utf8_carry, self._carry = st["utf8_carry"], st["carry"]
        self._in_string, self._string_esc, self._fed = st["in_string"], st["string_esc"], st["fed"]
        self._finished, self._mark = list(st["finished"]), st["mark"]
        self._wide = any(c == "" for g in grids for r in g for c in r.cells)

    # ------------------------------------------------------- finishing lines

    def _blank_grid(self):
        return [_Row(self.cols) for _ in range(self.rows)]

    def _retire(self, row: _Row) -> None:
        """The row leaves the screen: whatever it holds is finished now."""
        new, old = row.text(), row.shown
        out = self._finished
        if new and new != old:
            if old and same_line(old, new):
                out.append((new, row.tmark if row.tmark is not None else row.mark))
            else:
                if old:
                    out.append((old, row.mark))
                out.append((new, row.tmark if row.tmark is not None else row.mark))
        elif old:
            out.append((old, row.mark))
        row.shown, row.dirty, row.erased = "", False, False
        touched = self._touched
        if len(touched) > 4 * self.rows + 64:
            # Rows that left the screen need no judging: forget them, so a
            # chunk of a million lines holds a screenful of rows, not a
            # million (in place: feed() holds this list in a local).
            touched[:] = [r for r in touched if r.dirty]

    def _settle(self) -> None:
        """Judge every row changed since the last settle (see module doc)."""
        if not self._fed:
            return  # nothing happened since the last settle
        self._fed = False
        rows = self.grid
        changed = []
        blanked = []  # rows blank since this settle, their line pending
        replaced = []  # (old text, its mark) no longer held by its row
        touched, aging = self._touched[:], self._erased[:]
        self._touched.clear()  # (in place: feed() holds this list in a local)
        self._erased.clear()
        for row in touched:
            if not row.dirty:
                continue  # it left the screen meanwhile
            row.dirty = False
            tmark, row.tmark = row.tmark, None
            new = row.text()
            if new:
                row.erased = False
                if new != row.shown:
                    changed.append((row, new, tmark))
            elif row.shown:
                if row.erased:  # still blank a settle later: erased for good
                    replaced.append((row.shown, row.mark))
                    row.shown, row.mark, row.erased = "", None, False
                else:
                    # Blank now: its line stays pending one more settle, in
                    # case the redraw of this row arrives in the next chunk.
                    row.erased = True
                    self._erased.append(row)
                    blanked.append(row)
        for row in aging:  # blank since the previous settle and not touched since
            if row.erased:
                replaced.append((row.shown, row.mark))
                row.shown, row.mark, row.erased = "", None, False
        fresh = {}  # text -> row whose line began at this settle
        for row, new, tmark in changed:
            old = row.shown
            if old and same_line(old, new):
                # The line evolved: it points at its latest change, where all
                # of its text is on the screen (a search hit must not point
                # at a moment before the text was typed or streamed).
                row.shown = new
                if tmark is not None:
                    row.mark = tmark
                continue
            if old:
                replaced.append((old, row.mark))
            row.shown, row.mark = new, tmark
            fresh[new] = row
        if blanked and fresh:
            # A redraw that moved a line to another row and blanked the row
            # it was on (a full-screen program scrolling by repainting): the
            # line lives on in the row that now holds it, which keeps the mark
            # of where the line began; the blank row holds nothing pending.
            for row in blanked:
                old = row.shown
                for text, survivor in fresh.items():
                    if text.startswith(old):
                        survivor.mark = row.mark
                        row.shown, row.mark, row.erased = "", None, False
                        del fresh[text]
                        break
        if not replaced:
            return
        held_rows = [r for r in rows if r.shown]
        held = [r.shown for r in held_rows]
        # The first row that begins with a text, found by one C-level search
        # (rows never hold a newline: the one before the match tells the row).
        held_text = "\n" + "\n".join(held)
        for old, mark in replaced:
            # Text that a redraw moved to another row lives on there (and its
            # line began where the moved text began).
            at = held_text.find("\n" + old)
            index = -1 if at < 0 else held_text.count("\n", 0, at)
            survivor = None if index < 0 else held[index]
            if survivor is None:
                self._finished.append((old, mark))
            elif survivor in fresh:
                fresh.pop(survivor).mark = mark
            elif survivor == old and _earlier(mark, held_rows[index].mark):
                # The same line drawn again in another row before this copy
                # went away (a repaint spread over chunks): it has been there,
                # whole, since the earlier mark.
                held_rows[index].mark = mark

    # ---------------------------------------------------------------- parsing

    def _keep_incomplete_tail(self, text: str) -> str:
        """Hold back an escape sequence cut off by the end of the chunk."""
        last = text.rfind("\x1b")
        if last < 0 or (last < len(text) - 2 and text[last + 1] == "[" and "@" <= text[-1] <= "~"):
            return text  # no ESC, or the last one begins a finished CSI
        starts = [last]
        if last == len(text) - 1:  # maybe the ESC of an ST ending a string
            before = text.rfind("\x1b", 0, last)
            if before >= 0:
                starts.insert(0, before)
        for start in starts:
            if _INCOMPLETE.match(text, start):
                if start + 1 < len(text) and text[start + 1] in "]PX^_":
                    # A string (title, hyperlink, DCS...): its body has no
                    # effect on text, so it is never carried, whatever its
                    # size; the next chunks are skipped up to its end.
                    self._in_string = True
                    self._string_esc = text.endswith("\x1b")
                elif len(text) - start <= _MAX_CARRY:
                    self._carry = text[start:]
                return text[:start]
        return text

    def _skip_string_body(self, text: str) -> str:
        """Inside a string cut off by an earlier chunk: drop `text` up to the
        string's end (tests/test_hardening_stream.py::test_unterminated_string_is_dropped)."""
        if self._string_esc and text.startswith("\\"):
            self._in_string = self._string_esc = False
            return text[1:]
        self._string_esc = False
        m = _STRING_END.search(text)
        if m is None:
            self._string_esc = text.endswith("\x1b")
            return ""
        self._in_string = False
        if m.group() == "\x1b":  # an ESC that is not ST aborts the string and begins a sequence
            return text[m.start() :]
        return text[m.end() :]

    def _control(self, tok: str) -> None:
        if tok == "\r\n":
            self.x = 0
            self._linefeed()
        elif tok == "\r":
            self.x = 0
        elif tok in "\n\x0b\x0c":
            self._linefeed()
        elif tok == "\x08":
            self._cub("")
        elif tok == "\t":
            self._cht("")

    def _dispatch_csi(self, params: str, final: str) -> None:
        if params:
            lead = params[0]
            if lead == "?":
                if final in "hl" and params not in _UNMODELLED_MODES:
                    self._private_mode(params[1:], final == "h")
                return
            if lead in "<=>" or params[-1] in " !\"#$%&'()*+,-./":
                return  # private-prefixed or intermediate-byte sequences: no text effect
        handler = _CSI_HANDLERS.get(final)
        if handler is not None:
            handler(self, params)

    def _esc(self, ch: str) -> None:
        if ch == "7":
            self._save("")
        elif ch == "8":
            self._restore("")
        elif ch == "D":
            self._linefeed()
        elif ch == "E":
            self.x = 0
            self._linefeed()
        elif ch == "M":
            self._reverse_index()
        elif ch == "c":
            self._reset()

    @staticmethod
    def _ints(params: str, default: int = 1) -> list:
        out = []
        for p in params.replace(":", ";").split(";"):
            out.append(_num(p) if p.isdigit() else default)
        return out

    @staticmethod
    def _n(params: str, default: int = 1) -> int:
        """The first parameter; 0 or missing means the default."""
        if not params:
            return default
        first = params.split(";", 1)[0]
        n = _num(first) if first.isdigit() else 0
        return n or default

    # ---------------------------------------------------------------- drawing

    def _touch(self, row: _Row) -> None:
        """The row's cells change: new content begins in this chunk."""
        if row.tmark is None:
            row.tmark = self._mark
        if not row.dirty:
            row.dirty = True
            self._touched.append(row)

    def _draw(self, run: str) -> None:
        if not run.isascii() and not _all_narrow(run):
            self._draw_wide(run)
            return
        cols = self.cols
        # An index into `run`, never `run = run[n:]`: a line of N characters
        # without a newline wraps N/cols times, and copying the rest each time
        # made it quadratic (tests/test_hardening_stream.py::test_linear_in_chunk_size).
        i, total = 0, len(run)
        while i < total:
            if self.x >= cols:
                if self.autowrap:
                    self.grid[self.y].wrapped = True
                    self.x = 0
                    self._linefeed()
                else:
                    self.x = cols - 1
            x = self.x
            row = self.grid[self.y]
            self._touch(row)
            cells = row.cells
            n = cols - x
            if total - i <= n:
                piece = run[i:] if i else run
                n = len(piece)
                i = total
            elif self.autowrap:
                piece = run[i : i + n]
                i += n
            else:  # the excess overwrites the last column, one by one
                piece = run[i : i + n - 1] + run[-1]
                i = total
            if cells[x] == "" and x > 0:
                cells[x - 1] = " "  # overwrote the right half of a wide character
            end = x + n
            cells[x:end] = piece
            if end < cols and cells[end] == "":
                cells[end] = " "  # overwrote the left half of a wide character
            self.x = end

    def _draw_wide(self, run: str) -> None:
        """Slow path, character by character, for runs holding wide or
        zero-width characters."""
        cols = self.cols
        for ch in run:
            w = char_width(ch)
            if w == 0:
                if unicodedata.combining(ch) and self.x > 0:
                    row = self.grid[self.y]
                    x = min(self.x, cols) - 1
                    if row.cells[x] == "" and x > 0:
                        x -= 1
                    if len(row.cells[x]) >= _MAX_CELL:
                        continue  # 100,000 marks on one base must not be quadratic
                    row.cells[x] = unicodedata.normalize("NFC", row.cells[x] + ch)
                    self._touch(row)
                continue  # other zero-width characters (ZWJ, variation selectors) vanish
            if self.x >= cols:
                if self.autowrap:
                    self.grid[self.y].wrapped = True
                    self.x = 0
                    self._linefeed()
                else:
                    self.x = cols - w
            row = self.grid[self.y]
            self._touch(row)
            cells, x = row.cells, self.x
            if cells[x] == "" and x > 0:
                cells[x - 1] = " "
            cells[x] = ch
            if w == 2 and x + 1 < cols:
                cells[x + 1] = ""
                self._wide = True
            end = x + w
            if end < cols and cells[end] == "":
                cells[end] = " "
            self.x = min(end, cols)

    # ------------------------------------------------------------- scrolling

    def _linefeed(self) -> None:
        if self.y == self.bottom:
            self._scroll_up(1)
        elif self.y < self.rows - 1:
            self.y += 1

    def _reverse_index(self) -> None:
        if self.y == self.top:
            self._scroll_down(1)
        elif self.y > 0:
            self.y -= 1

    def _scroll_up(self, n: int, top: int = None) -> None:
        """Rows leave at `top` (default: the scroll region's top), blank rows
        enter at the region's bottom."""
        top = self.top if top is None else top
        grid, bottom = self.grid, self.bottom
        if n == 1:  # a line feed at the bottom: the commonest case by far
            self._retire(grid.pop(top))
            grid.insert(bottom, _Row(self.cols))
            return
        n = min(n, bottom - top + 1)
        for _ in range(n):
            self._retire(grid.pop(top))
            grid.insert(bottom, _Row(self.cols))

    def _scroll_down(self, n: int, top: int = None) -> None:
        top = self.top if top is None else top
        grid, bottom = self.grid, self.bottom
        n = min(n, bottom - top + 1)
        for _ in range(n):
            self._retire(grid.pop(bottom))
            grid.insert(top, _Row(self.cols))

    # -------------------------------------------------------- CSI handlers

    def _cuu(self, p):
        top = self.top if self.y >= self.top else 0
        self.y = max(top, self.y - self._n(p))
        self.x = min(self.x, self.cols - 1)

    def _cud(self, p):
        bottom = self.bottom if self.y <= self.bottom else self.rows - 1
        self.y = min(bottom, self.y + self._n(p))
        self.x = min(self.x, self.cols - 1)

    def _cuf(self, p):
        self.x = min(self.cols - 1, self.x + self._n(p))

    def _cub(self, p):
        x = min(self.x, self.cols - 1)  # a pending wrap counts as the last column
        self.x = max(0, x - self._n(p))

    def _cnl(self, p):
        self._cud(p)
        self.x = 0

    def _cpl(self, p):
        self._cuu(p)
        self.x = 0

    def _cha(self, p):
        self.x = min(self.cols, self._n(p)) - 1

    def _vpa(self, p):
        self.y = min(self.rows, self._n(p)) - 1
        self.x = min(self.x, self.cols - 1)

    def _cup(self, p):
        nums = self._ints(p) if p else [1, 1]
        row = nums[0] or 1
        col = (nums[1] or 1) if len(nums) > 1 else 1
        self.y = min(self.rows, row) - 1
        self.x = min(self.cols, col) - 1

    def _cht(self, p):
        for _ in range(min(self._n(p), self.cols)):
            self.x = min(self.cols - 1, (self.x // 8 + 1) * 8)

    def _cbt(self, p):
        for _ in range(min(self._n(p), self.cols)):
            self.x = max(0, (min(self.x, self.cols - 1) - 1) // 8 * 8)

    def _erase(self, row: _Row, start: int, end: int) -> None:
        cells = row.cells
        end = min(end, self.cols)
        if start >= end:
            return
        if end == self.cols:
            row.wrapped = False
        if start == 0 and end == self.cols:
            row.tmark = None  # fresh content written later begins a new line
        elif row.tmark is None:
            row.tmark = self._mark
        if start > 0 and cells[start] == "":
            cells[start - 1] = " "
        if end < self.cols and cells[end] == "":
            cells[end] = " "
        cells[start:end] = " " * (end - start)
        if not row.dirty:
            row.dirty = True
            self._touched.append(row)

    def _el(self, p):
        how = self._n(p, 0) if p else 0
        x, cols = self.x, self.cols  # x == cols (wrap pending): nothing right of it
        row = self.grid[self.y]
        if how == 0:
            self._erase(row, x, cols)
        elif how == 1:
            self._erase(row, 0, x + 1)
        elif how == 2:
            self._erase(row, 0, cols)

    def _ed(self, p):
        how = self._n(p, 0) if p else 0
        grid, cols = self.grid, self.cols
        if how == 0:
            self._el("0")
            rows = grid[self.y + 1 :]
        elif how == 1:
            self._el("1")
            rows = grid[: self.y]
        else:  # 2, and 3 (xterm: scrollback) as pyte does
            rows = grid
        for row in rows:
            self._erase(row, 0, cols)

    def _ech(self, p):
        x = self.x  # x == cols (wrap pending): nothing to erase, as in pyte
        self._erase(self.grid[self.y], x, x + self._n(p))

    def _ich(self, p):
        row, x = self.grid[self.y], self.x
        if x >= self.cols:
            return  # wrap pending: nothing right of the cursor (as pyte)
        n = min(self._n(p), self.cols - x)
        self._touch(row)
        cells = row.cells
        cells[x:x] = " " * n
        del cells[self.cols :]

    def _dch(self, p):
        row, x = self.grid[self.y], self.x
        if x >= self.cols:
            return  # wrap pending: nothing right of the cursor (as pyte)
        n = min(self._n(p), self.cols - x)
        self._touch(row)
        cells = row.cells
        del cells[x : x + n]
        cells.extend(" " * n)

    def _il(self, p):
        if self.top <= self.y <= self.bottom:
            self._scroll_down(self._n(p), top=self.y)
            self.x = 0

    def _dl(self, p):
        if self.top <= self.y <= self.bottom:
            self._scroll_up(self._n(p), top=self.y)
            self.x = 0

    def _su(self, p):
        self._scroll_up(self._n(p))

    def _sd(self, p):
        self._scroll_down(self._n(p))

    def _stbm(self, p):
        nums = self._ints(p, 0) if p else [0, 0]
        top = (nums[0] or 1) - 1
        bottom = ((nums[1] if len(nums) > 1 else 0) or self.rows) - 1
        bottom = min(bottom, self.rows - 1)
        if top < bottom:
            self.top, self.bottom = top, bottom
            self.x = self.y = 0

    def _save(self, p):
        self._saved = (self.x, self.y)

    def _restore(self, p):
        x, y = self._saved
        self.x, self.y = min(x, self.cols - 1), min(y, self.rows - 1)

    # ------------------------------------------------------ modes and resets

    def _private_mode(self, params: str, on: bool) -> None:
        for mode in params.split(";"):
            if mode in ("1049", "1047", "47"):
                self._alternate(on, save_cursor=(mode == "1049"))
            elif mode == "1048":
                self._save("") if on else self._restore("")
            elif mode == "7":
                self.autowrap = on

    def _alternate(self, on: bool, save_cursor: bool) -> None:
        """The alternate screen is a separate grid; what it showed was seen,
        so its rows are finished when it is left."""
        if on == (self._alt is not None):
            return
        self._settle()
        if on:
            if save_cursor:
                self._saved_main = (self.x, self.y)
            self._alt = self._blank_grid()
            self.grid = self._alt
        else:
            for row in self._alt:
                self._retire(row)
            self._alt = None
            self.grid = self._main
            if save_cursor:  # (within a grid resized meanwhile)
                x, y = self._saved_main
                self.x, self.y = min(x, self.cols), min(y, self.rows - 1)
        self.top, self.bottom = 0, self.rows - 1
        self._fed = True  # the rest of this chunk goes to the other grid

    def _reset(self) -> None:
        if self._alt is not None:
            self._alternate(False, save_cursor=False)
        self._ed("2")
        self.x = self.y = 0
        self.top, self.bottom = 0, self.rows - 1
        self.autowrap = True

    def _resize_grid(self, grid: list, cols: int, rows: int) -> None:
        for row in grid:
            if cols < self.cols:
                if "".join(row.cells[cols:]).strip():
                    self._retire(row)  # the cut text was seen whole
                    row.shown = "".join(row.cells[:cols]).rstrip()
                del row.cells[cols:]
                if row.cells and row.cells[-1] == "":
                    row.cells[-1] = " "
            else:
                row.cells.extend(" " * (cols - self.cols))
        while len(grid) > rows:
            # Drop blank rows below the cursor first, then rows off the top.
            if grid is self.grid and len(grid) - 1 > self.y and not grid[-1].text() and not grid[-1].shown:
                grid.pop()
            else:
                self._retire(grid.pop(0))
                if grid is self.grid:
                    self.y = max(0, self.y - 1)
        while len(grid) < rows:
            grid.append(_Row(cols))


# CSI final byte -> handler (a module-level table: a pickled renderer, which the
# indexer keeps for live sessions, carries no bound methods).
_CSI_HANDLERS = {
    final: getattr(ScreenText, name)
    for final, name in {
        "A": "_cuu",
        "B": "_cud",
        "e": "_cud",
        "C": "_cuf",
        "a": "_cuf",
        "D": "_cub",
        "E": "_cnl",
        "F": "_cpl",
        "G": "_cha",
        "`": "_cha",
        "H": "_cup",
        "f": "_cup",
        "d": "_vpa",
        "J": "_ed",
        "K": "_el",
        "@": "_ich",
        "P": "_dch",
        "X": "_ech",
        "L": "_il",
        "M": "_dl",
        "S": "_su",
        "T": "_sd",
        "r": "_stbm",
        "s": "_save",
        "u": "_restore",
        "I": "_cht",
        "Z": "_cbt",
    }.items()
}
_CSI_FINALS = frozenset(_CSI_HANDLERS)


# ------------------------------------------------------------ the selection
# The native core (cs/index/_screen.c, built by `pip install` when a C compiler
# is there) renders exactly what ScreenText renders, many times faster;
# ScreenText stays the reference (tests/test_screen_native.py). This is the one
# place that chooses: `Screen` is what the indexer, `cs show` and `cs tail`
# use; CS_PURE_PYTHON=1 forces the reference.


def _restore(state: dict):
    """A renderer from a state() dict (how both implementations unpickle a
    native renderer: into whichever one this process uses)."""
    screen = Screen(state["cols"], state["rows"])
    screen.load_state(state)
    return screen


def _load_native():
    if os.environ.get("CS_PURE_PYTHON") == "1":
        return None
    try:
        from cs.index import _screen
    except ImportError:
        return None
    _screen.setup(same_line, char_width, unicodedata.combining, lambda s: unicodedata.normalize("NFC", s), _restore)
    return _screen.Screen


NativeScreenText = _load_native()
Screen = NativeScreenText or ScreenText
