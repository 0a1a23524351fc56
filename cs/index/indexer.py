"""JSONL logs -> the SQLite index, incrementally.

One pass (`index_pass`) looks at every log file, reads only what was appended
since the last pass (complete lines only: a torn last line waits for its
newline), renders it the way a terminal would (`ScreenText` for output,
`InputLines` for input) and stores each distinct line once per session.

Renderer state between passes. Rendering is stateful: a line half-drawn at the
end of one pass is finished in the next. Three layers, cheapest first:
  1. the watcher keeps one renderer per live session in memory (`RenderCache`);
  2. a process that stops while a session is live pickles the renderer into
     `render_state` in the same transaction as the lines and offsets it
     produced, so the next process (say, `cs search` catching up with no
     watcher running) resumes where the last one stopped instead of
     re-rendering a long live session from its start on every command;
  3. if neither matches what log_files says was consumed (another cs version,
     another process advanced the session, a file replaced), the session is
     rendered again from its start. Lines are unique per session, so
     re-rendering never stores anything twice: it is always correct, only slower.

A line still on the screen of a live session is not finished (it may be a
spinner, or a sentence still streaming), but it must be searchable at once:
it is stored with provisional = 1 and the next pass confirms it (it finished)
or replaces it (it changed). Finished sessions keep no provisional rows.
"""

import contextlib
import json
import math
import os
import sqlite3
import stat
import time
import zlib
from pathlib import Path

from cs import __version__, config
from cs import db as dbmod
from cs.db import text_hash
from cs.errors import CsError
from cs.log import jsonl, locks, paths, store
from cs.log.liveness import is_live as session_is_live

_UPSERT_FINISHED = """
INSERT INTO lines (session_id, ts, direction, text, text_hash, segment, offset, provisional, kind)
VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
ON CONFLICT (session_id, direction, text_hash) DO UPDATE SET
    provisional = 0, ts = excluded.ts, segment = excluded.segment, offset = excluded.offset
WHERE lines.provisional = 1
"""
_INSERT_PROVISIONAL = """
INSERT OR IGNORE INTO lines (session_id, ts, direction, text, text_hash, segment, offset, provisional, kind)
VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)
"""


class RenderCache(dict):
    """session_id -> SessionRender, kept by a long-running watcher."""


class PassStats:
    """What one pass did. (Plain classes here rather than dataclasses: importing
    dataclasses costs every reading command about 5 ms, for inspect.)"""

    def __init__(self):
        self.sessions_seen = 0
        self.sessions_indexed = 0
        self.bytes_read = 0
        self.lines_read = 0
        self.skipped_lines = 0
        self.seconds = 0.0
        self.errors = []
        self.skipped_files = []  # names in logs/ that are not regular files
        self.incomplete = False  # the time budget ran out before every session was read
        self.transcripts_seen = 0  # Claude Code transcripts in its projects folders (cs.claude.unrecorded)
        self.transcript_sessions_found = 0  # sessions made of transcripts no recording holds, this pass

    def __repr__(self):
        return f"PassStats({self.__dict__!r})"


# A watcher commits at least this often, so that readers (who read what is
# committed, WAL) see a busy session's new lines within about this long.
STEP_SECONDS = 0.5


# ---------------------------------------------------------------- one pass


