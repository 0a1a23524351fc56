"""`cs scrub PATTERN`: a secret leaked into history anyway; mask it in the logs.

Every matching log is rewritten with each match replaced by as many `*` bytes:
every chunk keeps its size, so every line keeps its `size`, the seed's format
holds, and (base64 of the same length) every line keeps its length: byte
offsets (search hits, replay positions) stay true. Matches are
found in the decoded stream of each direction, so one split across chunks (or
segments) is found too, up to WINDOW bytes long.

Safety: each rewritten segment goes to a private temp file beside it, is
fsync'd and renamed over the original (a crash leaves the old file or the new
one); a compressed segment is rewritten compressed, an encrypted one (.gz.age)
encrypted again to encrypt_recipients (reading it needs identity_file). The segment a live
session is writing is never touched (reported, skipped). The index rows of a
changed session are dropped so the next pass reads it again. Tests:
tests/test_scrub_forget.py.
"""

import base64
import gzip
import json
import re
from pathlib import Path

from cs.log import crypto, jsonl, liveness, locks, paths, store

WINDOW = 4096  # the longest match found across a chunk boundary


def compile_pattern(pattern: str, literal: bool = False):
    from cs.errors import UsageError

    try:
        return re.compile(re.escape(pattern.encode()) if literal else pattern.encode("utf-8", "surrogateescape"))
    except re.error as e:
        raise UsageError(f"invalid pattern {pattern!r}: {e} (use --literal for plain text)") from None


def scrub(regex, session_ids, dry_run: bool = False, db=None) -> dict:
    """Mask `regex` (a compiled bytes pattern) in these sessions' logs."""
    logs_dir = paths.logs_dir()
    result = {"dry_run": dry_run, "sessions": [], "matches": 0, "skipped_live_segments": []}
    with locks.held(locks.MAINTENANCE):
        for sid in session_ids:
            segments = store.session_segments(logs_dir, sid)
            if not segments:
                continue
            live = liveness.is_live(logs_dir, sid)
            ranges = _match_ranges(regex, segments)
            count = sum(len(r) for r in ranges.values())
            if not count:
                continue
            result["matches"] += count
            entry = {"id": sid, "matches": count, "segments_rewritten": 0}
            result["sessions"].append(entry)
            if dry_run:
                continue
            current = segments[-1] if live else None
            for path in segments:
                if path == current:
                    result["skipped_live_segments"].append(path.name)
                    continue
                if _rewrite(path, ranges, _stream_offsets(segments, path)):
                    entry["segments_rewritten"] += 1
            if entry["segments_rewritten"] and db is not None:
                _forget_rows(db, sid)
    return result


def _io_records(path: Path):
    """(line index, record, data) for each I/O line with data, in order."""
    for i, (_start, _end, raw) in enumerate(store.iter_lines(path)):
        record = jsonl.parse_line(raw)
        if record is None or "direction" not in record or record.get("masked") is not None:
            continue
        try:
            data = jsonl.decode_data(record)
        except (ValueError, KeyError, TypeError):
            continue
        yield i, record, data


def _match_ranges(regex, segments) -> dict:
    """{direction: [(start, end)]} of matches in each direction's decoded stream."""
    ranges = {jsonl.INPUT: [], jsonl.OUTPUT: []}
    carry = {jsonl.INPUT: b"", jsonl.OUTPUT: b""}
    offset = {jsonl.INPUT: 0, jsonl.OUTPUT: 0}
    for path in segments:
        for _i, record, data in _io_records(path):
            d = record["direction"]
            if d not in ranges:
                continue
            window = carry[d] + data
            base = offset[d] - len(carry[d])
            for m in regex.finditer(window):
                if m.end() > len(carry[d]) and m.end() > m.start():  # not wholly in the carry (found before)
                    span = (base + m.start(), base + m.end())
                    if not ranges[d] or span[0] >= ranges[d][-1][1]:
                        ranges[d].append(span)
            offset[d] += len(data)
            carry[d] = window[-WINDOW:]
    return ranges


def _stream_offsets(segments, upto: Path) -> dict:
    """Bytes of each direction's stream before segment `upto`."""
    before = {jsonl.INPUT: 0, jsonl.OUTPUT: 0}
    for path in segments:
        if path == upto:
            break
        for _i, record, data in _io_records(path):
            if record["direction"] in before:
                before[record["direction"]] += len(data)
    return before


def _rewrite(path: Path, ranges: dict, offsets: dict) -> bool:
    """Rewrite one segment with the ranges masked; False if nothing in it changed."""
    lines = list(store.iter_lines(path))
    changed = False
    out = []
    position = dict(offsets)
    for _start, _end, raw in lines:
        record = jsonl.parse_line(raw)
        if (
            record is None
            or "direction" not in record
            or record.get("masked") is not None
            or record["direction"] not in ranges
        ):
            out.append(raw)
            continue
        try:
            data = jsonl.decode_data(record)
        except (ValueError, KeyError, TypeError):
            out.append(raw)
            continue
        d = record["direction"]
        masked = _mask(data, position[d], ranges[d])
        position[d] += len(data)
        if masked == data:
            out.append(raw)
            continue
        # The same number of bytes encodes to the same number of base64
        # characters: the line keeps its length, so every later offset holds.
        old_b64 = record["data"].encode("ascii")
        new_b64 = base64.b64encode(masked)
        new_raw = raw.replace(b'"data":"' + old_b64 + b'"', b'"data":"' + new_b64 + b'"', 1)
        if new_raw == raw:  # written by another tool, spaced differently: say it again in JSON
            record["data"] = new_b64.decode("ascii")
            new_raw = json.dumps(record).encode() + b"\n"
        out.append(new_raw)
        changed = True
    if changed:
        data = b"".join(out)
        if store.is_encrypted(path):
            data = crypto.encrypt(gzip.compress(data), _recipients(path))
        elif path.name.endswith(".gz"):
            data = gzip.compress(data)
        paths.write_private_atomically(path, data)
    return changed


def _recipients(path: Path) -> list:
    """The recipients an encrypted segment is written to again: encrypt_recipients."""
    from cs import config
    from cs.errors import CsError

    wanted = config.settings(checked=False).encrypt_recipients
    if not wanted:
        raise CsError(f"{path.name} is encrypted and encrypt_recipients is not set: it cannot be written again")
    return crypto.parse_recipients(",".join(wanted))


def _mask(data: bytes, start: int, spans: list) -> bytes:
    end = start + len(data)
    buf = None
    for a, b in spans:
        if b <= start or a >= end:
            continue
        buf = buf or bytearray(data)
        for i in range(max(a, start) - start, min(b, end) - start):
            buf[i] = 0x2A  # "*"
    return bytes(buf) if buf is not None else data


def _forget_rows(db, sid: str) -> None:
    """Make the next indexing pass read the session again (its text changed)."""
    with db.atomic():
        db.execute("DELETE FROM lines WHERE session_id = ?", [sid])
        db.execute("DELETE FROM log_files WHERE session_id = ?", [sid])
        db.execute("DELETE FROM render_state WHERE session_id = ?", [sid])
