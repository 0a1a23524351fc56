"""What a replay writes to the user's terminal, and what it must undo.

* `ScreenModel`: the recorded terminal at a moment (avt, the emulator of
  asciinema's player, via pyavt: about 100 MB/s of Claude Code output), and
  `repaint()`: a compact byte string that brings a terminal of the same size
  to that state (both screens, alternate screen, cursor, scroll region and the
  modes that show) in plain 7-bit sequences any xterm-like terminal (and pyte)
  understands. tests/test_playback_seek.py compares it with pyte fed the whole
  prefix.
* `QueryFilter`: removes from the recorded output the queries a terminal
  answers (device attributes, XTVERSION, cursor position and status reports,
  mode reports, colour and clipboard queries, terminfo requests, window
  reports, ENQ) and clipboard writes, so that no answer lands in the user's
  input (tests/test_playback_replay.py).
* `ModeTracker`: the modes the written bytes switched on (alternate screen,
  hidden cursor, mouse reporting, bracketed paste, focus events, application
  keypad and cursor keys, keyboard protocols, cursor shape, insert mode,
  scroll region...) and `restore()`: the bytes that switch them off again.
"""

import codecs
import re

import avt

# ------------------------------------------------------------------ queries

_QUERY = re.compile(
    rb"\x1b\[[>=]?0?c"  # DA1, DA2, DA3
    rb"|\x1b\[>0?q"  # XTVERSION
    rb"|\x1b\[\??\d*n"  # DSR, CPR, DECXCPR, ?996n colour scheme...
    rb"|\x1b\[\??[\d;]*\$p"  # DECRQM
    rb"|\x1b\[(?:1[1345689]|2[012])(?:;\d*)*t"  # XTWINOPS reports
    rb"|\x1b\[\?u"  # kitty keyboard flags query
    rb"|\x1b\[\?[\d;]*m"  # XTQMODKEYS
    rb"|\x1b\[[01]?x"  # DECREQTPARM
    rb"|\x1b\](?:52;[^\x07\x1b]*|\d+(?:;[^\x07\x1b;]*)*;\?)(?:\x07|\x1b\\)"  # OSC queries, clipboard
    rb"|\x1bP[+$]q[^\x1b]*\x1b\\"  # XTGETTCAP, DECRQSS
    rb"|\x05"  # ENQ (answerback)
)
# An escape sequence cut off at the end of a chunk: held until the next one.
_INCOMPLETE = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|P[^\x1b]*\x1b?)?\Z")
_MAX_HELD = 1 << 16


class QueryFilter:
    """Feed output chunks, get them back without queries (see module doc)."""

    def __init__(self):
        self._held = b""

    def feed(self, data: bytes) -> bytes:
        if self._held:
            data = self._held + data
            self._held = b""
        last = data.rfind(b"\x1b", max(0, len(data) - _MAX_HELD))
        if last >= 0 and _INCOMPLETE.match(data, last):
            self._held, data = data[last:], data[:last]
        return _QUERY.sub(b"", data)

    def flush(self) -> bytes:
        held, self._held = self._held, b""
        return _QUERY.sub(b"", held)


def strip_queries(data: bytes) -> bytes:
    return _QUERY.sub(b"", data)


# -------------------------------------------------------------------- modes

# Private modes a recording may switch on, with the value to restore.
_PRIVATE_OFF = {
    "1": "l",
    "5": "l",
    "6": "l",
    "12": "l",
    "25": "h",
    "7": "h",
    "47": "l",
    "66": "l",
    "1000": "l",
    "1001": "l",
    "1002": "l",
    "1003": "l",
    "1004": "l",
    "1005": "l",
    "1006": "l",
    "1015": "l",
    "1016": "l",
    "1047": "l",
    "1049": "l",
    "2004": "l",
    "2026": "l",
    "2031": "l",
    "1036": "l",
    "1007": "l",
    "9": "l",
}
_MODE_SEQ = re.compile(
    rb"\x1b\[\?([\d;]+)([hl])"  # private modes
    rb"|\x1b([=>])"  # keypad application / normal
    rb"|\x1b\[([>=<])(\d*)(?:;\d*)*u"  # kitty keyboard push / set / pop
    rb"|\x1b\[>4(?:;(\d*))?m"  # xterm modifyOtherKeys
    rb"|\x1b\[(\d*) q"  # cursor shape
    rb"|\x1b\[([\d;]*)r"  # scroll region
    rb"|\x1b\[4([hl])"  # insert mode
    rb"|\x1b[()]0"  # line drawing charset
)


