"""One line of a session log: how it is written and how it is read back.

Two kinds of line share a file (full specification: docs/log-format.md):

* I/O lines, exactly the design note's schema, so its jq recipes work verbatim:
  {"timestamp", "session_id", "direction": "input"|"output", "data": base64, "size"}
* Event lines, told apart by a "type" key and the absence of "direction":
  "start" (first line, session metadata), "resize", "segment" (first line of a
  rotated continuation file) and "end" (last line; a log without it was cut off).

This module is imported by the recorder on every `claude` start: keep it to the
standard library and cheap to import (json, which brings `re`, is imported on
first use: the recorder writes an event line or two, readers parse many).
"""

import binascii
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
        binascii.b2a_base64(data, newline=False),
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
    text = compact_json(record)
    try:
        return text.encode() + b"\n"
    except UnicodeEncodeError:
        return compact_json(_valid_text(record)).encode() + b"\n"


# JSON string escapes, as json.dumps(ensure_ascii=False) writes them.
_ESCAPES = {i: "\\u%04x" % i for i in range(0x20)}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", 8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r"})


def compact_json(value) -> str:
    """json.dumps(value, separators=(",", ":"), ensure_ascii=False), byte for
    byte, for what event lines hold (str, int, float, bool, None, lists and
    dicts of them), without importing json (and `re`, which it brings) on the
    recorder's start-up (tests/test_recorder_log.py::test_compact_json_is_json_dumps)."""
    if isinstance(value, str):
        return '"' + value.translate(_ESCAPES) + '"'
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return float.__repr__(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(compact_json(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(compact_json(_key(k)) + ":" + compact_json(v) for k, v in value.items()) + "}"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _key(key):
    """A dict key as json.dumps writes it (keys are strings in JSON)."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return compact_json(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


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


_scan_json = None  # json's scanner, made on first use


def _loads(line: bytes):
    """json.loads(line), minus its per-call overhead for the lines we write
    (an object: json.loads would decode them as UTF-8), which the indexer
    parses by the hundred thousand. Raises ValueError where json.loads would."""
    global _scan_json
    if _scan_json is None:
        import json

        _scan_json = json.JSONDecoder().scan_once
    if not line.startswith(b'{"'):
        import json

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
    return binascii.a2b_base64(record["data"])


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
