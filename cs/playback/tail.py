"""`cs tail`: a session's output as it is written, from another terminal.

Bytes (the default): the repaint of the current screen (cs.playback.terminal),
then every output byte as it lands in the log, secrets redacted by the stream
redaction of the exports (cs.playback.redacted; `raw`: the bytes as
recorded); a terminal of the recorded size shows the live screen; on a
terminal, queries are left out (QueryFilter).
Text (`--text`): the story of the session as `cs show` tells it (cs.story),
its last few entries and then each new one once it is told whole (the newest
entry waits until the next one begins, or the session ends); the story is
built again as the log grows, at most as often as building it takes time.
With `follow`, it goes on through rotations until the session's `end` line
(or until it stops being live) and returns the session's exit status
(tests/test_playback_tail.py).
"""

import time
from collections import Counter
from pathlib import Path

from cs.log import store
from cs.playback import seek as seeking
from cs.playback.redacted import RedactedStream
from cs.playback.terminal import QueryFilter

NEXT_POLL_S = 0.1


def tail(
    logs_dir: Path, session_id: str, write, follow: bool, text: bool, filter_queries: bool = False, raw: bool = False
):
    """Write the session's output with `write(bytes)`; returns its exit status
    (None when it has not ended, or ended without one)."""
    state = seeking.seek(logs_dir, session_id, seeking.Target(end=True), follow=follow)
    if text:
        return _tail_story(logs_dir, session_id, write, state)
    shown = RedactedStream(state.start, raw=raw)
    queries = QueryFilter() if filter_queries else None
    _bytes(write, queries, shown.repaint(state.model.repaint(), state.model.size[0]))
    status = _exit_status(state.end)
    for event in state.rest:
        if event is None:  # quiet for a moment: what was held waiting for more
            _bytes(write, queries, shown.flush())
        elif event.kind == "o":
            _bytes(write, queries, shown.feed(event.data))
        elif event.kind == "r":
            shown.resize(event.data["cols"])
        elif event.kind == "end":
            status = _exit_status(event.data)
    _bytes(write, queries, shown.flush())
    if queries is not None:
        _bytes(write, None, queries.flush())
    return status


STORY_LAST = 10  # entries of the story so far that --text begins with


def _tail_story(logs_dir: Path, session_id: str, write, state):
    """`--text`: the story (see the module doc); the session's exit status."""
    from cs.story.build import build_story

    db = _index_or_none()
    teller = StoryTeller(lambda: build_story(logs_dir, session_id, db=db).entries, write)
    teller.tell(final=False, first=True)
    status, changed = _exit_status(state.end), False
    for event in state.rest:
        if event is None:  # quiet for a moment
            if changed and teller.due():
                teller.tell(final=False)
                changed = False
            continue
        changed = True
        if event.kind == "end":
            status = _exit_status(event.data)
    teller.tell(final=True)
    return status


class StoryTeller:
    """Tells a growing session's story (cs.story) line by line: each line of
    it once, the last one held back until the story goes on (it may grow).
    `entries()` gives the story so far: built from the log here, read from the
    team database by `cs tail --team` (cs.cli.team_cmd.tail_team)."""

    def __init__(self, entries, write):
        self.entries, self.write = entries, write
        self.told = Counter()
        self.cost = 0.0
        self.last = 0.0

    def due(self) -> bool:
        """Built again no more often than building takes (a long session is built less often)."""
        return time.monotonic() - self.last >= max(1.0, 4 * self.cost)

    def tell(self, final: bool, first: bool = False) -> None:
        from cs.story.text import as_lines

        started = time.monotonic()
        entries = self.entries()
        self.last, self.cost = time.monotonic(), time.monotonic() - started
        lines = as_lines(entries)
        ready = lines if final else lines[:-1]
        if first:  # the last few entries of the story so far
            recent = len(as_lines(entries[-STORY_LAST:]))
            self.told.update(ready[: max(0, len(lines) - recent)])
        seen = Counter()
        for line in ready:
            seen[line] += 1
            if seen[line] > self.told[line]:
                self.told[line] += 1
                self.write(line.encode("utf-8", "replace") + b"\n")


def _index_or_none():
    """The index, for the transcript's part of the story; None if it cannot be
    opened now (the screen then tells the story alone)."""
    try:
        from cs.index.indexer import open_index

        return open_index()
    except Exception:  # noqa: BLE001 - a story from the screen alone is still the story
        return None


def _bytes(write, queries, data: bytes) -> None:
    data = queries.feed(data) if queries is not None else data
    if data:
        write(data)


def _exit_status(end):
    code = (end or {}).get("exit_code")
    return code if isinstance(code, int) else None


def wait_for_next(logs_dir: Path, since: float) -> str:
    """The id of the first session whose log appears after `since` (epoch)."""
    known = set(store.all_sessions(logs_dir))
    while True:
        for sid, segments in store.all_sessions(logs_dir).items():
            if sid in known or 1 not in segments:
                continue
            try:
                if segments[1].stat().st_mtime >= since - 1:
                    return sid
            except FileNotFoundError:
                continue
            known.add(sid)
        time.sleep(NEXT_POLL_S)