class ModeTracker:
    """Watches what was written; `restore()` undoes what is still on."""

    def __init__(self):
        self.private = {}  # mode -> "h"/"l", last seen
        self.keypad_app = False
        self.kitty_depth = 0
        self.modify_other_keys = False
        self.cursor_shape = False
        self.scroll_region = False
        self.insert = False
        self.charset = False

    def feed(self, data: bytes) -> None:
        if b"\x1b" not in data:
            return
        for m in _MODE_SEQ.finditer(data):
            modes, hl, keypad, kitty, _n, mok, shape, region, irm = m.groups()
            if modes is not None:
                for mode in modes.decode().split(";"):
                    if mode in _PRIVATE_OFF:
                        self.private[mode] = hl.decode()
            elif keypad is not None:
                self.keypad_app = keypad == b"="
            elif kitty is not None:
                if kitty == b">":
                    self.kitty_depth += 1
                elif kitty == b"<":
                    self.kitty_depth = max(0, self.kitty_depth - 1)
                else:
                    self.kitty_depth = max(self.kitty_depth, 1)
            elif m.group(0).startswith(b"\x1b[>4"):
                self.modify_other_keys = bool(mok and mok != b"0")
            elif shape is not None:
                self.cursor_shape = True
            elif region is not None:
                self.scroll_region = region not in (b"", b";")
            elif irm is not None:
                self.insert = irm == b"h"
            else:
                self.charset = True

    def restore(self) -> bytes:
        """Bytes that switch off what the written stream left on. The
        alternate screen is left first, so the rest applies to the main one."""
        out = []
        for alt in ("1049", "1047", "47"):
            if self.private.get(alt) == "h":
                out.append(f"\x1b[?{alt}l")
        for mode, value in self.private.items():
            if mode not in ("1049", "1047", "47") and value != _PRIVATE_OFF[mode]:
                out.append(f"\x1b[?{mode}{_PRIVATE_OFF[mode]}")
        if self.keypad_app:
            out.append("\x1b>")
        out.extend("\x1b[<u" for _ in range(min(self.kitty_depth, 32)))
        if self.modify_other_keys:
            out.append("\x1b[>4m")
        if self.cursor_shape:
            out.append("\x1b[0 q")
        if self.scroll_region:
            out.append("\x1b7\x1b[r\x1b8")
        if self.insert:
            out.append("\x1b[4l")
        if self.charset:
            out.append("\x1b(B\x1b)B")
        out.append("\x1b[0m")
        return "".join(out).encode()


# ------------------------------------------------------------------- screen

_C1_CSI = "\x9b"
_REP = re.compile(r"(?s)(.)\x1b\[(\d*)b")
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def _plain_dump(dump: str) -> str:
    """avt's dump in sequences every terminal knows: 7-bit CSI, repeats
    written out, SGR colour parameters with semicolons, tab stops set with
    TBC/HTS, and a cleared alternate screen."""
    text = dump.replace(_C1_CSI, "\x1b[")
    # Tab stops: clear all / set here as TBC and HTS (older than avt's CTC).
    text = text.replace("\x1b[5W", "\x1b[3g").replace("\x1b[W", "\x1bH")
    # avt leaves out trailing blank rows: clear the alternate screen first.
    text = text.replace("\x1b[?1047h", "\x1b[?1047h\x1b[2J")
    text = _REP.sub(lambda m: m.group(1) * (1 + int(m.group(2) or 1)), text)
    return _SGR.sub(lambda m: "\x1b[" + m.group(1).replace(":", ";") + "m", text)


class ScreenModel:
    """The recorded terminal, fed with output bytes and resizes."""

    def __init__(self, cols: int = 80, rows: int = 24):
        self.vt = avt.Vt(max(1, cols), max(1, rows))
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")

    @property
    def size(self):
        return self.vt.size

    def feed(self, data: bytes) -> None:
        text = self._decoder.decode(data)
        if text:
            self.vt.feed_str(text)

    def resize(self, cols: int, rows: int) -> None:
        if (cols, rows) != tuple(self.vt.size):
            self.vt.resize(max(1, cols), max(1, rows))

    def text(self) -> list:
        return self.vt.text()

    def repaint(self) -> bytes:
        """Bytes that rebuild this state on a terminal of the same size, from
        whatever it showed (main screen, default modes)."""
        return ("\x1b[0m\x1b[H\x1b[2J" + _plain_dump(self.vt.dump())).encode("utf-8")
