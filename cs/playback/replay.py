"""Playing a session's output back with its original timing.

`--from` a position or a moment: everything before it is written at once (so
the screen is in the state it was in at that moment: a TUI only repaints what
changed), then playback continues in real time. Idle gaps are capped so a
coffee break does not stall the replay.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cs import units
from cs.ask.sessions import iter_io
from cs.log.timestamps import parse_timestamp

MAX_IDLE_SECONDS = 2.0

_POSITION_RE = re.compile(r"^(?:(\d+):)?(\d+)$")


@dataclass
class Start:
    segment: int = 1
    offset: int = 0
    moment: datetime = None  # aware UTC
    after_start: timedelta = None  # relative to the session's first line


def parse_start(text: str) -> Start:
    """`12345` (byte offset in segment 1, as search hits print), `2:12345`
    (segment 2), `90s`/`5m` (that long after the session began), or a date-time."""
    if text is None:
        return Start()
    m = _POSITION_RE.match(text.strip())
    if m:
        return Start(segment=int(m.group(1) or 1), offset=int(m.group(2)))
    try:
        return Start(after_start=units.parse_duration(text))
    except ValueError:
        pass
    try:
        return Start(moment=units.parse_date(text))
    except ValueError:
        raise ValueError(
            f"invalid --from {text!r}: use a byte offset (12345 or 2:12345), "
            "a time into the session (90s, 5m) or a date-time"
        ) from None


def frames(logs_dir: Path, session_id: str, start: Start = None, speed: float = 1.0,
           max_idle: float = MAX_IDLE_SECONDS):
    """(delay_seconds, bytes) to write in order. Output before the start
    position comes with delay 0 (fast-forward)."""
    start = start or Start()
    speed = speed if speed and speed > 0 else 1.0
    first = previous = None
    playing = False
    for n, offset, ts, direction, data, _record in iter_io(logs_dir, session_id):
        t = parse_timestamp(ts)
        if first is None and t is not None:
            first = t
        if not playing:
            if start.after_start is not None:
                playing = t is not None and first is not None and t - first >= start.after_start
            elif start.moment is not None:
                playing = t is not None and t >= start.moment
            else:
                playing = (n, offset) >= (start.segment, start.offset)
            if playing:
                previous = t
        if direction != "output" or not data:
            continue
        delay = 0.0
        if playing and t is not None and previous is not None:
            delay = min(max((t - previous).total_seconds(), 0.0), max_idle) / speed
        if playing and t is not None:
            previous = t
        yield delay, data
