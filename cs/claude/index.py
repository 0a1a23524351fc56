"""Recordings → their Claude sessions → archived transcripts → searchable lines and usage.

Run at the end of every indexing pass for the recordings whose logs moved
(cs.index.indexer.index_pass), under the pass lock. For each such recording of
`claude`:

1. links: what the log says (`claude_session` event lines, written by the
   recorder: cs.record.claude_link), the ids in its argv (`--resume X`,
   `--session-id X`), the id Claude Code printed at exit; and, for a recording
   that has none of these once it is over, transcripts in its working
   directory's project folder whose lines fall in its time (`matched`);
2. each linked transcript is archived (cs.claude.archive);
3. what is new in the archive is indexed: prompts, replies, tool calls and tool
   results (capped) as `lines` with direction 'transcript' and a `kind`, each
   attributed to the linked recording that was running at its time; token
   usage into `claude_usage`, once per (message id, request id).

Never raises for what a transcript holds: problems come back as messages.
Tests: tests/test_claude_e2e_transcripts.py, tests/test_claude_transcript.py.
"""

import io
import json
import math
import os
from pathlib import Path

from cs import config
from cs.claude import archive, transcript
from cs.db import text_hash
from cs.errors import CsError
from cs.log.timestamps import parse_timestamp

_ID_OPTIONS = {"--resume": "resume", "-r": "resume", "--session-id": "session-id"}
_MATCH_GRACE_S = 60
_MATCH_READ_LIMIT = 4 << 20


def store_links(db, session_id: str, links: dict) -> None:
    """Links a recording's log declared (claude id -> (how, config dir))."""
    if links:
        db.conn.executemany(
            "INSERT INTO claude_links (session_id, claude_session_id, how, config_dir) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO UPDATE SET config_dir = COALESCE(excluded.config_dir, config_dir)",
            [(session_id, cid, how, config_dir) for cid, (how, config_dir) in links.items()],
        )


def update(db, session_ids) -> list:
    """Link, archive and index the transcripts of these recordings; the
    problems met, as messages (never raised). All recordings are linked
    before any transcript is indexed: a line goes to the recording it was
    said in, and a `--resume` in the same pass must be known by then."""
    problems, linked = [], {}
    for sid in session_ids:
        try:
            with db.atomic():
                linked[sid] = _link_recording(db, sid)
        except Exception as e:  # a transcript must never stop the indexer
            problems.append(f"{sid}: Claude transcript: {type(e).__name__}: {e}")
    done = set()
    for sid, (cwd, links) in linked.items():
        for claude_id, config_dir in links:
            if claude_id in done:
                continue
            done.add(claude_id)
            try:
                with db.atomic():
                    problems.extend(_archive_and_index(db, claude_id, config_dir, cwd))
            except Exception as e:
                problems.append(f"{sid}: Claude transcript {claude_id[:8]}: {type(e).__name__}: {e}")
    return problems


def _link_recording(db, sid: str) -> tuple:
    """(cwd, [(claude id, config dir)]) of a recording of `claude`, its links stored."""
    row = db.execute(
        "SELECT argv, cwd, started_at, ended_at, last_event_at, status, claude_session_id FROM sessions WHERE id = ?",
        [sid],
    ).fetchone()
    if row is None:
        return None, []
    argv_text, cwd, started_at, ended_at, last_event_at, status, exit_id = row
    argv = _argv(argv_text)
    if not argv or os.path.basename(str(argv[0])) != "claude":
        return cwd, []
    links = dict(_argv_links(argv))
    if exit_id:
        links.setdefault(exit_id.lower(), ("exit-message", None))
    store_links(db, sid, links)
    known = _links_of(db, sid)
    if not known and status != "running" and cwd:
        matched = _match_by_time(cwd, started_at, ended_at or last_event_at)
        store_links(db, sid, {cid: ("matched", None) for cid in matched})
        known = _links_of(db, sid)
    return cwd, known


def _archive_and_index(db, claude_id: str, config_dir, cwd) -> list:
    problems = []
    source = archive.find_transcript(config_dir or archive.default_config_dir(), claude_id, cwd)
    if source is not None:
        problems.extend(archive.archive_session(source))
    for key, path in transcript_files(claude_id):
        problems.extend(index_transcript(db, claude_id, path, key))
    return problems


def transcript_files(claude_id: str) -> list:
    """(key, path) of a Claude session's archived transcripts: its own, then its
    subagents' (<id>/subagents/*.jsonl), which belong to the same session."""
    files = [(claude_id, archive.archived_transcript(claude_id))]
    sub = archive.archive_root() / claude_id / "subagents"
    try:  # an encrypted one (.jsonl.gz.age) under its plain name: index_transcript reads either
        names = sorted({n.removesuffix(archive.ENCRYPTED_SUFFIX) for n in os.listdir(sub)} - {""})
        names = [n for n in names if n.endswith(".jsonl")]
    except OSError:
        names = []
    files.extend((f"{claude_id}/subagents/{n}", sub / n) for n in names)
    return files


def _argv(text):
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, list) else None


def _argv_links(argv):
    for i, arg in enumerate(argv[1:], start=1):
        name, _, value = str(arg).partition("=")
        if name in _ID_OPTIONS:
            if not value and i + 1 < len(argv):
                value = str(argv[i + 1])
            if _looks_like_id(value):
                yield value.lower(), (_ID_OPTIONS[name], None)


def _looks_like_id(value: str) -> bool:
    return isinstance(value, str) and len(value) == 36 and value.count("-") == 4


def _links_of(db, sid: str) -> list:
    return db.execute(
        "SELECT claude_session_id, config_dir FROM claude_links WHERE session_id = ? ORDER BY claude_session_id", [sid]
    ).fetchall()


