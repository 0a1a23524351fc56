"""Gzip finished sessions, segment by segment (`cs compress`, the watcher).

Per segment, atomically:

  1. write .<name>.gz.tmp (0600 whatever the umask, created O_EXCL), gzip
     level 6, fsync;
  2. rename it to <name>.gz, fsync the directory;
  3. rename the index's log_files row from <name> to <name>.gz, with the new
     inode and size; its offset is in the uncompressed stream, so it stays;
  4. unlink <name>, fsync the directory.

Killed at any point this leaves the plain file (plus a stray temp file, which
the next run removes) or both files: readers prefer the plain one when both
exist (store.session_segments), and the next run checks that the .gz holds
exactly the plain file's bytes before removing the plain one. No log_files
row ever names a missing file; a row naming a plain file that is gone while
its .gz exists (a file compressed by hand, or by an older cs) is renamed by
the next run's reconcile step.

A live session is never touched: the shared live-lock is held on segment 1
for the whole time its segments are compressed. `zcat x.jsonl.gz | jq` keeps
working: the result is an ordinary single-member gzip file.
"""

import gzip
import os
import zlib
from datetime import UTC, datetime
from pathlib import Path

from cs.db import open_existing_for_writing
from cs.log import liveness, locks, paths
from cs.log.store import temp_name_for
from cs.maintenance.inventory import index_hints, read_all, scan_logs

COMPRESS_LEVEL = 6
_CHUNK = 1024 * 1024


def _same_bytes(plain: Path, gz: Path) -> bool:
    """True if gz decompresses to exactly plain's bytes (a complete archive)."""
    try:
        with open(plain, "rb") as a, gzip.open(gz, "rb") as b:
            while True:
                x = a.read(_CHUNK)
                y = b.read(len(x)) if x else b.read(1)
                if x != y:
                    return False
                if not x:
                    return True
    except (OSError, EOFError, zlib.error):
        return False


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _write_gzip(plain: Path, tmp: Path) -> int:
    """Compress plain into a new private tmp file, fsync'd; returns the plain size read."""
    _unlink_quietly(tmp)  # a stray from a killed run; we hold the maintenance lock
    fd = paths.create_private_file(tmp, append=False)
    copied = 0
    with os.fdopen(fd, "wb") as raw:
        with open(plain, "rb") as src:
            mtime = int(os.fstat(src.fileno()).st_mtime)
            with gzip.GzipFile(
                filename=plain.name, mode="wb", fileobj=raw, compresslevel=COMPRESS_LEVEL, mtime=mtime
            ) as out:
                while True:
                    chunk = src.read(_CHUNK)
                    if not chunk:
                        break
                    out.write(chunk)
                    copied += len(chunk)
        raw.flush()
        os.fsync(raw.fileno())
    return copied


def _update_index_row(db, old_name: str, gz: Path) -> None:
    if db is None:
        return
    st = os.stat(gz)
    db.execute(
        "UPDATE log_files SET name = ?, inode = ?, size = ? WHERE name = ?",
        [gz.name, st.st_ino, st.st_size, old_name],
    )


def compress_segment(plain: Path, db=None) -> dict:
    """Steps 1-4 of the module doc for one plain segment; returns
    {name, bytes_before, bytes_after}."""
    plain = Path(plain)
    gz = plain.with_name(plain.name + ".gz")
    tmp = plain.with_name(temp_name_for(plain.name))
    before = os.stat(plain).st_size
    if gz.exists() and not _same_bytes(plain, gz):
        _unlink_quietly(gz)  # not ours, or not complete: the plain file is the truth
    if not gz.exists():
        copied = _write_gzip(plain, tmp)
        if copied != os.stat(plain).st_size:
            _unlink_quietly(tmp)  # somebody is still writing it: not finished after all
            raise RuntimeError(f"{plain.name} changed while being compressed")
        os.replace(tmp, gz)
        paths.fsync_dir(plain.parent)
    # The row moves to the .gz while the plain file still exists, so no row
    # ever names a missing file; readers keep preferring the plain file until
    # it goes, and it holds the same bytes.
    with locks.indexing_paused():  # no pass sees the row moved but the plain file still there
        _update_index_row(db, plain.name, gz)
        os.unlink(plain)
    paths.fsync_dir(plain.parent)
    return {"name": plain.name, "bytes_before": before, "bytes_after": os.stat(gz).st_size}


def remove_stray_temps(logs_dir: Path) -> int:
    """Temp files of compressions that were killed (only safe under the lock)."""
    removed = 0
    for sf in scan_logs(logs_dir).values():
        for tmp in sf.temps:
            _unlink_quietly(tmp)
            removed += 1
    return removed


