"""`cs replay`, `cs export`, `cs import`, `cs tail`: watching sessions again (cs.playback)."""

import os
import sys

import click

from cs.cli import cli
from cs.cli.common import UsageError, open_index, raw_bytes_notice, resolve, session_filter_options
from cs.errors import NotFound


class FiniteFloat(click.FloatRange):
    """A FloatRange that also refuses NaN and the infinities (NaN passes every
    comparison, so FloatRange alone lets `--speed nan` through)."""

    def convert(self, value, param, ctx):
        import math

        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def _idle_limit(value):
    """--idle-limit, else the config's idle_time_limit (seconds, None: no cap)."""
    if value is not None:
        return value or None

    return _configured_idle_limit()


@cli.command("replay")
@click.argument("session_id")
@click.option(
    "--at",
    "at",
    metavar="WHEN",
    help="Start at WHEN: the position `cs search` prints (12345, 2:12345), 90s or 1h2m into the session, 40%, or a date-time.",
)
@click.option("--from", "from_", metavar="WHEN", hidden=True, help="Same as --at (older search hits print it).")
@click.option(
    "--speed", default=1.0, show_default=True, type=FiniteFloat(min=0.01, max=1000), help="Playback speed factor."
)
@click.option(
    "--idle-limit",
    type=FiniteFloat(min=0, max=86400),
    metavar="SECONDS",
    help="Longest pause (default: idle_time_limit in config, 2s; 0: no cap).",
)
@click.option("--max-idle", type=FiniteFloat(min=0, max=86400), hidden=True)
@click.option("-f", "--follow", is_flag=True, help="On a live session, keep playing what is written.")
@click.option("--no-wait", is_flag=True, help="Write everything at once, without timing.")
@click.option("--raw", is_flag=True, help="The recorded bytes as they are: secrets not redacted.")
@click.option("--team", is_flag=True, help="A recording the team shared: ID, or OWNER/ID (docs/team.md).")
@click.option("--member", metavar="NAME", help="With --team: the session of member NAME.")
def replay_cmd(session_id, at, from_, speed, idle_limit, max_idle, follow, no_wait, raw, team, member):
    """Play a session back in this terminal with its original timing.

    Keys: space pause, . one step while paused, + / - speed, ] / [ next and
    previous prompt, q quit. When stdout is not a terminal the bytes are
    written without timing. Secrets are redacted (docs/security.md) unless
    --raw. With --team, a recording a member shared, played the same way
    (redacted again with your own patterns)."""
    from cs.ask import sessions
    from cs.log import paths
    from cs.playback import player, seek

    if at and from_:
        raise UsageError("--at and --from are the same option: give one")
    target = seek.parse_at(at or from_)
    if member and not team:
        raise UsageError("--member names a member of the team: it goes with --team")
    if team:
        if raw or follow:
            raise UsageError("--raw and --follow are for local recordings (a shared one is redacted, and finished)")
        from cs.cli import team_cmd

        plain = no_wait or not os.isatty(sys.stdout.fileno())
        options = player.Options(speed=speed, idle_limit=_idle_limit(idle_limit if max_idle is None else max_idle))
        key_fd = None if plain else _keyboard()
        try:
            team_cmd.replay_team(session_id, member, target, options, plain, sys.stdout.fileno(), key_fd, _too_small)
        finally:
            if key_fd is not None and key_fd != sys.stdin.fileno():
                os.close(key_fd)
        return
    db = open_index(catch_up=False)
    sid = resolve(db, session_id)
    sessions.require_recording(db, sid, "replay")
    logs = paths.logs_dir()
    if raw:
        raw_bytes_notice()
    out_fd = sys.stdout.fileno()
    if no_wait or not os.isatty(out_fd):
        player.write_plain(logs, sid, target, follow, sys.stdout.buffer, raw=raw)
        return
    options = player.Options(
        speed=speed, idle_limit=_idle_limit(idle_limit if max_idle is None else max_idle), follow=follow, raw=raw
    )
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
    click.echo(
        f"cs: this session needs a {needed[0]}x{needed[1]} terminal; this one is "
        f"{have[0]}x{have[1]}. Enlarge it, then press a key to play (q to quit).",
        err=True,
    )
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


FORMATS = ("asciicast", "asciicast-v2", "text", "markdown", "html", "archive")


