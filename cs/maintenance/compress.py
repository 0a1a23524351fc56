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

Encryption at rest (`encrypt_recipients` set; docs/security.md): each segment
is written as <name>.gz.age instead -- the gzip stream, age-encrypted to the
recipients (cs.log.crypto), so `age -d -i KEY FILE | zcat | jq` reads it --
in the same order: .<name>.gz.age.tmp (0600, O_EXCL, fsync), renamed to
<name>.gz.age, the log_files row renamed, then the plain (or .gz) file
unlinked. Segments already gzipped by an earlier run are encrypted as they
are. A .gz.age found beside its plain or .gz file (a run killed before the
unlink) is not trusted (it cannot be checked without the identity): it is
written again from the file readers still prefer. The archived Claude Code
transcripts of the session (<cs home>/claude/<id>.jsonl) are encrypted the
same way (<id>.jsonl.gz.age) once every recording linked to them is
encrypted and none is live (a sweep on every encrypting run).
"""

import gzip
import io
import os
import zlib
from datetime import UTC, datetime
from pathlib import Path

from cs.db import open_existing_for_writing
from cs.log import crypto, liveness, locks, paths, store
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


def _gzip_bytes(plain: Path) -> bytes:
    buf = io.BytesIO()
    with open(plain, "rb") as src:
        mtime = int(os.fstat(src.fileno()).st_mtime)
        with gzip.GzipFile(
            filename=plain.name, mode="wb", fileobj=buf, compresslevel=COMPRESS_LEVEL, mtime=mtime
        ) as out:
            while chunk := src.read(_CHUNK):
                out.write(chunk)
    return buf.getvalue()


def _write_new_private(path: Path, data: bytes) -> None:
    """`data` to a new private file (O_EXCL, 0600), fsync'd."""
    _unlink_quietly(path)  # a stray from a killed run; we hold the maintenance lock
    fd = paths.create_private_file(path, append=False)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def encrypt_segment(source: Path, recipients: list, db=None) -> dict:
    """One plain or .gz segment to <name>.gz.age (module doc); returns
    {name, bytes_before, bytes_after} (before: the plain bytes, as for gzip)."""
    source = Path(source)
    base = source.name[: -len(".gz")] if source.name.endswith(".gz") else source.name
    target = source.with_name(base + store.ENCRYPTED_SUFFIX)
    tmp = source.with_name(f".{target.name}.tmp")
    st_before = os.stat(source)
    if source.name.endswith(".gz"):
        with open(source, "rb") as f:
            gz_data = f.read()
        # the plain size, from gzip's trailer (modulo 4 GiB: segments are smaller)
        before = int.from_bytes(gz_data[-4:], "little") if len(gz_data) >= 18 else 0
    else:
        gz_data = _gzip_bytes(source)
        before = st_before.st_size
        if os.stat(source).st_size != before:
            raise RuntimeError(f"{source.name} changed while being compressed")
    _write_new_private(tmp, crypto.encrypt(gz_data, recipients))
    os.replace(tmp, target)
    paths.fsync_dir(source.parent)
    with locks.indexing_paused():
        if db is not None:
            st = os.stat(target)
            db.execute(
                "UPDATE log_files SET name = ?, inode = ?, size = ? WHERE name IN (?, ?)",
                [target.name, st.st_ino, st.st_size, base, base + ".gz"],
            )
        for old in (source.with_name(base), source.with_name(base + ".gz")):
            _unlink_quietly(old)
    paths.fsync_dir(source.parent)
    return {"name": source.name, "bytes_before": before, "bytes_after": os.stat(target).st_size}


