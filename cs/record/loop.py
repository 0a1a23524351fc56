"""The PTY loop: run a command in a new pseudo-terminal and copy bytes both ways.

Modelled on asciinema 2.x's `pty_.record`: this module only moves bytes and hands
every chunk to an injected sink (`output(data)`, `input(data, masked)`,
`resize(cols, rows)`, and, if the sink has it, `spawned(pid)` once the child
runs); it knows nothing about the log format. One thread, one
`select()` with no timeout: an idle session costs no CPU. Signals wake the loop
through `signal.set_wakeup_fd` (a self-pipe), so they are handled in the loop,
never inside a handler.

Why select() and not poll(): macOS's poll() does not support devices (it
answers POLLNVAL on a terminal or a pseudo-terminal, its man page says so under
BUGS), and every descriptor this loop waits on but the pipes is one. select()
works on terminals everywhere, so the loop and its native twin use it on every
platform: one way of waiting, tested on Linux
(tests/test_recorder_macos.py::test_records_end_to_end_where_poll_refuses_terminals).
Its one limit, descriptors below FD_SETSIZE (1024), is checked before anything
starts (`check_descriptors`).

Which side gets a pseudo-terminal. A PTY is a terminal: its line discipline turns
the child's "\\n" into "\\r\\n" (onlcr) and its input side interprets ^C, ^D...
That is right when the user's terminal is on that side, and wrong for a pipe:
`claude -p x | jq` must hand jq exactly the child's bytes, and `echo q | claude -p`
must deliver EOF. So the child's fd 0 and 1 are the PTY slave only where our own
fd 0 / fd 1 is a terminal; a non-terminal side gets a plain pipe that we tee to
the log (the child's own isatty() checks then answer honestly, as they would
without the wrapper). The child's stderr is the PTY when our stderr is a terminal
(it is shown and recorded), otherwise our stderr itself: it passes through
untouched. The child always gets the PTY as its controlling terminal, so
/dev/tty, job control and ^C inside it keep working.

Spawning is `os.forkpty` (new session, the PTY as controlling terminal and as
fds 0-2), then, in the child, `_ChildSetup`: the window size, the user's
terminal settings, the pipes put in place, signal dispositions reset, every
other inherited fd closed, and the command exec'd with its argv as typed. An
exec that fails reports its errno back through a close-on-exec pipe. (Not
ptyprocess: its spawn replaces argv[0] with the resolved path and closes the
child's pipes before its preexec_fn runs, and its master's close sleeps 0.1 s
and kills a live child; README, "Dependencies".)

Order on the hot path: a key is forwarded to the child, then logged (the log
write is never between the user and the child); output is logged, then shown to
the user, in the same loop turn, so that a crash can never leave on the screen
bytes that are not in the log.
"""

import _signal as signal  # signal's C core: `signal` itself imports enum, 3.5 ms of every start
import errno
import fcntl
import os
import select
import struct
import termios
import time

from cs.record.wiring import wiring

READ_SIZE = 65536
# While output is flowing, the reads available at once are joined into one log
# line and one screen write (fewer, bigger lines; far less per-chunk Python
# work). Reads stop at the first EAGAIN or short read, so a lone keystroke echo
# is never held back waiting for more.
BURST_MAX = 256 * 1024
# A read shorter than this (a keystroke's echo, a prompt) ends the burst without
# the extra read that would only say EAGAIN; longer reads mean output is
# streaming (a PTY hands it over in pieces of up to ~4 KiB), so read on.
SHORT_READ = 512
# After the child exits, output still in the PTY or the pipe is drained until
# EOF; a grandchild holding them open ends the drain after this long silence.
DRAIN_IDLE_S = 0.1
DRAIN_MAX_S = 2.0

# Signals the loop handles. The exit ones are forwarded to the child (whose exit
# then ends the session as usual); a second SIGTERM/SIGHUP ends the recorder.
FORWARDED = (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP)
HANDLED = FORWARDED + (signal.SIGCHLD, signal.SIGWINCH, signal.SIGCONT)