def index_pass(
    db,
    logs_dir: Path = None,
    cache: RenderCache = None,
    progress=None,
    budget: float = None,
    step: float = None,
    trust_ended: bool = False,
    transcript_progress=None,
) -> PassStats:
    """Bring the index up to date with the logs. Safe to run at any time, any
    number of times: it only reads what is new and never stores a line twice.

    `progress(nbytes)` is called as sessions are indexed (for a progress bar).
    `budget`: stop after about this many seconds (stats.incomplete is then
    True; the next pass goes on from there), so that one huge or hostile
    session cannot hold up a reading command. `step`: commit at least this
    often (a long session is indexed in several transactions), so readers see
    new lines while a long pass runs (tests/test_hardening_values.py::
    test_catch_up_has_a_time_budget, tests/test_faults.py). `trust_ended`
    (a reading command's catch-up): a session indexed as finished or cut off
    whose segments are listed under the names indexed is not even stat'ed: the
    recorder is gone, its logs do not change (retention renames or removes
    them, which the listing shows; `cs index` checks every file); and while
    logs/ is as the last clean pass left it (the watermark, below), the
    catch-up does not even list it: it reads the sessions indexed as running.

    Then Claude Code's transcripts that no recording holds are taken in
    (cs.claude.unrecorded, within the same budget; `transcript_progress(done,
    total)` as they are)."""
    logs_dir = Path(logs_dir) if logs_dir else paths.logs_dir()
    started = time.monotonic()
    pass_deadline = started + budget if budget is not None else math.inf
    stats = PassStats()
    dir_state = _dir_state(logs_dir)  # before the listing: a change during the pass shows next time
    stored_mark = _watermark(db)
    unchanged = trust_ended and cache is None and dir_state is not None and stored_mark == (str(logs_dir), *dir_state)
    if unchanged:
        # logs/ lists what the last clean pass listed: the sessions indexed as
        # finished or cut off are skipped unread as below; only the others are
        # looked at (a live session's log grows without changing the directory).
        on_disk, stats.sessions_seen = _unended_sessions(db, logs_dir)
        stored = _stored_files(db, list(on_disk))
        statuses = _statuses(db, list(on_disk))
    else:
        on_disk = store.all_sessions(logs_dir, stats.skipped_files)
        stored = _stored_files(db)
        statuses = dict(db.execute("SELECT id, status FROM sessions").fetchall())
        stats.sessions_seen = len(on_disk)
    changed = []
    if cache is not None:
        for gone in set(cache) - set(on_disk):  # pruned meanwhile
            del cache[gone]
    todo = [
        (sid, segments)
        for sid, segments in sorted(on_disk.items())
        if not (trust_ended and statuses.get(sid) in ("finished", "cut_off") and _same_names(segments, stored.get(sid)))
    ]
    if len(todo) > 1 and any(sid not in statuses for sid, _ in todo):
        # New sessions oldest first (by their logs' mtime), so that line ids
        # follow time, as they do when sessions are indexed as they are
        # recorded: a newest-first search can then stop early (cs.ask.search).
        todo.sort(key=lambda item: _newest_mtime(item[1].values()))
    for sid, segments in todo:
        if time.monotonic() >= pass_deadline:
            stats.incomplete = True
            break
        files = {}
        for n, path in segments.items():
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                continue  # removed between listdir and stat (retention)
            if stat.S_ISREG(st.st_mode):  # (replaced since the scan: skipped)
                files[n] = (path, st.st_ino, st.st_size)
        if not files:
            continue
        rows = stored.get(sid, {})
        if not _needs_work(logs_dir, sid, files, rows, statuses.get(sid)):
            if progress:
                progress(sum(f[2] for f in files.values()))
            continue
        if statuses.get(sid) in ("finished", "cut_off") and _only_compressed(files, rows):
            _note_compressed(db, sid, files, rows)
            continue
        read = 0
        try:
            while True:
                deadline = min(pass_deadline, time.monotonic() + step) if step else pass_deadline
                n_read, partial = _index_session(db, logs_dir, sid, files, rows, cache, stats, deadline)
                read += n_read
                if not partial:
                    break
                if time.monotonic() >= pass_deadline:
                    stats.incomplete = True
                    break
                rows = _stored_files(db, sid).get(sid, {})  # committed: go on from there
        except sqlite3.OperationalError:
            raise  # the index cannot be written (full disk, read-only, locked): not this session's fault
        except Exception as e:  # one bad session must not stop the others
            if cache is not None:
                cache.pop(sid, None)
            stats.errors.append(f"{sid}: {type(e).__name__}: {e}")
            continue
        stats.sessions_indexed += 1
        stats.bytes_read += read
        changed.append(sid)
        if progress:
            progress(sum(f[2] for f in files.values()))
    # Claude Code's transcripts of the recordings that moved: archived, indexed.
    if changed:
        from cs.claude import index as claude_index

        stats.errors.extend(claude_index.update(db, changed))
    _take_in_transcripts(db, stats, pass_deadline, progress, transcript_progress)
    if not config.settings_cached().index_encrypted:
        drop_encrypted_lines(db)
    note_line_times(db, LINE_TIMES_STEP if budget is not None else None)
    if not unchanged:
        _note_watermark(db, logs_dir, dir_state, stats, stored_mark)
    stats.seconds = time.monotonic() - started
    return stats


def _take_in_transcripts(db, stats: PassStats, deadline: float, progress, transcript_progress) -> None:
    """Claude Code sessions cs did not record (cs.claude.unrecorded): a
    recording that now links one takes back its part, then what changed in
    Claude Code's projects folders is archived and indexed."""
    from cs.claude import unrecorded

    def on_transcript(done, total):
        if progress:
            progress(0)  # a reading command's "this takes a while" notice
        if transcript_progress:
            transcript_progress(done, total)

    try:
        unrecorded.absorb_recorded(db)
        taken = unrecorded.take_in(db, deadline=deadline, progress=on_transcript)
    except sqlite3.OperationalError:
        raise  # the index cannot be written: not a transcript's fault
    except Exception as e:  # a transcript must never stop the indexer
        stats.errors.append(f"Claude Code transcripts: {type(e).__name__}: {e}")
        return
    stats.transcripts_seen = taken.seen
    stats.transcript_sessions_found = taken.new_sessions
    stats.errors.extend(taken.problems)
    stats.incomplete = stats.incomplete or taken.incomplete


# ---------------------------------------------------------------- line times by id

