"""Claude Code sessions cs did not record: every transcript under Claude Code's
projects folders is archived and becomes a session of its own (issue 24).

Run at the end of every indexing pass (cs.index.indexer.index_pass), under the
pass lock, after the recordings' own transcripts (cs.claude.index.update):

1. every `<config dir>/projects/<folder>/<id>.jsonl` (the config dirs:
   ~/.claude and $CLAUDE_CONFIG_DIR) whose (size, mtime) differs from the
   watermark in `claude_sources` is archived with its folder (subagents, tool
   results) by cs.claude.archive, which only ever appends: a transcript that
   Claude Code rewrote, truncated, compacted or deleted never loses what we
   have, and a line still being written waits for its newline;
2. so is every archived `<cs home>/claude/<id>.jsonl` no session holds (an
   index rebuilt after Claude Code deleted the original);
3. a transcript no recording links (no `claude_links` row of a recording, no
   log named by its id: the recorder passes `--session-id <its own id>`)
   becomes a session with `source` 'transcript': its id is the Claude session
   id, its cwd, project and times come from the transcript, and a link of
   `how` 'transcript' to itself, so that indexing (cs.claude.index), the
   conversation, `cs resume` and `cs stats` treat it as they treat a recording.

A transcript-only session that a recording links later (a race with the
recorder, or `claude --resume` of an old conversation under cs) keeps only
what was said before the first such recording started; when that is nothing,
it is removed (`absorb_recorded`): a recorded conversation is never listed twice.

The Claude sessions of removed sessions (prune, forget: a transcript-only one,
or the last recording that linked one) are named in `<cs home>/claude/forgotten`,
so that a transcript Claude Code still has is not taken in again.

`archive_unrecorded = off` (cs.config) turns steps 1-3 off: only the
transcripts of recorded sessions are archived, as before.

Tests: tests/test_claude_unrecorded.py (generated transcripts),
tests/test_claude_e2e_unrecorded.py (the real CLI without the wrapper).
"""

import json
import math
import os
import stat
import time
from pathlib import Path

from cs import config
from cs.claude import archive
from cs.log import paths

SOURCE = "transcript"  # sessions.source of a session with no recording
LINK = "transcript"  # claude_links.how of such a session's link to itself
_HEAD_READ = 1 << 20  # where the first dated line of a transcript is looked for
_ID_CHARS = frozenset("0123456789abcdef-")
_LOG_NAMES = (".jsonl", ".jsonl.gz", ".jsonl.gz.age")
_STEP_BYTES = 8 << 20  # indexed per transaction (about half a second): a deadline is kept within about that


class TakeIn:
    """What one take-in did: transcripts looked at, archived, sessions new."""

    def __init__(self):
        self.seen = 0
        self.archived = 0
        self.new_sessions = 0
        self.incomplete = False  # the deadline came before every transcript was taken in
        self.problems = []

    def __repr__(self):
        return f"TakeIn({self.__dict__!r})"


def config_dirs() -> list:
    """Claude Code's config dirs to look in: ~/.claude, and $CLAUDE_CONFIG_DIR
    when it is set (a user may run Claude Code with either)."""
    dirs = [os.path.join(os.path.expanduser("~"), ".claude")]
    if os.environ.get("CLAUDE_CONFIG_DIR"):
        dirs.append(os.environ["CLAUDE_CONFIG_DIR"])
    out = []
    for d in dirs:
        real = os.path.realpath(d)
        if real not in (os.path.realpath(o) for o in out):
            out.append(d)
    return out


