"""cs.record.wiring: every combination of terminals and pipes on our side.
(The same, end to end through real PTYs and pipes: tests/test_recorder.py.)"""

import itertools

import pytest

from cs.record.wiring import STDERR, STDIN, STDOUT, wiring


@pytest.mark.parametrize("stdin_tty, stdout_tty, stderr_tty", list(itertools.product((True, False), repeat=3)))
def test_each_side_gets_the_pty_only_where_the_user_has_a_terminal(stdin_tty, stdout_tty, stderr_tty):
    w = wiring(stdin_tty, stdout_tty, stderr_tty)
    assert w.stdin_pipe == (not stdin_tty) and w.stdout_pipe == (not stdout_tty)
    assert w.raw_input == stdin_tty
    # Raw mode goes on the terminal we read keys from, else the one we show on.
    assert w.raw == (STDIN if stdin_tty else STDOUT if stdout_tty else None)
    # Output is shown on our stdout if it is a terminal, else on our stderr if that is.
    assert w.display == (STDOUT if stdout_tty else STDERR if stderr_tty else None)
    # stderr joins the PTY only when it is a terminal and the PTY is on one.
    assert w.stderr_passthrough == (not (stderr_tty and (stdin_tty or stdout_tty)))
    ttys = [fd for fd, t in ((STDIN, stdin_tty), (STDOUT, stdout_tty), (STDERR, stderr_tty)) if t]
    assert w.size_from == (ttys[0] if ttys else None)


def test_the_common_cases_by_name():
    interactive = wiring(True, True, True)
    assert not (interactive.stdin_pipe or interactive.stdout_pipe or interactive.stderr_passthrough)
    piped = wiring(True, False, True)  # claude -p x | jq
    assert piped.stdout_pipe and not piped.stdin_pipe and piped.display == STDERR
    fed = wiring(False, True, True)  # echo q | claude -p
    assert fed.stdin_pipe and fed.raw == STDOUT and not fed.raw_input
    batch = wiring(False, False, False)  # cron
    assert batch.stdin_pipe and batch.stdout_pipe and batch.stderr_passthrough and batch.display is None
