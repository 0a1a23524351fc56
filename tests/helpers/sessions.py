"""Retention and crash tests' view of a cs home: index state, file trees, the
live lock held from the test, index rows written directly (for benchmarks).
Sessions themselves are written by tests.helpers.logs."""

import fcntl
import hashlib
import os
import subprocess
from pathlib import Path

from cs.log import jsonl, store


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
        [
            sid,
            first["timestamp"],
            last["timestamp"] if finished else None,
            last["timestamp"],
            "finished" if finished else "cut_off",
            first.get("cwd"),
        ],
    )
    for n, off, _end, rec in records:
        if ("direction" in rec) and rec["data"]:
            text = jsonl.decode_data(rec).decode("utf-8", "replace")
            db.execute(
                "INSERT OR IGNORE INTO lines(session_id, ts, direction, text, segment, offset) VALUES (?,?,?,?,?,?)",
                [sid, rec["timestamp"], rec["direction"], text, n, off],
            )
    ends = {}
    for n, _off, end, _rec in records:
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
    from tests.helpers.tools import find_cs_exe

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


def all_session_ids(logs_dir: Path) -> list:
    return sorted({p.name.split(".")[0] for p in Path(logs_dir).iterdir() if store.parse_segment_name(p.name)})