def take_in(db, deadline: float = math.inf, progress=None) -> TakeIn:
    """Archive and index every transcript that changed since the last take-in;
    make a session of each one no recording holds. Stops at `deadline`
    (time.monotonic(); `incomplete` then says so; the next pass goes on).
    `progress(done, total)` is called after each transcript taken in.
    Proved by tests/test_claude_unrecorded.py."""
    result = TakeIn()
    if not config.settings_cached().archive_unrecorded:
        return result
    todo = _changed(db, result)
    forgotten = read_forgotten()
    todo = [item for item in todo if item[1] not in forgotten]
    for done, (path, claude_id, size, mtime_ns, config_dir) in enumerate(todo, start=1):
        if time.monotonic() >= deadline:
            result.incomplete = True
            break
        try:
            with db.atomic():
                ours = not _recorded(db, claude_id) and _prepare(db, path, claude_id, config_dir, result)
            if ours and not _index_until(db, claude_id, deadline, result):
                with db.atomic():
                    _note_times(db, claude_id)
                result.incomplete = True  # the rest next time: the watermark is not noted
                break
            with db.atomic():
                if ours:
                    _note_times(db, claude_id)
                db.execute(
                    "INSERT OR REPLACE INTO claude_sources (path_hash, claude_session_id, size, mtime_ns)"
                    " VALUES (?, ?, ?, ?)",
                    [_path_hash(path), claude_id, size, mtime_ns],
                )
        except OSError as e:
            result.problems.append(f"{path}: {e.strerror or e}")
        if progress:
            progress(done, len(todo))
    return result


