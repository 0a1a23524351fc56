"""One line of a session log: how it is written and how it is read back.

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
import json
import os
import time

FORMAT_VERSION = 1

INPUT = "input"
OUTPUT = "output"

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
    """One event line. Strings that are not valid UTF-8 (a working directory
    or an argument whose name is not: Python hands them over with lone
    surrogates) are written with U+FFFD in place of each bad byte, so the
    line is valid JSON in valid UTF-8 and the session is recorded
    (tests/test_hardening_values.py::test_session_in_a_non_utf8_directory_is_recorded)."""
    record = {"type": event_type, "timestamp": utc_timestamp(t), "session_id": session_id}
    record.update(fields)
    text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode() + b"\n"
    except UnicodeEncodeError:
        return json.dumps(_valid_text(record), separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _valid_text(value):
    """`value` with every string made valid UTF-8 (bad bytes -> U+FFFD)."""
    if isinstance(value, str):
        try:
            value.encode()
            return value
        except UnicodeEncodeError:
            try:
                raw = value.encode("utf-8", "surrogateescape")  # os.fsdecode's bytes back
            except UnicodeEncodeError:
                raw = value.encode("utf-8", "surrogatepass")
            return raw.decode("utf-8", "replace")
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_valid_text(v) for v in value]
    return value


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
    """A dict for a well-formed cs line, else None (corrupt, foreign, or torn).

    Never raises for any bytes: 100,000 nested brackets (RecursionError), a
    number of 5,000 digits or invalid UTF-8 (ValueError) make a bad line, which
    costs only that line (tests/test_hardening_values.py::test_hostile_log_lines)."""
    try:
        record = _loads(line)
    except (ValueError, RecursionError):
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
