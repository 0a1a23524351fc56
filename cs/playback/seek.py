"""Where to start playing, and the recorded terminal at that moment.

`parse_at` reads what users type after `--at` (and `--from`): the position
`cs search` prints for a hit (`12345`, or `2:12345` in segment 2), a time into
the session (`90s`, `1h2m`, `1h2m3.5s`), a share of its duration (`40%`) or a
date-time. `seek` reads the log up to that moment, building the terminal's
state in a `ScreenModel` (nothing is written), and hands back the events that
follow: what the terminal shows after the model's repaint is what it showed at
that moment when played from the start (tests/test_playback_seek.py).

It also collects the markers passed on the way: each line the user submitted
(Enter), found by the indexer's own input model (`cs.index.keys.InputLines`).
"""

import binascii
import itertools
import math
import multiprocessing
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cs import units
from cs.errors import CsError, NotFound, UsageError
from cs.index.keys import InputLines
from cs.playback import events as ev
from cs.playback.terminal import ScreenModel

_POSITION = re.compile(r"^(?:(\d+):)?(\d+)$")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
FLUSH_BYTES = 1 << 20


@dataclass
class Target:
    pos: tuple = None  # (segment, offset) of a line
    seconds: float = None  # into the session
    fraction: float = None  # of its duration, 0..1
    moment: float = None  # epoch seconds
    end: bool = False  # after everything written so far

    @property
    def is_start(self) -> bool:
        return (
            self.pos is None and self.seconds is None and self.fraction is None and self.moment is None and not self.end
        )


def parse_at(text) -> Target:
    """See the module doc. UsageError for anything else."""
    if text is None or not str(text).strip():
        return Target()
    text = str(text).strip()
    if text == "end":
        return Target(end=True)
    m = _POSITION.match(text)
    if m:
        return Target(pos=(int(m.group(1) or 1), int(m.group(2))))
    m = _PERCENT.match(text)
    if m:
        value = float(m.group(1))
        if value > 100:
            raise UsageError(f"--at {text}: a percentage is at most 100%")
        return Target(fraction=value / 100)
    m = _DURATION.match(text)
    if m and any(m.groups()):
        h, mi, s = (float(g or 0) for g in m.groups())
        return Target(seconds=h * 3600 + mi * 60 + s)
    try:
        return Target(moment=units.parse_date(text).timestamp())
    except ValueError:
        raise UsageError(
            f"invalid --at {text!r}: use a position as `cs search` prints it (12345 or 2:12345), "
            "a time into the session (90s, 1h2m), a percentage (40%), a date-time or `end`"
        ) from None


@dataclass
class Marker:
    t: float
    pos: tuple
    label: str


@dataclass
class Seeked:
    model: ScreenModel
    first_t: float  # when the session started (epoch)
    t: float  # the recording's clock at the seek point
    rest: object  # iterator of the events from there on (None items while following)
    markers: list = field(default_factory=list)  # passed on the way
    keys: InputLines = None
    start: dict = field(default_factory=dict)  # the start line, if any
    end: dict = None  # the end line, if passed


def terminal_size(start: dict):
    cols, rows = start.get("cols"), start.get("rows")
    if isinstance(cols, int) and isinstance(rows, int) and cols > 0 and rows > 0:
        return cols, rows
    return 80, 24


_OUT_DATA = re.compile(rb'"direction":"output","data":"([A-Za-z0-9+/=]*)"')
_IN_LINE = re.compile(
    rb'\{"timestamp":"([^"]*)","session_id":"[^"]*","direction":"input",'
    rb'"data":"([A-Za-z0-9+/=]*)"'
)
_LAST_TS = re.compile(rb'"timestamp":"([^"]*)"')


