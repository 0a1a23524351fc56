"""Input keystrokes -> the lines the user submitted.

INTERFACE STUB: the real implementation (backspace, Ctrl-U/W, bracketed paste,
terminal replies ignored) replaces this; the signatures are the contract.
"""


class InputLines:
    def __init__(self):
        self._buf = ""
        self._mark = None

    def feed(self, data: bytes, mark=None) -> list:
        """(text, mark) for each line submitted (Enter) within this chunk."""
        out = []
        for ch in data.decode("utf-8", "replace"):
            if self._mark is None:
                self._mark = mark
            if ch in "\r\n":
                if self._buf.strip():
                    out.append((self._buf, self._mark))
                self._buf, self._mark = "", None
            elif ch == "\x7f":
                self._buf = self._buf[:-1]
            elif ch >= " ":
                self._buf += ch
        return out

    def close(self) -> list:
        """End of stream: a typed but unsubmitted line, if any."""
        out = [(self._buf, self._mark)] if self._buf.strip() else []
        self._buf, self._mark = "", None
        return out
