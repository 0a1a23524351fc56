"""Moving sessions between machines: `cs export --format archive` and `cs import`.

An archive is a .tar.gz holding `manifest.json` and `logs/<segment file>` for
each segment of each session, as stored (plain or .gz), and, for a recording of
`claude`, the archived Claude Code transcripts it is linked to under
`claude/<id>.jsonl` and `claude/<id>/...` (cs.claude.archive). The manifest
names the archive format, the cs version, and per session its id and each
file's name, size and SHA-256 (`files`, `transcripts`).

Import refuses, writing nothing (tests/test_playback_archive.py):
a file that is not a tar.gz or is truncated; a member that is not a regular
file (links, devices, directories), whose name is absolute, holds `..`, or is
neither the manifest nor a segment name under `logs/`; a file not in the
manifest, or listed but missing, or whose size or SHA-256 differ; a segment
that belongs to a session the manifest does not list. A session already
present with exactly the same files is skipped (importing twice is a no-op);
one present with other content is refused. Files are written 0600 through a
private temporary name and renamed into place, segment 1 last.
"""

import hashlib
import io
import json
import os
import tarfile
import time
from pathlib import Path

from cs import __version__
from cs.errors import CsError
from cs.log import paths, store

FORMAT = "cs-archive"
FORMAT_VERSION = 1
MAX_MEMBER = 64 << 30


class BadArchive(CsError):
    """An archive that cannot be imported as it is (the message says why)."""


