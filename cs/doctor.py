"""`cs doctor`: will recording work on this machine? Each check returns one
Finding (ok or a problem, and what to do next); cs.cli.doctor_cmd prints them,
one line each, and exits non-zero when a problem breaks recording.

The checks do what they check, for real: the recorder records a tiny command in
a pseudo-terminal (a typed line in, its answer out, the log written) in a
throw-away cs home; the index is opened; the user's shell is asked whether
`claude` is the cs function; the watcher's lock is tested
(tests/test_doctor.py).
"""

import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cs import shell_init
from cs.log import locks, paths

ROUND_TRIP_TIMEOUT_S = 15.0
SHELL_TIMEOUT_S = 10.0
# The command recorded: reads one typed line, answers it.
ECHO_BACK = "IFS= read -r line; printf 'cs-doctor:%s\\n' \"$line\""


@dataclass
class Finding:
    name: str
    ok: bool
    message: str  # ok: what was seen; a problem: what is wrong, then what to do
    breaks_recording: bool = False


def diagnose() -> list:
    """Every check, in the order a user would fix them."""
    return [platform(), recording(), shell_integration(), index(), watcher()]


# ---------------------------------------------------------------- platform


def platform() -> Finding:
    """Linux, macOS and WSL have the pseudo-terminals the recorder needs;
    native Windows has not (docs/platforms.md)."""
    python = "Python %d.%d" % sys.version_info[:2]
    if sys.platform == "darwin":
        return Finding("platform", True, f"macOS, {python}")
    if sys.platform.startswith("linux"):
        return Finding("platform", True, f"{'WSL' if _is_wsl() else 'Linux'} {os.uname().release}, {python}")
    return Finding(
        "platform",
        False,
        f"{sys.platform} is not supported (no POSIX pseudo-terminals): run cs and claude inside WSL",
        breaks_recording=True,
    )


def _is_wsl() -> bool:
    try:
        with open("/proc/version", "rb") as f:
            return b"microsoft" in f.read().lower()
    except OSError:
        return False


# ---------------------------------------------------------------- the recorder


