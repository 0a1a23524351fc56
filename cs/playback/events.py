"""A session log as a stream of playback events, read fast.

`read_events` yields `Event`s across a session's segments (plain or .gz) in
order: `o` output and `i` input bytes, `r` a resize, `start`, `end`, each with
its timestamp and its position (segment, offset of the line: what `cs search`
prints). The lines the recorder writes (docs/log-format.md) are matched by one
regular expression without a JSON parse (a seek reads 100 MB of log, and a
JSON parse per line is four times slower); any other line (events, masked
input, a line written in another field order) goes through
`cs.log.jsonl.parse_line`, so the reader accepts everything the format allows.

With `follow=True` the reader waits at the end of the log while the session is
live (its recorder holds the live lock), yielding None each time it has
waited a moment for more (so a caller can look at its keyboard: 10 ms while
output keeps coming, 50 ms after a second of silence), moves on to
new segments, and ends at the `end` line, or when the session stops being live. A segment that vanishes
while it is read (pruned) ends the stream with `LogVanished`.

Output that went to a pipe (the start line's `stdout_tty` is false: `claude
-p ... > file`) holds bare LFs, which a terminal would have shown after its
line discipline turned them into CRLF (onlcr); played as they are, they draw
a staircase. `shown_output` applies that translation to such a session's
output events (the log keeps its bytes): `read_events` does it, and the seek
(cs.playback.seek) does it through the same function, so replay, tail, the
exports and the web player all show the session as its terminal would have.

Proved by tests/test_playback_events.py (and the seek and tail tests).
"""

import binascii
import calendar
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from cs.errors import CsError
from cs.log import jsonl, liveness, store

BLOCK = 1 << 20
# Following: look again after this long; sooner while output keeps coming.
FOLLOW_POLL_S = 0.05
FOLLOW_BUSY_POLL_S = 0.01
BUSY_FOR_S = 1.0

_FAST_LINE = re.compile(
    rb'\{"timestamp":"([^"]*)","session_id":"[^"]*","direction":"(output|input)",'
    rb'"data":"([A-Za-z0-9+/=]*)","size":\d+\}\n|([^\n]*)\n'
)


_BARE_LF = re.compile(rb"(?<!\r)\n")


def piped(start) -> bool:
    """Did the session's output go to a pipe, not a terminal (its start line)?"""
    return isinstance(start, dict) and start.get("stdout_tty") is False


def onlcr(data: bytes) -> bytes:
    """A pipe's output as a terminal shows it: each LF without a CR before it
    as CRLF."""
    return _BARE_LF.sub(b"\r\n", data) if b"\n" in data else data


def shown_output(events, pipe: bool):
    """`events` with the output of a piped session as a terminal shows it
    (see the module doc); events of a terminal session pass as they are."""
    if not pipe:
        yield from events
        return
    for event in events:
        if event is not None and event.kind == "o":
            event.data = onlcr(event.data)
        yield event


class LogVanished(CsError):
    """The session's log went away while it was being read."""


@dataclass
class Event:
    kind: str  # "o", "i", "r", "start", "end"
    ts: str  # the line's RFC 3339 timestamp, as written
    data: object  # bytes for o/i; the record (dict) for the others
    pos: tuple  # (segment, offset)

    @property
    def t(self) -> float:
        return epoch(self.ts)


_epoch_cache = {}


def epoch(ts: str) -> float:
    """Seconds since 1970 for an RFC 3339 UTC timestamp as cs writes them
    (`2026-11-24T01:07:30.072Z`); other offsets and precisions are parsed in
    full. NaN when it is not a timestamp."""
    head = ts[:19]
    base = _epoch_cache.get(head)
    if base is None:
        try:
            base = calendar.timegm(time.strptime(head, "%Y-%m-%dT%H:%M:%S"))
        except (ValueError, TypeError):
            return float("nan")
        if len(_epoch_cache) > 4096:
            _epoch_cache.clear()
        _epoch_cache[head] = base
    rest = ts[19:]
    if rest.endswith("Z") and (len(rest) == 1 or rest[0] == "."):
        frac = rest[1:-1]
        return base + (int(frac) / 10 ** len(frac) if frac.isdigit() else 0.0)
    from datetime import datetime

    try:
        return datetime.fromisoformat(ts).timestamp()
    except ValueError:
        return float("nan")


def _event_of(record: dict, pos: tuple):
    ts = record.get("timestamp") if isinstance(record.get("timestamp"), str) else ""
    direction = record.get("direction")
    if direction is not None:
        if record.get("masked"):
            return None
        try:
            data = jsonl.decode_data(record)
        except (ValueError, binascii.Error):
            return None
        return Event("o" if direction == "output" else "i", ts, data, pos)
    kind = record.get("type")
    if kind == "resize":
        if _valid_size(record):
            return Event("r", ts, record, pos)
        return None
    if kind in ("start", "end"):
        return Event(kind, ts, record, pos)
    return None


