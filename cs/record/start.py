"""What the `start` line says about a session: who, where, on what terminal, in which repo.

Runs on every `claude` start, so it is cheap: no subprocess (git branch and commit
are read straight from the `.git` files), no socket, no getpass.
"""

import os

from cs import __version__
from cs.log.jsonl import FORMAT_VERSION


def new_session_id() -> str:
    """A random (version 4) UUID, formatted without importing `uuid`."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def start_fields(argv, cols, rows, stdin_tty: bool, stdout_tty: bool) -> dict:
    """The fields of the start line (type, timestamp and session_id are added by
    jsonl.event_line). Absent facts are left out rather than guessed."""
    cwd = _cwd()
    fields = {
        "format": FORMAT_VERSION,
        "argv": list(argv),
        "cwd": cwd,
        "host": os.uname().nodename,
        "user": _user(),
        "term": os.environ.get("TERM"),
        "cols": cols,
        "rows": rows,
        "stdin_tty": stdin_tty,
        "stdout_tty": stdout_tty,
        "cs_version": __version__,
    }
    git = git_info(cwd) if cwd else None
    if git:
        fields.update(git)
    return fields


def _cwd():
    try:
        return os.getcwd()
    except OSError:  # the directory was removed under us
        return os.environ.get("PWD")


def _user():
    name = os.environ.get("USER") or os.environ.get("LOGNAME")
    if name:
        return name
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid())


# ---------------------------------------------------------------- git, from files


def git_info(start_dir: str):
    """{"git_branch", "git_commit", "git_root"} for the repository containing
    `start_dir`, or None outside a repository. Never raises: a repository we
    cannot make sense of just contributes what could be read."""
    try:
        found = _find_git_dir(start_dir)
        if not found:
            return None
        root, git_dir = found
        common_dir = _common_dir(git_dir)
        head = _read(os.path.join(git_dir, "HEAD"))
        info = {"git_root": root}
        if head.startswith("ref:"):
            ref = head[4:].strip()
            if ref.startswith("refs/heads/"):
                info["git_branch"] = ref[len("refs/heads/") :]
            commit = _resolve_ref(git_dir, common_dir, ref)
        else:
            commit = head.strip() or None  # detached HEAD: no branch
        if commit:
            info["git_commit"] = commit
        return info
    except (OSError, UnicodeDecodeError, ValueError):
        return None


def _find_git_dir(start_dir: str):
    """Walk up from start_dir to the first `.git`: a directory, or a file
    `gitdir: <path>` (worktrees and submodules). (top level, git dir) or None."""
    path = os.path.abspath(start_dir)
    while True:
        candidate = os.path.join(path, ".git")
        if os.path.isdir(candidate):
            return path, candidate
        if os.path.isfile(candidate):
            text = _read(candidate).strip()
            if text.startswith("gitdir:"):
                target = text[len("gitdir:") :].strip()
                return path, os.path.normpath(os.path.join(path, target))
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _common_dir(git_dir: str) -> str:
    """A linked worktree's git dir holds HEAD; branches live in the main
    repository's git dir, named by the `commondir` file."""
    try:
        rel = _read(os.path.join(git_dir, "commondir")).strip()
    except OSError:
        return git_dir
    return os.path.normpath(os.path.join(git_dir, rel))


def _resolve_ref(git_dir: str, common_dir: str, ref: str, depth: int = 0):
    if depth > 5:
        return None
    for base in (git_dir, common_dir):
        try:
            value = _read(os.path.join(base, ref)).strip()
        except OSError:
            continue
        if value.startswith("ref:"):
            return _resolve_ref(git_dir, common_dir, value[4:].strip(), depth + 1)
        return value or None
    return _packed_ref(common_dir, ref)


def _packed_ref(common_dir: str, ref: str):
    try:
        text = _read(os.path.join(common_dir, "packed-refs"))
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(("#", "^")):
            continue
        sha, _, name = line.partition(" ")
        if name.strip() == ref:
            return sha
    return None


def _read(path: str) -> str:
    with open(path, "rb") as f:
        return f.read(1 << 20).decode()
