"""Claude Code's transcripts, copied into the cs home as they grow, so that they
outlive Claude Code's own clean-up (`cleanupPeriodDays`, 30 days by default).

Where Claude Code keeps them: <config dir>/projects/<cwd, every character that
is not a letter or digit replaced by '-'>/<session id>.jsonl, and beside it a
folder <session id>/ with `subagents/*.jsonl` and `tool-results/*`. The config
dir is $CLAUDE_CONFIG_DIR, else ~/.claude (the recorder notes the one in force
in the `claude_session` event line).

The archive: <cs home>/claude/<session id>.jsonl and <cs home>/claude/<session
id>/..., private (0600 files, 0700 folders). It only ever grows: new bytes of a
transcript are appended; a transcript that Claude Code edited or truncated
after we copied it is merged line by line (lines we have are kept, lines we
lack are appended), so we never lose what we already had. The caller holds the
indexer's pass lock (one archiver at a time). Tests: tests/test_claude_archive.py.
"""

import os
import re
import stat
from pathlib import Path

from cs.log import paths

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
_TAIL_CHECK = 4096
_MAX_FILE = 1 << 30  # a transcript larger than 1 GiB is not copied (say so, go on)


def archive_root() -> Path:
    return paths.cs_home() / "claude"


def archived_transcript(claude_id: str) -> Path:
    return archive_root() / f"{claude_id}.jsonl"


ENCRYPTED_SUFFIX = ".gz.age"


def transcript_paths(claude_id: str) -> list:
    """The plain archived transcript files of a Claude session: its own and its
    subagents' (the ones encryption at rest turns into .jsonl.gz.age)."""
    out = [archived_transcript(claude_id)]
    sub = archive_root() / claude_id / "subagents"
    try:
        out.extend(sub / n for n in sorted(os.listdir(sub)) if n.endswith(".jsonl"))
    except OSError:
        pass
    return [p for p in out if _regular(p)]


def encrypt_archived(plain: Path, seal) -> None:
    """plain -> plain.gz.age (seal(bytes) -> the age file's bytes), private,
    atomically, then plain removed. An existing .gz.age is merged first when
    it can be read (the transcript grew after a --resume); if it cannot (no
    identity), the plain file stays, and the caller is told (CsError)."""
    target = plain.with_name(plain.name + ENCRYPTED_SUFFIX)
    data = plain.read_bytes()
    if _regular(target):
        old = read_encrypted(target)  # EncryptedSession without the identity: keep the plain file
        have = set(old.splitlines(keepends=True))
        data = old + b"".join(line for line in data.splitlines(keepends=True) if line not in have)
    paths.write_private_atomically(target, seal(data))
    os.unlink(plain)
    paths.fsync_dir(plain.parent)


def read_encrypted(path: Path) -> bytes:
    import gzip

    from cs.log import crypto

    return gzip.decompress(crypto.decrypt_configured(path.read_bytes(), path.name))


def read_archived(path: Path):
    """The bytes of an archived transcript file: plain, else its .gz.age
    (decrypted with the identity: EncryptedSession without it); None if neither."""
    if _regular(path):
        return path.read_bytes()
    encrypted = path.with_name(path.name + ENCRYPTED_SUFFIX)
    if _regular(encrypted):
        return read_encrypted(encrypted)
    return None


def default_config_dir() -> str:
    return os.environ.get("CLAUDE_CONFIG_DIR") or os.path.join(os.path.expanduser("~"), ".claude")


def project_folder_name(cwd: str) -> str:
    return _NOT_ALNUM.sub("-", cwd)


def find_transcript(config_dir: str, claude_id: str, cwd: str = None):
    """The live transcript of a Claude session, or None. Looks in the folder of
    `cwd` first, then in every project folder (long paths are shortened by
    Claude Code, so the folder name cannot always be computed)."""
    projects = Path(config_dir) / "projects"
    name = f"{claude_id}.jsonl"
    if cwd:
        candidate = projects / project_folder_name(cwd) / name
        if _regular(candidate):
            return candidate
    try:
        folders = [e.path for e in os.scandir(projects) if e.is_dir(follow_symlinks=False)]
    except OSError:
        return None
    for folder in folders:
        candidate = Path(folder) / name
        if _regular(candidate):
            return candidate
    return None


def _regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def archive_session(source: Path) -> list:
    """Bring the archive of one transcript (and its folder) up to date with
    `source`. Returns problems as messages (empty when all went well)."""
    problems = []
    root = paths.ensure_private_dir(archive_root())
    claude_id = source.name[: -len(".jsonl")]
    _merge_file(source, root / source.name, problems)
    folder = source.with_name(claude_id)
    if folder.is_dir() and not folder.is_symlink():
        for src in sorted(_files_below(folder)):
            rel = src.relative_to(folder)
            dest = root / claude_id / rel
            paths.ensure_private_dir(dest.parent)
            if src.suffix == ".jsonl":
                _merge_file(src, dest, problems)
            else:
                _copy_once(src, dest, problems)
    return problems


def _files_below(folder: Path):
    """Regular files under `folder`, never following a link (Claude Code's own
    layout has none; a planted one must not make us copy files from elsewhere)."""
    for dirpath, _dirnames, filenames in os.walk(folder, followlinks=False):
        for name in filenames:
            path = Path(dirpath) / name
            if _regular(path):
                yield path