LINE_BLOCK_SHIFT = 12  # line_ts_blocks.block = lines.id >> 12 (migrations/0005_line_ts_blocks.sql)
# Line ids a reading command's catch-up (a pass with a budget) adds to
# line_ts_blocks at most: about 0.3 s on this machine (a range scan reads the
# rows, ~1.2 us each). Only an index upgraded from a version without the table
# has that many; it is counted over a few commands (or at once by `cs index`).
LINE_TIMES_STEP = 1 << 18


def note_line_times(db, step: int = None) -> None:
    """Add the lines stored since the last pass (at most `step` ids) to
    line_ts_blocks (the newest ts of each block of line ids), which lets a
    newest-first search stop early (cs.ask.search). A range scan of the new
    ids; never an error (an index that cannot be written is searched without
    it beyond `through`)."""
    sql_through = "SELECT through FROM line_ts_progress WHERE id = 1"
    sql_top = "SELECT COALESCE(MAX(id), 0) FROM lines"
    try:
        (through,) = db.execute(sql_through).fetchone()
        (top,) = db.execute(sql_top).fetchone()
    except (sqlite3.OperationalError, TypeError):
        return  # an older schema, read-only
    if top <= through:
        return
    with contextlib.suppress(sqlite3.OperationalError), db.atomic():
        (through,) = db.execute(sql_through).fetchone()
        (top,) = db.execute(sql_top).fetchone()
        upto = top if step is None else min(top, through + step)
        db.execute(
            f"INSERT INTO line_ts_blocks (block, max_ts) SELECT id >> {LINE_BLOCK_SHIFT}, max(ts) FROM lines"
            f" WHERE id > ? AND id <= ? GROUP BY id >> {LINE_BLOCK_SHIFT}"
            " ON CONFLICT (block) DO UPDATE SET max_ts = excluded.max_ts WHERE excluded.max_ts > line_ts_blocks.max_ts",
            [through, upto],
        )
        db.execute("UPDATE line_ts_progress SET through = ? WHERE id = 1", [max(through, upto)])


# ---------------------------------------------------------------- the watermark
#
# A directory's mtime and ctime change whenever a name in it is added, removed
# or renamed (a new log, a new segment, a compression, a prune, a scrub's
# rename), not when a file in it grows. After a complete pass with no error and
# nothing skipped, the directory's (dev, inode, mtime, ctime) is stored; while
# it is unchanged, the listing is what that pass saw, so a reading command's
# catch-up (trust_ended) need not list logs/ or look at the sessions indexed as
# finished or cut off (it skips them unread either way): it reads the sessions
# indexed as running, whose logs may have grown. ctime cannot be set back by
# hand (touch, a restore), mtime can: both must match. A state younger than
# RACY_NS is not stored: a name added within the file system's timestamp
# granularity after our listing could leave the same times behind
# (tests/test_index.py::test_catch_up_*watermark*).

RACY_NS = 2_000_000_000


def _dir_state(logs_dir: Path):
    try:
        st = os.lstat(logs_dir)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode):
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def _watermark(db):
    try:
        row = db.execute(
            "SELECT logs_dir, dev, ino, mtime_ns, ctime_ns FROM catch_up_watermark WHERE id = 1"
        ).fetchone()
    except sqlite3.OperationalError:
        return None  # an index of an older schema (read-only): no watermark
    return tuple(row) if row else None


def _note_watermark(db, logs_dir: Path, dir_state, stats: PassStats, stored) -> None:
    """Store the directory's state after a complete, clean pass (or forget the
    one stored): written only when it changes, and never an error (an index
    that cannot be written is read as before; the next pass lists logs/)."""
    want = None
    clean = dir_state is not None and not (stats.incomplete or stats.errors or stats.skipped_files)
    if clean and time.time_ns() - max(dir_state[2], dir_state[3]) >= RACY_NS:
        want = (str(logs_dir), *dir_state)
    if want == stored:
        return
    with contextlib.suppress(sqlite3.OperationalError), db.atomic():
        db.execute("DELETE FROM catch_up_watermark")
        if want:
            db.execute(
                "INSERT INTO catch_up_watermark (id, logs_dir, dev, ino, mtime_ns, ctime_ns, sessions)"
                " VALUES (1, ?, ?, ?, ?, ?, ?)",
                [*want, stats.sessions_seen],
            )


def _unended_sessions(db, logs_dir: Path):
    """({session id: {segment: Path}} of the sessions not indexed as finished
    or cut off, from the names log_files holds; the number of sessions the
    watermark's pass saw)."""
    out = {}
    unended = "SELECT id FROM sessions WHERE status IS NULL OR status NOT IN ('finished', 'cut_off')"  # (an index)
    for (sid,) in db.execute(unended).fetchall():
        for segment, name in db.execute("SELECT segment, name FROM log_files WHERE session_id = ?", [sid]):
            out.setdefault(sid, {})[segment] = logs_dir / name
    (seen,) = db.execute("SELECT sessions FROM catch_up_watermark WHERE id = 1").fetchone() or (0,)
    return out, seen


