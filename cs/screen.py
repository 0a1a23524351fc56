"""Terminal output -> the lines a person saw.

INTERFACE STUB: the real screen-grid renderer replaces this implementation; the
class and method signatures below are the contract the indexer codes against.
"""

import re

_ESC_RE = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


class ScreenText:
    """Feed output chunks; collect rendered lines with the mark of the chunk in
    which each line began (the indexer passes (segment, offset, timestamp))."""

    def __init__(self, cols: int = 80, rows: int = 24):
        self.cols, self.rows = cols, rows
        self._current = ""
        self._mark = None
        self._finished = []

    def resize(self, cols: int, rows: int) -> None:
        self.cols, self.rows = cols, rows

    def feed(self, data: bytes, mark=None) -> None:
        text = _ESC_RE.sub(b"", data).decode("utf-8", "replace")
        for ch in text:
            if self._mark is None:
                self._mark = mark
            if ch == "\n":
                self._finish()
            elif ch == "\r":
                pass
            else:
                self._current += ch

    def _finish(self):
        if self._current.strip():
            self._finished.append((self._current.rstrip(), self._mark))
        self._current, self._mark = "", None

    def pop_finished(self) -> list:
        """(text, mark) for lines that left the screen since the last call."""
        out, self._finished = self._finished, []
        return out

    def visible(self) -> list:
        """(text, mark) for non-empty rows still on screen, top to bottom."""
        return [(self._current.rstrip(), self._mark)] if self._current.strip() else []

    def close(self) -> list:
        """End of stream: everything not yet returned, as finished."""
        self._finish()
        return self.pop_finished()