# select() takes descriptors below FD_SETSIZE, 1024 on Linux and macOS alike.
# The loop holds at most this many more than the lowest free one at its start.
FD_SETSIZE = 1024
FDS_THE_LOOP_OPENS = 16


# What cs.record._relay.relay returns with (besides "the loop's turn", 0).
RELAY_PENDING, RELAY_SUBMITTED, RELAY_DISPLAY_FAILED = 1, 2, 3


def native_relay():
    """cs.record._relay.relay, or None: not built (no C compiler at install),
    or CS_PURE_PYTHON=1 (the Python path, the reference)."""
    if os.environ.get("CS_PURE_PYTHON"):
        return None
    try:
        from cs.record._relay import relay
    except ImportError:
        return None
    return relay


def check_descriptors() -> None:
    """Raise OSError, saying what to do, when the descriptors the recorder is
    about to open would not fit select(): it was started with about a thousand
    descriptors open. Called before the log is opened; the command then runs
    unrecorded and the user is told why
    (tests/test_recorder_macos.py::test_too_many_open_descriptors_runs_the_command_unrecorded)."""
    r, w = os.pipe()  # the lowest free numbers: what the recorder's next descriptors get
    os.close(r)
    os.close(w)
    if w + FDS_THE_LOOP_OPENS >= FD_SETSIZE:
        raise OSError(
            f"too many descriptors are open: the next free ones are {r} and {w}, and the recorder waits with "
            f"select(), which takes descriptors below {FD_SETSIZE}; start claude from a shell that holds fewer open files"
        )


class CommandFailed(Exception):
    """The command could not be started: exit code and message for the user."""

    def __init__(self, exit_code: int, message: str):
        super().__init__(message)
        self.exit_code = exit_code


class Result:
    def __init__(self, exit_code: int, signal_number=None):
        self.exit_code = exit_code
        self.signal_number = signal_number  # the child was killed by this signal


def terminal_size(fd: int):
    """(cols, rows) of the terminal on fd, or None."""
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.columns, size.lines


def record(executable, argv, env, sink, stdin_fd: int = 0, stdout_fd: int = 1, stderr_fd: int = 2) -> Result:
    """Run `executable` (already resolved, e.g. /usr/bin/claude) with `argv`
    (argv[0] as the user typed it) and copy bytes until it exits. The user's
    terminal is restored on every way out."""
    session = _Session(executable, argv, env, sink, stdin_fd, stdout_fd, stderr_fd)
    return session.run()


