"""Which sessions to remove, and removing them safely (`cs prune`, the watcher).

The log files are the source of truth: a session's age comes from its own
lines (the `end` line's timestamp, or for a cut-off session the last line's),
read cheaply from the first line and the tail of the last segment, so pruning
works even when the index is behind or missing. The index only serves as a
hint for compressed last segments (a finished session's ended_at), which would
otherwise have to be decompressed to find their last line.

Crash safety (proved by tests/test_prune_crash.py, which SIGKILLs prune):

  1. the chosen session ids are written to <home>/prune.pending (fsync'd);
  2. their index rows are deleted (one transaction);
  3. their files are unlinked, highest segment first, segment 1 last, so that
     whatever is left of a half-removed session still starts with its start line;
  4. their index rows are deleted again if an indexing pass could have run
     meanwhile (2-4 hold the indexer's pass lock when it can be had within
     10 s: every index writer takes it), the directory is fsync'd;
  5. prune.pending is removed.

At every point, no index row points at a missing file (rows always go before
files). Killed anywhere, the next prune first finishes what prune.pending
lists, whatever its own options; `cs index` meanwhile may re-index leftovers,
which the next prune removes with their rows.

Maintenance (prune, compress, apply_policy) is serialised by an flock on
<home>/prune.lock: a second prune waits, then removes only what is left, and
reports only what it actually removed.
"""

import contextlib
import fcntl
import gzip
import os
import sqlite3
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from cs.log import liveness
from cs.log import paths
from cs.log.jsonl import parse_line, project_of
from cs.log.store import check_logs_dir, open_regular
from cs.log.store import parse_segment_name

PENDING_NAME = "prune.pending"
LOCK_NAME = "prune.lock"

# A session file with no complete line yet, modified this recently, may be a
# recorder between creating its file and writing its start line: leave it alone.
STARTING_GRACE_S = liveness.STARTING_GRACE_S

# apply_policy runs inside the watcher's loop: compress at most about this
# much per call (~1-2 s of zlib), leaving the rest for the next call.
WATCHER_COMPRESS_BUDGET = 64 * 1024 * 1024

_TAIL_WINDOW = 64 * 1024
_FIRST_LINE_LIMIT = 1024 * 1024


# ---------------------------------------------------------------- scanning


@dataclass
class SessionFiles:
    """Every file on disk that belongs to one session."""

    session_id: str
    # Paths are plain strings: building 10,000s of pathlib objects is a
    # measurable part of a large prune.
    segments: dict = field(default_factory=dict)  # n -> {"plain": str, "gz": str}
    temps: list = field(default_factory=list)  # interrupted compressions
    size: int = 0
    newest_mtime: float = 0.0

    def all_files(self) -> list:
        """For removal: highest segment first, segment 1 last (see module doc)."""
        out = list(self.temps)
        for n in sorted(self.segments, reverse=True):
            out.extend(p for p in (self.segments[n].get("gz"), self.segments[n].get("plain")) if p)
        return out

    def reading_path(self, n: int):
        """The file to read for segment n: plain wins, it is complete by construction."""
        seg = self.segments.get(n) or {}
        return seg.get("plain") or seg.get("gz")


def temp_name_for(name: str) -> str:
    """The temp file a compression of log file `name` writes (hidden: no reader
    or indexer globbing *.jsonl* ever sees it)."""
    return f".{name}.gz.tmp"


def _parse_temp_name(name: str):
    if name.startswith(".") and name.endswith(".gz.tmp"):
        return parse_segment_name(name[1 : -len(".tmp")])
    return None


def scan_logs(logs_dir: Path) -> dict:
    """{session_id: SessionFiles} from one directory listing (globbing per
    session would make a 10,000-session prune quadratic)."""
    sessions = {}
    if not check_logs_dir(logs_dir):  # a symlinked logs/ is refused, as everywhere
        return sessions
    entries = list(os.scandir(logs_dir))
    for entry in entries:
        parsed = parse_segment_name(entry.name)
        temp = False
        if parsed is None:
            parsed = _parse_temp_name(entry.name)
            temp = parsed is not None
        if parsed is None or not entry.is_file(follow_symlinks=False):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        sid, n, compressed = parsed
        sf = sessions.get(sid)
        if sf is None:
            sf = sessions[sid] = SessionFiles(sid)
        path = entry.path
        if temp:
            sf.temps.append(path)
        else:
            sf.segments.setdefault(n, {})["gz" if compressed else "plain"] = path
        sf.size += st.st_size
        sf.newest_mtime = max(sf.newest_mtime, st.st_mtime)
    return sessions