def reconcile_index(db, logs_dir: Path) -> int:
    """Rename log_files rows whose plain file is gone but whose .gz is there
    (a compression killed between unlink and the row update)."""
    if db is None:
        return 0
    fixed = 0
    rows = db.execute("SELECT name FROM log_files WHERE name NOT LIKE '%.gz'").fetchall()
    for (name,) in rows:
        plain, gz = Path(logs_dir) / name, Path(logs_dir) / (name + ".gz")
        if not plain.exists() and gz.exists():
            _update_index_row(db, name, gz)
            fixed += 1
    return fixed


def _candidates(infos: list, older_than) -> list:
    out = []
    for info in infos:
        if info.status not in ("finished", "cut_off"):
            continue  # live or starting: never
        if older_than is not None and info.age_at >= older_than:
            continue
        if any(seg.get("plain") for seg in info.files.segments.values()):
            out.append(info)
    out.sort(key=lambda i: i.age_at)
    return out


def _plain_segments(info) -> list:
    return [
        Path(info.files.segments[n]["plain"])
        for n in sorted(info.files.segments)
        if info.files.segments[n].get("plain")
    ]


def compress(
    older_than=None,
    dry_run: bool = False,
    db=None,
    now: datetime = None,
    budget_bytes: int = None,
    _locked: bool = False,
) -> dict:
    """Compress finished sessions that ended before `older_than` (None: all
    finished ones), oldest first. Returns what was (or would be) compressed,
    with sizes. With budget_bytes, stops after the session that reaches that
    many plain bytes (the watcher's periodic call must not stall indexing;
    the rest waits for the next call, "remaining" says how many sessions)."""
    now = now or datetime.now(UTC)
    result = {
        "dry_run": dry_run,
        "older_than": older_than.isoformat() if older_than else None,
        "sessions": [],
        "files": 0,
        "bytes_before": 0,
        "bytes_after": 0,
        "ratio": None,
        "skipped_live": 0,
        "temps_removed": 0,
        "index_rows_fixed": 0,
        "errors": [],
        "remaining": 0,
        "busy": False,
    }
    logs_dir = paths.logs_dir()
    if dry_run:
        infos = read_all(logs_dir, index_hints(db_file=paths.db_path()), now.timestamp())
        for info in _candidates(infos, older_than):
            segs = _plain_segments(info)
            size = sum(os.stat(p).st_size for p in segs)
            result["sessions"].append(
                {
                    "id": info.id,
                    "project": info.project,
                    "ended_at": info.as_dict()["ended_at"],
                    "files": [p.name for p in segs],
                    "bytes_before": size,
                }
            )
            result["files"] += len(segs)
            result["bytes_before"] += size
        result["skipped_live"] = sum(1 for i in infos if i.status in ("live", "starting"))
        return result
    if _locked:
        return _compress_locked(older_than, db, now, result, budget_bytes)
    with locks.held(locks.MAINTENANCE) as held:
        if not held:
            result["busy"] = True
            return result
        return _compress_locked(older_than, db, now, result, budget_bytes)


def _compress_locked(older_than, db, now, result, budget_bytes=None) -> dict:
    logs_dir = paths.logs_dir()
    db, opened = open_existing_for_writing(db)
    try:
        result["temps_removed"] = remove_stray_temps(logs_dir)
        result["index_rows_fixed"] = reconcile_index(db, logs_dir)
        infos = read_all(logs_dir, index_hints(db), now.timestamp())
        result["skipped_live"] = sum(1 for i in infos if i.status in ("live", "starting"))
        candidates = _candidates(infos, older_than)
        for index, info in enumerate(candidates):
            if budget_bytes is not None and result["bytes_before"] >= budget_bytes:
                result["remaining"] = len(candidates) - index
                break
            with liveness.hold_if_idle(logs_dir, info.id) as idle:
                if not idle:
                    result["skipped_live"] += 1
                    continue
                done = []
                for plain in _plain_segments(info):
                    try:
                        done.append(compress_segment(plain, db))
                    except (OSError, RuntimeError) as exc:
                        result["errors"].append(f"{plain.name}: {exc}")
                        break
            if done:
                before = sum(d["bytes_before"] for d in done)
                after = sum(d["bytes_after"] for d in done)
                result["sessions"].append(
                    {
                        "id": info.id,
                        "project": info.project,
                        "ended_at": info.as_dict()["ended_at"],
                        "files": [d["name"] for d in done],
                        "bytes_before": before,
                        "bytes_after": after,
                    }
                )
                result["files"] += len(done)
                result["bytes_before"] += before
                result["bytes_after"] += after
    finally:
        if opened:
            db.conn.close()
    if result["bytes_after"]:
        result["ratio"] = result["bytes_before"] / result["bytes_after"]
    return result