class _Session:
    def __init__(self, executable, argv, env, sink, stdin_fd, stdout_fd, stderr_fd):
        self.executable = executable
        self.argv = argv
        self.env = env
        self.sink = sink
        self.stdin_fd = stdin_fd
        self.stdout_fd = stdout_fd
        self.stderr_fd = stderr_fd
        self.stdin_tty = os.isatty(stdin_fd)
        self.stdout_tty = os.isatty(stdout_fd)
        self.stderr_tty = os.isatty(stderr_fd)
        self.wiring = wiring(self.stdin_tty, self.stdout_tty, self.stderr_tty)
        ours = (stdin_fd, stdout_fd, stderr_fd)
        # The terminal whose size the PTY copies, and where its output is shown.
        self.tty_fd = ours[self.wiring.size_from] if self.wiring.size_from is not None else None
        self.display_fd = ours[self.wiring.display] if self.wiring.display is not None else None
        self.saved_attrs = None
        self.raw_fd = None  # the user's terminal fd we changed modes of
        self.size = terminal_size(self.tty_fd) if self.tty_fd is not None else None
        self.pid = None
        self.master = -1
        self.master_live = False  # waited on for output until the slave side hangs up
        self.child_stdin = -1  # our write end of the child's stdin pipe
        self.child_stdout = -1  # our read end of the child's stdout pipe
        self.pending_input = b""
        self.stdin_open = True
        self.status = None
        self.relay = native_relay()
        self.exit_signals = 0
        self.last_exit_signal = signal.SIGTERM

    # ------------------------------------------------------------ lifecycle

    def run(self) -> Result:
        # (try/finally rather than context managers: contextlib would cost every
        # `claude` start 2.7 ms of imports.)
        try:
            with SignalWakeup(HANDLED) as wakeup:
                self.old_handlers = wakeup.old_handlers
                self._enter_raw()  # the user's terminal, restored on every way out
                try:
                    self._spawn()
                    self._sync_size()  # a resize between reading the size and our handler
                    self._loop(wakeup.read_fd)
                finally:
                    self._leave_raw()
        finally:
            self._close_child_fds()
        return self._result()

    def _result(self) -> Result:
        status = self.status
        if status is None:  # we gave up on the child (second SIGTERM/SIGHUP)
            return Result(128 + self.last_exit_signal)
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            return Result(128 + sig, sig)
        return Result(os.WEXITSTATUS(status))

    # ------------------------------------------------------------ the user's terminal

    def _enter_raw(self) -> None:
        """Raw mode on the user's terminal when it is our input: every key,
        ^C ^Z ^\\ included, goes as a byte to the child's PTY, whose own line
        discipline then does what the user's would have done. When the terminal
        is only our output (stdin a pipe), just its output processing is turned
        off: the child's PTY already did it (else "\\n" would arrive as "\\r\\r\\n")."""
        if self.tty_fd is not None:
            try:
                self.saved_attrs = termios.tcgetattr(self.tty_fd)
            except termios.error:
                self.saved_attrs = None
        if self.wiring.raw is not None:
            self.raw_fd = (self.stdin_fd, self.stdout_fd)[self.wiring.raw]
        if self.raw_fd is not None and self.saved_attrs is not None:
            termios.tcsetattr(self.raw_fd, termios.TCSADRAIN, self._raw_attrs())

    def _raw_attrs(self):
        mode = list(self.saved_attrs)
        if self.stdout_tty:
            # Output bytes arrive already processed by the child's PTY.
            mode[1] &= ~termios.OPOST
        # else: our stdout is a pipe whose reader (`| jq`) also prints on this
        # terminal; leave output processing on so its lines are not staircased.
        if not self.wiring.raw_input:
            return mode
        mode[0] &= ~(
            termios.BRKINT
            | termios.ICRNL
            | termios.INPCK
            | termios.ISTRIP
            | termios.IXON
            | termios.INLCR
            | termios.IGNCR
        )
        mode[2] &= ~(termios.CSIZE | termios.PARENB)
        mode[2] |= termios.CS8
        mode[3] &= ~(termios.ECHO | termios.ICANON | termios.IEXTEN | termios.ISIG)
        mode[6] = list(mode[6])
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        return mode

    def _leave_raw(self) -> None:
        if self.raw_fd is not None and self.saved_attrs is not None:
            try:
                termios.tcsetattr(self.raw_fd, termios.TCSADRAIN, self.saved_attrs)
            except termios.error:
                pass  # the terminal is gone (hang-up): nothing to restore

    # ------------------------------------------------------------ the child

    def _spawn(self) -> None:
        child_fds = {}  # child fd -> our fd to put there
        ours = []  # fds to close in the parent after the fork
        if self.wiring.stdin_pipe:
            r, w = os.pipe()
            child_fds[0] = r
            ours.append(r)
            self.child_stdin = w
        if self.wiring.stdout_pipe:
            r, w = os.pipe()
            child_fds[1] = w
            ours.append(w)
            self.child_stdout = r
        if self.wiring.stderr_passthrough:
            err = os.dup(self.stderr_fd)
            child_fds[2] = err
            ours.append(err)
        setup = _ChildSetup(child_fds, self.saved_attrs, self.old_handlers, (self.executable, self.argv, self.env))
        try:
            self.pid, self.master = _spawn_in_pty(setup, self.size or (80, 24))
        except OSError as e:
            self._close_child_fds()
            raise _command_failed(self.argv[0], e) from None
        finally:
            for fd in ours:
                os.close(fd)
        spawned = getattr(self.sink, "spawned", None)  # optional: sinks that want the child's pid
        if spawned is not None:
            spawned(self.pid)
        self.master_live = True
        _set_nonblocking(self.master)
        if self.child_stdout >= 0:
            _set_nonblocking(self.child_stdout)
        if self.child_stdin >= 0:
            _set_nonblocking(self.child_stdin)

    def _close_child_fds(self) -> None:
        for name in ("child_stdin", "child_stdout", "master"):
            fd = getattr(self, name)
            if fd >= 0:
                os.close(fd)
                setattr(self, name, -1)
        self.master_live = False

    # ------------------------------------------------------------ the loop

    def _loop(self, wake_r: int) -> None:
        drain_until = None  # after the child exits: (idle deadline, hard deadline)
        state = None
        while True:
            if drain_until is None and self._relay_ready():
                self._relay(wake_r)
            # Recompute what to wait for only when it changed (keeps the per-
            # keystroke path short).
            now_state = (
                self.master_live,
                self.child_stdout,
                self.child_stdin,
                not self.pending_input,
                self.stdin_open,
                drain_until is None,
            )
            if now_state != state:
                state = now_state
                readable, writable = self._wanted(wake_r, drain=drain_until is not None)
                if drain_until is not None and readable == [wake_r]:
                    return  # drained to EOF
            timeout = None
            if drain_until is not None:
                timeout = max(0, min(drain_until[0], drain_until[1]) - time.monotonic())
            ready, ready_to_write, _ = select.select(readable, writable, (), timeout)
            if not ready and not ready_to_write and drain_until is not None:
                return  # drained: nothing more came for a while
            if ready_to_write:
                self._flush_input()
            for fd in ready:
                if fd == wake_r:
                    if self._handle_signals(wake_r) == "abort":
                        return
                elif fd == self.master or fd == self.child_stdout:
                    # Readable also means hung up: the read then says EOF.
                    self._pump_output(fd)
                elif fd == self.stdin_fd:
                    self._pump_input()
            if self.status is not None:
                now = time.monotonic()
                if drain_until is None:
                    self._child_gone()
                    drain_until = [now + DRAIN_IDLE_S, now + DRAIN_MAX_S]
                elif ready:
                    drain_until[0] = now + DRAIN_IDLE_S

    # ------------------------------------------------------------ the native path

    def _relay_ready(self) -> bool:
        """The steady state of a session in a terminal, where cs.record._relay
        does the moving: keys from our terminal to the PTY, output from the PTY
        to our terminal, both logged by a writer it knows (sink.native_writer)."""
        return (
            self.relay is not None
            and self.stdin_tty
            and self.stdin_open
            and self.master_live
            and self.display_fd is not None
            and self.child_stdout < 0
            and not self.pending_input
            and self.status is None
            and getattr(self.sink, "native_writer", None) is not None
        )

    def _relay(self, wake_r: int) -> None:
        """Let the native path run until something needs this loop, or the
        sink's `relay_timeout()` (optional: seconds, or None) is up; then take
        care of what it reports, and let the sink settle (the writer rotates,
        or stops after a failed write; a watching tracker checks)."""
        submitted = getattr(self.sink, "submitted", None)
        timeout = getattr(self.sink, "relay_timeout", None)
        timeout = timeout() if timeout is not None else None
        code, rest = self.relay(
            self.master,
            self.stdin_fd,
            self.display_fd,
            wake_r,
            self.sink.native_writer,
            submitted is not None,
            -1 if timeout is None else timeout,
        )
        self.sink.settle()
        if code == RELAY_PENDING:
            self.pending_input = rest
        elif code == RELAY_SUBMITTED:
            submitted()
        elif code == RELAY_DISPLAY_FAILED:
            self._display_failed(self.master, self.display_fd)

    def _wanted(self, wake_r: int, drain: bool):
        """(descriptors to read, descriptors to write) for select(): the wake-up
        pipe first, so that a signal is handled before the bytes that came with it."""
        readable = [wake_r]
        if self.master_live:
            readable.append(self.master)
        if self.child_stdout >= 0:
            readable.append(self.child_stdout)
        writable = []
        if not drain:
            target = self.master if self.stdin_tty else self.child_stdin
            if self.pending_input and target >= 0:
                writable.append(target)
            elif self.stdin_open:
                readable.append(self.stdin_fd)
        return readable, writable

    # ------------------------------------------------------------ output: child -> user

    def _pump_output(self, fd: int) -> None:
        data, eof = _read_burst(fd)
        if data:
            # Logged first, then shown: whatever reached the user's screen is
            # in the log even if we are SIGKILLed between the two calls
            # (tests/test_faults.py::test_sigkill_under_flood_loses_nothing_shown).
            # The log write is one unbuffered os.write of one line: a
            # keystroke's echo (a few bytes) waits microseconds for it.
            self.sink.output(data)
            target = self.stdout_fd if fd == self.child_stdout else self.display_fd
            if target is not None and not _write_all(target, data):
                self._display_failed(fd, target)
        if eof:
            self._close_output(fd)

    def _display_failed(self, fd: int, target: int) -> None:
        if fd == self.child_stdout:
            # Our stdout's reader is gone (`| head`): close the pipe so the
            # child gets EPIPE/SIGPIPE, as it would have without us.
            self._close_output(fd)
        elif target == self.display_fd:
            self.display_fd = None  # terminal hung up: keep draining and recording

    def _close_output(self, fd: int) -> None:
        if fd == self.child_stdout:
            os.close(fd)
            self.child_stdout = -1
        elif fd == self.master:
            # The slave side hung up; keep the fd (it is the window-size handle),
            # just stop waiting on it.
            self.master_live = False

    # ------------------------------------------------------------ input: user -> child

    def _pump_input(self) -> None:
        try:
            data = os.read(self.stdin_fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""  # e.g. EIO: the terminal hung up
        if not data:
            self.stdin_open = False
            if not self.stdin_tty:
                self._close_child_stdin()  # EOF reaches the child
            return
        # The prompt state is read before forwarding: the key may end the prompt.
        masked = self.stdin_tty and self._password_prompt()
        # Forwarded first, logged right after: the child (and the kernel's echo)
        # work on the key while we write the log line.
        self.pending_input = data
        self._flush_input()
        self.sink.input(data, masked)

    def _password_prompt(self) -> bool:
        """True when the child's terminal is line-buffered with echo off: a
        `read -s`, sudo or ssh password prompt. (Claude Code's own raw-mode input
        has ICANON clear and is recorded.)"""
        try:
            lflag = termios.tcgetattr(self.master)[3]
        except termios.error:
            return False
        return bool(lflag & termios.ICANON) and not lflag & termios.ECHO

    def _flush_input(self) -> None:
        target = self.master if self.stdin_tty else self.child_stdin
        if target < 0 or (self.stdin_tty and not self.master_live):
            self.pending_input = b""
            return
        try:
            n = os.write(target, self.pending_input)
        except BlockingIOError:
            return
        except OSError:
            self.pending_input = b""  # the child is gone; its exit ends the session
            if not self.stdin_tty:
                self._close_child_stdin()
            return
        self.pending_input = self.pending_input[n:]
        if not self.pending_input and not self.stdin_open and not self.stdin_tty:
            self._close_child_stdin()

    def _close_child_stdin(self) -> None:
        if self.child_stdin >= 0 and not self.pending_input:
            os.close(self.child_stdin)
            self.child_stdin = -1

    # ------------------------------------------------------------ signals

    def _handle_signals(self, wake_r: int):
        try:
            data = os.read(wake_r, 512)
        except BlockingIOError:
            return None
        for sig in set(data):
            if sig == signal.SIGCHLD:
                self._reap()
            elif sig == signal.SIGWINCH:
                self._sync_size()
            elif sig == signal.SIGCONT:
                # We were stopped and continued (the shell may have reset the
                # terminal meanwhile): back to raw, and catch up on resizes.
                self._enter_raw_again()
                self._sync_size()
            elif sig in FORWARDED:
                if self.pid is not None and self.status is None:
                    if sig == signal.SIGTERM:
                        _kill(self.pid, sig)  # a request to the command itself
                    else:
                        # What a terminal sends (^C, ^\, hang-up) goes to the
                        # whole process group, as the terminal would do.
                        _killpg(self.pid, sig)
                if sig in (signal.SIGTERM, signal.SIGHUP):
                    self.exit_signals += 1
                    self.last_exit_signal = sig
                    if self.exit_signals >= 2:
                        return "abort"
        return None

    def _reap(self) -> None:
        while self.status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG | os.WUNTRACED)
            except ChildProcessError:
                self.status = 0
                return
            if pid == 0:
                return
            if os.WIFSTOPPED(status):
                self._child_stopped(os.WSTOPSIG(status))
                continue
            self.status = status

    def _child_stopped(self, sig: int) -> None:
        """^Z inside the child stopped it: stop ourselves the same way, so the
        user's shell gets the terminal back as it would without the wrapper;
        on `fg`, resume the child. (If nothing can resume us, as for an orphaned
        process group, the kernel drops the stop and we resume the child at once.)"""
        if not self.stdin_tty:
            _killpg(self.pid, signal.SIGCONT)
            return
        self._leave_raw()
        handler = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        try:
            os.kill(os.getpid(), signal.SIGTSTP)
        finally:
            signal.signal(signal.SIGTSTP, handler)
        self._enter_raw_again()
        self._sync_size()
        _killpg(self.pid, signal.SIGCONT)

    def _enter_raw_again(self) -> None:
        if self.raw_fd is None or self.saved_attrs is None:
            return
        try:
            termios.tcsetattr(self.raw_fd, termios.TCSADRAIN, self._raw_attrs())
        except termios.error:
            pass

    def _sync_size(self) -> None:
        if self.tty_fd is None:
            return
        size = terminal_size(self.tty_fd)
        if size is None or size == self.size:
            return
        self.size = size
        cols, rows = size
        master = self.master
        if master >= 0:
            try:
                # The kernel sends SIGWINCH to the child's foreground group.
                fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            except OSError:
                pass
        self.sink.resize(cols, rows)

    def _child_gone(self) -> None:
        """The child exited: pending input has nowhere to go; its stdin pipe
        is closed; output still buffered is drained by the loop."""
        self.pending_input = b""
        self.stdin_open = False
        if self.child_stdin >= 0:
            os.close(self.child_stdin)
            self.child_stdin = -1