class _Reader:
    """Everything a seek does but the emulator: reads the log up to the target
    and yields what the model must take, in order: ("output", bytes) and
    ("resize", cols, rows). Markers, the clock, the end line, the input state
    and where it stopped are kept on the reader (`summary()`).

    A block of plain I/O lines wholly before the target is taken at once (one
    regex pass for its output, no JSON); other blocks go event by event."""

    def __init__(self, segments: dict, target: Target, deadline, pipe: bool = False):
        self.segments, self.target, self.deadline = segments, target, deadline
        self.pipe = pipe  # output that went to a pipe: shown as a terminal would (ev.onlcr)
        self.keys = InputLines()
        self.markers, self.pending, self.size = [], [], 0
        self.t = self.end = self.reached = None
        self.where = (1, 0)

    def ops(self):
        target, deadline = self.target, self.deadline
        for n in sorted(self.segments):
            for base, block in ev.segment_blocks(self.segments[n]):
                if base == "end":
                    self.where = (n, block)
                    continue
                if _wholly_before(block, base, n, target, deadline):
                    data = self._block(block, base, n)
                    if data is not None:
                        yield from self._flush()
                        yield ("output", data)
                        continue
                for event in ev.events_in(block, base, n):
                    if _reached(event, event.t, target, deadline):
                        yield from self._flush()
                        self.reached = (n, base, event.pos[1] - base, block)
                        return
                    yield from self._event(event)
        yield from self._flush()

    def summary(self) -> dict:
        return {
            "keys": self.keys,
            "markers": self.markers,
            "t": self.t,
            "end": self.end,
            "reached": self.reached,
            "where": self.where,
        }

    def _event(self, event):
        et = event.t
        if not math.isnan(et):
            self.t = et
        kind = event.kind
        if kind == "o":
            self.pending.append(ev.onlcr(event.data) if self.pipe else event.data)
            self.size += len(event.data)
            if self.size > FLUSH_BYTES:
                yield from self._flush()
        elif kind == "r":
            yield from self._flush()
            yield ("resize", event.data["cols"], event.data["rows"])
        elif kind == "i":
            for label, _mark in self.keys.feed(event.data):
                self.markers.append(Marker(self.t, event.pos, label))
        elif kind == "end":
            self.end = event.data

    def _flush(self):
        if self.pending:
            yield ("output", b"".join(self.pending))
            self.pending.clear()
        self.size = 0

    def _block(self, block: bytes, base: int, segment: int):
        """The output bytes of a whole block, or None if it holds lines that
        need the event path (events, lines in another shape)."""
        if b'"type":"resize"' in block or b'"type":"start"' in block or b'"type":"end"' in block:
            return None
        outputs = _OUT_DATA.findall(block)
        inputs = list(_IN_LINE.finditer(block)) if b'"direction":"input"' in block else []
        if len(outputs) != block.count(b'"direction":"output"') or len(inputs) != block.count(b'"direction":"input"'):
            return None
        try:
            data = b"".join(map(binascii.a2b_base64, outputs))
            typed = [(m, binascii.a2b_base64(m.group(2))) for m in inputs]
        except binascii.Error:
            return None
        for m, keys in typed:
            for label, _mark in self.keys.feed(keys):
                t = ev.epoch(m.group(1).decode("ascii", "replace"))
                self.markers.append(Marker(t, (segment, base + m.start()), label))
        last = _LAST_TS.search(block, block.rfind(b"\n", 0, len(block) - 1) + 1)
        if last:
            self.t = ev.epoch(last.group(1).decode("ascii", "replace"))
        return ev.onlcr(data) if self.pipe else data


def _apply(model: ScreenModel, op) -> None:
    if op[0] == "output":
        model.feed(op[1])
    else:
        model.resize(op[1], op[2])


# Reading and emulating take about the same time: on a big log a forked
# reader feeds the emulator through a pipe, so both cores work (Linux only,
# where fork is safe and cheap). tests/test_playback_seek.py runs both ways.
PARALLEL_MIN_BYTES = 16 << 20


def _parallel(segments: dict) -> bool:
    if not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2:
        return False
    try:
        return sum(p.stat().st_size for p in segments.values()) >= PARALLEL_MIN_BYTES
    except OSError:
        return False


def _run_reader(reader: _Reader, model: ScreenModel) -> dict:
    if not _parallel(reader.segments):
        for op in reader.ops():
            _apply(model, op)
        return reader.summary()
    ctx = multiprocessing.get_context("fork")
    receiving, sending = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=_reader_process, args=(reader, sending), daemon=True)
    worker.start()
    sending.close()
    try:
        while True:
            try:
                op = receiving.recv()
            except EOFError:
                raise CsError("the log reader stopped unexpectedly") from None
            if op[0] == "done":
                return op[1]
            if op[0] == "error":
                raise op[1]
            _apply(model, op)
    finally:
        receiving.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.kill()


def _reader_process(reader: _Reader, conn) -> None:
    try:
        for op in reader.ops():
            conn.send(op)
        conn.send(("done", reader.summary()))
    except CsError as e:
        conn.send(("error", e))
    finally:
        conn.close()


