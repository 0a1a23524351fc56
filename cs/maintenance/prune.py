"""Removing sessions safely (`cs prune`, the watcher's policy run).

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

import os
from datetime import UTC, datetime
from pathlib import Path

from cs.claude import archive
from cs.db import open_existing_for_writing
from cs.log import locks, paths
from cs.log.store import parse_segment_name
from cs.maintenance.inventory import SessionFiles, SessionInfo, index_hints, read_all, read_session_info, scan_logs
from cs.maintenance.policy import Policy, select

PENDING_NAME = "prune.pending"


def _write_pending(home: Path, session_ids: list) -> None:
    paths.write_private_atomically(Path(home) / PENDING_NAME, "".join(sid + "\n" for sid in session_ids).encode())


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
    paths.fsync_dir(home)


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
    if not infos:
        return []  # (a cs home with only transcript-only sessions may have no logs/ at all)
    ids = [i.id for i in infos]
    _write_pending(home, ids)
    if db is not None:
        from cs.claude import unrecorded

        unrecorded.forget_claude_sessions_of(db, ids)
    done = []
    with locks.indexing_paused() as no_pass_running:
        _delete_rows(db, ids)
        for info in infos:
            # Liveness was settled when these were chosen: a session that is
            # not live never becomes live again (a recorder starts a new id).
            removed, freed = _unlink_files(info.files.all_files())
            if removed:
                done.append((info, removed, freed))
        if not no_pass_running:
            _delete_rows(db, ids)  # a pass may have re-read a file meanwhile
    paths.fsync_dir(logs_dir)
    _clear_pending(home)
    return done


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


def _transcript_infos(db=None, db_file: Path = None) -> list:
    """Sessions cs did not record (cs.claude.unrecorded: Claude Code's
    transcript is all there is) as retention sees them: finished at their last
    line, no log bytes (their archived transcript goes with them). Read through
    the caller's connection, or (dry runs) db_file opened immutable."""
    from cs.log.timestamps import parse_timestamp

    sql = (
        "SELECT id, started_at, COALESCE(ended_at, last_event_at, started_at), cwd, project FROM sessions"
        " WHERE source = 'transcript'"
    )
    try:
        if db is not None:
            rows = db.execute(sql).fetchall()
        elif db_file is not None and Path(db_file).exists():
            import sqlite3

            conn = sqlite3.connect(f"file:{Path(db_file).absolute()}?immutable=1", uri=True)
            try:
                rows = conn.execute(sql).fetchall()
            finally:
                conn.close()
        else:
            rows = []
    except Exception:  # noqa: BLE001 - an index without the column (not migrated yet): none
        rows = []
    out = []
    for sid, start, end, cwd, project in rows:
        ended = parse_timestamp(end)
        info = SessionInfo(sid, "finished", parse_timestamp(start), ended, ended, cwd, project, SessionFiles(sid))
        out.append(info)
    return out


def _remove_transcript_sessions(db, infos: list) -> list:
    """Remove sessions cs did not record: named in the forgotten list first
    (a crash after that leaves them forgotten, never half there), then their
    rows; their archived transcripts go with archive.remove_unlinked."""
    from cs.claude import unrecorded

    ids = [i.id for i in infos]
    if ids and db is not None:
        unrecorded.forget_claude_sessions_of(db, ids)
        _delete_rows(db, ids)
    return [(info, 0, 0) for info in infos]


def _orphan_sessions(db, logs_dir: Path) -> list:
    """Index sessions none of whose files exist any more (removed by hand, or
    by a prune killed before this one). The directory is listed *after* the
    query: a session in the index had files when it was indexed, and nothing
    but prune removes them, so one missing from the later listing is gone."""
    indexed = [sid for (sid,) in db.execute("SELECT id FROM sessions WHERE source != 'transcript'").fetchall()]
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
        "transcripts_removed": 0,  # archived Claude transcripts no remaining recording links
        "busy": False,  # another maintenance run held the lock (non-blocking callers)
    }