def _statuses(db, sids: list) -> dict:
    out = {}
    for sid in sids:
        row = db.execute("SELECT status FROM sessions WHERE id = ?", [sid]).fetchone()
        if row:
            out[sid] = row[0]
    return out


def drop_encrypted_lines(db) -> int:
    """index_encrypted = off: the lines of sessions whose logs are encrypted
    leave the index (the sessions stay listed), with SQLite's secure_delete so
    the freed pages are overwritten, not merely unlinked. Returns how many."""
    sql = "SELECT DISTINCT session_id FROM log_files WHERE name LIKE '%.age'"
    sids = [(sid,) for (sid,) in db.execute(sql).fetchall()]
    if not sids:
        return 0
    before = db.conn.total_changes
    db.execute("PRAGMA secure_delete = ON")  # (every connection of ours has it on: see open_index)
    with db.atomic():
        db.conn.executemany("DELETE FROM lines WHERE session_id = ?", sids)
    return db.conn.total_changes - before


def _stored_files(db, sid=None) -> dict:
    """session id -> {segment: row} of log_files: every session's, one
    session's (`sid` a str), or those of a list of sessions."""
    if isinstance(sid, list):
        out = {}
        for one in sid:
            out.update(_stored_files(db, one))
        return out
    out = {}
    sql = "SELECT name, session_id, segment, inode, size, offset, skipped_lines FROM log_files"
    for row in db.execute(sql + " WHERE session_id = ?" if sid else sql, [sid] if sid else []).fetchall():
        name, sid, seg, inode, size, offset, skipped = row
        out.setdefault(sid, {})[seg] = {
            "name": name,
            "inode": inode,
            "size": size,
            "offset": offset,
            "skipped": skipped,
        }
    return out


def _newest_mtime(paths) -> int:
    newest = 0
    for path in paths:
        with contextlib.suppress(OSError):
            newest = max(newest, os.lstat(path).st_mtime_ns)
    return newest


def _same_names(segments: dict, rows) -> bool:
    """The listing holds exactly the segment files the index has read."""
    return (
        bool(rows)
        and len(rows) == len(segments)
        and all(n in rows and rows[n]["name"] == path.name for n, path in segments.items())
    )


def _needs_work(logs_dir, sid, files: dict, rows: dict, status) -> bool:
    if status is None or set(files) != set(rows):
        return True
    for n, (path, inode, size) in files.items():
        row = rows[n]
        if row["name"] != path.name or row["inode"] != inode or row["size"] != size:
            return True
    # Unchanged files; a session indexed as running may have stopped since.
    return status == "running" and not session_is_live(logs_dir, sid)


def _only_compressed(files: dict, rows: dict) -> bool:
    """True if the only change is segments of an ended session gzipped in place
    (retention's compress): same content, nothing to read."""
    if set(files) != set(rows):
        return False
    for n, (path, inode, size) in files.items():
        row = rows[n]
        if (row["name"], row["inode"], row["size"]) == (path.name, inode, size):
            continue
        if store.reading_rank(path.name) <= store.reading_rank(row["name"]) or not path.name.startswith(row["name"]):
            return False  # not the same file compressed (.gz) or encrypted (.gz.age) in place
    return True


def _note_compressed(db, sid, files, rows) -> None:
    with db.atomic():
        for n, (path, inode, size) in files.items():
            row = rows[n]
            if row["name"] != path.name:
                db.execute(
                    "UPDATE log_files SET name = ?, inode = ?, size = ? WHERE name = ?",
                    [path.name, inode, size, row["name"]],
                )
        # log_bytes counts uncompressed bytes: compression does not change it.


def _must_restart(files: dict, rows: dict) -> bool:
    """A file truncated or replaced: what we indexed from it may be gone."""
    for n, row in rows.items():
        if n not in files:
            continue
        path, inode, size = files[n]
        if row["name"] != path.name:
            continue  # compressed (or decompressed) in place: same content
        if row["inode"] != inode or size < row["size"]:
            return True
    return False


