"""`cs replay` in a real terminal (a PTY): keys, markers, queries, and a
terminal left exactly as it was, however the replay ends.

Waits in these tests are for something to appear (with a generous timeout),
never a measured duration: the recordings hold pauses of minutes, so whatever
shows up early can only have come from a key.
"""

import os
import signal
from pathlib import Path

import pytest

from cs.playback.terminal import ModeTracker, QueryFilter
from tests.helpers.logs import LogWriter
from tests.helpers.pty import Term
from tests.helpers.shell import wait_for

MINUTE = 60.0


@pytest.fixture
def play(cs_exe, tmp_path, cs_home):
    def start(sid, *args, rows=24, cols=80):
        script = (
            f"stty -g > {tmp_path}/before; {cs_exe} replay {sid} {' '.join(args)}; "
            f'echo "status=$?"; stty -g > {tmp_path}/after; '
            'if read -t 1 left; then echo "left=[$left]"; else echo "left=[$left]"; fi'
        )
        env = dict(os.environ, CS_HOME=str(cs_home))
        term = Term(["bash", "--norc", "-c", script], rows=rows, cols=cols, env=env)
        term.tmp = tmp_path
        return term

    return start


def assert_all_switched_off(out: bytes):
    """Every mode the replay switched on is switched off after its last switch on."""
    for on, off in (
        (b"\x1b[?1049h", b"\x1b[?1049l"),
        (b"\x1b[?1047h", b"\x1b[?1047l"),
        (b"\x1b[?1000h", b"\x1b[?1000l"),
        (b"\x1b[?1006h", b"\x1b[?1006l"),
        (b"\x1b[?2004h", b"\x1b[?2004l"),
        (b"\x1b[?25l", b"\x1b[?25h"),
        (b"\x1b=", b"\x1b>"),
    ):
        if on in out:
            assert out.rfind(off) > out.rfind(on), f"{on!r} left on"


def stty_unchanged(term):
    return (term.tmp / "before").read_text() == (term.tmp / "after").read_text()


def noisy_session(logs):
    """Modes switched on, queries asked, pauses of minutes, two prompts."""
    w = LogWriter(logs, cols=80, rows=24)
    w.output("\x1b[?1049h\x1b[?1000h\x1b[?1006h\x1b[?2004h\x1b[?25l\x1b=")
    w.output("\x1b[c\x1b[>0q\x1b[6n\x1b]11;?\x1b\\first frame\r\n")
    w.output("second frame\r\n", dt=MINUTE)
    w.input("my prompt\r", dt=MINUTE)
    w.output("after the prompt\r\n", dt=0.1)
    w.output("much later\r\n", dt=MINUTE)
    w.end(0)
    return w.sid


def test_keys_step_jump_quit_and_the_terminal_is_restored(play, logs):
    sid = noisy_session(logs)
    term = play(sid[:8], "--idle-limit", "0")
    term.expect(b"first frame")
    term.send(b" ")  # pause
    term.send(b".")  # one step: the next event, a minute early
    term.expect(b"second frame")
    term.send(b"]")  # to the prompt, a minute early (still paused)
    term.expect(b"\x1b[2J")  # the repaint of the moment the prompt was submitted
    term.send(b" ")  # resume
    term.expect(b"after the prompt")
    seen = len(term.screen)
    term.send(b"[")  # back: past the prompt by less than a second, so to the one before: the start
    wait_for(lambda: (term._pump(0.1), b"first frame" in term.screen[seen:])[1], 15, what="a replay from the start")
    term.send(b"xyzq")  # typed garbage, then quit
    term.expect(b"left=")
    term.finish()
    out = term.screen
    assert b"status=0" in out
    assert b"much later" not in out
    assert b"left=[]" in out, "input left over after the replay"
    assert b"xyz" not in out, "keys were echoed"
    assert b"\x1b[?1049h" in out and b"\x1b[?1000h" in out
    for query in (b"\x1b[c", b"\x1b[>0q", b"\x1b[6n", b"\x1b]11;?"):
        assert query not in out
    assert_all_switched_off(out)
    assert stty_unchanged(term)


