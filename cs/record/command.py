"""`cs record [--] COMMAND [ARGS...]`: run COMMAND, recording its terminal session.

This is on the start-up path of every `claude`, so it parses argv by hand (no
click) and imports only what recording needs: `python -X importtime -m cs record
-- true` shows no click, sqlite3 or watchdog.
"""

import _signal as signal  # signal's C core: `signal` itself imports enum, 3.5 ms of every start
import os
import sys
import time

USAGE = """\
usage: cs record [--] COMMAND [ARGS...]

Run COMMAND in a new pseudo-terminal and record the session to
$CS_HOME/logs/<session-uuid>.jsonl (CS_HOME defaults to ~/.claude-sessions).
The exit status is COMMAND's. Inside a recorded session (CS_SESSION_ID set)
COMMAND runs directly, unrecorded a second time.
"""


# Set by `cs resume --team` (cs.team.handoff) for the recorder alone: OWNER/SESSION_ID
# of the team's session this one continues, written as a `continued` event line
# (docs/log-format.md) and never passed on to the command.
CONTINUES = "CS_CONTINUES"


def _continued(value):
    """{"team_owner", "team_session_id"} from CS_CONTINUES, or None when unset or not OWNER/ID."""
    owner, _, sid = (value or "").partition("/")
    if not owner or not sid or len(owner) > 63 or len(sid) > 64 or "/" in sid:
        return None
    return {"team_owner": owner, "team_session_id": sid}


def main(argv) -> int:
    reserve_standard_fds()
    # ^C while we start up ends us quietly, as it would end the command, rather
    # than with a KeyboardInterrupt traceback (an inherited SIG_IGN is kept).
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    command = _parse(list(argv))
    if isinstance(command, int):
        return command
    if os.environ.get("CS_SESSION_ID") or os.environ.get("CS_DISABLE"):
        os.environ.pop(CONTINUES, None)  # (a hand-off unrecorded here: the command never sees it either)
        return _exec_directly(command)
    found = resolve_command(command[0], os.environ.get("PATH", os.defpath))
    if isinstance(found, tuple):
        code, message = found
        _warn(message)
        return code
    return _record(found, command)


