"""A recording's conversation, read from its archived transcripts: each prompt,
each reply, each tool call and its result, with times (`cs show
--conversation`; the story of a session, cs.story, is told from these entries).

Read from the archive itself (not the index, which stores each distinct text
once and caps tool results), attributed to the recording as the index does
(cs.claude.index.owner). Tests: tests/test_claude_e2e_transcripts.py.
"""

import io

from cs import config
from cs.claude import archive, transcript
from cs.claude.index import owner, recordings_of


def entries(db, session_id: str, redact: bool = True) -> list:
    """The transcript entries of one recording, in order, secrets redacted
    (cs.redact, per the config) unless `redact` is False. An archive that is
    encrypted is read with the identity (EncryptedSession without it)."""
    out = []
    redactor = config.redactor() if redact else None
    for (claude_id,) in db.execute(
        "SELECT claude_session_id FROM claude_links WHERE session_id = ?", [session_id]
    ).fetchall():
        recordings = recordings_of(db, claude_id)
        path = archive.archived_transcript(claude_id)  # the main thread; subagents are searchable, not shown
        counts = transcript.Counts()
        try:
            data = archive.read_archived(path)
        except OSError:
            continue
        if data is None:
            continue
        for raw in io.BytesIO(data):
            for entry in transcript.parse_line(raw, counts, result_cap=1 << 30):
                if entry.text.strip() and not entry.sidechain and owner(recordings, entry.ts) == session_id:
                    if redactor is not None and redactor.enabled:
                        entry = _redacted(entry, redactor)
                    out.append(entry)
    out.sort(key=lambda e: e.ts)
    return out


def _redacted(entry, redactor):
    entry.text = redactor.text(entry.text)  # a fresh Entry of ours: changed in place
    return entry


def first_line(text: str, width: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def as_text(items: list, tools: bool, width: int = 100, local_time=lambda ts: ts) -> list:
    """Lines to print: prompts start with '> ', tool calls with '⚙ ', results
    with '↳ ' (only with `tools`; calls are then shown whole)."""
    lines = []
    for e in items:
        when = local_time(e.ts)
        if e.kind == transcript.PROMPT:
            lines.append("")
            lines.extend(_block(f"{when}  > ", e.text))
        elif e.kind == transcript.REPLY:
            lines.extend(_block(f"{when}    ", e.text))
        elif e.kind == transcript.TOOL:
            lines.append(f"{when}  ⚙ " + (e.text if tools else first_line(e.text, width)))
        elif e.kind == transcript.RESULT and tools:
            lines.extend(_block(f"{when}  ↳ ", e.text))
    return lines


def _block(head: str, text: str) -> list:
    pad = " " * len(head)
    rows = text.rstrip("\n").split("\n")
    return [head + rows[0]] + [pad + r for r in rows[1:]]
