"""The session log: one JSON object per line, the source of truth of cs.

Two kinds of line share a file (full specification: docs/log-format.md):

* I/O lines, exactly the design note's schema, so its jq recipes work verbatim:
  {"timestamp", "session_id", "direction": "input"|"output", "data": base64, "size"}
* Event lines, told apart by a "type" key and the absence of "direction":
  "start" (first line, session metadata), "resize", "segment" (first line of a
  rotated continuation file) and "end" (last line; a log without it was cut off).

This module is imported by the recorder on every `claude` start: keep it to the
standard library and cheap to import.
"""

import base64
import gzip
import json
import os
import re
import time
from pathlib import Path

FORMAT_VERSION = 1

INPUT = "input"
OUTPUT = "output"

# Segment 1 is <uuid>.jsonl (the design note's path); a session rotated at
# rotate_size continues in <uuid>.002.jsonl, <uuid>.003.jsonl, ... Compressed
# segments carry a further ".gz".
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

_ts_cache = [-1, ""]


def utc_timestamp(t: float = None) -> str:
    """RFC3339 UTC with milliseconds and Z: 2026-02-07T18:15:32.123Z."""
    if t is None:
        t = time.time()
    sec = int(t)
    if sec != _ts_cache[0]:
        _ts_cache[0] = sec
        _ts_cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    return "%s.%03dZ" % (_ts_cache[1], int((t - sec) * 1000))


def io_line(session_id: str, direction: str, data: bytes, t: float = None) -> bytes:
    """One I/O line, newline included, in the design note's field order."""
    return b'{"timestamp":"%s","session_id":"%s","direction":"%s","data":"%s","size":%d}\n' % (
        utc_timestamp(t).encode(),
        session_id.encode(),
        direction.encode(),
        base64.b64encode(data),
        len(data),
    )


def masked_input_line(session_id: str, nbytes: int, t: float = None) -> bytes:
    """Input typed at a password prompt: only that it happened and how many bytes."""
    return b'{"timestamp":"%s","session_id":"%s","direction":"input","data":"","size":0,"masked":%d}\n' % (
        utc_timestamp(t).encode(),
        session_id.encode(),
        nbytes,
    )


def event_line(session_id: str, event_type: str, fields: dict, t: float = None) -> bytes:
    record = {"type": event_type, "timestamp": utc_timestamp(t), "session_id": session_id}
    record.update(fields)
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


# ---------------------------------------------------------------- reading


_scan_json = json.JSONDecoder().scan_once


def _loads(line: bytes):
    """json.loads(line), minus its per-call overhead for the lines we write
    (an object: json.loads would decode them as UTF-8), which the indexer
    parses by the hundred thousand. Raises ValueError where json.loads would."""
    if not line.startswith(b'{"'):
        return json.loads(line)  # BOMs, UTF-16/32, leading blanks: its own rules
    text = line.decode("utf-8", "surrogatepass")
    try:
        record, end = _scan_json(text, 0)
    except StopIteration:
        raise ValueError("Expecting value") from None
    if text[end:].strip(" \t\n\r"):
        raise ValueError("Extra data")
    return record


def parse_line(line: bytes):
    """A dict for a well-formed cs line, else None (corrupt, foreign, or torn)."""
    try:
        record = _loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("session_id"), str):
        return None
    direction = record.get("direction")
    if direction is not None:
        if direction not in (INPUT, OUTPUT) or not isinstance(record.get("data"), str):
            return None
        return record
    if isinstance(record.get("type"), str):
        return record
    return None


def decode_data(record: dict) -> bytes:
    return base64.b64decode(record["data"])


def is_io(record: dict) -> bool:
    return "direction" in record


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


def project_of(start: dict):
    """The project a session belongs to, from its start line: the name of the
    git work tree's top level (`git_root`), else of the directory it ran in."""
    if not start:
        return None
    for key in ("git_root", "cwd"):
        value = start.get(key)
        if isinstance(value, str) and value:
            return os.path.basename(value.rstrip("/")) or "/"
    return None


def file_identity(path: Path):
    st = os.stat(path)
    return st.st_ino, st.st_size
