"""Input keystrokes -> the lines the user submitted.

Models a line editor at its simplest: typed characters append, Enter (CR or
LF) submits (after a backslash, or as Alt/Shift-Enter, it adds a newline to
the line instead, as in Claude Code's prompt and shell continuations), backspace (DEL or ^H) deletes a character, Ctrl-U kills the line,
Ctrl-W kills the previous word, Ctrl-C abandons the line. Bracketed paste
(ESC[200~ ... ESC[201~) is text, newlines included: a multi-line paste is part
of one submission, as Claude Code treats it. Arrow keys and other escape
sequences (CSI, SS3, Alt-key) are ignored, and so are the terminal's replies
that arrive on the same stream (device attributes, cursor position reports,
focus events, DCS strings such as tmux's XTVERSION, OSC colour replies,
mouse reports). Cursor movement inside the line is not modelled: keys are
assumed to act at the end of the line.

A lone ESC at the very end of a chunk is the Escape key itself (terminals send
an escape sequence in one write), so the next chunk starts fresh; any other
sequence cut by a chunk boundary is completed from the next chunk.
"""

import re

from cs.log.utf8 import decode_chunk

_SEQUENCE = re.compile(
    r"(\x1b\[M[\s\S]{3}"  # X10 mouse report: three raw bytes follow
    r"|\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: keys, paste brackets, replies
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC reply (BEL or ST)
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS/SOS/PM/APC reply
    r"|\x1bO[\s\S]"  # SS3: F1-F4, application-mode arrows
    r"|\x1b[\s\S]?"  # Alt-key, or a lone ESC
    r"|[\x00-\x1f\x7f])"  # a control key
)
# A sequence cut off by the end of a chunk (completed by the next one).
_INCOMPLETE = re.compile(r"\x1b(?:\[M[\s\S]{0,2}|\[[0-?]*[ -/]*|\][^\x07\x1b]*\x1b?|[PX^_][^\x1b]*\x1b?|O)?\Z")
_MAX_CARRY = 1 << 16
_PASTE_START, _PASTE_END = "\x1b[200~", "\x1b[201~"
# Keyboard protocols that encode keys as CSI (kitty "CSI code;mods u",
# xterm modifyOtherKeys "CSI 27;mods;code ~"): the codes we act on.
# (At most 7 digits: a key code is below 0x110000; longer numbers are not keys.)
_KEY_CODE = re.compile(r"\x1b\[(\d{1,7})(?:;(\d{1,7}))?u\Z|\x1b\[27;(\d{1,7});(\d{1,7})~\Z")


class InputLines:
    def __init__(self):
        self._buf = []
        self._mark = None
        self._in_paste = False
        self._after_cr = False  # inside a paste: the last key was CR
        self._carry = ""
        self._utf8_carry = b""

    def feed(self, data: bytes, mark=None) -> list:
        """(text, mark) for each line submitted (Enter) within this chunk."""
        text = self._decode(data)
        if self._carry:
            if self._carry == "\x1b" and text and text[0] not in "[]OPX^_":
                self._carry = ""  # the Escape key pressed on its own
            text = self._carry + text
            self._carry = ""
        text = self._keep_incomplete_tail(text)
        out = []
        parts = _SEQUENCE.split(text)
        for i, part in enumerate(parts):
            if not part:
                continue
            if i % 2 == 0:
                self._type(part, mark)
            else:
                self._key(part, mark, out)
        return out

    def close(self) -> list:
        """End of stream: a typed but unsubmitted line, if any."""
        text = "".join(self._buf)
        out = [(text, self._mark)] if text.strip() else []
        self._buf, self._mark, self._in_paste = [], None, False
        return out

    # ------------------------------------------------------------------

    def _decode(self, data: bytes) -> str:
        """UTF-8 with a character split across chunks carried to the next."""
        text, self._utf8_carry = decode_chunk(self._utf8_carry, data)
        return text

    def _keep_incomplete_tail(self, text: str) -> str:
        last = text.rfind("\x1b")
        if last < 0:
            return text
        starts = [last]
        if last == len(text) - 1:  # maybe the ESC of an ST ending a string
            before = text.rfind("\x1b", 0, last)
            if before >= 0:
                starts.insert(0, before)
        for start in starts:
            if _INCOMPLETE.match(text, start):
                if len(text) - start <= _MAX_CARRY:
                    self._carry = text[start:]
                return text[:start]
        return text

    def _type(self, text: str, mark) -> None:
        self._after_cr = False
        if not self._buf:
            self._mark = mark
        self._buf.append(text)

    def _submit(self, out: list, mark=None) -> None:
        """The line is submitted; its mark is the chunk of the Enter key (the
        moment the whole line existed), else where its typing began."""
        text = "".join(self._buf)
        if text.strip():
            out.append((text, mark if mark is not None else self._mark))
        self._buf, self._mark = [], None

    def _key(self, seq: str, mark, out: list) -> None:
        if self._in_paste:
            after_cr = self._after_cr
            if seq == _PASTE_END:
                self._in_paste = False
            elif seq == "\r" or (seq == "\n" and not after_cr):  # CRLF is one newline
                self._type("\n", mark)
            elif seq == "\t":
                self._type("\t", mark)
            self._after_cr = seq == "\r"
            return
        if seq == _PASTE_START:
            self._in_paste = True
        elif seq in ("\r", "\n"):
            if self._buf and self._buf[-1].endswith("\\"):
                # Backslash-Enter continues the line (a newline in Claude Code,
                # a continuation line in shells): not a submission.
                self._buf[-1] = self._buf[-1][:-1]
                self._type("\n", mark)
            else:
                self._submit(out, mark)
        elif seq in ("\x1b\r", "\x1b\n"):
            self._type("\n", mark)  # Alt/Shift-Enter: a newline inside the prompt
        elif seq in ("\x7f", "\x08"):
            self._backspace()
        elif seq == "\x15":  # Ctrl-U: kill the line
            self._buf, self._mark = [], None
        elif seq == "\x17":  # Ctrl-W: kill the previous word
            text = "".join(self._buf).rstrip(" ")
            cut = text.rfind(" ") + 1
            self._buf = [text[:cut]] if cut else []
            if not self._buf:
                self._mark = None
        elif seq == "\x03":  # Ctrl-C: the line is abandoned
            self._buf, self._mark = [], None
        elif seq.startswith("\x1b["):
            self._protocol_key(seq, mark, out)

    def _protocol_key(self, seq: str, mark, out: list) -> None:
        """Keys sent as CSI by the kitty keyboard protocol or xterm's
        modifyOtherKeys (a program may turn these on)."""
        m = _KEY_CODE.match(seq)
        if not m:
            return
        if m.group(1):
            code, mods = int(m.group(1)), int(m.group(2) or 1)
        else:
            mods, code = int(m.group(3)), int(m.group(4))
        if mods not in (1, 2):  # only unmodified or shifted keys type text
            return
        if code == 13:
            if mods == 2:
                self._type("\n", mark)  # Shift-Enter: a newline inside the prompt
            else:
                self._submit(out, mark)
        elif code in (127, 8):
            self._backspace()
        elif code >= 32 and code != 127:
            if code < 0x110000:
                self._type(chr(code), mark)

    def _backspace(self) -> None:
        text = "".join(self._buf)[:-1]
        self._buf = [text] if text else []
        if not text:
            self._mark = None