def reserve_standard_fds() -> None:
    """Open /dev/null onto any of descriptors 0-2 that is closed, before we open
    anything else: a log file that landed on fd 1 or 2 (`cs record -- cmd >&-`)
    would receive the child's bytes raw (a corrupt log, and a way to inject
    fake lines). The command then sees /dev/null there, as a shell would give
    it (tests/test_hardening_files.py::test_closed_standard_fds)."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            continue
        except OSError:
            pass
        try:
            null = os.open(os.devnull, os.O_RDWR)
        except OSError:
            return
        if null != fd:  # the lowest free number is `fd` itself, unless it was raced
            os.dup2(null, fd)
            os.close(null)


def _parse(argv):
    """The command to run, or an exit code (usage shown)."""
    if argv and argv[0] in ("-h", "--help"):
        sys.stdout.write(USAGE)
        return 0
    if argv and argv[0] == "--":
        argv = argv[1:]
    elif argv and argv[0].startswith("-"):
        _warn(f"cs record: unknown option {argv[0]} (put the command after --)")
        sys.stderr.write(USAGE)
        return 2
    if not argv:
        _warn("cs record: missing COMMAND")
        sys.stderr.write(USAGE)
        return 2
    return argv


def resolve_command(name: str, search_path: str):
    """The executable for `name` the way a shell finds it: a path if it contains
    a slash, else the first executable file on PATH. (exit code, message) if
    there is none: 127 not found, 126 found but not executable."""
    if "/" in name:
        if not os.path.exists(name):
            return 127, f"cs: command not found: {name}"
        if os.path.isdir(name):
            return 126, f"cs: is a directory: {name}"
        if not os.access(name, os.X_OK):
            return 126, f"cs: permission denied: {name}"
        return name
    not_executable = None
    for directory in search_path.split(os.pathsep):
        candidate = os.path.join(directory or ".", name)
        if os.path.isfile(candidate):
            if os.access(candidate, os.X_OK):
                return candidate
            not_executable = not_executable or candidate
    if not_executable:
        return 126, f"cs: permission denied: {not_executable}"
    return 127, f"cs: command not found: {name}"


def _exec_directly(command) -> int:
    """Already inside a recorded session: become the command, no second log."""
    # Python ignores SIGPIPE and SIGXFSZ, and an ignored signal survives exec:
    # give the command the defaults (`yes | head` must end the way it would).
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    try:
        os.execvp(command[0], command)
    except FileNotFoundError:
        _warn(f"cs: command not found: {command[0]}")
        return 127
    except OSError as e:
        _warn(f"cs: cannot execute {command[0]}: {e.strerror}")
        return 126


def _record(executable, argv) -> int:
    try:
        from cs.log import paths
        from cs.record import claude_link
        from cs.record.loop import CommandFailed, check_descriptors, record, terminal_size
        from cs.record.sink import LogWriter
        from cs.record.start import new_session_id, start_fields

        check_descriptors()
        rotate_size = _rotate_size()
        session_id = new_session_id()
        stdin_tty, stdout_tty = os.isatty(0), os.isatty(1)
        size = next(filter(None, (terminal_size(fd) for fd in (0, 1, 2) if os.isatty(fd))), None)
        cols, rows = size if size else (None, None)
        writer = LogWriter.open(
            paths.home("logs"),
            session_id,
            rotate_size,
            start_fields(argv, cols, rows, stdin_tty, stdout_tty),
        )
        child_argv, claude_id, cli = argv, None, None
        if claude_link.is_claude(argv) and writer.failure is None:
            from cs.record import claude_cli

            cli = claude_cli.known(executable, paths.home())
            child_argv, claude_id = claude_link.plan(argv, session_id, cli=cli)
        continued = _continued(os.environ.get(CONTINUES))
        if continued:
            writer.event("continued", continued)
        sink = writer
        if claude_link.is_claude(argv):
            sink = claude_link.SessionTracker(writer, claude_link.claude_config_dir(os.environ), claude_id)
    except Exception as e:  # a broken install or a bug of ours: the session must still run
        return _run_unrecorded(executable, argv, f"{type(e).__name__}: {e}")
    env = dict(os.environ)
    env.pop(CONTINUES, None)
    env["CS_SESSION_ID"] = session_id
    started = time.monotonic()
    try:
        result = record(executable, child_argv, env, sink)
    except CommandFailed as e:
        writer.close(e.exit_code, duration=time.monotonic() - started)
        _warn(str(e))
        _report(writer)
        return e.exit_code
    except Exception as e:  # a bug of ours: the terminal is restored; say what, no traceback
        writer.close(1, duration=time.monotonic() - started)
        _warn(f"cs: internal error in the recorder: {type(e).__name__}: {e}")
        return 1
    writer.close(result.exit_code, result.signal_number, time.monotonic() - started)
    _report(writer)
    if cli is None and claude_link.is_claude(argv):
        _learn_cli(executable)
    return result.exit_code


def _learn_cli(executable) -> None:
    """After a `claude` whose --help we have not read yet: read it in the
    background, so the next session knows its subcommands (cs.record.claude_cli)."""
    from cs.log import paths
    from cs.record import claude_cli

    home = paths.home()
    if not claude_cli.is_learned(executable, home):
        claude_cli.learn_in_background(executable, home, dict(os.environ))


def _run_unrecorded(executable, argv, reason: str) -> int:
    """The recorder could not even start: run the command plainly, as the shell
    would have, and say so once it is over (never before: the line would be
    lost under the program's screen)."""
    try:
        pid = _spawn_plainly(executable, argv)
    except OSError as e:
        _warn(f"cs: cannot execute {argv[0]}: {e.strerror}")
        return 126
    # Like system(3): keys such as ^C are for the command, not for us.
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGQUIT)}
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    _warn(f"cs: this session was not recorded: the recorder failed to start ({reason})")
    code = os.waitstatus_to_exitcode(status)
    return code if code >= 0 else 128 - code  # killed by signal N: 128+N, as shells say


def _spawn_plainly(executable, argv) -> int:
    """fork and exec, as a shell starts a command, using nothing but `os` (the
    recorder's own modules may be what is broken). The command gets the signal
    dispositions we were given, Python's SIG_IGN for SIGPIPE and SIGXFSZ put
    back to the default (tests/test_recorder.py::
    test_command_gets_the_signal_dispositions_it_would_get_without_cs).
    Not posix_spawn: glibc's sets its internal signals 32 and 33 to SIG_IGN in
    the child, and no exec undoes that. An exec that fails sends its errno back
    through a close-on-exec pipe, raised here as OSError."""
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        try:
            os.close(report_r)
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            os.execv(executable, argv)
        except OSError as e:
            os.write(report_w, b"%d" % (e.errno or 0))
        finally:
            os._exit(127)
    os.close(report_w)
    try:
        report = b""
        while chunk := os.read(report_r, 64):
            report += chunk
    finally:
        os.close(report_r)
    if report:
        os.waitpid(pid, 0)
        code = int(report) if report.isdigit() else 0
        raise OSError(code, os.strerror(code) if code else "the command could not be started")
    return pid


def _rotate_size() -> int:
    """rotate_size from config.toml. Unchecked settings never raise: a bad
    value falls back to the default (`cs config` is where the user hears of it)."""
    from cs import config

    return config.setting("rotate_size", checked=False)


def _report(writer) -> None:
    warning = writer.warning()
    if warning:
        _warn(warning)


def _warn(message: str) -> None:
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):  # stderr closed or None
        pass
