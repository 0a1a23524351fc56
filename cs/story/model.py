"""The one type of the story of a session.

An `Entry` is one thing that happened: its time (RFC 3339, the recording's or
the transcript's), its kind, where it was told (the screen, the transcript, or
both), its text (secrets redacted when the story was built so), and the
position in the recording a player opens at (segment, byte offset), None when
the recording has none (a transcript-only session).
"""

PROMPT = "prompt"  # what the user asked (typed, or the transcript's prompt)
REPLY = "reply"  # the model's answer, paragraphs unwrapped
TOOL = "tool"  # a tool call, one line the way Claude Code summarises it
RESULT = "result"  # a tool's result (its first lines in the default view)
SCREEN = "screen"  # a moment only the screen had: the banner, a question and its answer, a notice
OUTPUT = "output"  # what a program that is not Claude Code printed (a shell, another TUI)
EXIT = "exit"  # how the session ended: the exit message, the status
KINDS = (PROMPT, REPLY, TOOL, RESULT, SCREEN, OUTPUT, EXIT)

FROM_SCREEN, FROM_TRANSCRIPT, FROM_BOTH = "screen", "transcript", "both"


class Entry:
    """One thing that happened in a session (see the module doc)."""

    __slots__ = ("ts", "kind", "source", "text", "at", "detail")

    def __init__(self, ts, kind, source, text, at=None, detail=None):
        self.ts, self.kind, self.source, self.text, self.at = ts, kind, source, text, at
        # A tool call's whole input, a result's whole text: shown with --tools.
        self.detail = detail

    def as_dict(self) -> dict:
        """The entry as JSON gives it (`cs show --json`, the web API, cs mcp)."""
        out = {"ts": self.ts, "kind": self.kind, "source": self.source, "text": self.text}
        if self.at is not None:
            out["at"] = f"{self.at[0]}:{self.at[1]}"
        return out

    def __eq__(self, other):
        return isinstance(other, Entry) and all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    def __repr__(self):
        return f"Entry({self.ts!r}, {self.kind!r}, {self.source!r}, {self.text[:40]!r}, at={self.at!r})"


class Story:
    """A session's story: its entries in order, and whether the screen and a
    transcript were there to tell it."""

    __slots__ = ("session_id", "entries", "claude", "has_transcript", "has_screen", "notes")

    def __init__(self, session_id, entries, claude=False, has_transcript=False, has_screen=True, notes=()):
        self.session_id, self.entries = session_id, entries
        self.claude, self.has_transcript, self.has_screen = claude, has_transcript, has_screen
        self.notes = list(notes)  # what a reader should say on the side (a transcript that could not be read)
