"""Which side of a recorded command gets the pseudo-terminal, and which a pipe:
a pure function of which of our own descriptors are terminals.

A PTY is a terminal: its line discipline turns the child's "\\n" into "\\r\\n"
(onlcr) and its input side interprets ^C, ^D... That is right where the user's
terminal is on that side, and wrong for a pipe: `claude -p x | jq` must hand jq
exactly the child's bytes, and `echo q | claude -p` must deliver EOF. So the
child's fd 0 and 1 are the PTY only where our own fd 0 / fd 1 is a terminal; a
non-terminal side gets a plain pipe that the loop tees to the log. The child's
stderr is the PTY when our stderr is a terminal and the PTY is on the user's
terminal at all (it is then shown and recorded), otherwise our stderr itself,
untouched. Tests: tests/test_recorder_wiring.py (every combination), and
tests/test_recorder.py through real PTYs and pipes.
"""

from collections import namedtuple

STDIN, STDOUT, STDERR = 0, 1, 2

# A namedtuple, not a dataclass: the recorder imports this at every start, and
# dataclasses (with inspect) would cost it 6 ms.
Wiring = namedtuple(
    "Wiring",
    [
        "size_from",  # which of our fds the PTY copies its size from (None: 80x24)
        "display",  # which of our fds shows the PTY's output (None: recorded only)
        "raw",  # which of our fds is put in raw mode (None: none)
        "raw_input",  # raw for input too (every key to the child), not only output
        "stdin_pipe",  # the child's stdin is a pipe we feed from our stdin
        "stdout_pipe",  # the child's stdout is a pipe we tee to our stdout and the log
        "stderr_passthrough",  # the child's stderr is our stderr itself
    ],
)


def wiring(stdin_tty: bool, stdout_tty: bool, stderr_tty: bool) -> Wiring:
    ttys = {STDIN: stdin_tty, STDOUT: stdout_tty, STDERR: stderr_tty}
    size_from = next((fd for fd in (STDIN, STDOUT, STDERR) if ttys[fd]), None)
    display = STDOUT if stdout_tty else STDERR if stderr_tty else None
    raw = STDIN if stdin_tty else STDOUT if stdout_tty else None
    return Wiring(
        size_from=size_from,
        display=display,
        raw=raw,
        raw_input=stdin_tty,
        stdin_pipe=not stdin_tty,
        stdout_pipe=not stdout_tty,
        stderr_passthrough=not (stderr_tty and (stdin_tty or stdout_tty)),
    )