def _read_whole(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def export(out, logs_dir: Path, session_ids: list, progress=None, transcripts: dict = None) -> dict:
    """Write a .tar.gz of the sessions to the binary stream `out`; returns the
    manifest. Each file is read once: its hash, size and archived bytes agree
    even while a live session grows. `transcripts`: {session id: [(name under
    claude/, path)]}, the archived Claude Code transcripts that go with it."""
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "cs_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "sessions": [],
    }
    with tarfile.open(fileobj=out, mode="w|gz") as tar:
        for sid in session_ids:
            files = []
            for path in store.session_segments(logs_dir, sid):
                data = _read_whole(path)
                files.append({"name": path.name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
                _add(tar, f"logs/{path.name}", data)
                if progress:
                    progress(len(data))
            if not files:
                raise CsError(f"session {sid[:8]} has no log files")
            kept = []
            for rel, path in (transcripts or {}).get(sid, []):
                data = _read_whole(path)
                kept.append({"name": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()})
                _add(tar, f"claude/{rel}", data)
            manifest["sessions"].append({"id": sid, "files": files, "transcripts": kept})
        _add(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
    return manifest


def _add(tar, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), 0o600, int(time.time())
    tar.addfile(info, io.BytesIO(data))


# ------------------------------------------------------------------ import


def _listed_member(members: dict, path: str, entry: dict, name: str, shown: str) -> bytes:
    """The bytes of archive member `path`, which the manifest lists as `entry`
    (size and SHA-256); BadArchive if it is missing or differs."""
    data = members.get(path)
    if data is None:
        raise BadArchive(f"{name}: {shown} is in the manifest but not in the archive")
    if len(data) != entry["size"] or hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise BadArchive(f"{name}: {shown} does not match its SHA-256 in the manifest")
    return data


def read(path: Path) -> tuple:
    """(manifest, {segment name: bytes}) of a verified archive, or BadArchive."""
    name = Path(path).name
    members = {}
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            for member in tar:
                _check_member(member, name)
                f = tar.extractfile(member)
                data = f.read()
                if len(data) != member.size:
                    raise BadArchive(f"{name}: {member.name} is truncated")
                if member.name in members:
                    raise BadArchive(f"{name}: {member.name} appears twice")
                members[member.name] = data
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        if isinstance(e, FileNotFoundError):
            raise CsError(f"{path}: no such file") from None
        raise BadArchive(f"{name}: not a complete cs archive (truncated or damaged: {e})") from None
    manifest = _manifest(members.pop("manifest.json", None), name)
    files = {}
    listed = set()
    for session in manifest["sessions"]:
        for entry in session["files"]:
            seg = entry["name"]
            data = _listed_member(members, f"logs/{seg}", entry, name, shown=seg)
            parsed = store.parse_segment_name(seg)
            if parsed is None or parsed[0] != session["id"]:
                raise BadArchive(f"{name}: {seg} is not a segment of session {session['id']}")
            files[seg] = data
            listed.add(f"logs/{seg}")
    for session in manifest["sessions"]:
        for entry in session.get("transcripts", []):
            rel = entry["name"]
            data = _listed_member(members, f"claude/{rel}", entry, name, shown=f"claude/{rel}")
            files[f"claude/{rel}"] = data
            listed.add(f"claude/{rel}")
    extra = set(members) - listed
    if extra:
        raise BadArchive(f"{name}: {min(extra)} is not in the manifest")
    return manifest, files


def _check_member(member: tarfile.TarInfo, name: str) -> None:
    if not member.isreg():
        kind = "a link" if member.issym() or member.islnk() else "not a regular file"
        raise BadArchive(f"{name}: refusing {member.name!r}: {kind}")
    parts = member.name.split("/")
    if member.name.startswith("/") or ".." in parts or "\\" in member.name:
        raise BadArchive(f"{name}: refusing {member.name!r}: the path escapes the archive")
    if member.name == "manifest.json":
        return
    if parts[0] == "claude":
        if not _transcript_member(parts[1:]):
            raise BadArchive(f"{name}: refusing {member.name!r}: not an archived Claude Code transcript")
    elif len(parts) != 2 or parts[0] != "logs" or store.parse_segment_name(parts[1]) is None:
        raise BadArchive(f"{name}: refusing {member.name!r}: not a session log")
    if member.size > MAX_MEMBER:
        raise BadArchive(f"{name}: refusing {member.name!r}: too large")


_SAFE_PART = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def _transcript_member(parts: list) -> bool:
    """claude/<uuid>.jsonl, or a file under claude/<uuid>/ (subagents, tool
    results) at most three levels down, of plain names only."""
    if not parts or len(parts) > 4 or any(not p or p.startswith(".") or set(p) - _SAFE_PART for p in parts):
        return False
    head = parts[0][: -len(".jsonl")] if len(parts) == 1 and parts[0].endswith(".jsonl") else parts[0]
    return len(head) == 36 and head.count("-") == 4 and (len(parts) == 1) == parts[0].endswith(".jsonl")


def write_transcripts(home: Path, files: dict) -> int:
    """Write the archived transcripts of an import that this cs home does not
    have yet (one it has is kept: ours never loses lines). Returns how many."""
    written = 0
    for member, data in files.items():
        if not member.startswith("claude/"):
            continue
        target = Path(home) / member
        if target.exists():
            continue
        paths.ensure_private_dir(target.parent)
        paths.write_private_atomically(target, data)
        written += 1
    return written


def _manifest(raw, name):
    if raw is None:
        raise BadArchive(f"{name}: no manifest.json: not a cs archive")
    try:
        manifest = json.loads(raw)
        assert manifest["format"] == FORMAT and isinstance(manifest["sessions"], list)
        for session in manifest["sessions"]:
            assert isinstance(session["id"], str) and isinstance(session["files"], list)
            for entry in session["files"]:
                assert isinstance(entry["name"], str) and isinstance(entry["size"], int)
                assert isinstance(entry["sha256"], str)
    except (ValueError, KeyError, TypeError, AssertionError):
        raise BadArchive(f"{name}: manifest.json is not a cs archive manifest") from None
    if manifest.get("version") != FORMAT_VERSION:
        raise BadArchive(
            f"{name}: archive format version {manifest.get('version')!r} is not supported by cs {__version__}"
        )
    return manifest


def plan(logs_dir: Path, manifest: dict, files: dict) -> list:
    """Session ids to write; those already present identically are left out.
    BadArchive if one is present with other content."""
    todo = []
    present = store.all_sessions(logs_dir)
    for session in manifest["sessions"]:
        sid = session["id"]
        mine = present.get(sid.lower())
        if not mine:
            todo.append(sid)
            continue
        theirs = {e["name"]: e["sha256"] for e in session["files"]}
        ours = {p.name: hashlib.sha256(_read_whole(p)).hexdigest() for p in mine.values()}
        if ours != theirs:
            raise BadArchive(
                f"session {sid[:8]} already exists here with other content; "
                "remove it first (cs forget ID) to replace it"
            )
    return todo


def write_sessions(logs_dir: Path, manifest: dict, files: dict, session_ids: list) -> int:
    """Write the files of `session_ids`, privately; returns bytes written."""
    logs_dir = paths.ensure_private_dir(Path(logs_dir))
    written = 0
    for session in manifest["sessions"]:
        if session["id"] not in session_ids:
            continue
        names = sorted(
            (e["name"] for e in session["files"]), key=lambda n: -store.parse_segment_name(n)[1]
        )  # segment 1 last
        for seg in names:
            tmp = logs_dir / f".import-{os.getpid()}-{seg}.tmp"
            fd = paths.create_private_file(tmp, append=False)
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(files[seg])
                    f.flush()
                    os.fsync(f.fileno())
                if (logs_dir / seg).exists():
                    raise BadArchive(f"{seg} appeared while importing; nothing replaced")
                os.rename(tmp, logs_dir / seg)
            finally:
                if tmp.exists():
                    tmp.unlink()
            written += len(files[seg])
    return written