@cli.command("export")
@click.argument("session_ids", nargs=-1)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="asciicast",
    show_default=True,
    help="asciicast (v3), asciicast-v2, text (as cs show), markdown (the Claude Code conversation), html (plays"
    " offline), archive (for cs import). All but archive have secrets redacted (docs/security.md).",
)
@click.option(
    "--input", "with_input", is_flag=True, help="asciicast: add what was typed (`i` events; may hold secrets)."
)
@click.option(
    "-o", "--output", "output", type=click.Path(dir_okay=False), help="Write to FILE (created 0600) instead of stdout."
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@session_filter_options
def export_cmd(session_ids, fmt, with_input, output, force, session_prefix, cwd, project, since, until):
    """Write sessions as asciicast, text, HTML or an archive.

    Give session ids, or the filters of `cs list` to export every session they
    select. Several sessions go into one archive, or one after another."""
    from cs.log import paths

    db = open_index()
    sids = _selected(db, session_ids, session_prefix, cwd, project, since, until)
    if fmt not in ("text", "markdown"):
        sids = _recordings_only(db, sids, fmt)
    if len(sids) > 1 and fmt == "html":
        raise UsageError("--format html takes one session; give one id")
    logs = paths.logs_dir()
    idle = _configured_idle_limit()
    with _Output(output, force) as out:
        if fmt == "archive":
            from cs.playback import archive

            with _progress(logs, sids) as bar:
                archive.export(out, logs, sids, progress=bar.update, transcripts=_transcripts_of(db, sids))
            return
        text_out = _TextOut(out)
        with _progress(logs, sids) as bar:
            for sid in sids:
                _export_one(text_out, logs, sid, fmt, with_input, idle, db)
                bar.update(_log_size(logs, sid))
        text_out.flush()


def _export_one(out, logs, sid, fmt, with_input, idle, db):
    if fmt in ("asciicast", "asciicast-v2"):
        from cs.playback import asciicast

        asciicast.write(
            out, logs, sid, version=2 if fmt == "asciicast-v2" else 3, with_input=with_input, idle_time_limit=idle
        )
        return
    if fmt == "html":
        from cs.playback import html

        html.write(out, logs, sid, idle_time_limit=idle, db=db)
        return
    # text and markdown: the story of the session (cs.story), as `cs show` tells it
    from cs.story.build import build_story
    from cs.story.text import as_lines, as_markdown

    story = build_story(logs, sid, db=db)
    if fmt == "markdown":
        from cs.ask import sessions

        row = sessions.session_row(db, sid) or {}  # redacted, as every output of a session's fields
        title = f"{row.get('project') or '-'} · {sid[:8]} · {(row.get('started_at') or '')[:16]}"
        out.write(as_markdown(story.entries, title) + "\n")
    else:
        for line in as_lines(story.entries):
            out.write(line + "\n")


def _recordings_only(db, sids: list, fmt: str) -> list:
    """The sessions of `sids` that have a recording to export as `fmt`; one
    that has none is refused when it is all that was asked for, else left
    out with a note (cs.ask.sessions.NoRecording says why)."""
    from cs.ask import sessions

    kept = [sid for sid in sids if not sessions.is_transcript_only(db, sid)]
    if len(kept) < len(sids):
        skipped = [sid for sid in sids if sid not in kept]
        if not kept:
            raise sessions.NoRecording(skipped[0], f"export as {fmt}")
        click.echo(
            f"cs: left out {len(skipped)} session(s) with no recording (Claude Code's transcript only; "
            f"`--format markdown` exports them): {', '.join(s[:8] for s in skipped[:5])}",
            err=True,
        )
    return kept


class _TextOut:
    """Text written as UTF-8 to a binary stream, buffered."""

    def __init__(self, raw):
        self.raw, self.parts, self.size = raw, [], 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size > 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.raw.write("".join(self.parts).encode("utf-8", "surrogateescape"))
            self.parts, self.size = [], 0
        self.raw.flush()


def _selected(db, session_ids, session_prefix, cwd, project, since, until) -> list:
    from cs.ask import sessions
    from cs.cli.common import make_filters

    filtered = any((session_prefix, cwd, project, since, until))
    if session_ids and filtered:
        raise UsageError("give session ids or filters, not both")
    if session_ids:
        return list(dict.fromkeys(resolve(db, s) for s in session_ids))
    if not filtered:
        raise UsageError("which sessions? give ids, or filters such as --project or --since")
    rows = sessions.list_sessions(db, make_filters(session_prefix, cwd, project, since, until))
    if not rows:
        from cs.errors import NotFound

        raise NotFound("no sessions match these filters")
    return [r["id"] for r in reversed(rows)]  # oldest first


class _Output:
    """stdout, or FILE created 0600 (refused if it exists, unless force);
    a failed export removes the file it created."""

    def __init__(self, path, force):
        self.path, self.force, self.f = path, force, None

    def __enter__(self):
        if self.path is None:
            return sys.stdout.buffer
        from cs.log import paths

        if os.path.lexists(self.path):
            if not self.force:
                raise UsageError(f"{self.path} exists; add --force to overwrite it")
            os.unlink(self.path)
        fd = paths.create_private_file(self.path, append=False)
        self.f = os.fdopen(fd, "wb")
        return self.f

    def __exit__(self, exc_type, exc, tb):
        if self.f is not None:
            self.f.close()
            if exc_type is not None:
                os.unlink(self.path)
        return False


def _log_size(logs, sid) -> int:
    from cs.log import store

    return sum(p.stat().st_size for p in store.session_segments(logs, sid))


def _progress(logs, sids):
    """A progress bar on a terminal (stderr) for more than a few MB of logs."""
    from cs.cli.common import NullBar

    total = sum(_log_size(logs, s) for s in sids)
    if not sys.stderr.isatty() or total < 32 << 20:
        return NullBar()
    return click.progressbar(length=total, label="exporting", file=sys.stderr)


@cli.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def import_cmd(files):
    """Add the sessions of archives made by `cs export --format archive`.

    Every archive is verified (paths, manifest, SHA-256) before anything is
    written; a session already here with the same content is skipped."""
    from cs.log import paths
    from cs.playback import archive

    logs = paths.logs_dir()
    loaded = [archive.read(f) for f in files]
    todo = [archive.plan(logs, manifest, contents) for manifest, contents in loaded]
    for (manifest, contents), sids in zip(loaded, todo):
        if sids:
            archive.write_sessions(logs, manifest, contents, sids)
        archive.write_transcripts(paths.cs_home(), contents)
        for session in manifest["sessions"]:
            state = "imported" if session["id"] in sids else "already here"
            click.echo(f"{session['id'][:8]}  {state}")
    open_index()  # indexes what was imported


@cli.command("tail")
@click.argument("session_id", required=False)
@click.option("--latest", is_flag=True, help="The most recently started session.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing until the session ends; exit with its status.")
@click.option("--text", is_flag=True, help="Finished lines of text instead of the terminal's bytes.")
@click.option("--raw", is_flag=True, help="The recorded bytes as they are: secrets not redacted.")
@click.option("--next", "next_", is_flag=True, help="Wait for the next session to start, and follow it.")
@click.option("--team", is_flag=True, help="A session the team shared: its story as it arrives (docs/team.md).")
@click.option("--member", metavar="NAME", help="With --team: the teammate who shared it.")
def tail_cmd(session_id, latest, follow, text, raw, next_, team, member):
    """Print a session's output as it is written, from the current screen on.

    The terminal's bytes by default (a terminal of the recorded size shows
    the live screen), secrets redacted unless --raw; --text prints the
    finished lines. With --team, a teammate's shared session (ID or
    OWNER/ID): its story as their watcher ships it (-f: until it ends)."""
    import time

    from cs.log import paths
    from cs.playback import tail

    if team or member:
        if not team or not session_id or latest or next_ or raw:
            raise UsageError("--team takes a shared session's ID or OWNER/ID (with -f, --text, --member)")
        from cs.cli import team_cmd

        out = sys.stdout.buffer

        def write_team(data):
            out.write(data)
            out.flush()

        status = team_cmd.tail_team(session_id, member, follow, write_team)
        if follow and status:
            sys.exit(status)
        return
    if sum(map(bool, (session_id, latest, next_))) != 1:
        raise UsageError("give a session id, --latest or --next")
    if text and raw:
        raise UsageError("--text and --raw show different things; pick one")
    logs = paths.logs_dir()
    if next_:
        paths.ensure_private_dir(logs)
        sid, follow = tail.wait_for_next(logs, time.time()), True
    else:
        from cs.ask import sessions

        db = open_index(catch_up=latest)
        sid = resolve(db, session_id) if session_id else _latest(db)
        sessions.require_recording(db, sid, "tail")
    out = sys.stdout.buffer
    if raw:
        raw_bytes_notice()

    def write(data):
        out.write(data)
        out.flush()

    status = tail.tail(logs, sid, write, follow, text, filter_queries=out.isatty(), raw=raw)
    if follow and status:
        sys.exit(status)


def _latest(db):
    """The most recently started recording (a session cs did not record has
    nothing to tail)."""
    row = db.execute(
        "SELECT id FROM sessions WHERE source != 'transcript' ORDER BY started_at DESC, id LIMIT 1"
    ).fetchone()
    if row is None:
        raise NotFound("no recorded sessions yet")
    return row[0]


def _configured_idle_limit():
    """idle_time_limit in seconds (None: off). A broken config must not stop a
    replay: its default then (`cs config` says what is wrong)."""
    from cs import config

    limit = config.settings(checked=False).idle_time_limit
    return limit.total_seconds() if limit is not None else None


def _transcripts_of(db, session_ids) -> dict:
    """{session id: [(name, path)]} of the archived Claude Code transcripts that
    go with each recording into an archive."""
    from cs.claude import archive as transcripts

    out = {}
    for sid in session_ids:
        rows = db.execute("SELECT claude_session_id FROM claude_links WHERE session_id = ?", [sid]).fetchall()
        out[sid] = [item for (claude_id,) in rows for item in transcripts.files_of(claude_id)]
    return out