# ---------------------------------------------------------------- helpers


class _ChildSetup:
    """Runs in the child between fork and exec: fds 0-2 are the PTY slave at
    that point. An OSError it raises is reported to the parent (_spawn_in_pty)."""

    def __init__(self, child_fds: dict, attrs, old_handlers: dict, exec_args):
        self.child_fds = child_fds
        self.attrs = attrs
        self.old_handlers = old_handlers
        self.exec_args = exec_args

    def __call__(self, size, report_fd: int):
        signal.set_wakeup_fd(-1)
        cols, rows = size
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        except OSError:
            pass
        if self.attrs is not None:
            # The user's terminal settings (erase key, iutf8...) on the new PTY,
            # as script(1) does.
            try:
                termios.tcsetattr(0, termios.TCSANOW, self.attrs)
            except termios.error:
                pass
        # Python ignores SIGPIPE and SIGXFSZ, and ignored signals survive exec:
        # give the child the defaults (`cs record -- yes | head` must end).
        # Signals the user had ignored before starting us (nohup) stay ignored.
        for sig in (signal.SIGPIPE, signal.SIGXFSZ):
            signal.signal(sig, signal.SIG_DFL)
        for sig, handler in self.old_handlers.items():
            signal.signal(sig, signal.SIG_IGN if handler == signal.SIG_IGN else signal.SIG_DFL)
        for target, fd in self.child_fds.items():
            os.dup2(fd, target)
        # Nothing of ours reaches the command: every fd above 2 is closed but
        # the close-on-exec one that reports a failed exec (ours are
        # close-on-exec already; this also covers what we inherited).
        os.closerange(3, report_fd)
        os.closerange(report_fd + 1, _max_fd())
        # The command sees argv exactly as typed (argv[0] is not replaced by
        # the resolved path).
        executable, argv, env = self.exec_args
        os.execve(executable, argv, env)