def seek(logs_dir: Path, session_id: str, target: Target = None, follow: bool = False) -> Seeked:
    """The recorded terminal just before the first event at or after `target`
    (see the module doc); with `follow`, a target not yet written stops the
    seek at the live edge."""
    target = target or Target()
    segments = ev.segment_paths(logs_dir, session_id)
    if not segments:
        raise NotFound(f"session {session_id[:8]} has no log")
    start, first_t = _first_line(segments)
    deadline = target.moment
    if target.seconds is not None and first_t is not None:
        deadline = first_t + target.seconds
    elif target.fraction is not None:
        deadline = _fraction_moment(logs_dir, session_id, first_t, target.fraction)
    model = ScreenModel(*terminal_size(start))
    pipe = ev.piped(start)
    done = _run_reader(_Reader(segments, target, deadline, pipe), model)
    t = done["t"] if done["t"] is not None else first_t
    found = Seeked(model, first_t, t, iter(()), done["markers"], done["keys"], start, done["end"])
    if done["reached"] is not None:
        n, base, offset, block = done["reached"]
        rest = ev.shown_output(ev.events_in(block, base, n, offset), pipe)
        more = ev.read_events(logs_dir, session_id, follow, (n, base + len(block)), pipe)
        found.rest = itertools.chain(rest, more)
        return found
    if not follow and not target.is_start and not target.end:
        raise NotFound(f"--at is past the end of session {session_id[:8]}")
    if follow:
        found.rest = ev.read_events(logs_dir, session_id, follow, done["where"], pipe)
    return found


def _first_line(segments: dict):
    """(start record or {}, epoch of the first line or None)."""
    for base, block in ev.segment_blocks(segments[min(segments)]):
        if base == "end":
            break
        for event in ev.events_in(block, base, min(segments)):
            start = event.data if event.kind == "start" else {}
            t = event.t
            return start, (None if math.isnan(t) else t)
    return {}, None


def _wholly_before(block: bytes, base: int, segment: int, target: Target, deadline) -> bool:
    if target.end:
        return True
    if target.pos is not None:
        return (segment, base + len(block)) <= target.pos
    if deadline is None:
        return False
    last = _LAST_TS.search(block, block.rfind(b"\n", 0, len(block) - 1) + 1)
    return bool(last) and ev.epoch(last.group(1).decode("ascii", "replace")) < deadline - 1e-6


def _reached(event, et, target, deadline) -> bool:
    if target.end:
        return False
    if target.pos is not None:
        return event.pos >= target.pos
    if deadline is not None:
        return not math.isnan(et) and et >= deadline - 1e-6
    return event.kind != "start"


def _flush(model, pending: list) -> None:
    if pending:
        model.feed(b"".join(pending))
        pending.clear()


def _fraction_moment(logs_dir, session_id, first, fraction: float) -> float:
    last = ev.epoch(ev.last_timestamp(logs_dir, session_id))
    if first is None or math.isnan(last):
        raise NotFound(f"session {session_id[:8]} has no timestamps to take a percentage of")
    return first + fraction * (last - first)


def seek_events(start: dict, items, target: Target = None) -> Seeked:
    """`seek` for a recording given as events rather than a log (a team
    member's shared recording, cs.team.read.recording): `start` a start line
    (its cols and rows), `items` (kind, RFC 3339 time, data, position) in
    order: o/i bytes, r {"cols", "rows"}. The terminal just before the first
    event at or after `target` (a position, seconds into it, a share of its
    duration, a moment, `end`), and the events from there on; the same
    Seeked the log's seek gives, so that the same player plays it.
    Test: tests/test_team_reading.py (test_bob_replays_alices_shared_recording)."""
    target = target or Target()
    events = [ev.Event(kind, ts, data, pos) for kind, ts, data, pos in items]
    first_t = ev.epoch(start["timestamp"]) if start.get("timestamp") else None
    if first_t is not None and math.isnan(first_t):
        first_t = None
    deadline = target.moment
    if target.seconds is not None and first_t is not None:
        deadline = first_t + target.seconds
    elif target.fraction is not None and first_t is not None and events:
        deadline = first_t + target.fraction * max(0.0, events[-1].t - first_t)
    model = ScreenModel(*terminal_size(start))
    keys, markers, t = InputLines(), [], first_t
    for i, event in enumerate(events):
        if _reached(event, event.t, target, deadline):
            return Seeked(model, first_t, t, iter(events[i:]), markers, keys, start)
        if not math.isnan(event.t):
            t = event.t
        if event.kind == "o":
            model.feed(event.data)
        elif event.kind == "r":
            model.resize(event.data["cols"], event.data["rows"])
        elif event.kind == "i":
            markers.extend(Marker(t, event.pos, label) for label, _mark in keys.feed(event.data))
    if not target.is_start and not target.end:
        raise NotFound("--at is past the end of the shared recording")
    return Seeked(model, first_t, t, iter(()), markers, keys, start)