# ---------------------------------------------------------------- reading


def parse_ts(text):
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


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
    try:
        with gzip.open(path, "rb") as f:
            line = f.readline(_FIRST_LINE_LIMIT)
    except (OSError, EOFError, zlib.error):
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
        with gzip.open(path, "rb") as f:
            for line in f:
                if line.endswith(b"\n"):
                    record = parse_line(line)
                    if record is not None:
                        last = record
    except (OSError, EOFError, zlib.error):
        pass  # a damaged archive: what we read is what we know
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
    fd = _open_plain(first) if first and not first.endswith(".gz") else None
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
            info.started_at = parse_ts(start.get("timestamp"))
            if start.get("type") == "start":
                info.cwd = start.get("cwd") if isinstance(start.get("cwd"), str) else None
                info.project = project_of(start)
        if last_path is None:
            last = None  # only stray temp files are left
        elif last_path == first and fd is not None:
            last = _last_record_fd(fd)
        elif last_path.endswith(".gz"):
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
        info.last_at = parse_ts(last.get("timestamp"))
        if last.get("type") == "end" and info.status != "live":
            info.status = "finished"
            info.ended_at = info.last_at
    if info.age_at is None:
        # Nothing readable: the file's own time is all we have.
        info.last_at = datetime.fromtimestamp(sf.newest_mtime, timezone.utc)
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


# ---------------------------------------------------------------- selection


@dataclass
class Policy:
    older_than: object = None  # datetime: remove sessions that ended before it
    keep: int = None  # keep at most the newest N
    max_size: int = None  # keep the newest within this many bytes
    project: str = None
    cwd: str = None

    def is_empty(self) -> bool:
        return self.older_than is None and self.keep is None and self.max_size is None

    def as_dict(self) -> dict:
        return {
            "older_than": self.older_than.isoformat() if self.older_than else None,
            "keep": self.keep,
            "max_size": self.max_size,
            "project": self.project,
            "cwd": self.cwd,
        }


def _in_scope(info: SessionInfo, policy: Policy) -> bool:
    if policy.project is not None and info.project != policy.project:
        return False
    if policy.cwd is not None:
        cwd = info.cwd
        if cwd is None:
            return False
        root = policy.cwd.rstrip("/") or "/"
        if not (cwd == root or cwd.startswith(root if root.endswith("/") else root + "/")):
            return False
    return True


def select(infos: list, policy: Policy) -> tuple:
    """(to_remove: [(info, reasons)], kept: [info], protected: [info]).

    Within the sessions in scope, newest first (live ones count as newest: they
    take space and are never removed), a session goes if any limit says so:
    ended before older_than, beyond the newest `keep`, or beyond the newest
    prefix that fits in max_size."""
    far_future = datetime.max.replace(tzinfo=timezone.utc)
    scoped = [i for i in infos if _in_scope(i, policy)]
    scoped.sort(key=lambda i: (far_future if i.status in ("live", "starting") else i.age_at, i.id), reverse=True)
    to_remove, kept, protected = [], [], []
    total, size_exceeded = 0, False
    for rank, info in enumerate(scoped):
        total += info.size
        if policy.max_size is not None and total > policy.max_size:
            size_exceeded = True  # once one does not fit, every older one goes too
        if info.status in ("live", "starting"):
            protected.append(info)
            continue
        reasons = []
        if policy.older_than is not None and info.age_at < policy.older_than:
            reasons.append("older")
        if policy.keep is not None and rank >= policy.keep:
            reasons.append("keep")
        if size_exceeded:
            reasons.append("max-size")
        if reasons:
            to_remove.append((info, reasons))
        else:
            kept.append(info)
    return to_remove, kept, protected


# ---------------------------------------------------------------- removing


@contextlib.contextmanager
def maintenance_lock(home: Path, blocking: bool = True):
    """Serialise prune/compress/apply_policy. Yields True when held; with
    blocking=False, yields False at once if another run holds it."""
    paths.ensure_private_dir(home)
    path = Path(home) / LOCK_NAME
    try:
        fd = paths.create_private_file(path, append=False)
    except FileExistsError:
        fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_pending(home: Path, session_ids: list) -> None:
    path = Path(home) / PENDING_NAME
    tmp = Path(home) / (PENDING_NAME + ".tmp")
    try:
        os.unlink(tmp)  # left by a killed run; we hold the maintenance lock
    except FileNotFoundError:
        pass
    fd = paths.create_private_file(tmp, append=False)
    with os.fdopen(fd, "wb") as f:
        f.write("".join(sid + "\n" for sid in session_ids).encode())
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fsync_dir(home)


