"""`cs replay`, `cs export`, `cs import`, `cs tail`: watching sessions again (cs.playback)."""

import os
import sys

import click

from cs.cli import cli
from cs.cli.common import UsageError, open_index, resolve


def _idle_limit(value):
    """--idle-limit, else the config's idle_time_limit (seconds, None: no cap)."""
    if value is not None:
        return value or None
    from cs import config

    return config.idle_time_limit(config.load())


@cli.command("replay")
@click.argument("session_id")
@click.option("--at", "at", metavar="WHEN", help="Start at WHEN: the position `cs search` prints (12345, 2:12345), 90s or 1h2m into the session, 40%, or a date-time.")
@click.option("--from", "from_", metavar="WHEN", hidden=True, help="Same as --at (older search hits print it).")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(min=0.01), help="Playback speed factor.")
@click.option("--idle-limit", type=click.FloatRange(min=0), metavar="SECONDS", help="Longest pause (default: idle_time_limit in config, 2s; 0: no cap).")
@click.option("--max-idle", type=click.FloatRange(min=0), hidden=True)
@click.option("-f", "--follow", is_flag=True, help="On a live session, keep playing what is written.")
@click.option("--no-wait", is_flag=True, help="Write everything at once, without timing.")
def replay_cmd(session_id, at, from_, speed, idle_limit, max_idle, follow, no_wait):
    """Play a session back in this terminal with its original timing.

    Keys: space pause, . one step while paused, + / - speed, ] / [ next and
    previous prompt, q quit. When stdout is not a terminal the bytes are
    written without timing."""
    from cs.log import paths
    from cs.playback import player, seek

    if at and from_:
        raise UsageError("--at and --from are the same option: give one")
    target = seek.parse_at(at or from_)
    db = open_index(catch_up=False)
    sid = resolve(db, session_id)
    logs = paths.logs_dir()
    out_fd = sys.stdout.fileno()
    if no_wait or not os.isatty(out_fd):
        player.write_plain(logs, sid, target, follow, sys.stdout.buffer)
        return
    options = player.Options(speed=speed, idle_limit=_idle_limit(idle_limit if max_idle is None else max_idle),
                             follow=follow)
    key_fd = _keyboard()
    try:
        player.play(logs, sid, target, options, out_fd, key_fd, on_too_small=_too_small)
    finally:
        if key_fd is not None and key_fd != sys.stdin.fileno():
            os.close(key_fd)


def _keyboard():
    """The terminal to read keys from: stdin if it is one, else /dev/tty, else none."""
    if os.isatty(sys.stdin.fileno()):
        return sys.stdin.fileno()
    try:
        return os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None


def _too_small(needed, have, key_fd) -> bool:
    """Tell the user the size needed; True to play anyway (a key), False to quit (q)."""
    click.echo(f"cs: this session needs a {needed[0]}x{needed[1]} terminal; this one is "
               f"{have[0]}x{have[1]}. Enlarge it, then press a key to play (q to quit).", err=True)
    if key_fd is None:
        return True
    import termios
    import tty

    saved = termios.tcgetattr(key_fd)
    try:
        tty.setcbreak(key_fd, termios.TCSANOW)
        attrs = termios.tcgetattr(key_fd)
        attrs[3] &= ~termios.ECHO
        termios.tcsetattr(key_fd, termios.TCSANOW, attrs)
        key = os.read(key_fd, 64)
    finally:
        termios.tcsetattr(key_fd, termios.TCSAFLUSH, saved)
    return not key.startswith((b"q", b"Q", b"\x03"))