def prune(policy: Policy, dry_run: bool = False, db=None, now: datetime = None, lock_blocking: bool = True) -> dict:
    """Apply `policy`; return what was (or, dry_run, would be) removed.

    dry_run changes nothing at all: no lock file, no database write, no
    migration (the index is only read, read-only, for hints)."""
    home, logs_dir = paths.cs_home(), paths.logs_dir()
    now_ts = (now or datetime.now(UTC)).timestamp()
    result = _empty_result(policy, dry_run)
    if dry_run:
        infos = read_all(logs_dir, index_hints(db_file=paths.db_path()), now_ts)
        infos += _transcript_infos(db_file=paths.db_path())
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
    with locks.held(locks.MAINTENANCE, wait=None if lock_blocking else 0, home=home) as held:
        if not held:
            result["busy"] = True
            return result
        return _prune_locked(policy, db, now_ts, result)


def _prune_locked(policy: Policy, db, now_ts: float, result: dict) -> dict:
    """The real run, with the maintenance lock held by the caller."""
    home, logs_dir = paths.cs_home(), paths.logs_dir()
    db, opened = open_existing_for_writing(db)
    try:
        for info, removed, freed in _finish_pending(home, logs_dir, db):
            result["resumed"].append(info.id)
            result["files_removed"] += removed
            result["bytes_freed"] += freed
        infos = read_all(logs_dir, index_hints(db), now_ts)
        unrecorded = _transcript_infos(db) if db is not None else []
        to_remove, kept, protected = select(infos + unrecorded, policy)
        reasons_by_id = {info.id: reasons for info, reasons in to_remove}
        unrecorded_ids = {i.id for i in unrecorded}
        if to_remove:
            chosen = [i for i, _ in to_remove]
            done = _remove_transcript_sessions(db, [i for i in chosen if i.id in unrecorded_ids])
            done += _remove_sessions(home, logs_dir, db, [i for i in chosen if i.id not in unrecorded_ids])
            for info, removed, freed in done:
                result["removed"].append(dict(info.as_dict(), reasons=reasons_by_id[info.id], bytes=freed))
                result["files_removed"] += removed
                result["bytes_freed"] += freed
        if db is not None:
            orphans = _orphan_sessions(db, logs_dir)
            result["index_orphans_removed"] = _delete_rows(db, orphans)
            result["transcripts_removed"] = archive.remove_unlinked(db)
        result["kept"] = len(kept)
        result["live"] = [i.id for i in protected]
    finally:
        if opened:
            db.conn.close()
    return result


def forget(session_ids: list, db=None) -> dict:
    """Remove these sessions entirely — log segments, index rows, and archived
    transcripts no other recording links — in prune's crash-safe order
    (`cs forget`). A live session is refused (in "live"), never removed."""
    home, logs_dir = paths.cs_home(), paths.logs_dir()
    result = {"removed": [], "live": [], "missing": [], "bytes_freed": 0, "files_removed": 0, "transcripts_removed": 0}
    with locks.held(locks.MAINTENANCE, home=home):
        db, opened = open_existing_for_writing(db)
        try:
            on_disk = scan_logs(logs_dir)
            infos = []
            unrecorded = {i.id: i for i in _transcript_infos(db)} if db is not None else {}
            for info, _removed, _freed in _remove_transcript_sessions(
                db, [unrecorded[sid] for sid in session_ids if sid in unrecorded and sid not in on_disk]
            ):
                result["removed"].append(info.id)
            for sid in session_ids:
                if sid in unrecorded and sid not in on_disk:
                    continue
                if sid not in on_disk:
                    result["missing"].append(sid)
                    continue
                info = read_session_info(logs_dir, on_disk[sid])
                if info.status in ("live", "starting"):
                    result["live"].append(sid)
                else:
                    infos.append(info)
            for info, removed, freed in _remove_sessions(home, logs_dir, db, infos):
                result["removed"].append(info.id)
                result["files_removed"] += removed
                result["bytes_freed"] += freed
            if db is not None:
                _delete_rows(db, result["missing"])  # rows of a session whose files were already gone
                result["transcripts_removed"] = archive.remove_unlinked(db)
        finally:
            if opened:
                db.conn.close()
    return result