def _valid_size(record) -> bool:
    cols, rows = record.get("cols"), record.get("rows")
    return isinstance(cols, int) and isinstance(rows, int) and cols > 0 and rows > 0


def segment_blocks(path: Path, start: int = 0):
    """(offset, bytes) of the complete lines of one segment from `start`, in
    blocks of about BLOCK bytes; last, ("end", offset after the last complete
    line). A vanished file raises LogVanished, a damaged .gz CsError."""
    try:
        f = store.open_log(path)
    except FileNotFoundError:
        raise LogVanished(f"the log {path.name} vanished while it was read") from None
    with f:
        if start:
            f.seek(start)
        offset, carry = start, b""
        while True:
            try:
                block = f.read(BLOCK)
            except (OSError, EOFError) as e:  # a truncated or damaged .gz
                raise CsError(f"cannot read {path.name}: {e}") from None
            if not block:
                break
            block = carry + block
            cut = block.rfind(b"\n") + 1
            if cut:
                yield offset, block[:cut]
                offset += cut
            carry = block[cut:]
        yield "end", offset


def events_in(block: bytes, base: int, segment: int, start: int = 0):
    """The events of a block of complete lines (from byte `start` of it)."""
    a2b = binascii.a2b_base64
    for m in _FAST_LINE.finditer(block, start):
        ts, direction, data, other = m.groups()
        if direction is not None:
            try:
                payload = a2b(data)
            except binascii.Error:
                continue
            yield Event(
                "o" if direction == b"output" else "i",
                ts.decode("ascii", "replace"),
                payload,
                (segment, base + m.start()),
            )
        elif other:
            record = jsonl.parse_line(other)
            if record is not None:
                event = _event_of(record, (segment, base + m.start()))
                if event is not None:
                    yield event


def _read_segment(path: Path, segment: int, start: int = 0):
    for base, block in segment_blocks(path, start):
        if base == "end":
            yield ("offset", block)
        else:
            yield from events_in(block, base, segment)


def read_events(logs_dir: Path, session_id: str, follow: bool = False, start=(1, 0), pipe: bool = None):
    """Events of the session in order, from position `start` (a line's
    segment and offset). See the module doc for `follow`; `pipe`: whether the
    output went to a pipe (None: as the start line says, when it is read)."""
    if pipe is not None:
        yield from shown_output(_read_events(logs_dir, session_id, follow, start), pipe)
        return
    events = _read_events(logs_dir, session_id, follow, start)
    for event in events:
        if event is not None and event.kind == "start":
            yield event
            yield from shown_output(events, piped(event.data))
            return
        yield event


def _read_events(logs_dir: Path, session_id: str, follow: bool, start):
    logs_dir = Path(logs_dir)
    segment, offset = start
    ended = False
    last_progress = time.monotonic()
    while True:
        segments = segment_paths(logs_dir, session_id)
        if not segments and not follow:
            raise LogVanished(f"the log of session {session_id[:8]} is gone")
        progressed = False
        for n in sorted(s for s in segments if s >= segment):
            if n > segment:
                segment, offset = n, 0
            for item in _read_segment(segments[n], n, offset):
                if isinstance(item, tuple):
                    progressed = progressed or item[1] != offset
                    offset = item[1]
                    continue
                yield item
                if item.kind == "end":
                    ended = True
        if ended or not follow:
            return
        if not progressed and not liveness.is_live(logs_dir, session_id):
            if segment_paths(logs_dir, session_id):
                # One more read: the last lines may have landed just before the lock went.
                follow = False
                continue
            raise LogVanished(f"the log of session {session_id[:8]} vanished")
        now = time.monotonic()
        if progressed:
            last_progress = now
        else:
            busy = now - last_progress < BUSY_FOR_S
            time.sleep(FOLLOW_BUSY_POLL_S if busy else FOLLOW_POLL_S)
            yield None


def segment_paths(logs_dir: Path, session_id: str) -> dict:
    out = {}
    for path in store.session_segments(logs_dir, session_id):
        out[store.parse_segment_name(path.name)[1]] = path
    return out


def last_timestamp(logs_dir: Path, session_id: str) -> str:
    """The timestamp of the session's last complete line (the tail of the last
    segment; a compressed one is read through)."""
    paths = store.session_segments(logs_dir, session_id)
    if not paths:
        raise LogVanished(f"the log of session {session_id[:8]} is gone")
    last = paths[-1]
    if last.name.endswith((".gz", ".age")):
        with store.open_log(last) as f:
            tail = b""
            while chunk := f.read(BLOCK):
                tail = (tail + chunk)[-(1 << 16) :]
    else:
        with open(last, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(max(0, size - (1 << 16)))
            tail = f.read()
    for line in reversed(tail.split(b"\n")[:-1]):
        m = re.search(rb'"timestamp":"([^"]+)"', line)
        if m:
            return m.group(1).decode("ascii", "replace")
    return ""