def _index_session(db, logs_dir, sid, files, rows, cache, stats, deadline=math.inf):
    """Index what is new in one session, in one transaction. Returns (bytes
    read, partial): partial when `deadline` came first; what was read is
    committed, the renderer saved as for a live session, and the segments not
    read to their end are stored with size -1 so the next pass goes on."""
    from cs.claude import index as claude_index

    with db.atomic():
        if rows and _must_restart(files, rows):
            db.execute("DELETE FROM lines WHERE session_id = ?", [sid])
            db.execute("DELETE FROM log_files WHERE session_id = ?", [sid])
            db.execute("DELETE FROM render_state WHERE session_id = ?", [sid])
            rows = {}
            if cache is not None:
                cache.pop(sid, None)
        # Lines flushed while reading need their parent row.
        db.execute("INSERT OR IGNORE INTO sessions (id) VALUES (?)", [sid])
        # Rows inserted from here on get larger ids (we hold the write lock):
        # that is how their FTS rows are added at the end, in one statement.
        fts_from = db.execute("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'lines'), 0)").fetchone()[
            0
        ]
        consumed = {n: row["offset"] for n, row in rows.items()}
        skipped = {n: row["skipped"] for n, row in rows.items()}
        render = _resume(db, sid, consumed, cache)
        if render.positions != consumed:
            skipped = {}  # re-reading from the start: count again
        _fresh_redactors(render)
        finished, inputs, read = [], [], 0
        partial_from = None  # the first segment not read to its end
        for n in sorted(files):
            path, inode, size = files[n]
            start = render.positions.get(n, 0)
            row = rows.get(n)
            if row and (row["name"], row["inode"], row["size"], row["offset"]) == (path.name, inode, size, start):
                continue  # unchanged since we read it (a gzip would be decompressed for nothing)
            end, bad, stopped = _read_file(db, render, sid, n, path, start, finished, inputs, stats, deadline)
            read += end - start
            render.positions[n] = end
            skipped[n] = skipped.get(n, 0) + bad
            if stopped:
                partial_from = n
                break

        if partial_from is not None:
            status = "running"  # until it is read to its end (it may have ended: we do not know yet)
        elif render.ended:
            status = "finished"
        elif session_is_live(logs_dir, sid):
            status = "running"
        else:
            status = "cut_off"
        if status != "running":
            render.close(finished.extend, inputs.extend)

        # The sessions row first: lines reference it.
        # SIZE in `cs list`: uncompressed log bytes read, whether the
        # segments are plain or gzipped (docs/usage.md).
        _store_session(db, sid, render, status, sum(render.positions.values()))
        claude_index.store_links(db, sid, render.claude_links)
        _store_lines(db, sid, "output", finished, render.redact_output, _chrome_of(render))
        _store_lines(db, sid, "input", inputs, render.redact_input)
        secret_shown = False
        if status == "running":
            secret_shown = _replace_provisional(
                db, sid, render.provisional_lines(), _provisional_redactor(render), _chrome_of(render)
            )
        else:
            db.execute("DELETE FROM lines WHERE session_id = ? AND provisional = 1", [sid])
        db.conn.executemany(
            "INSERT OR REPLACE INTO log_files (name, session_id, segment, inode, size, offset,"
            " skipped_lines) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    files[n][0].name,
                    sid,
                    n,
                    files[n][1],
                    -1 if partial_from is not None and n >= partial_from else files[n][2],
                    render.positions.get(n, 0),
                    skipped.get(n, 0),
                )
                for n in sorted(files)
            ],
        )
        # Rows of a segment whose file name changed (compressed) go.
        for n, row in rows.items():
            if n in files and row["name"] != files[n][0].name:
                db.execute("DELETE FROM log_files WHERE name = ?", [row["name"]])

        db.execute(
            "INSERT INTO lines_fts (rowid, text) SELECT id, text FROM lines"
            " WHERE id > ? AND text_hash IS NOT NULL",  # NULL: the insert trigger did it
            [fts_from],
        )
        if status == "running":
            _save_state(db, sid, render, cache, secret_shown)
        else:
            db.execute("DELETE FROM render_state WHERE session_id = ?", [sid])
            if cache is not None:
                cache.pop(sid, None)
    return read, partial_from is not None


def _resume(db, sid, consumed: dict, cache) -> "SessionRender":  # noqa: F821
    """The renderer that has consumed exactly `consumed`, else a fresh one."""
    import pickle

    from cs.index.render import SessionRender

    if not consumed or not any(consumed.values()):
        return SessionRender(sid, display=True)
    if cache is not None and sid in cache and cache[sid].positions == consumed:
        return cache[sid]
    row = db.execute("SELECT positions, cs_version, state FROM render_state WHERE session_id = ?", [sid]).fetchone()
    if row and row[1] == __version__:
        try:
            positions = {int(n): off for n, off in json.loads(row[0])}
            if positions == consumed:
                render = pickle.loads(row[2])
                if isinstance(render, SessionRender):
                    return render
        except Exception:
            pass  # stale or unreadable state: render again from the start
    # Rows a program word-wrapped stay rows until they are redacted (a secret
    # wrapped onto the next row: cs.redact), then are joined for search (_store_lines).
    return SessionRender(sid, display=True)


