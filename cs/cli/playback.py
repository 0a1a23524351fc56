"""`cs replay`."""

import sys

import click

from cs.cli import cli
from cs.cli.common import CsError, open_index, resolve


@cli.command("replay")
@click.argument("session_id")
@click.option("--from", "start", metavar="POS|TIME", help="Start at a byte offset (as search prints), 90s into the session, or a date-time.")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(min=0.01), help="Playback speed factor.")
@click.option("--max-idle", default=2.0, show_default=True, type=click.FloatRange(min=0), help="Longest pause, in seconds.")
@click.option("--no-wait", is_flag=True, help="Write everything at once.")
def replay_cmd(session_id, start, speed, max_idle, no_wait):
    """Play a session's output back in this terminal with its original timing."""
    import time

    from cs.log import paths
    from cs.playback import replay

    try:
        position = replay.parse_start(start)
    except ValueError as e:
        raise CsError(str(e)) from None
    db = open_index(catch_up=False)
    sid = resolve(db, session_id)
    out = sys.stdout.buffer
    try:
        for delay, data in replay.frames(paths.logs_dir(), sid, position, speed, max_idle):
            if delay and not no_wait:
                out.flush()
                time.sleep(delay)
            out.write(data)
        out.flush()
    except (BrokenPipeError, KeyboardInterrupt):
        pass
