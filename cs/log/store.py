"""The files that hold a session: segment names, the one directory scan, reading.

Segment 1 is <uuid>.jsonl (the design note's path); a session rotated at
rotate_size continues in <uuid>.002.jsonl, ...; compressed segments carry a
further ".gz", encrypted ones (compressed, then age-encrypted: cs.log.crypto)
".gz.age". One rule for which file of a segment is read when several exist
(a compression or an encryption interrupted before removing its input): plain,
then .gz, then .gz.age (`_keep_readable`: the earlier is complete by
construction). Lines are parsed by cs.log.jsonl.

Only regular files are logs. Whatever else sits in logs/ under a log's name (a
FIFO, a symlink -- to /dev/zero, or out of the directory --, a directory, a
socket) is skipped by the scan and reported to the caller (`skipped`), and
`open_log` never blocks and never follows a link (O_NONBLOCK | O_NOFOLLOW, then
fstat must say S_ISREG). `logs/` itself must be a real directory: a symlink is
refused by every reader as by the recorder (`check_logs_dir`)
(tests/test_hardening_files.py).
"""

import errno
import os
import stat

from cs.log.jsonl import parse_line
from cs.log.paths import UnsafePathError

# A segment number has 3 to 6 digits: a 30-digit one is not ours (and would
# not fit an SQLite integer). Compiled on first use: the recorder imports this
# module for segment_name on every `claude` start, and `re` costs it 1.5 ms.
_SEGMENT_PATTERN = r"^(?P<sid>[0-9a-fA-F-]{36})(?:\.(?P<n>\d{3,6}))?\.jsonl(?P<gz>\.gz(?P<age>\.age)?)?$"
_segment_re = None
# A line longer than this (a chunk of 48 MiB) is skipped as a bad line without
# being held in memory whole. The recorder writes at most ~350 KB (a 256 KiB
# chunk in base64); other writers may join more.
MAX_LINE_BYTES = 64 << 20


class NotRegularFile(OSError):
    """A name in logs/ that is not a regular file (FIFO, symlink, directory...)."""


def check_logs_dir(logs_dir) -> bool:
    """True if logs/ exists as a real directory, False if it does not exist;
    UnsafePathError if it is a symlink or not a directory (one rule for every
    command: the recorder refuses to write through it, readers to read)."""
    try:
        st = os.lstat(logs_dir)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePathError(f"refusing to follow {logs_dir}: it is a symlink (logs/ must be a real directory)")
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePathError(f"{logs_dir} is not a directory")
    return True


ENCRYPTED_SUFFIX = ".gz.age"


def segment_name(session_id: str, n: int = 1, compressed: bool = False, encrypted: bool = False) -> str:
    name = f"{session_id}.jsonl" if n == 1 else f"{session_id}.{n:03d}.jsonl"
    if encrypted:
        return name + ENCRYPTED_SUFFIX
    return name + ".gz" if compressed else name


def is_encrypted(path) -> bool:
    return str(path).endswith(ENCRYPTED_SUFFIX)


def parse_segment_name(name: str):
    """(session_id, segment number, compressed) for a log file name, else None
    (compressed: .gz or .gz.age)."""
    global _segment_re
    if _segment_re is None:
        import re

        _segment_re = re.compile(_SEGMENT_PATTERN)
    m = _segment_re.match(name)
    if not m:
        return None
    n = int(m.group("n") or 1)
    if n < 1:
        return None
    return m.group("sid").lower(), n, bool(m.group("gz"))


def _keep_readable(segments: dict, n: int, path, compressed: bool) -> None:
    """Record `path` as segment n, by the one rule for which file of a segment
    is read (`reading_rank`)."""
    if n not in segments or reading_rank(path) < reading_rank(segments[n]):
        segments[n] = path


def reading_rank(path) -> int:
    """Which file of a segment to read when there are several (a compression or
    an encryption interrupted before it removed its input): the lowest rank,
    plain 0 (complete by construction), then .gz 1, then .gz.age 2."""
    name = str(path)
    return 2 if name.endswith(ENCRYPTED_SUFFIX) else 1 if name.endswith(".gz") else 0


def temp_name_for(name: str) -> str:
    """The temp file a compression of log file `name` writes (hidden: no reader
    or indexer globbing *.jsonl* ever sees it)."""
    return f".{name}.gz.tmp"


def _parse_temp_name(name: str):
    if name.startswith(".") and name.endswith((".gz.tmp", ".gz.age.tmp")):
        return parse_segment_name(name[1 : -len(".tmp")])
    return None