def _save_state(db, sid, render, cache, secret_shown: bool = False) -> None:
    """Keep the renderer (memory cache, and the render_state row for the next
    process). A renderer whose screen or half-typed line holds a secret is not
    written to the index file (redaction: docs/security.md): the next process
    renders that session again from its start, which is only slower."""
    import pickle

    if cache is not None:
        cache[sid] = render
    try:
        blob = pickle.dumps(render, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        db.execute("DELETE FROM render_state WHERE session_id = ?", [sid])
        return
    if secret_shown or _holds_secret(render, blob):
        db.execute("DELETE FROM render_state WHERE session_id = ?", [sid])  # (secure_delete: overwritten)
        return
    db.execute(
        "INSERT OR REPLACE INTO render_state (session_id, positions, cs_version, state) VALUES (?, ?, ?, ?)",
        [sid, json.dumps(render.positions_key()), __version__, blob],
    )


def _holds_secret(render, blob: bytes) -> bool:
    red = getattr(render, "redact_output", None)
    if red is None or not red.enabled:
        return False
    if red.in_key or getattr(render, "redact_input", red).in_key:
        return True  # inside a private key block
    text = blob.decode("latin-1")  # secrets are ASCII: their bytes read as themselves
    return red.might_hold(text) and config.redactor().text(text) != text


FLUSH_LINES = 5000


def _read_file(db, render, sid, segment, path, start, finished, inputs, stats, deadline=math.inf):
    """Feed complete lines of one segment from `start`. Returns (end, skipped,
    stopped): stopped if `deadline` came before the end of the file.
    Finished lines accumulate in `finished`/`inputs`; long runs are flushed to
    the database as they go (same transaction) to bound memory."""
    from cs.index.render import valid_ts

    end, bad, stopped, count = start, 0, False, 0
    clock = time.monotonic

    def emit(lines):
        if lines:
            finished.extend(lines)
            if len(finished) >= FLUSH_LINES:
                _store_lines(db, sid, "output", finished, render.redact_output, _chrome_of(render))
                finished.clear()

    parse = jsonl.parse_line
    try:
        lines = store.iter_lines(path, start)
        for offset, end, line in lines:
            stats.lines_read += 1
            count += 1
            if not count & 63 and clock() >= deadline:
                end, stopped = offset, True  # this line is read by the next step
                break
            record = parse(line)
            if record is None or record["session_id"].lower() != sid:
                bad += 1
                continue
            ts = record.get("timestamp")
            if not valid_ts(ts):
                bad += 1
                continue
            if not render.feed_record(record, (segment, offset, ts), emit, inputs.extend):
                bad += 1
    except (OSError, EOFError, zlib.error) as e:
        # A gzip segment cut short or damaged, a file removed (or replaced by
        # something that is not a regular file) while reading: keep what was
        # read; the next pass retries from there.
        stats.errors.append(f"{path.name}: {e.strerror if isinstance(e, OSError) and e.strerror else e}")
    stats.skipped_lines += bad
    return end, bad, stopped


def _fresh_redactors(render) -> None:
    """Redactors as configured now (a change of redact_patterns applies to what
    is indexed from here on), one per direction, carrying the private-key-block
    state of the ones this renderer used before (pickled with it)."""
    settings = config.settings_cached()
    for name in ("redact_output", "redact_input"):
        old = getattr(render, name, None)
        new = config.redactor(settings)
        new.in_key = old.in_key if old is not None else 0
        new.widths = _widths(render)
        setattr(render, name, new)


def _widths(render) -> set:
    """The terminal widths rows of this session may have (wrapped secrets)."""
    return {w for w in (render.screen.cols, render.meta.get("cols")) if isinstance(w, int)}


def _provisional_redactor(render):
    """For the lines still on a live screen: the output redactor's state, on a
    copy (the next pass judges these lines again)."""
    red = config.redactor()
    red.in_key = render.redact_output.in_key
    red.widths = _widths(render)
    return red


def _chrome_of(render):
    """The kind of a screen line of this session: 'chrome' for what Claude Code
    redraws all the time (cs.index.render.is_chrome), else None. Other programs'
    lines have no kind."""
    from cs.index.render import _is_claude, is_chrome

    if not _is_claude(render):
        return None
    cols = render.screen.cols
    return lambda text: "chrome" if is_chrome(text, cols) else None


def _store_lines(db, sid, direction, items, redactor=None, kind_of=None) -> None:
    """Store finished lines, redacted (cs.redact) in the order they were
    finished, so secrets are neither searchable nor in the database file;
    output lines then in their search form (cs.index.paragraphs.searchable:
    the rows of a wrapped paragraph joined, after the redaction saw them as
    rows); `kind_of(text)`: the kind of each (screen lines: 'chrome' or None)."""
    if redactor is not None and redactor.enabled and items:
        redactor.found = {}
        texts = redactor.lines([text for text, _ in items], getattr(redactor, "widths", None))
        texts = redactor.hide_found(texts)  # pieces of a secret drawn out of order, finished on lines of their own
        redactor.found = None
        items = list(zip(texts, (mark for _, mark in items)))
    if direction == "output":
        from cs.index.paragraphs import searchable  # (here: a reading command's import stays small)

        items = [(searchable(text), mark) for text, mark in items]
    rows, seen = [], set()
    for text, mark in items:
        if not text or not text.strip() or text in seen:
            continue
        seen.add(text)
        segment, offset, ts = mark if mark else (1, 0, "")
        kind = kind_of(text) if kind_of else None
        rows.append((sid, ts, direction, text, text_hash(text), segment, offset, kind))
    if rows:
        db.conn.executemany(_UPSERT_FINISHED, rows)


def _replace_provisional(db, sid, visible, redactor=None, kind_of=None) -> bool:
    """Store what a live screen shows as provisional lines, redacted; True if
    redaction changed any (a secret is on the screen)."""
    shown = False
    if redactor is not None and redactor.enabled and visible:
        texts = redactor.lines([text for text, _ in visible], getattr(redactor, "widths", None))
        shown = any(new != old for new, (old, _) in zip(texts, visible))
        visible = list(zip(texts, (mark for _, mark in visible)))
    from cs.index.paragraphs import searchable

    visible = [(searchable(text), mark) for text, mark in visible]
    wanted = {}
    for text, mark in visible:
        if text and text.strip() and text not in wanted:
            wanted[text] = mark if mark else (1, 0, "")
    old = db.execute("SELECT id, text FROM lines WHERE session_id = ? AND provisional = 1", [sid]).fetchall()
    gone = [(row_id,) for row_id, text in old if text not in wanted]
    if gone:
        db.conn.executemany("DELETE FROM lines WHERE id = ?", gone)
    keep = {text for _, text in old}
    new = [
        (sid, m[2], "output", text, text_hash(text), m[0], m[1], kind_of(text) if kind_of else None)
        for text, m in wanted.items()
        if text not in keep
    ]
    if new:
        db.conn.executemany(_INSERT_PROVISIONAL, new)
    return shown


def _store_session(db, sid, render, status, log_bytes) -> None:
    from cs.index.render import sql_value

    row = {
        "id": sid,
        "status": status,
        "log_bytes": log_bytes,
        "bytes_in": render.bytes_in,
        "bytes_out": render.bytes_out,
    }
    row.update(render.meta)
    redactor = getattr(render, "redact_input", None)
    if redactor is not None:  # a command line, a directory name may hold a token (`--api-key ...`)
        row = redactor.session(row)
    row = {key: sql_value(value) for key, value in row.items()}
    if status != "finished":
        row["ended_at"] = None
    if "started_at" not in row:
        row["started_at"] = None
    cols = list(row)
    db.execute(
        f"INSERT INTO sessions ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        f" ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in cols[1:])}",
        [row[c] for c in cols],
    )