def _merge_file(src: Path, dest: Path, problems: list) -> None:
    try:
        src_size = os.stat(src).st_size
        if src_size > _MAX_FILE:
            problems.append(f"{src}: larger than 1 GiB, not archived")
            return
        have = os.stat(dest).st_size if dest.exists() else 0
        if src_size == have and (have == 0 or _same_tail(src, dest, have)):
            return
        if src_size > have and _same_tail(src, dest, have):
            _append(dest, _read_range(src, have, src_size), problems)
        else:
            _append(dest, _missing_lines(src, dest), problems)
    except OSError as e:
        problems.append(f"{src}: {e.strerror or e}")


def _same_tail(src: Path, dest: Path, have: int) -> bool:
    """Does `src` hold what `dest` holds, as far as its last few KiB tell?"""
    if have == 0:
        return True
    start = max(0, have - _TAIL_CHECK)
    return _read_range(src, start, have) == _read_range(dest, start, have)


def _read_range(path: Path, start: int, end: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(end - start)
    if not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]  # a line still being written waits for the next pass
    return data


def _missing_lines(src: Path, dest: Path) -> bytes:
    """Lines of `src` that `dest` does not have (a transcript edited or cut by
    Claude Code after we copied it): appended, never replacing ours."""
    import hashlib  # here: OpenSSL's 3 ms would be paid by every reading command's catch-up

    have = set()
    if dest.exists():
        with open(dest, "rb") as f:
            have = {hashlib.blake2b(line, digest_size=16).digest() for line in f}
    out = []
    with open(src, "rb") as f:
        for line in f:
            if line.endswith(b"\n") and hashlib.blake2b(line, digest_size=16).digest() not in have:
                out.append(line)
    return b"".join(out)


def _append(dest: Path, data: bytes, problems: list) -> None:
    if not data:
        return
    try:
        fd = paths.create_private_file(dest)
    except FileExistsError:
        fd = os.open(dest, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _copy_once(src: Path, dest: Path, problems: list) -> None:
    """A tool-result file: written once by Claude Code; copied when new or grown."""
    try:
        size = os.stat(src).st_size
        if size > _MAX_FILE or (dest.exists() and os.stat(dest).st_size >= size):
            return
        data = src.read_bytes()
        paths.write_private_atomically(dest, data)
    except OSError as e:
        problems.append(f"{src}: {e.strerror or e}")


def files_of(claude_id: str) -> list:
    """(name relative to the archive root, path) of every archived file of one
    Claude session: its transcript, then its folder (subagents, tool results)."""
    root = archive_root()
    out = []
    main = archived_transcript(claude_id)
    if main.exists():
        out.append((main.name, main))
    folder = root / claude_id
    if folder.is_dir() and not folder.is_symlink():
        out.extend((str(p.relative_to(root)), p) for p in sorted(_files_below(folder)))
    return out


def remove_unlinked(db) -> int:
    """Remove archived transcripts (and their folders) that no recording links
    any more: prune removed the last recording of that Claude session. Returns
    how many sessions' transcripts went."""
    root = archive_root()
    try:
        names = os.listdir(root)
    except FileNotFoundError:
        return 0
    linked = {cid for (cid,) in db.execute("SELECT DISTINCT claude_session_id FROM claude_links").fetchall()}
    gone = set()
    for name in names:
        claude_id = name.removesuffix(ENCRYPTED_SUFFIX)
        claude_id = claude_id[: -len(".jsonl")] if claude_id.endswith(".jsonl") else claude_id
        if claude_id in linked or len(claude_id) != 36:
            continue
        path = root / name
        if path.is_dir() and not path.is_symlink():
            for dirpath, dirnames, filenames in os.walk(path, topdown=False):
                for f in filenames:
                    os.unlink(os.path.join(dirpath, f))
                for d in dirnames:
                    os.rmdir(os.path.join(dirpath, d))
            os.rmdir(path)
        else:
            os.unlink(path)
        gone.add(claude_id)
    if gone:
        for claude_id in gone:
            db.execute(
                "DELETE FROM claude_transcripts WHERE claude_session_id = ? OR substr(claude_session_id, 1, 37) = ?",
                [claude_id, claude_id + "/"],
            )
        paths.fsync_dir(root)
    return len(gone)


def restore(claude_id: str, config_dir: str, cwd: str) -> Path:
    """Put the archived transcript (and its folder) back where Claude Code looks
    for it, for `cs resume`; returns the transcript's path there. Never
    overwrites a transcript Claude Code still has."""
    folder = Path(config_dir) / "projects" / project_folder_name(cwd)
    target = folder / f"{claude_id}.jsonl"
    if target.exists():
        return target
    source = archived_transcript(claude_id)
    paths.ensure_private_dir(folder)
    paths.write_private_atomically(target, source.read_bytes())
    extra = archive_root() / claude_id
    if extra.is_dir():
        for src in _files_below(extra):
            dest = folder / claude_id / src.relative_to(extra)
            if not dest.exists():
                paths.ensure_private_dir(dest.parent)
                paths.write_private_atomically(dest, src.read_bytes())
    return target