def _read_pending(home: Path) -> list:
    try:
        text = (Path(home) / PENDING_NAME).read_text()
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if parse_segment_name(line.strip() + ".jsonl")]


def _clear_pending(home: Path) -> None:
    try:
        os.unlink(Path(home) / PENDING_NAME)
    except FileNotFoundError:
        return
    fsync_dir(home)


def _delete_rows(db, session_ids) -> int:
    """Delete every index row of these sessions in one transaction; returns how
    many of them the index had."""
    if db is None or not session_ids:
        return 0
    from cs.db import delete_sessions

    ids = list(session_ids)
    with db.atomic():
        known = 0
        for k in range(0, len(ids), 500):
            batch = ids[k : k + 500]
            marks = ",".join("?" * len(batch))
            known += db.execute(f"SELECT count(*) FROM sessions WHERE id IN ({marks})", batch).fetchone()[0]
        delete_sessions(db, ids)
    return known


def _unlink_files(files: list) -> tuple:
    """(files removed, bytes freed) counting only what this call removed, so two
    prunes racing never count a file twice."""
    removed, freed = 0, 0
    for path in files:
        try:
            size = os.lstat(path).st_size
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed += 1
        freed += size
    return removed, freed


def _remove_sessions(home: Path, logs_dir: Path, db, infos: list) -> list:
    """Steps 1-5 of the module doc; returns [(info, files_removed, bytes_freed)]
    for the sessions this call actually removed files of."""
    ids = [i.id for i in infos]
    _write_pending(home, ids)
    done = []
    with indexing_paused() as no_pass_running:
        _delete_rows(db, ids)
        for info in infos:
            # Liveness was settled when these were chosen: a session that is
            # not live never becomes live again (a recorder starts a new id).
            removed, freed = _unlink_files(info.files.all_files())
            if removed:
                done.append((info, removed, freed))
        if not no_pass_running:
            _delete_rows(db, ids)  # a pass may have re-read a file meanwhile
    fsync_dir(logs_dir)
    _clear_pending(home)
    return done


# An indexing pass that read a file just before we unlinked it could write its
# rows just after: holding the indexer's pass lock while rows and files go
# closes that window. Not for ever, though: a first indexing of a large
# history can hold it for minutes, and without it we are still safe (rows are
# deleted twice, and every prune removes index rows whose files are gone).
PASS_LOCK_WAIT_S = 10.0


@contextlib.contextmanager
def indexing_paused(timeout: float = PASS_LOCK_WAIT_S):
    """Hold the indexer's pass lock (<home>/index.lock) if we can get it in time."""
    try:
        from cs.index.indexer import pass_lock
    except ImportError:
        yield False
        return
    with pass_lock(timeout) as lock:
        yield lock.acquired


def _finish_pending(home: Path, logs_dir: Path, db) -> list:
    """Complete a prune that was killed: whatever prune.pending lists goes."""
    pending = _read_pending(home)
    if not pending:
        _clear_pending(home)
        return []
    on_disk = scan_logs(logs_dir)
    infos = []
    for sid in pending:
        sf = on_disk.get(sid) or SessionFiles(sid)
        infos.append(SessionInfo(sid, "cut_off", files=sf))
    return _remove_sessions(home, logs_dir, db, infos)


def _open_index_for_writing(db):
    if db is not None:
        return db, False
    if not paths.db_path().exists():
        return None, False  # no index to keep in step with; do not create one
    from cs.db import open_db

    return open_db(), True


def _orphan_sessions(db, logs_dir: Path) -> list:
    """Index sessions none of whose files exist any more (removed by hand, or
    by a prune killed before this one). The directory is listed *after* the
    query: a session in the index had files when it was indexed, and nothing
    but prune removes them, so one missing from the later listing is gone."""
    indexed = [sid for (sid,) in db.execute("SELECT id FROM sessions").fetchall()]
    on_disk = scan_logs(logs_dir)
    return [sid for sid in indexed if sid not in on_disk or not on_disk[sid].segments]


def _empty_result(policy: Policy, dry_run: bool) -> dict:
    return {
        "dry_run": dry_run,
        "policy": policy.as_dict(),
        "removed": [],  # sessions (as_dict + reasons + bytes actually freed)
        "bytes_freed": 0,
        "files_removed": 0,
        "kept": 0,  # sessions in scope that stay
        "live": [],  # ids protected because a recorder holds them (or is starting)
        "resumed": [],  # ids finished for a prune that was killed
        "index_orphans_removed": 0,  # index sessions whose files were already gone
        "busy": False,  # another maintenance run held the lock (non-blocking callers)
    }