def _spawn_in_pty(setup, size):
    """Fork with a new PTY and run `setup(size, report_fd)` in the child, which execs the
    command. Returns (pid, master fd); raises the child's OSError if the exec
    (or the set-up) failed, after reaping it."""
    err_r, err_w = os.pipe()  # close-on-exec: EOF here means the exec worked
    try:
        pid, master = os.forkpty()
    except OSError:
        os.close(err_r)
        os.close(err_w)
        raise
    if pid == 0:  # the child: never returns
        code = 0
        try:
            os.close(err_r)
            setup(size, err_w)
        except OSError as e:
            code = e.errno or 0
        except BaseException:
            pass
        try:
            os.write(err_w, b"%d" % code)
        finally:
            os._exit(127)
    os.close(err_w)
    try:
        report = b""
        while True:
            chunk = os.read(err_r, 64)
            if not chunk:
                break
            report += chunk
    finally:
        os.close(err_r)
    if report:
        os.waitpid(pid, 0)
        os.close(master)
        code = int(report) if report.isdigit() else 0
        raise OSError(code, os.strerror(code) if code else "the command could not be started")
    return pid, master


def _max_fd() -> int:
    try:
        return min(os.sysconf("SC_OPEN_MAX"), 1 << 20)
    except (ValueError, OSError):
        return 1024


