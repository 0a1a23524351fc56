"""The files that hold a session: segment names, the one directory scan, reading.

Segment 1 is <uuid>.jsonl (the design note's path); a session rotated at
rotate_size continues in <uuid>.002.jsonl, ...; compressed segments carry a
further ".gz". When one segment exists both plain and compressed, the plain one
is read (`_keep_readable`). Lines are parsed by cs.log.jsonl.
"""

import gzip
import os
import re
from pathlib import Path

from cs.log.jsonl import parse_line

_SEGMENT_RE = re.compile(
    r"^(?P<sid>[0-9a-fA-F-]{36})(?:\.(?P<n>\d{3,}))?\.jsonl(?P<gz>\.gz)?$"
)


def segment_name(session_id: str, n: int = 1, compressed: bool = False) -> str:
    name = f"{session_id}.jsonl" if n == 1 else f"{session_id}.{n:03d}.jsonl"
    return name + ".gz" if compressed else name


def parse_segment_name(name: str):
    """(session_id, segment number, compressed) for a log file name, else None."""
    m = _SEGMENT_RE.match(name)
    if not m:
        return None
    return m.group("sid").lower(), int(m.group("n") or 1), bool(m.group("gz"))


def _keep_readable(segments: dict, n: int, path, compressed: bool) -> None:
    """Record `path` as segment n. If a segment exists both plain and
    compressed (a compression interrupted before removing the original), the
    plain one is the one to read: it is complete by construction."""
    if n not in segments or not compressed:
        segments[n] = path


def session_segments(logs_dir: Path, session_id: str) -> list:
    """All files of one session in stream order."""
    by_number = {}
    for path in Path(logs_dir).glob(f"{session_id}*.jsonl*"):
        parsed = parse_segment_name(path.name)
        if parsed and parsed[0] == session_id.lower():
            _keep_readable(by_number, parsed[1], path, parsed[2])
    return [by_number[n] for n in sorted(by_number)]


def all_sessions(logs_dir: Path) -> dict:
    """session_id -> {segment number: Path} for every log in the directory,
    from one listing (a glob per session would be quadratic)."""
    sessions = {}
    try:
        names = os.listdir(logs_dir)
    except FileNotFoundError:
        return sessions
    for name in names:
        parsed = parse_segment_name(name)
        if parsed:
            sid, n, compressed = parsed
            _keep_readable(sessions.setdefault(sid, {}), n, Path(logs_dir) / name, compressed)
    return sessions


# ---------------------------------------------------------------- writing


def open_log(path: Path):
    """Open a log segment for binary reading, gzip or plain, by its name."""
    path = Path(path)
    if path.name.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def iter_lines(path: Path, start: int = 0):
    """Yield (offset, end_offset, line_bytes) for each *complete* line from `start`.

    Offsets are in the uncompressed stream. A last line without its newline is
    a write in progress (or torn by a crash): it is not yielded, and the caller
    resumes from the last end_offset next time.
    """
    with open_log(path) as f:
        if start:
            f.seek(start)
        offset = start
        for line in f:
            if not line.endswith(b"\n"):
                return
            end = offset + len(line)
            yield offset, end, line
            offset = end


def iter_records(path: Path, start: int = 0):
    """Yield (offset, end_offset, record) for each well-formed complete line;
    corrupt and foreign lines are skipped (callers that count them use iter_lines)."""
    for offset, end, line in iter_lines(path, start):
        record = parse_line(line)
        if record is not None:
            yield offset, end, record


def iter_session_records(logs_dir: Path, session_id: str):
    """Yield (segment_number, offset, end_offset, record) across all segments."""
    for path in session_segments(logs_dir, session_id):
        n = parse_segment_name(path.name)[1]
        for offset, end, record in iter_records(path):
            yield n, offset, end, record
