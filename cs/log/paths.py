"""Where cs keeps things, and how it creates them privately.

Everything cs writes may hold secrets typed into a terminal, so directories are
0700 and files 0600 from the moment they exist, whatever the umask: modes are
passed to the creating call and then forced with fchmod (the umask can only
remove bits, and we never want a window where the file is readable by others).

The recorder imports this module on every `claude` start: it takes strings
or paths, and imports pathlib only where it returns a Path (the recorder asks
`home("logs")`, a string).
"""

import os
import stat

DIR_MODE = 0o700
FILE_MODE = 0o600


class UnsafePathError(OSError):
    """A path we were about to write is a symlink or belongs to someone else."""


def home(*parts: str) -> str:
    """The cs home ($CS_HOME, else ~/.claude-sessions), or a path under it."""
    base = os.environ.get("CS_HOME")
    base = os.path.expanduser(base) if base else os.path.join(os.path.expanduser("~"), ".claude-sessions")
    return os.path.join(base, *parts)


def cs_home():
    """home() as a pathlib.Path."""
    from pathlib import Path

    return Path(home())


def logs_dir():
    return cs_home() / "logs"


def db_path():
    return cs_home() / "index.db"


def config_path():
    return cs_home() / "config.toml"


def ensure_private_dir(path):
    """Create `path` (and missing parents) as 0700; refuse a symlink or a foreign owner.
    Returns `path` as given.

    The umask is narrowed while creating so that no directory of ours is ever,
    even for an instant, open to others."""
    old_umask = os.umask(0o077)
    try:
        os.makedirs(path, DIR_MODE, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise UnsafePathError(_not_a_directory(path)) from None
    finally:
        os.umask(old_umask)
    st = os.lstat(path)
    _check_ownership(path, st)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePathError(f"{path} is not a directory")
    if stat.S_IMODE(st.st_mode) != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def _not_a_directory(path) -> str:
    """The message for a path we need as a directory that is something else
    (or under something else), naming CS_HOME when that is the cause."""
    from pathlib import Path

    path = Path(path)
    cs_dir = cs_home()
    for candidate in [path, *path.parents]:
        if candidate.exists() and not candidate.is_dir():
            hint = " (CS_HOME must name a directory)" if candidate == cs_dir else ""
            return f"{candidate} is not a directory{hint}"
    return f"{path} is not a directory"


def _check_ownership(path, st: os.stat_result) -> None:
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePathError(f"refusing to follow symlink {path}")
    if st.st_uid != os.getuid():
        raise UnsafePathError(f"{path} belongs to another user (uid {st.st_uid})")


def create_private_file(path, append: bool = True) -> int:
    """Create a new file 0600 and return its fd (O_EXCL|O_NOFOLLOW: never follow
    or reuse what someone planted at the path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    if append:
        flags |= os.O_APPEND
    fd = os.open(path, flags, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def fsync_dir(path) -> None:
    """Make a rename or unlink in directory `path` survive a crash."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_atomically(path, data: bytes) -> None:
    """Replace `path` with `data`: a private temp file beside it, fsync'd, then
    renamed over it and the directory fsync'd. Readers see the old content or
    the new, never a mix; a crash leaves at most a stray `.<name>.<pid>.tmp`."""
    from pathlib import Path

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        os.unlink(tmp)  # left by a killed run that had our pid
    except FileNotFoundError:
        pass
    fd = create_private_file(tmp, append=False)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def make_private(path) -> None:
    """Force an existing file we own (e.g. SQLite's -wal/-shm) to 0600."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    _check_ownership(path, st)
    if st.st_mode & 0o777 != FILE_MODE:
        os.chmod(path, FILE_MODE)