# ---------------------------------------------------------------- opening


class LiteDB:
    """The part of sqlite_utils.Database the indexer and the asking commands
    use (execute, conn, atomic), on a plain sqlite3 connection. `cs search`
    runs on every question: importing sqlite-utils costs it 40+ ms, so reading
    commands open an already-migrated index this way; cs.db.open_db (which
    creates and migrates) is used whenever there is anything to migrate."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql, params=()):
        return self.conn.execute(sql, params)

    @contextlib.contextmanager
    def atomic(self):
        if self.conn.in_transaction:
            self.conn.execute("SAVEPOINT cs_atomic")
            try:
                yield self
            except BaseException:
                self.conn.execute("ROLLBACK TO SAVEPOINT cs_atomic")
                self.conn.execute("RELEASE SAVEPOINT cs_atomic")
                raise
            self.conn.execute("RELEASE SAVEPOINT cs_atomic")
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()


def check_index_path(path: Path) -> None:
    """The index file, if it exists, must be a regular file of ours: a
    directory, a symlink or a device at its name is named as the problem
    (neither opened nor rebuilt over: it is not ours to remove)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except NotADirectoryError:
        paths.ensure_private_dir(path.parent)  # raises, naming what is not a directory
        raise
    if stat.S_ISLNK(st.st_mode):
        raise CsError(
            f"refusing to follow {path}: it is a symlink (move it away; cs then recreates the index from the logs)"
        )
    if not stat.S_ISREG(st.st_mode):
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise CsError(f"{path} is {kind}, not an index (move it away; cs then recreates the index from the logs)")


def open_index(path: Path = None):
    """The index for reading and catching up: a LiteDB when the file exists and
    is fully migrated (fast), else cs.db.open_db() (creates, migrates)."""
    path = Path(path) if path else paths.db_path()
    check_index_path(path)
    if path.is_file() and not path.is_symlink() and path.stat().st_uid == os.getuid():
        conn = sqlite3.connect(str(path), timeout=5, isolation_level=None)
        try:
            applied = {
                r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'cs'").fetchall()
            }
        except sqlite3.DatabaseError:
            applied = set()
        if applied >= dbmod.shipped_migrations():
            dbmod.apply_pragmas(conn)
            for suffix in ("-wal", "-shm"):  # created by the reads above
                with contextlib.suppress(OSError):
                    paths.make_private(Path(str(path) + suffix))
            return LiteDB(conn)
        conn.close()
    return open_db_migrating(path)


def is_corrupt(error: Exception) -> bool:
    """An index SQLite cannot read at all (not a database, malformed pages), as
    opposed to a busy or locked one, which is only a matter of waiting."""
    return isinstance(error, sqlite3.DatabaseError) and getattr(error, "sqlite_errorname", None) in (
        "SQLITE_NOTADB",
        "SQLITE_CORRUPT",
    )


