"""Helpers shared by the retention tests (no tests here): sessions written the
way the recorder writes them (cs.log encoders, crafted timestamps, the
live lock), and index rows matching migrations/0001_initial.sql."""

import fcntl
import gzip
import hashlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from cs.log import jsonl, store
from cs.log import paths

DAY = 86400.0


def ago(days: float) -> float:
    return time.time() - days * DAY


def make_session(
    logs_dir: Path,
    ended_days_ago: float = None,
    *,
    last_days_ago: float = None,
    duration_s: float = 600,
    cwd: str = "/home/u/work/proj",
    git_toplevel: str = None,
    chunks: int = 20,
    chunk_bytes: int = 200,
    segments: int = 1,
    compressed_segments=(),
    session_id: str = None,
) -> str:
    """Write a session's log files; returns its id.

    ended_days_ago: the end line's time. Without it the session is cut off and
    last_days_ago is the time of its last line."""
    sid = session_id or str(uuid.uuid4())
    paths.ensure_private_dir(logs_dir)
    finished = ended_days_ago is not None
    t_end = ago(ended_days_ago if finished else last_days_ago)
    t0 = t_end - duration_s
    start = {"cwd": cwd, "argv": ["claude"], "cols": 80, "rows": 24, "format": 1}
    if git_toplevel:
        start.update(git_root=git_toplevel, git_branch="main")  # as cs/record/start.py writes it
    lines = [jsonl.event_line(sid, "start", start, t=t0)]
    step = duration_s / (chunks + 1)
    for i in range(chunks):
        direction = jsonl.OUTPUT if i % 3 else jsonl.INPUT
        payload = (f"chunk {i} of {sid[:8]} " * 50).encode()[:chunk_bytes]
        lines.append(jsonl.io_line(sid, direction, payload, t=t0 + (i + 1) * step))
    if finished:
        lines.append(jsonl.event_line(sid, "end", {"exit_code": 0}, t=t_end))
    else:
        lines.append(jsonl.io_line(sid, jsonl.OUTPUT, b"last words", t=t_end))
    per = max(1, len(lines) // segments)
    parts = [lines[i * per : (i + 1) * per] for i in range(segments - 1)] + [lines[(segments - 1) * per :]]
    for n, part in enumerate(parts, start=1):
        if n > 1:
            part = [jsonl.event_line(sid, "segment", {"segment": n}, t=t0)] + part
        data = b"".join(part)
        name = store.segment_name(sid, n, compressed=n in compressed_segments)
        fd = paths.create_private_file(logs_dir / name, append=False)
        with os.fdopen(fd, "wb") as f:
            f.write(gzip.compress(data) if n in compressed_segments else data)
    return sid


class LiveLock:
    """Hold the recorder's live lock on segment 1 from the test process."""

    def __init__(self, logs_dir: Path, sid: str):
        self.fd = os.open(logs_dir / store.segment_name(sid), os.O_RDWR)
        fcntl.flock(self.fd, fcntl.LOCK_EX)

    def release(self):
        os.close(self.fd)


def index_session(db, logs_dir: Path, sid: str, segment_paths=None) -> None:
    """Insert index rows for a session as an indexer would (until `cs index`
    lands: sessions, lines (+ FTS via triggers), log_files)."""
    if segment_paths is None:
        segment_paths = store.session_segments(logs_dir, sid)
    records = []
    for path in segment_paths:
        n = store.parse_segment_name(path.name)[1]
        records.extend((n, off, end, rec) for off, end, rec in store.iter_records(path))
    first, last = records[0][3], records[-1][3]
    finished = last.get("type") == "end"
    db.execute(
        "INSERT INTO sessions(id, started_at, ended_at, last_event_at, status, cwd) VALUES (?,?,?,?,?,?)",
        [sid, first["timestamp"], last["timestamp"] if finished else None, last["timestamp"],
         "finished" if finished else "cut_off", first.get("cwd")],
    )
    for n, off, end, rec in records:
        if jsonl.is_io(rec) and rec["data"]:
            text = jsonl.decode_data(rec).decode("utf-8", "replace")
            db.execute(
                "INSERT OR IGNORE INTO lines(session_id, ts, direction, text, segment, offset) "
                "VALUES (?,?,?,?,?,?)",
                [sid, rec["timestamp"], rec["direction"], text, n, off],
            )
    ends = {}
    for n, off, end, rec in records:
        ends[n] = end
    for path in segment_paths:
        n = store.parse_segment_name(path.name)[1]
        st = path.stat()
        db.execute(
            "INSERT INTO log_files(name, session_id, segment, inode, size, offset) VALUES (?,?,?,?,?,?)",
            [path.name, sid, n, st.st_ino, st.st_size, ends.get(n, 0)],
        )


def index_all(logs_dir: Path, sids=None) -> None:
    """Index the logs with the real indexer (`cs index`), as a user would."""
    from conftest import find_cs_exe

    proc = subprocess.run([find_cs_exe(), "index", "-q"], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise AssertionError(f"cs index failed: {proc.stdout}{proc.stderr}")


def index_rows_directly(logs_dir: Path, sids) -> None:
    """Insert index rows without the renderer (much faster: for benchmarks of
    prune itself). Same tables and keys as the indexer fills."""
    from cs.db import open_db
    from cs.maintenance.inventory import scan_logs

    on_disk = scan_logs(logs_dir)
    db = open_db()
    with db.atomic():
        for sid in sids:
            sf = on_disk[sid]
            index_session(db, logs_dir, sid, [Path(sf.reading_path(n)) for n in sorted(sf.segments)])
    db.conn.close()


def tree_hashes(root: Path) -> dict:
    """{relative path: sha256} of every file under root."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        if p.is_file():
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run_cs(cs_exe, *args, check=True, env=None):
    proc = subprocess.run([cs_exe, *args], capture_output=True, text=True, env=env, timeout=60)
    if check and proc.returncode != 0:
        raise AssertionError(f"cs {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def index_state(db_file: Path):
    """(session ids, log_files names, number of lines, number of FTS rows)."""
    import sqlite3

    conn = sqlite3.connect(db_file)
    try:
        sessions = {r[0] for r in conn.execute("SELECT id FROM sessions")}
        names = {r[0] for r in conn.execute("SELECT name FROM log_files")}
        nlines = conn.execute("SELECT count(*) FROM lines").fetchone()[0]
        nfts = conn.execute("SELECT count(*) FROM lines_fts").fetchone()[0]
    finally:
        conn.close()
    return sessions, names, nlines, nfts


def session_files(logs_dir: Path, sid: str) -> list:
    return sorted(p.name for p in Path(logs_dir).glob(f"{sid}*"))


__all__ = [n for n in dir() if not n.startswith("_")] + ["shutil"]


def all_session_ids(logs_dir: Path) -> list:
    return sorted({p.name.split(".")[0] for p in Path(logs_dir).iterdir() if store.parse_segment_name(p.name)})


def tui_chunk(rng, i: int) -> bytes:
    """Terminal output shaped like Claude Code's Ink TUI: colours, cursor moves
    between words, box drawing, spinner redraws."""
    words = ["the", "function", "returns", "None", "when", "config", "file", "missing", "Error:",
             "tests/test_x.py", "passed", "def", "import", "self", "value", "─" * 8, "│", "✻ Thinking…"]
    parts = []
    for _ in range(rng.randint(3, 12)):
        parts.append("\x1b[%d;%dH\x1b[38;5;%dm" % (rng.randint(1, 40), rng.randint(1, 80), rng.randint(1, 255)))
        parts.append("\x1b[1C".join(rng.choice(words) for _ in range(rng.randint(1, 8))))
        parts.append("\x1b[39m\x1b[2K" if rng.random() < 0.3 else "\x1b[0m")
    parts.append(" %d" % i)
    return "".join(parts).encode()


def make_tui_session(logs_dir: Path, ended_days_ago: float, nbytes: int, segments: int = 1, seed: int = 0) -> str:
    """A finished session of about nbytes of realistic log lines, split in segments."""
    import random

    rng = random.Random(seed)
    sid = str(uuid.uuid4())
    paths.ensure_private_dir(logs_dir)
    t_end = ago(ended_days_ago)
    t0 = t_end - 3600
    out = [jsonl.event_line(sid, "start", {"cwd": "/home/u/proj", "argv": ["claude"]}, t=t0)]
    size, i = 0, 0
    while size < nbytes:
        direction = jsonl.INPUT if i % 10 == 0 else jsonl.OUTPUT
        data = b"y" if direction == jsonl.INPUT else tui_chunk(rng, i)
        line = jsonl.io_line(sid, direction, data, t=t0 + i * 0.01)
        out.append(line)
        size += len(line)
        i += 1
    out.append(jsonl.event_line(sid, "end", {"exit_code": 0}, t=t_end))
    per = len(out) // segments + 1
    for n in range(1, segments + 1):
        part = out[(n - 1) * per : n * per]
        if n > 1:
            part = [jsonl.event_line(sid, "segment", {"segment": n}, t=t0)] + part
        fd = paths.create_private_file(logs_dir / store.segment_name(sid, n), append=False)
        with os.fdopen(fd, "wb") as f:
            f.write(b"".join(part))
    return sid


def kill_when(proc, condition, timeout=20):
    """SIGKILL `proc` as soon as `condition()` holds (or after `timeout`):
    the crash tests' way to stop prune or compress at a chosen point."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if condition():
            break
        time.sleep(0.0005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