def _encrypt_transcripts(db, recipients: list, logs_dir: Path) -> list:
    """The archived transcripts still plain whose recordings are all encrypted
    (their segment 1 is a .gz.age) and none live: encrypted (module doc).
    Swept on every encrypting run, so one missed (a pass held the lock, a
    `--resume` appended to it since) is caught later. Problems as messages."""
    from cs.claude import archive

    if db is None:
        return []
    try:
        names = sorted(n for n in os.listdir(archive.archive_root()) if n.endswith(".jsonl"))
    except OSError:
        return []
    problems = []
    for name in names:
        claude_id = name[: -len(".jsonl")]
        recordings = [
            sid
            for (sid,) in db.execute(
                "SELECT session_id FROM claude_links WHERE claude_session_id = ?", [claude_id]
            ).fetchall()
        ]
        if not recordings or not all(
            (Path(logs_dir) / store.segment_name(sid, encrypted=True)).exists() and not liveness.is_live(logs_dir, sid)
            for sid in recordings
        ):
            continue
        # The indexer appends to archives under its pass lock: not while we replace one.
        with locks.indexing_paused() as paused:
            if not paused:
                continue  # a long pass: the next run encrypts it
            for plain in archive.transcript_paths(claude_id):
                try:
                    archive.encrypt_archived(plain, lambda data: crypto.encrypt(gzip.compress(data), recipients))
                except (OSError, crypto.CsError) as exc:
                    problems.append(f"{plain.name}: kept unencrypted: {exc}")
    return problems


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
    rows = db.execute("SELECT name FROM log_files WHERE name NOT LIKE '%.age'").fetchall()
    for (name,) in rows:
        if (Path(logs_dir) / name).exists():
            continue
        base = name[: -len(".gz")] if name.endswith(".gz") else name
        for candidate in (base + ".gz", base + store.ENCRYPTED_SUFFIX):
            path = Path(logs_dir) / candidate
            if candidate != name and path.exists():
                _update_index_row(db, name, path)
                fixed += 1
                break
    return fixed


def _candidates(infos: list, older_than, encrypting: bool = False) -> list:
    out = []
    for info in infos:
        if info.status not in ("finished", "cut_off"):
            continue  # live or starting: never
        if older_than is not None and info.age_at >= older_than:
            continue
        if _plain_segments(info, encrypting):
            out.append(info)
    out.sort(key=lambda i: i.age_at)
    return out


def _plain_segments(info, encrypting: bool = False) -> list:
    """The segments to compress: the plain ones; encrypting, every segment
    not yet encrypted (plain, else .gz: the file readers read)."""
    out = []
    for n in sorted(info.files.segments):
        seg = info.files.segments[n]
        if seg.get("plain"):
            out.append(Path(seg["plain"]))
        elif encrypting and seg.get("gz"):
            out.append(Path(seg["gz"]))
    return out


def _recipients():
    """The parsed encrypt_recipients, or None (not encrypting). A config that
    cannot be read means the default (no encryption) here only if it is
    absent; a bad recipient or a missing pyrage is raised (say it, do not
    write plain files the user asked to have encrypted)."""
    from cs import config

    wanted = config.settings(checked=False).encrypt_recipients
    return crypto.parse_recipients(",".join(wanted)) if wanted else None


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
        "encrypted": False,
    }
    logs_dir = paths.logs_dir()
    if dry_run:
        from cs import config

        encrypting = bool(config.settings(checked=False).encrypt_recipients)
        result["encrypted"] = encrypting
        infos = read_all(logs_dir, index_hints(db_file=paths.db_path()), now.timestamp())
        for info in _candidates(infos, older_than, encrypting):
            segs = _plain_segments(info, encrypting)
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
    recipients = _recipients()
    result["encrypted"] = recipients is not None
    db, opened = open_existing_for_writing(db)
    try:
        result["temps_removed"] = remove_stray_temps(logs_dir)
        result["index_rows_fixed"] = reconcile_index(db, logs_dir)
        infos = read_all(logs_dir, index_hints(db), now.timestamp())
        result["skipped_live"] = sum(1 for i in infos if i.status in ("live", "starting"))
        candidates = _candidates(infos, older_than, recipients is not None)
        for index, info in enumerate(candidates):
            if budget_bytes is not None and result["bytes_before"] >= budget_bytes:
                result["remaining"] = len(candidates) - index
                break
            with liveness.hold_if_idle(logs_dir, info.id) as idle:
                if not idle:
                    result["skipped_live"] += 1
                    continue
                done = []
                for plain in _plain_segments(info, recipients is not None):
                    try:
                        if recipients is not None:
                            done.append(encrypt_segment(plain, recipients, db))
                        else:
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
        if recipients is not None:
            result["errors"].extend(_encrypt_transcripts(db, recipients, logs_dir))
    finally:
        if opened:
            db.conn.close()
    if result["bytes_after"]:
        result["ratio"] = result["bytes_before"] / result["bytes_after"]
    return result