def open_index_recovering(path: Path = None, on_rebuild=None):
    """open_index(), but an unreadable index is no reason to fail: it is derived
    data, so it is rebuilt from the logs (on_rebuild(error) is told first)."""
    try:
        db = open_index(path)
        db.execute("SELECT count(*) FROM sessions").fetchone()
        return db
    except sqlite3.DatabaseError as e:
        if not is_corrupt(e):
            raise
        if on_rebuild:
            on_rebuild(e)
    rebuild(path)
    return open_index(path)


def open_db_migrating(path: Path = None):
    """cs.db.open_db under the pass lock: two processes starting at once (the
    shell's `cs index --daemon` and a `cs search`) must not both try to apply
    the same migration."""

    with locks.held(locks.PASS):
        return dbmod.open_db(path)


# ---------------------------------------------------------------- rebuild


class RebuildBusy(CsError, RuntimeError):
    """Another `cs index --rebuild` is running."""


def rebuild(db_path: Path = None, logs_dir: Path = None, progress=None) -> PassStats:
    """Build a new index from the logs beside the old one, then rename it over:
    a crash mid-rebuild leaves the old index in place (and the half-built one
    is cleared by the next rebuild). One rebuild at a time (flock)."""
    db_path = Path(db_path) if db_path else paths.db_path()
    paths.ensure_private_dir(db_path.parent)
    check_index_path(db_path)
    with locks.held(locks.REBUILD, wait=0, home=db_path.parent) as acquired:
        if not acquired:
            raise RebuildBusy("another `cs index --rebuild` is running")
        return _rebuild_locked(db_path, Path(logs_dir) if logs_dir else paths.logs_dir(), progress)


def _rebuild_locked(db_path: Path, logs_dir: Path, progress) -> PassStats:
    tmp = db_path.with_name(db_path.name + ".rebuild")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)  # left by a rebuild that was killed
    try:
        new = dbmod.open_db(tmp)
        stats = index_pass(new, logs_dir, progress=progress)
        with locks.held(locks.PASS):
            # Catch up with whatever was appended while we built, then swap.
            index_pass(new, logs_dir)
            new.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            new.conn.close()
            # The old index's -wal must never be applied to the new file:
            # remove it first, then swap the new file in atomically.
            for suffix in ("-wal", "-shm"):
                Path(str(db_path) + suffix).unlink(missing_ok=True)
                Path(str(tmp) + suffix).unlink(missing_ok=True)
            os.replace(tmp, db_path)
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)
        raise
    return stats


# How long a reading command may spend catching up before it answers from
# what is indexed (the next command goes on from there).
CATCH_UP_BUDGET_S = 3.0
CATCH_UP_BUSY_MS = 300


class CatchUp:
    def __init__(self, stats: PassStats = None, stale: str = None):
        self.stats = stats  # None: no pass ran
        self.stale = stale  # "results may be stale/incomplete: why", else None

    def __repr__(self):
        return f"CatchUp(stats={self.stats!r}, stale={self.stale!r})"


def catch_up(db, logs_dir: Path = None, budget: float = CATCH_UP_BUDGET_S, progress=None) -> CatchUp:
    """One incremental pass before answering a question, so answers are
    current even with no watcher. It never waits: if another process holds
    the pass lock (a watcher, which commits every STEP_SECONDS, or another
    catch-up), the answer comes from what is committed. It never takes more
    than about `budget` seconds. It never fails the question: an index that
    cannot be written (read-only, a full disk) is still read. Each of these
    says why in `stale` (tests/test_hardening_values.py). With a watcher
    running there is nothing to do: it commits what it reads every
    STEP_SECONDS, and a reader must not hold the pass lock it needs."""
    if locks.is_held(locks.WATCHER):
        return CatchUp(None, None)
    try:
        fd = locks.open_lock_file(locks.PASS)
    except OSError as e:
        return CatchUp(None, f"results may be stale: cannot lock the index for updating ({e.strerror or e})")
    try:
        if not locks.flock(fd, wait=0):
            return CatchUp(None, "results may be stale: another process is updating the index")
        # Another writer holding SQLite's lock without the pass lock (a
        # maintenance command): give up after a moment, never after seconds.
        db.execute(f"PRAGMA busy_timeout = {CATCH_UP_BUSY_MS}")
        try:
            stats = index_pass(db, logs_dir, progress=progress, budget=budget, step=STEP_SECONDS, trust_ended=True)
        except sqlite3.OperationalError as e:
            with contextlib.suppress(sqlite3.Error):
                db.conn.rollback()
            return CatchUp(None, f"results may be stale: the index cannot be updated ({e})")
        finally:
            db.execute(f"PRAGMA busy_timeout = {dbmod.BUSY_TIMEOUT_MS}")
    finally:
        os.close(fd)
    if stats.incomplete:
        return CatchUp(
            stats,
            f"results may be incomplete: indexing new logs takes longer than {budget:g} s (`cs index` finishes it)",
        )
    return CatchUp(stats, None)
