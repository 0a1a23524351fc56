"""`cs tail`: a session's output as it is written, from another terminal.

Bytes (the default): the repaint of the current screen (cs.playback.terminal),
then every output byte as it lands in the log, secrets redacted by the stream
redaction of the exports (cs.playback.redacted; `raw`: the bytes as
recorded); a terminal of the recorded size shows the live screen; on a
terminal, queries are left out (QueryFilter).
Text (`--text`): the finished lines as `cs show` has them (the indexer's
renderer and settling rule, SessionRender), beginning with those on the
current screen, secrets redacted as `cs show` redacts them (cs.redact).
With `follow`, it goes on through rotations until the session's `end` line
(or until it stops being live) and returns the session's exit status
(tests/test_playback_tail.py).
"""

import time
from pathlib import Path

from cs import config
from cs.index.render import SessionRender
from cs.index.screen import Screen
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
    render = queries = shown = finished = None
    if text:
        render = SessionRender(session_id, screen=Screen(*state.model.size), display=True)  # rows, as `cs show`
        render.screen.feed(state.model.repaint())
        finished = _FinishedLines(write, config.redactor(), render)
    else:
        shown = RedactedStream(state.start, raw=raw)
        queries = QueryFilter() if filter_queries else None
        _bytes(write, queries, shown.repaint(state.model.repaint(), state.model.size[0]))
    status = _exit_status(state.end)
    for event in state.rest:
        if event is None:
            if shown is not None:  # quiet for a moment: what was held waiting for more
                _bytes(write, queries, shown.flush())
            continue
        if event.kind == "o":
            if render is not None:
                finished.feed(render.feed_output(event.data, (*event.pos, event.ts)))
            else:
                _bytes(write, queries, shown.feed(event.data))
        elif event.kind == "r":
            if render is not None:
                render.screen.resize(event.data["cols"], event.data["rows"])
            else:
                shown.resize(event.data["cols"])
        elif event.kind == "end":
            status = _exit_status(event.data)
    if render is not None:
        finished.feed(render.screen.close(), final=True)
    else:
        _bytes(write, queries, shown.flush())
        if queries is not None:
            _bytes(write, None, queries.flush())
    return status


def _bytes(write, queries, data: bytes) -> None:
    data = queries.feed(data) if queries is not None else data
    if data:
        write(data)


def _exit_status(end):
    code = (end or {}).get("exit_code")
    return code if isinstance(code, int) else None


class _FinishedLines:
    """`--text`: finished lines, redacted (cs.redact, as `cs show`), written as
    the rows the screen showed. A line whose last row may go on in a line not
    finished yet (a secret wrapped onto the next row: `Redactor.may_go_on`)
    is held until the next one is, so that the redaction sees both rows."""

    def __init__(self, write, redactor, render):
        self.write, self.redactor, self.render = write, redactor, render
        self.held = None  # (text, the redactor's key-block state before it)

    def feed(self, lines, final: bool = False) -> None:
        red, texts = self.redactor, [line for line, _mark in lines]
        if self.held is not None:
            texts.insert(0, self.held[0])
            red.in_key = self.held[1]
            self.held = None
        if not texts:
            return
        widths = {self.render.screen.cols}
        before = red.in_key
        out = red.lines(texts, widths)
        if not final and red.may_go_on(texts[-1], widths):
            red.in_key = before
            for t in texts[:-1]:  # the state before the held line
                red.line(t)
            self.held, out = (texts[-1], red.in_key), out[:-1]
        for line in out:
            for row in line.split("\n"):  # a word-wrapped paragraph: the rows the screen showed
                # (a row the terminal autowrapped from keeps its trailing blanks: not shown)
                self.write(row.rstrip().encode("utf-8", "replace") + b"\n")


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
