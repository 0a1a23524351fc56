"""What is on disk: every session's files, and what its own lines say about it.

The log files are the source of truth: a session's age comes from its own
lines (the `end` line's timestamp, or for a cut-off session the last line's),
read cheaply from the first line and the tail of the last segment, so pruning
works even when the index is behind or missing. The index only serves as a
hint for compressed last segments (a finished session's ended_at), which would
otherwise have to be decompressed to find their last line.
"""

import os
import sqlite3
import time
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cs.errors import CsError
from cs.log import liveness, store
from cs.log.jsonl import parse_line, project_of
from cs.log.store import open_regular, reading_rank, scan
from cs.log.timestamps import parse_timestamp

# A session file with no complete line yet, modified this recently, may be a
# recorder between creating its file and writing its start line: leave it alone.
STARTING_GRACE_S = liveness.STARTING_GRACE_S

_TAIL_WINDOW = 64 * 1024
_FIRST_LINE_LIMIT = 1024 * 1024


@dataclass
class SessionFiles:
    """Every file on disk that belongs to one session."""

    session_id: str
    # Paths are plain strings: building 10,000s of pathlib objects is a
    # measurable part of a large prune.
    segments: dict = field(default_factory=dict)  # n -> {"plain": str, "gz": str, "age": str}
    temps: list = field(default_factory=list)  # interrupted compressions
    size: int = 0
    newest_mtime: float = 0.0

    def all_files(self) -> list:
        """For removal: highest segment first, segment 1 last (see module doc)."""
        out = list(self.temps)
        for n in sorted(self.segments, reverse=True):
            seg = self.segments[n]
            out.extend(p for p in (seg.get("age"), seg.get("gz"), seg.get("plain")) if p)
        return out

    def reading_path(self, n: int):
        """The file to read for segment n, by the one rule (cs.log.store.reading_rank)."""
        files = [p for p in (self.segments.get(n) or {}).values() if p]
        return min(files, key=reading_rank) if files else None


def scan_logs(logs_dir: Path) -> dict:
    """{session_id: SessionFiles} from one directory listing (globbing per
    session would make a 10,000-session prune quadratic)."""
    sessions = {}
    for entry, sid, n, compressed, temp in scan(logs_dir, temps=True):
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        sf = sessions.get(sid)
        if sf is None:
            sf = sessions[sid] = SessionFiles(sid)
        path = entry.path
        if temp:
            sf.temps.append(path)
        else:
            kind = ("age" if entry.name.endswith(".age") else "gz") if compressed else "plain"
            sf.segments.setdefault(n, {})[kind] = path
        sf.size += st.st_size
        sf.newest_mtime = max(sf.newest_mtime, st.st_mtime)
    return sessions


def _open_plain(path: str):
    try:
        return open_regular(path)
    except OSError:
        return None


def _head_line(fd: int):
    """The first line of a plain file, if complete, read with pread."""
    buf = b""
    while len(buf) < _FIRST_LINE_LIMIT:
        chunk = os.pread(fd, 65536, len(buf))
        if not chunk:
            return None
        buf += chunk
        end = buf.find(b"\n")
        if end >= 0:
            return buf[: end + 1]
    return None


def _first_record_gz(path: str):
    """The first line of a .gz (or, with the identity, a .gz.age) segment."""
    try:
        with store.open_log(path) as f:
            line = f.readline(_FIRST_LINE_LIMIT)
    except (OSError, EOFError, zlib.error, CsError):  # CsError: encrypted, no identity
        return None
    return parse_line(line) if line.endswith(b"\n") else None


def _last_record_fd(fd: int):
    """The last well-formed complete line of a plain file, reading backwards
    in growing windows (a torn last line is skipped, as readers do)."""
    size = os.fstat(fd).st_size
    window = _TAIL_WINDOW
    while True:
        start = max(0, size - window)
        lines = os.pread(fd, size - start, start).split(b"\n")
        lines.pop()  # after the last newline: empty, or a torn line
        if start > 0:
            lines = lines[1:]  # may begin mid-line
        for line in reversed(lines):
            record = parse_line(line)
            if record is not None:
                return record
        if start == 0:
            return None
        window *= 4


def _last_record_gz(path: str):
    last = None
    try:
        with store.open_log(path) as f:
            for line in f:
                if line.endswith(b"\n"):
                    record = parse_line(line)
                    if record is not None:
                        last = record
    except (OSError, EOFError, zlib.error, CsError):
        pass  # a damaged archive (or encrypted without the identity): what we read is what we know
    return last