def recording() -> Finding:
    """`cs record` runs ECHO_BACK in a pseudo-terminal of our own, in a
    throw-away cs home: the typed line must come back through the PTY, the
    command must exit, and the log must hold its output and an end line."""
    home = tempfile.mkdtemp(prefix="cs-doctor-")
    try:
        problem = _round_trip(home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    if problem:
        return Finding("recording", False, problem, breaks_recording=True)
    return Finding(
        "recording", True, f"a typed line went through a pseudo-terminal and back, and was logged ({_which_loop()})"
    )


def _which_loop() -> str:
    """Which of the recorder's two loops this install uses (cs.record.loop)."""
    try:
        from cs.record.loop import native_relay
    except Exception:  # a broken install: the probe above has said what it does
        return "the recorder's modules do not import here"
    return "native relay" if native_relay() is not None else "Python loop: the native relay is not built"


def _round_trip(home: str):
    """None when recording worked, else what went wrong and what to do."""
    env = {k: v for k, v in os.environ.items() if k not in ("CS_SESSION_ID", "CS_DISABLE")}
    env["CS_HOME"] = home
    master, slave = os.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cs", "record", "--", "/bin/sh", "-c", ECHO_BACK],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
    except OSError as e:
        os.close(master)
        os.close(slave)
        return f"cannot start `cs record` ({e}): reinstall cs (pip install --force-reinstall cs-sessions)"
    os.close(slave)
    try:
        os.write(master, b"ping\r")
        screen = _read_until_exit(master, proc)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode is None:
        return (
            f"the recorder gave no answer within {ROUND_TRIP_TIMEOUT_S:g} s: claude would hang under cs here; "
            "set CS_DISABLE=1 to run claude unrecorded, and report this with the output of `uname -a`"
        )
    said = _last_line(screen)
    if b"cs-doctor:ping" not in screen or proc.returncode != 0:
        return (
            f"a recorded command did not run as it should (exit {proc.returncode}: {said}): "
            "reinstall cs (pip install --force-reinstall cs-sessions)"
        )
    if b"not recorded" in screen or b"recording stopped" in screen:
        return f"the command ran, but {said}: follow what that says, then run `cs doctor` again"
    return _log_problem(Path(home) / "logs")


def _read_until_exit(master: int, proc) -> bytes:
    """What the PTY shows until the recorder exits (its end of the terminal
    closes) or the time is up."""
    screen = b""
    deadline = time.monotonic() + ROUND_TRIP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not select.select([master], [], [], 0.05)[0]:
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every holder of the other side is gone
            data = b""
        if not data:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            break
        screen += data
    return screen


def _last_line(screen: bytes) -> str:
    lines = [line.strip() for line in screen.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "nothing shown"


def _log_problem(logs: Path):
    from cs.log import store

    sessions = {store.parse_segment_name(p.name)[0] for p in logs.iterdir()} if logs.is_dir() else set()
    if len(sessions) != 1:
        return f"the command ran, but no session log was written under {logs}: reinstall cs"
    records = [rec for _, _, _, rec in store.iter_session_records(logs, sessions.pop())]
    if not any(r.get("direction") == "output" for r in records) or records[-1].get("type") != "end":
        return f"the session log under {logs} lacks the command's output or its end line: reinstall cs"
    return None


# ---------------------------------------------------------------- the shell


def _rc_files(shell: str, home: Path) -> list:
    if shell == "bash":
        return [home / ".bashrc", home / ".bash_profile", home / ".profile"]
    if shell == "zsh":
        zdotdir = Path(os.environ.get("ZDOTDIR") or home)
        return [zdotdir / ".zshrc", zdotdir / ".zshenv", zdotdir / ".zprofile"]
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "fish"
    return [config / "config.fish", *sorted((config / "conf.d").glob("*.fish"))]


# How each shell says whether `claude` is a function, in an interactive shell
# (which reads the rc files), with no indexer started on the way.
_FUNCTION_QUERY = {
    "bash": (["-ic", "type -t claude"], "function"),
    "zsh": (["-ic", "whence -w claude"], "claude: function"),
    "fish": (["-ic", "functions -q claude; and echo function"], "function"),
}


def shell_integration() -> Finding:
    """The user's shell ($SHELL) wraps `claude`: its rc files hold the
    `cs init` line, or an interactive shell has `claude` as a function."""
    shell_path = os.environ.get("SHELL") or ""
    shell = os.path.basename(shell_path)
    if shell not in shell_init.SUPPORTED_SHELLS:
        return Finding(
            "shell",
            False,
            f"your shell ({shell or 'unknown: SHELL is not set'}) has no cs integration (bash, zsh and fish have): "
            "run `cs record -- claude` yourself, or switch shells",
            breaks_recording=True,
        )
    home = Path(os.path.expanduser("~"))
    for rc in _rc_files(shell, home):
        try:
            if "cs init" in rc.read_text(errors="replace"):
                return Finding("shell", True, f"{shell}: {_tilde(rc, home)} has the `cs init` line")
        except OSError:
            continue
    if _function_defined(shell, shell_path):
        return Finding("shell", True, f"{shell}: `claude` is the cs function in an interactive shell")
    first_rc = _tilde(_rc_files(shell, home)[0], home)
    line = "cs init fish | source" if shell == "fish" else f'eval "$(cs init {shell})"'
    return Finding(
        "shell",
        False,
        f"{shell}: `claude` is not wrapped, so nothing is recorded: add `{line}` to {first_rc}, then open a new shell",
        breaks_recording=True,
    )


def _function_defined(shell: str, shell_path: str) -> bool:
    args, answer = _FUNCTION_QUERY[shell]
    env = dict(os.environ, CS_NO_DAEMON="1")
    try:
        r = subprocess.run(
            [shell_path, *args],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            env=env,
            timeout=SHELL_TIMEOUT_S,
            start_new_session=True,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return answer in r.stdout.splitlines()


def _tilde(path: Path, home: Path) -> str:
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- index, watcher


def index() -> Finding:
    """The index opens (and is migrated), when there is one: doctor makes
    nothing in the cs home. Search needs it; recording does not (the logs
    are the truth)."""
    from cs import db as database

    path = paths.db_path()
    if not path.exists():
        return Finding("index", True, f"no index yet at {path}: the first `cs index` or search makes it")
    try:
        db = database.open_db(path)
        try:
            count = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
        finally:
            db.conn.close()
    except Exception as e:  # any failure to open is the finding
        return Finding(
            "index",
            False,
            f"{path} does not open ({type(e).__name__}: {e}): `cs index --rebuild` rebuilds it from the logs",
        )
    return Finding("index", True, f"{path} opens ({count} session{'s' if count != 1 else ''} indexed)")


def watcher() -> Finding:
    """The background indexer holds its lock. Without it sessions are still
    recorded, and every search catches up first; live results wait for it."""
    if locks.is_held(locks.WATCHER):
        return Finding("indexer", True, "the background indexer is running")
    return Finding(
        "indexer",
        False,
        "the background indexer is not running (recording works; search catches up when used): "
        "run `cs index --daemon`, or open a new shell with the `cs init` line",
    )