class SignalWakeup:
    """`with SignalWakeup(signals) as w`: handle `signals` in the loop, never
    inside a handler: each one writes its number to a self-pipe
    (signal.set_wakeup_fd) whose read end, `w.read_fd`, the loop waits on.
    `w.old_handlers`: the handlers there were before; all is put back on every
    way out."""

    def __init__(self, signals):
        self.signals = signals
        self.old_handlers = {}

    def __enter__(self):
        self.read_fd, self._write_fd = os.pipe()
        for fd in (self.read_fd, self._write_fd):
            _set_nonblocking(fd)
        self._old_wakeup = signal.set_wakeup_fd(self._write_fd, warn_on_full_buffer=False)
        try:
            for sig in self.signals:
                self.old_handlers[sig] = signal.signal(sig, _ignore_in_handler)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info):
        for sig, handler in self.old_handlers.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
        signal.set_wakeup_fd(self._old_wakeup)
        os.close(self.read_fd)
        os.close(self._write_fd)


def _ignore_in_handler(signum, frame):
    """The real work happens in the loop, woken by set_wakeup_fd."""


def _set_nonblocking(fd: int) -> None:
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)


def _read_burst(fd: int):
    """Read what is available now, up to BURST_MAX: (bytes, eof)."""
    chunks = []
    total = 0
    while total < BURST_MAX:
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            break
        except OSError as e:
            if e.errno == errno.EIO:  # PTY: the slave side is closed and drained
                return b"".join(chunks), True
            raise
        if not data:
            return b"".join(chunks), True
        chunks.append(data)
        total += len(data)
        if len(data) < SHORT_READ:
            break  # not streaming: don't spend a syscall to learn it is drained
    if len(chunks) == 1:
        return chunks[0], False
    return b"".join(chunks), False


def _write_all(fd: int, data: bytes) -> bool:
    """Write everything, through short writes and a non-blocking fd. False if
    the other side is gone (EPIPE, EIO)."""
    try:
        n = os.write(fd, data)
    except (BlockingIOError, InterruptedError):
        n = 0
    except OSError:
        return False
    if n == len(data):  # the usual case, kept short
        return True
    view = memoryview(data)[n:]
    while view:
        try:
            n = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        except InterruptedError:
            continue
        except OSError:
            return False
        view = view[n:]
    return True


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _killpg(pid: int, sig: int) -> None:
    """The child's process group (it leads its own session, so pgid == pid)."""
    try:
        os.killpg(pid, sig)
    except OSError:
        _kill(pid, sig)


def _command_failed(name: str, error: OSError) -> CommandFailed:
    if isinstance(error, FileNotFoundError) or error.errno == errno.ENOENT:
        return CommandFailed(127, f"cs: command not found: {name}")
    if isinstance(error, PermissionError) or error.errno == errno.EACCES:
        return CommandFailed(126, f"cs: permission denied: {name}")
    return CommandFailed(126, f"cs: cannot execute {name}: {error}")