def _path_hash(path) -> str:
    """The watermark's key for a transcript's path (the path itself may hold a
    secret: its folder is named after the working directory)."""
    import hashlib

    return hashlib.blake2b(str(path).encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def _changed(db, result: TakeIn) -> list:
    """(path, claude id, size, mtime_ns, config dir) of the transcripts whose
    (size, mtime) is not the watermark's: in Claude Code's projects folders,
    then archived ones that only the archive still has; oldest first."""
    marks = {
        key: (size, mtime) for key, size, mtime in db.execute("SELECT path_hash, size, mtime_ns FROM claude_sources")
    }
    found, seen_ids = [], set()
    for config_dir in config_dirs():
        for path, claude_id, st in _transcripts_in(Path(config_dir) / "projects"):
            result.seen += 1
            seen_ids.add(claude_id)
            if marks.get(_path_hash(path)) != (st.st_size, st.st_mtime_ns):
                found.append((path, claude_id, st.st_size, st.st_mtime_ns, config_dir, st.st_mtime))
    for path, claude_id, st in _transcripts_in(archive.archive_root(), folders=False):
        if claude_id not in seen_ids and marks.get(_path_hash(path)) != (st.st_size, st.st_mtime_ns):
            found.append((path, claude_id, st.st_size, st.st_mtime_ns, None, st.st_mtime))
    found.sort(key=lambda item: item[5])  # oldest first: line ids follow time (cs.ask.search)
    return [item[:5] for item in found]


def _transcripts_in(root: Path, folders: bool = True):
    """(path, claude id, stat) of `<root>/<folder>/<id>.jsonl` (or, without
    `folders`, `<root>/<id>.jsonl`): regular files, never through a link."""
    try:
        dirs = [e.path for e in os.scandir(root) if e.is_dir(follow_symlinks=False)] if folders else [str(root)]
    except OSError:
        return
    for folder in dirs:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            claude_id = entry.name[: -len(".jsonl")].lower()
            if not entry.name.endswith(".jsonl") or not _looks_like_id(claude_id):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                yield entry.path, claude_id, st


def _looks_like_id(name: str) -> bool:
    return len(name) == 36 and name.count("-") == 4 and set(name) <= _ID_CHARS


def _recorded(db, claude_id: str) -> bool:
    """Does a recording hold this Claude session (a link of its own, a log
    named by the id: the recorder passes `--session-id <its id>`)?"""
    if db.execute(
        "SELECT 1 FROM claude_links WHERE claude_session_id = ? AND how != ? LIMIT 1", [claude_id, LINK]
    ).fetchone():
        return True
    if db.execute("SELECT 1 FROM sessions WHERE id = ? AND source != ?", [claude_id, SOURCE]).fetchone():
        return True
    logs = paths.logs_dir()
    return any(os.path.lexists(logs / (claude_id + suffix)) for suffix in _LOG_NAMES)


def _prepare(db, path: str, claude_id: str, config_dir, result: TakeIn) -> bool:
    """Archive one transcript (when it is Claude Code's) and make its session
    if it has none yet; True when there is a transcript-only session to index
    (False: no dated line yet, or the id is a recording's)."""
    if config_dir is not None:
        result.problems.extend(archive.archive_session(Path(path)))
        result.archived += 1
    row = db.execute("SELECT source FROM sessions WHERE id = ?", [claude_id]).fetchone()
    if row is not None:
        return row[0] == SOURCE
    head = describe(archive.archived_transcript(claude_id))
    if head is None:
        return False  # taken in when it has one
    _create_session(db, claude_id, head, config_dir)
    result.new_sessions += 1
    return True


def _index_until(db, claude_id: str, deadline: float, result: TakeIn) -> bool:
    """Index what is new in a transcript-only session's archived files, a
    few MB per transaction (readers see it meanwhile), until `deadline`:
    True when all of it is indexed."""
    from cs.claude import index as claude_index  # here: an idle catch-up (`cs search`) never needs it

    for key, file in claude_index.transcript_files(claude_id):
        while True:
            with db.atomic():
                result.problems.extend(claude_index.index_transcript(db, claude_id, file, key, max_bytes=_STEP_BYTES))
            if _indexed_all(db, key, file):
                break
            if time.monotonic() >= deadline:
                return False
    return True


def _indexed_all(db, key: str, file: Path) -> bool:
    try:
        size = os.stat(file).st_size
    except OSError:
        return True  # encrypted or gone: index_transcript reads what it can at once
    row = db.execute("SELECT indexed_offset FROM claude_transcripts WHERE claude_session_id = ?", [key]).fetchone()
    if row is None or row[0] >= size:
        return True
    with open(file, "rb") as f:  # a torn last line is not indexed until it is whole
        f.seek(row[0])
        return b"\n" not in f.read(size - row[0])


def describe(path: Path):
    """What the first dated lines of a transcript say: {started_at, cwd,
    git_branch, version}, or None when it has no dated line (yet)."""
    try:
        with open(path, "rb") as f:
            data = f.read(_HEAD_READ)
    except OSError:
        return None
    out = None
    for raw in data.split(b"\n")[:-1]:  # whole lines only
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(record, dict) or not isinstance(record.get("timestamp"), str):
            continue
        if out is None:
            out = {"started_at": record["timestamp"], "cwd": None, "git_branch": None, "version": None}
        for key, field in (("cwd", "cwd"), ("git_branch", "gitBranch"), ("version", "version")):
            if out[key] is None and isinstance(record.get(field), str) and record[field]:
                out[key] = record[field]
        if out["cwd"] is not None:
            break
    return out


def _create_session(db, claude_id: str, head: dict, config_dir) -> None:
    from cs.claude import index as claude_index  # here: an idle catch-up (`cs search`) never needs it

    cwd = head["cwd"]
    db.execute(
        "INSERT INTO sessions (id, started_at, last_event_at, ended_at, status, command, argv, cwd, project,"
        " git_branch, claude_session_id, source) VALUES (?, ?, ?, ?, 'finished', 'claude', '[\"claude\"]', ?, ?, ?, ?, ?)",
        [
            claude_id,
            head["started_at"],
            head["started_at"],
            head["started_at"],
            cwd,
            project_of(cwd),
            head["git_branch"],
            claude_id,
            SOURCE,
        ],
    )
    claude_index.store_links(db, claude_id, {claude_id: (LINK, config_dir)})


def project_of(cwd):
    """As for a recording: the base name of the git top level, else of cwd."""
    if not cwd:
        return None
    here = cwd
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return os.path.basename(here.rstrip("/")) or here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.basename(cwd.rstrip("/")) or cwd
        here = parent


def _note_times(db, session_id: str) -> None:
    """A transcript-only session ends with the newest line it holds."""
    db.execute(
        "UPDATE sessions SET last_event_at = MAX(started_at, COALESCE((SELECT MAX(ts) FROM lines WHERE session_id = ?),"
        " started_at)) WHERE id = ?",
        [session_id, session_id],
    )
    db.execute("UPDATE sessions SET ended_at = last_event_at WHERE id = ?", [session_id])


# ---------------------------------------------------------------- recorded after all


def absorb_recorded(db) -> int:
    """A transcript-only session that a recording now links gives it what was
    said from that recording's start on (lines indexed before the link was
    known); it goes altogether when nothing is left before that start.
    Returns how many were changed. Proved by tests/test_claude_unrecorded.py::
    test_a_recorded_transcript_is_not_a_session_of_its_own."""
    rows = db.execute(
        "SELECT s.id, s.started_at, MIN(r.started_at) FROM sessions s"
        " JOIN claude_links l ON l.claude_session_id = s.id AND l.session_id != s.id"
        " JOIN sessions r ON r.id = l.session_id"
        " WHERE s.source = ? AND r.started_at IS NOT NULL GROUP BY s.id HAVING MIN(r.started_at) <= s.last_event_at",
        [SOURCE],
    ).fetchall()
    if not rows:
        return 0
    from cs.claude import index as claude_index  # here: an idle catch-up (`cs search`) never needs it

    for claude_id, started_at, recorded_from in rows:
        with db.atomic():
            db.execute("DELETE FROM lines WHERE session_id = ? AND ts >= ?", [claude_id, recorded_from])
            db.execute("DELETE FROM claude_usage WHERE session_id = ? AND ts >= ?", [claude_id, recorded_from])
            left = db.execute("SELECT 1 FROM lines WHERE session_id = ? LIMIT 1", [claude_id]).fetchone()
            if left is None or started_at >= recorded_from:
                from cs.db import delete_sessions

                delete_sessions(db, [claude_id])
            db.execute(
                "UPDATE claude_transcripts SET indexed_offset = 0 WHERE claude_session_id = ?"
                " OR substr(claude_session_id, 1, 37) = ?",
                [claude_id, claude_id + "/"],
            )
            for key, file in claude_index.transcript_files(claude_id):
                claude_index.index_transcript(db, claude_id, file, key)
            if left is not None:
                _note_times(db, claude_id)
    return len(rows)


# ---------------------------------------------------------------- removed for good


def forgotten_path() -> Path:
    return archive.archive_root() / "forgotten"


def read_forgotten() -> set:
    """Claude session ids removed by prune or forget: never taken in again."""
    try:
        with open(forgotten_path(), encoding="ascii", errors="replace") as f:
            return {line.strip() for line in f if line.strip()}
    except FileNotFoundError:
        return set()


def remember_forgotten(claude_ids) -> None:
    """Name these ids in the forgotten list (private, appended, fsynced)
    before their rows and files go: a crash in between leaves them forgotten."""
    ids = [cid for cid in claude_ids if _looks_like_id(cid)]
    if not ids:
        return
    target = forgotten_path()
    paths.ensure_private_dir(target.parent)
    try:
        fd = paths.create_private_file(target)
    except FileExistsError:
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        os.write(fd, "".join(cid + "\n" for cid in ids).encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)


def forget_claude_sessions_of(db, session_ids) -> None:
    """Name in the forgotten list the Claude sessions that only these
    sessions (about to be removed by prune or forget) link, so that their
    transcripts, which Claude Code may still have, are not taken in again as
    sessions of their own. Proved by tests/test_claude_unrecorded.py::
    test_a_forgotten_recording_does_not_come_back_as_a_transcript_only_session."""
    ids = list(session_ids)
    if db is None or not ids:
        return
    gone = set(_each_in(db, "SELECT DISTINCT claude_session_id FROM claude_links WHERE session_id IN ({})", ids))
    removed = set(ids)
    kept = {
        cid
        for cid in gone
        if any(
            sid not in removed
            for (sid,) in db.execute("SELECT session_id FROM claude_links WHERE claude_session_id = ?", [cid])
        )
    }
    remember_forgotten(sorted(gone - kept))


def transcript_only(db, session_ids) -> list:
    """Those of these sessions that have no recording (source 'transcript')."""
    return list(_each_in(db, "SELECT id FROM sessions WHERE source = ? AND id IN ({})", list(session_ids), [SOURCE]))


def _each_in(db, sql: str, ids: list, before=()):
    """The first column of `sql` run over `ids` in batches of 500 (SQLite's
    limit on parameters): `{}` in `sql` is the batch's placeholders, `before`
    the parameters ahead of them."""
    for i in range(0, len(ids), 500):
        batch = ids[i : i + 500]
        for (value,) in db.execute(sql.format(",".join("?" * len(batch))), [*before, *batch]).fetchall():
            yield value


def is_transcript_only(db, session_id: str) -> bool:
    return bool(transcript_only(db, [session_id]))
