"""A session's output bytes as they may be shown again: secrets redacted.

Everything that plays the raw output stream back -- `cs replay`, `cs tail`,
the asciicast and HTML exports, the web player and its live view -- passes
it through a `RedactedStream`: the configured cs.redact.StreamRedactor (the
one stream redaction, on UTF-8 text; bytes that are not UTF-8 pass through
unchanged), told the terminal's width by the log's start line and its
resizes, so that a secret a TUI wrapped onto the next row is hidden on both.
Escape sequences pass intact, so a replay's seek and repaints still work;
text that may be the first part of a secret is held back until the next
chunk shows how it goes on (`flush` gives it up: at the end, after a seek,
or when a live session goes quiet). `raw=True` (`--raw`) passes the bytes
unchanged. Tests: tests/test_secrets_everywhere.py, tests/test_redact.py.
"""

from cs import config
from cs.log.utf8 import split_incomplete_tail


def start_width(start: dict) -> int:
    """The terminal's width in a start line (80 when it has none)."""
    cols = (start or {}).get("cols")
    return cols if isinstance(cols, int) and cols > 0 else 80


class RedactedStream:
    """Output bytes in, the same bytes with secrets redacted out (see module doc)."""

    def __init__(self, start: dict = None, raw: bool = False, settings=None):
        self.redactor = config.stream_redactor(settings)
        self.redactor.resize(start_width(start))
        self.active = not raw and self.redactor.redactor.enabled
        self._carry = b""  # a UTF-8 character cut between two chunks

    def feed(self, data: bytes) -> bytes:
        if not self.active:
            return data
        complete, self._carry = split_incomplete_tail(self._carry + data if self._carry else data)
        return self.redactor.feed(complete.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def flush(self) -> bytes:
        """Everything held back, redacted as it stands."""
        if not self.active:
            return b""
        rest, self._carry = self._carry, b""
        text = self.redactor.feed(rest.decode("utf-8", "surrogateescape")) + self.redactor.flush()
        return text.encode("utf-8", "surrogateescape")

    def resize(self, cols) -> None:
        self.redactor.resize(cols)

    def snapshot(self) -> dict:
        """What comes next depends on, as JSON data (cs.redact.StreamRedactor.snapshot,
        and a UTF-8 character cut between two chunks)."""
        return {"stream": self.redactor.snapshot(), "carry": self._carry.hex()}

    def restore(self, state: dict) -> None:
        self.redactor.restore(state["stream"])
        self._carry = bytes.fromhex(state["carry"])

    def repaint(self, paint: bytes, cols: int) -> bytes:
        """A seek's repaint (a whole screen, from nothing): what was held for
        the old position is dropped; the repaint is redacted whole."""
        self.redactor.reset()
        self._carry = b""
        self.resize(cols)
        return self.feed(paint) + self.flush()