def test_ctrl_c_exits_130_and_restores(play, logs):
    sid = noisy_session(logs)
    term = play(sid[:8])
    term.expect(b"first frame")
    term.send(b"\x03")
    term.expect(b"left=")
    term.finish()
    assert b"status=130" in term.screen
    assert_all_switched_off(term.screen)
    assert stty_unchanged(term)


@pytest.mark.linux_only
def test_sigterm_restores_the_terminal(play, logs, cs_home):
    sid = noisy_session(logs)
    term = play(sid[:8])
    term.expect(b"first frame")
    # The replay is the shell's child: find it by its command line.
    pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    mine = []
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            ppid = Path(f"/proc/{pid}/stat").read_text().split()[3]
        except OSError:
            continue
        if b"replay" in cmd and sid[:8].encode() in cmd and os.getppid() != pid and ppid == str(term.proc.pid):
            mine.append(pid)
    assert len(mine) == 1, mine
    os.kill(mine[0], signal.SIGTERM)
    term.expect(b"left=")
    term.finish()
    assert_all_switched_off(term.screen)
    assert stty_unchanged(term)


def test_a_smaller_terminal_is_told_the_size_needed(play, logs):
    w = LogWriter(logs, cols=120, rows=40)
    w.output("wide\r\n")
    w.end()
    term = play(w.sid[:8], rows=24, cols=80)
    term.expect(b"120x40")
    term.send(b"q")
    term.expect(b"left=")
    term.finish()
    assert b"wide" not in term.screen and b"status=0" in term.screen


def test_query_filter_holds_a_query_cut_between_chunks():
    f = QueryFilter()
    assert f.feed(b"text\x1b[") == b"text"
    assert f.feed(b"6nmore\x1b]11;") == b"more"
    assert f.feed(b"?\x07end\x1b[1m") == b"end\x1b[1m"
    assert f.feed(b"\x1b[?2026$p") == b""


def test_mode_tracker_undoes_only_what_is_still_on():
    m = ModeTracker()
    m.feed(b"\x1b[?1049h\x1b[?2004h\x1b[?2004l\x1b[?1002;1006h\x1b[?25l\x1b[>1u\x1b[3 q")
    out = m.restore()
    assert out.startswith(b"\x1b[?1049l")
    for off in (b"\x1b[?1002l", b"\x1b[?1006l", b"\x1b[?25h", b"\x1b[<u", b"\x1b[0 q"):
        assert off in out
    assert b"2004" not in out


def test_follow_plays_a_live_session_until_it_ends(play, logs):
    w = LogWriter(logs, cols=80, rows=24)  # holds the live lock, as the recorder does
    w.output("\x1b[?2004hwritten before\r\n")
    term = play(w.sid[:8], "--follow")
    term.expect(b"written before")
    w.output("written while watching\r\n")
    term.expect(b"written while watching")
    w.end(0)
    term.expect(b"left=")
    term.finish()
    assert b"status=0" in term.screen
    assert_all_switched_off(term.screen)
    assert stty_unchanged(term)


def test_a_log_that_vanishes_ends_the_replay_cleanly(play, logs):
    w = LogWriter(logs, cols=80, rows=24)
    w.output("\x1b[?1049h\x1b[?1000hon screen\r\n")
    term = play(w.sid[:8], "--follow")
    term.expect(b"on screen")
    for p in logs.iterdir():
        p.unlink()
    w.close()
    term.expect(b"left=")
    term.finish()
    assert b"vanished" in term.screen and b"status=1" in term.screen
    assert_all_switched_off(term.screen)
    assert stty_unchanged(term)


def test_terminal_answers_and_mouse_reports_are_not_keys():
    from cs.playback.player import parse_keys

    sent = b"\x1b[12;1R\x1b[<0;10;5M \x1b[?1;2c\x1bP>|tmux 3.3a\x1b\\\x1b]11;rgb:0/0/0\x07\x1b[A]"
    assert parse_keys(sent) == [b" ", b"]"]