def scan(logs_dir, skipped: list = None, prefix: str = "", temps: bool = False):
    """The one directory scan: (entry, session id, segment number, compressed,
    is_temp) for every regular file of `logs_dir` named like a log segment (and,
    with `temps`, like a compression's temp file), from one listing. Names of
    logs that are not regular files go to `skipped` (if given); a symlinked
    logs/ yields nothing (check_logs_dir). `prefix`: only names starting with it."""
    if not check_logs_dir(logs_dir):
        return
    with os.scandir(logs_dir) as entries:
        for entry in entries:
            name = entry.name
            if prefix and not name.lower().startswith(prefix):
                continue
            parsed, temp = parse_segment_name(name), False
            if parsed is None and temps:
                parsed = _parse_temp_name(name)
                temp = parsed is not None
            if not parsed:
                continue
            try:
                regular = entry.is_file(follow_symlinks=False)
            except OSError:
                regular = False
            if not regular:
                if skipped is not None and not temp:
                    skipped.append(name)
                continue
            sid, n, compressed = parsed
            yield entry, sid, n, compressed, temp


def session_segments(logs_dir, session_id: str, skipped: list = None) -> list:
    """All files of one session in stream order (regular files only)."""
    by_number = all_sessions(logs_dir, skipped, prefix=session_id.lower()).get(session_id.lower(), {})
    return [by_number[n] for n in sorted(by_number)]


def all_sessions(logs_dir, skipped: list = None, prefix: str = "") -> dict:
    """session_id -> {segment number: Path} for every log in the directory,
    from one listing (a glob per session would be quadratic). Names of logs
    that are not regular files are appended to `skipped` (if given), not
    returned. `prefix`: only names starting with it (case-insensitive)."""
    from pathlib import Path

    sessions = {}
    for entry, sid, n, compressed, _temp in scan(logs_dir, skipped, prefix):
        _keep_readable(sessions.setdefault(sid, {}), n, Path(entry.path), compressed)
    return sessions


# ---------------------------------------------------------------- writing


def open_regular(path, flags: int = os.O_RDONLY) -> int:
    """An fd on `path` if it is a regular file; never blocks (a FIFO), never
    follows a symlink. NotRegularFile otherwise."""
    fd = os.open(path, flags | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(errno.EINVAL, "not a regular file", str(path))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _open_raw(path):
    try:
        return os.fdopen(open_regular(path), "rb")
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise NotRegularFile(errno.ELOOP, "a symlink, not followed", str(path)) from None
        raise


def open_log(path):
    """Open a log segment for binary reading, plain, gzip or age-encrypted
    gzip, by its name (regular files only, see open_regular; ELOOP for a
    symlink). An encrypted segment is decrypted in memory with the configured
    identity (cs.log.crypto); without one, EncryptedSession says which setting
    is missing."""
    import gzip
    from pathlib import Path

    path = Path(path)
    if is_encrypted(path):
        import io

        from cs.log import crypto

        crypto.check_configured(path.name)
        with _open_raw(path) as raw:
            data = raw.read()
        return gzip.GzipFile(fileobj=io.BytesIO(crypto.decrypt_configured(data, path.name)), mode="rb")
    raw = _open_raw(path)
    if path.name.endswith(".gz"):
        gz = gzip.GzipFile(fileobj=raw, mode="rb")
        gz.myfileobj = raw  # so that closing the GzipFile closes the file too
        return gz
    return raw


def iter_lines(path, start: int = 0):
    """Yield (offset, end_offset, line_bytes) for each *complete* line from `start`.

    Offsets are in the uncompressed stream. A last line without its newline is
    a write in progress (or torn by a crash): it is not yielded, and the caller
    resumes from the last end_offset next time.
    """
    with open_log(path) as f:
        if start:
            f.seek(start)
        offset = start
        readline = f.readline
        while True:
            line = readline(MAX_LINE_BYTES)
            if not line.endswith(b"\n"):
                if len(line) < MAX_LINE_BYTES:
                    return  # end of file (or a torn last line)
                # Too long to be ours: skip to its end, holding one piece at a
                # time; it is yielded as b"" (a bad line) with its true offsets.
                end = offset + len(line)
                while not line.endswith(b"\n"):
                    line = readline(MAX_LINE_BYTES)
                    if not line:
                        return  # never ended: a torn last line
                    end += len(line)
                yield offset, end, b""
                offset = end
                continue
            end = offset + len(line)
            yield offset, end, line
            offset = end


def iter_records(path, start: int = 0):
    """Yield (offset, end_offset, record) for each well-formed complete line;
    corrupt and foreign lines are skipped (callers that count them use iter_lines)."""
    for offset, end, line in iter_lines(path, start):
        record = parse_line(line)
        if record is not None:
            yield offset, end, record


def iter_session_records(logs_dir, session_id: str):
    """Yield (segment_number, offset, end_offset, record) across all segments."""
    for path in session_segments(logs_dir, session_id):
        n = parse_segment_name(path.name)[1]
        for offset, end, record in iter_records(path):
            yield n, offset, end, record