def _match_by_time(cwd: str, started_at: str, ended_at: str) -> list:
    """Claude sessions whose transcript has lines from `cwd` within the
    recording's time (for recordings whose log names none: an older Claude
    Code, a kill before the first prompt was tracked). Looked for in `cwd`'s
    project folder, then in the archive: Claude Code deletes its transcripts,
    and an index rebuilt after that must link what it linked before
    (tests/test_story.py, whose fixtures hold only the archive)."""
    start, end = parse_timestamp(started_at), parse_timestamp(ended_at or started_at)
    if start is None or end is None:
        return []
    lo, hi = start.timestamp() - _MATCH_GRACE_S, end.timestamp() + _MATCH_GRACE_S
    folder = Path(archive.default_config_dir()) / "projects" / archive.project_folder_name(cwd)
    found = _matching_files(folder, cwd, lo, hi, skip_older=True)
    return found or _matching_files(archive.archive_root(), cwd, lo, hi, skip_older=False)


def _matching_files(folder: Path, cwd: str, lo: float, hi: float, skip_older: bool) -> list:
    try:
        candidates = [e for e in os.scandir(folder) if e.name.endswith(".jsonl") and e.is_file(follow_symlinks=False)]
    except OSError:
        return []
    found = []
    for entry in candidates:
        try:
            if skip_older and entry.stat(follow_symlinks=False).st_mtime < lo:
                continue  # last written before the recording began
            with open(entry.path, "rb") as f:
                data = f.read(_MATCH_READ_LIMIT)
        except OSError:
            continue
        for raw in data.splitlines():
            if b'"cwd"' not in raw:
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                continue
            when = parse_timestamp(record.get("timestamp")) if isinstance(record, dict) else None
            if when and record.get("cwd") == cwd and lo <= when.timestamp() <= hi:
                found.append(entry.name[: -len(".jsonl")].lower())
                break
    return found


# ---------------------------------------------------------------- indexing an archive


def index_transcript(
    db, claude_id: str, path: Path, key: str, result_cap: int = transcript.DEFAULT_RESULT_CAP, max_bytes: int = None
) -> list:
    """Index what is new in one archived transcript file of `claude_id`
    (`key` names the file in claude_transcripts); with `max_bytes`, about that
    much of it at most (whole lines; the next call goes on from there)."""
    encrypted = None
    try:
        size = os.stat(path).st_size
    except OSError:
        encrypted = Path(str(path) + archive.ENCRYPTED_SUFFIX)
        if not encrypted.is_file():
            return []
    state = db.execute(
        "SELECT indexed_offset, entries, skipped FROM claude_transcripts WHERE claude_session_id = ?", [key]
    ).fetchone()
    offset, n_entries, n_skipped = state if state else (0, 0, 0)
    if encrypted is not None:
        if state is not None:
            return []  # indexed before it was encrypted: the index keeps what it holds
        try:
            data = archive.read_encrypted(encrypted)
        except CsError:
            return []  # no identity: noted (cs.log.crypto.unreadable) and said once by the command
        size = len(data)
    if offset >= size:
        return []
    recordings = recordings_of(db, claude_id)
    if not recordings:
        return []
    counts = transcript.Counts()
    redactor = config.redactor()
    fts_from = db.execute("SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'lines'), 0)").fetchone()[0]
    lines, usage = [], []
    with open(path, "rb") if encrypted is None else io.BytesIO(data) as f:
        f.seek(offset)
        stop_at = offset + max_bytes if max_bytes is not None else math.inf
        for raw in f:
            if not raw.endswith(b"\n"):
                break  # a line still being copied: next time
            if offset >= stop_at:
                break
            line_offset, offset = offset, offset + len(raw)
            for entry in transcript.parse_line(raw, counts, result_cap):
                recording = owner(recordings, entry.ts)
                if entry.text.strip():
                    text = redactor.text(entry.text)
                    lines.append((recording, entry.ts, text, text_hash(text), line_offset, entry.kind))
                if entry.usage is not None and entry.usage_key:
                    usage.append(
                        (
                            *entry.usage_key,
                            claude_id,
                            recording,
                            entry.ts,
                            entry.model,
                            *transcript.usage_numbers(entry.usage),
                            int(bool(entry.sidechain)),
                        )
                    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO lines (session_id, ts, direction, text, text_hash, segment, offset, kind)"
        " VALUES (?, ?, 'transcript', ?, ?, 0, ?, ?)",
        lines,
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO claude_usage (message_id, request_id, claude_session_id, session_id, ts, model,"
        " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, sidechain)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        usage,
    )
    db.execute(
        "INSERT INTO lines_fts (rowid, text) SELECT id, text FROM lines WHERE id > ? AND text_hash IS NOT NULL",
        [fts_from],
    )
    db.execute(
        "INSERT OR REPLACE INTO claude_transcripts (claude_session_id, indexed_offset, entries, skipped)"
        " VALUES (?, ?, ?, ?)",
        [key, offset, n_entries + counts.entries, n_skipped + counts.unknown + counts.bad],
    )
    return []


def recordings_of(db, claude_id: str) -> list:
    """(start, session id) of the recordings linked to a Claude session, oldest first."""
    rows = db.execute(
        "SELECT s.started_at, s.id FROM claude_links l JOIN sessions s ON s.id = l.session_id"
        " WHERE l.claude_session_id = ? ORDER BY s.started_at, s.id",
        [claude_id],
    ).fetchall()
    return [(start or "", sid) for start, sid in rows]


def owner(recordings: list, ts: str) -> str:
    """The recording that was running when a transcript line was written: the
    latest one started before it (a `--resume` continues in a new recording);
    lines older than every recording belong to the first."""
    found = recordings[0][1]
    for start, sid in recordings:
        if start and start <= ts:
            found = sid
    return found