def prune(policy: Policy, dry_run: bool = False, db=None, now: datetime = None, lock_blocking: bool = True) -> dict:
    """Apply `policy`; return what was (or, dry_run, would be) removed.

    dry_run changes nothing at all: no lock file, no database write, no
    migration (the index is only read, read-only, for hints)."""
    home, logs_dir = paths.cs_home(), paths.logs_dir()
    now_ts = (now or datetime.now(timezone.utc)).timestamp()
    result = _empty_result(policy, dry_run)
    if dry_run:
        infos = read_all(logs_dir, index_hints(db_file=paths.db_path()), now_ts)
        pending = set(_read_pending(home))
        to_remove, kept, protected = select(infos, policy)
        chosen = {i.id for i, _ in to_remove}
        for info in infos:
            if info.id in pending and info.id not in chosen:
                to_remove.append((info, ["unfinished-prune"]))
        for info, reasons in to_remove:
            result["removed"].append(dict(info.as_dict(), reasons=reasons))
            result["bytes_freed"] += info.size
            result["files_removed"] += len(info.files.all_files())
        result["kept"] = len(kept)
        result["live"] = [i.id for i in protected]
        return result
    with maintenance_lock(home, blocking=lock_blocking) as held:
        if not held:
            result["busy"] = True
            return result
        return _prune_locked(policy, db, now_ts, result)


def _prune_locked(policy: Policy, db, now_ts: float, result: dict) -> dict:
    """The real run, with the maintenance lock held by the caller."""
    home, logs_dir = paths.cs_home(), paths.logs_dir()
    db, opened = _open_index_for_writing(db)
    try:
        for info, removed, freed in _finish_pending(home, logs_dir, db):
            result["resumed"].append(info.id)
            result["files_removed"] += removed
            result["bytes_freed"] += freed
        infos = read_all(logs_dir, index_hints(db), now_ts)
        to_remove, kept, protected = select(infos, policy)
        reasons_by_id = {info.id: reasons for info, reasons in to_remove}
        if to_remove:
            for info, removed, freed in _remove_sessions(home, logs_dir, db, [i for i, _ in to_remove]):
                result["removed"].append(dict(info.as_dict(), reasons=reasons_by_id[info.id], bytes=freed))
                result["files_removed"] += removed
                result["bytes_freed"] += freed
        if db is not None:
            orphans = _orphan_sessions(db, logs_dir)
            result["index_orphans_removed"] = _delete_rows(db, orphans)
        result["kept"] = len(kept)
        result["live"] = [i.id for i in protected]
    finally:
        if opened:
            db.conn.close()
    return result


# ---------------------------------------------------------------- policy


def policy_from_config(values: dict, now: datetime = None) -> Policy:
    """The configured retention policy (retention, max_total_size)."""
    from cs.units import parse_duration, parse_size

    now = now or datetime.now(timezone.utc)
    policy = Policy()
    if values.get("retention"):
        policy.older_than = now - parse_duration(values["retention"])
    if values.get("max_total_size") is not None:
        policy.max_size = parse_size(values["max_total_size"])
    return policy


def apply_policy(db=None, now: datetime = None) -> dict:
    """Retention, size limit and compression as configured; what the watcher
    runs periodically. Never raises for a user mistake: a broken config is
    reported in "errors" and the part it governs is skipped. If another
    maintenance run holds the lock, returns at once with busy=True."""
    from cs import config
    from cs.maintenance import compress
    from cs.units import parse_duration

    now = now or datetime.now(timezone.utc)
    result = {"pruned": None, "compressed": None, "errors": [], "busy": False}
    try:
        values = config.load_checked()
    except config.ConfigError as exc:
        result["errors"].append(str(exc))
        return result
    home = paths.cs_home()
    with maintenance_lock(home, blocking=False) as held:
        if not held:
            result["busy"] = True
            return result
        policy = policy_from_config(values, now)
        if not policy.is_empty():
            result["pruned"] = _prune_locked(policy, db, now.timestamp(), _empty_result(policy, False))
        if values.get("compress_after") not in (None, "off"):
            cutoff = now - parse_duration(values["compress_after"])
            result["compressed"] = compress.compress(older_than=cutoff, db=db, now=now,
                                                     budget_bytes=WATCHER_COMPRESS_BUDGET, _locked=True)
    return result