@dataclass
class SessionInfo:
    id: str
    status: str  # finished | cut_off | live | starting
    started_at: object = None  # datetime
    ended_at: object = None  # datetime of the end line
    last_at: object = None  # datetime of the last line read
    cwd: str = None
    project: str = None
    files: SessionFiles = None

    @property
    def size(self) -> int:
        return self.files.size

    @property
    def age_at(self):
        """When the session ended for retention purposes."""
        return self.ended_at or self.last_at

    def as_dict(self) -> dict:
        iso = lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z") if d else None  # noqa: E731
        return {
            "id": self.id,
            "status": self.status,
            "project": self.project,
            "cwd": self.cwd,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.age_at),
            "bytes": self.size,
            "files": [os.path.basename(p) for p in self.files.all_files()],
        }


def read_session_info(logs_dir: Path, sf: SessionFiles, hints: dict = None, now: float = None) -> SessionInfo:
    """What the logs say about one session (start line, last line, liveness).

    Segment 1 plain is opened once: the live-lock test, the start line and,
    for a one-segment session, the tail all use that one descriptor."""
    info = SessionInfo(sf.session_id, "cut_off", files=sf)
    first = sf.reading_path(1)
    last_path = sf.reading_path(max(sf.segments)) if sf.segments else None
    fd = _open_plain(first) if first and not first.endswith((".gz", ".age")) else None
    try:
        if fd is not None:
            state = liveness.probe(fd)
        else:
            state = liveness.LIVE if liveness.is_live(logs_dir, sf.session_id) else liveness.IDLE
        if state == liveness.LIVE:
            info.status = "live"
        elif state == liveness.STARTING:
            info.status = "starting"
        if fd is not None:
            head = _head_line(fd)
            start = parse_line(head) if head else None
        else:
            start = _first_record_gz(first) if first else None
        if start is not None:
            info.started_at = parse_timestamp(start.get("timestamp"))
            if start.get("type") == "start":
                info.cwd = start.get("cwd") if isinstance(start.get("cwd"), str) else None
                info.project = project_of(start)
        if last_path is None:
            last = None  # only stray temp files are left
        elif last_path == first and fd is not None:
            last = _last_record_fd(fd)
        elif last_path.endswith((".gz", ".age")):
            hinted = (hints or {}).get(sf.session_id)
            last = {"type": "end", "timestamp": hinted} if hinted else _last_record_gz(last_path)
        else:
            last_fd = _open_plain(last_path)
            try:
                last = _last_record_fd(last_fd) if last_fd is not None else None
            finally:
                if last_fd is not None:
                    os.close(last_fd)
    finally:
        if fd is not None:
            os.close(fd)  # drops our shared lock
    if last is not None:
        info.last_at = parse_timestamp(last.get("timestamp"))
        if last.get("type") == "end" and info.status != "live":
            info.status = "finished"
            info.ended_at = info.last_at
    if info.age_at is None:
        # Nothing readable: the file's own time is all we have.
        info.last_at = datetime.fromtimestamp(sf.newest_mtime, UTC)
        now = time.time() if now is None else now
        if info.status == "cut_off" and info.started_at is None and now - sf.newest_mtime < STARTING_GRACE_S:
            info.status = "starting"
    return info


_HINTS_SQL = "SELECT id, ended_at FROM sessions WHERE status = 'finished' AND ended_at IS NOT NULL"


def index_hints(db=None, db_file: Path = None) -> dict:
    """{session_id: ended_at} of finished sessions, from the index: through the
    caller's connection, or (dry runs) by opening db_file immutable, which
    creates no -wal/-shm file and takes no lock, so not a byte changes. A
    finished session's end time never changes, so a stale read only misses
    hints. {} if there is no usable index."""
    try:
        if db is not None:
            return dict(db.execute(_HINTS_SQL).fetchall())
        if db_file is None or not Path(db_file).exists():
            return {}
        conn = sqlite3.connect(f"file:{Path(db_file).absolute()}?immutable=1", uri=True)
        try:
            return dict(conn.execute(_HINTS_SQL).fetchall())
        finally:
            conn.close()
    except sqlite3.Error:
        return {}


def read_all(logs_dir: Path, hints: dict = None, now: float = None) -> list:
    return [read_session_info(logs_dir, sf, hints, now) for sf in scan_logs(logs_dir).values()]
