"""`cs team` (init, add, remove, prune, join, status), `cs share`, `cs unshare`, and
what `cs search --team` prints: the team's PostgreSQL (cs/team, docs/team.md).
Each command is run by tests/test_team.py, as the admin, alice, bob or carol,
against a real PostgreSQL."""

import sys

import click

from cs.cli import cli, team_answers
from cs.cli.common import CsError, UsageError, duration_or_date, open_index, resolve
from cs.cli.output import echo, local_time, print_json
from cs.units import format_size


@cli.group("team")
def team_cmd():
    """Share sessions through the team's PostgreSQL (docs/team.md)."""


def _warn_tls(url: str) -> None:
    from cs.team import url as urls

    warning = urls.tls_warning(url)
    if warning:
        echo(f"cs: warning: {warning}", err=True)


def _keep_url(url: str) -> str:
    """Store the URL (no password) as this user's team URL; the stored URL."""
    from cs import config
    from cs.team import url as urls

    kept = urls.without_password(url)
    config.set_value("team_url", kept)
    return kept


@team_cmd.command("init")
@click.argument("url")
def init_cmd(url):
    """Make the database at URL the team's (run once, by the admin: a login that
    owns the database and may create roles). Creates the schema, the group role
    cs_member and the row-level security policies; keeps URL (without its
    password) as your team URL."""
    from cs.team import connect, schema
    from cs.team import url as urls

    _warn_tls(url)
    with connect.used(url) as conn:
        applied = schema.migrate(conn)
        me = conn.execute("SELECT current_user, current_database()").fetchone()
    kept = _keep_url(url)
    echo(f"cs: team database {me[1]} ready ({', '.join(applied) or 'already up to date'}); you ({me[0]}) are its admin")
    if urls.has_password(url):
        echo("cs: the password was not kept: libpq reads it from ~/.pgpass or PGPASSWORD", err=True)
    echo(f"cs: team_url = {kept}")
    echo("cs: next, for each member: cs team add NAME")


@team_cmd.command("add")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the member's password from standard input.")
def add_cmd(name, password_stdin):
    """Make a member's login NAME (in the group cs_member: not a superuser, no
    BYPASSRLS). Its password is generated and printed once, or read with
    --password-stdin; then prints what the member runs."""
    from cs.team import connect, schema
    from cs.team import url as urls

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise UsageError("--password-stdin: standard input held no password")
    else:
        password = schema.generate_password()
    with connect.used() as conn:
        schema.add_member(conn, name, password)
    member_url = urls.with_user(connect.team_url(), name)
    echo(f"cs: {name} added to the team")
    if not password_stdin:
        echo(f"password (shown once): {password}")
    echo(f"{name} runs:  cs team join '{member_url}'")
    echo(f"with the password in ~/.pgpass ({_pgpass_line(member_url)}, mode 0600) or in PGPASSWORD")


def _pgpass_line(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}:{parts.path.lstrip('/') or '*'}:{parts.username}:PASSWORD"


@team_cmd.command("remove")
@click.argument("name")
@click.option("--purge", is_flag=True, help="Delete the sessions NAME shared, too.")
def remove_cmd(name, purge):
    """Remove member NAME's login. Their shared sessions stay (attributed to
    them) unless --purge."""
    from cs.team import connect, schema

    with connect.used() as conn:
        done = schema.remove_member(conn, name, purge)
    said = [f"login {name} dropped"] if done["dropped"] else [f"no login {name}"]
    if purge:
        said.append(f"{done['purged']} shared session(s) deleted")
    else:
        said.append("the sessions they shared stay (cs team remove NAME --purge deletes them)")
    echo("cs: " + "; ".join(said))


@team_cmd.command("prune")
@click.option(
    "--older",
    required=True,
    callback=duration_or_date,
    metavar="AGE|DATE",
    help="Remove what was shared of sessions started before this: 1y, 26w, 90d, or YYYY-MM-DD.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be removed; change nothing.")
def prune_cmd(older, dry_run):
    """Remove old shared sessions from the team database (the admin): whole
    months go as partitions, the rest of the oldest month row by row."""
    from cs.team import connect
    from cs.team import prune as team_prune

    with connect.used() as conn:
        done = team_prune.prune(conn, older, dry_run=dry_run)
    what = "would remove" if dry_run else "removed"
    months = (
        f", {len(done['months'])} whole month(s): {', '.join(m[:7] for m in done['months'])}" if done["months"] else ""
    )
    echo(f"cs: {what} {done['sessions']} shared session(s) started before {local_time(done['before'])}{months}")


@team_cmd.command("join")
@click.argument("url")
def join_cmd(url):
    """Join the team database at URL (no password in it: libpq reads it from
    ~/.pgpass or PGPASSWORD). Checks the connection, then keeps URL as your
    team URL."""
    from cs.team import connect
    from cs.team import url as urls

    if urls.has_password(url):
        raise UsageError(f"the URL holds a password: {urls.PASSWORD_HINT}")
    _warn_tls(url)
    try:
        with connect.connect(url) as conn:
            me = conn.execute(
                "SELECT current_user, pg_has_role(current_user, 'cs_member', 'MEMBER'), rolsuper OR rolbypassrls"
                " FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            conn.rollback()
    except connect.TeamError as exc:
        if "permission denied for database" not in str(exc):
            raise
        raise CsError(f"{exc}: not a member of this team (ask the admin: cs team add NAME)") from None
    if not me[1]:
        raise CsError(f"{me[0]} is not a member of this team (ask the admin: cs team add {me[0]})")
    if me[2]:
        echo(
            f"cs: warning: {me[0]} bypasses row-level security (a superuser or BYPASSRLS): a member's login"
            " (cs team add NAME) is safer",
            err=True,
        )
    connect.remember()
    _keep_url(url)
    echo(f"cs: joined as {me[0]}; share a session with `cs share ID`")


@team_cmd.command("status")
@click.option("--json", "as_json", is_flag=True, help="As JSON.")
def status_cmd(as_json):
    """The team URL, who you are there, your shared sessions (the newest ten),
    and the last error."""
    from cs.team import connect, share

    status = {"url": connect.team_url(), "user": None, "shared": None, "sessions": [], "error": None}
    try:
        with connect.used(status["url"]) as conn:
            status["user"] = conn.execute("SELECT current_user").fetchone()[0]
            status["shared"] = share.shared_count(conn)
            status["sessions"] = share.my_sessions(conn)
            conn.rollback()
    except CsError as exc:
        status["error"] = str(exc)
    last = connect.state()
    status["last_error"] = last.get("last_error")
    status["last_error_at"] = last.get("at")
    status["waiting"] = _waiting()
    if as_json:
        print_json(status)
        return
    echo(f"team:    {status['url']}")
    echo(f"you:     {status['user'] or '(not connected)'}")
    echo(f"shared:  {'-' if status['shared'] is None else status['shared']} session(s) of yours")
    for s in status["sessions"]:
        when = local_time(s["started_at"], with_seconds=False) if s["started_at"] else "-"
        echo(f"  {s['id'][:8]}  {when}  {s['project'] or '-'}  {(s['command'] or '-')[:40]}")
    waits = status["waiting"]
    if waits and waits["sessions"]:
        echo(
            f"waiting: {len(waits['sessions'])} session(s) to ship: {format_size(waits['log_bytes'])} of log,"
            f" {waits['lines']} searchable line(s) not shipped yet"
            + (f" (next try {local_time(_iso(waits['next_try']))})" if waits.get("next_try") else "")
        )
        for w in waits["sessions"][:10]:
            echo(f"  {w['id'][:8]}  {format_size(w['log_bytes'])}  {w['lines']} line(s)")
    elif waits is not None:
        echo("waiting: nothing, every shared session is shipped")
    if status["last_error"]:
        echo(f"last error ({local_time(status['last_error_at'])}): {status['last_error']}")
    if status["error"]:
        return 1


def _waiting():
    """What waits to be shipped (cs.team.follow.waiting), None when the index cannot tell."""
    from cs.team import follow

    try:
        return follow.waiting(open_index())
    except CsError:
        return None


def _iso(epoch):
    from datetime import UTC, datetime

    from cs.log.timestamps import format_timestamp

    return format_timestamp(datetime.fromtimestamp(epoch, UTC))


@cli.command("share")
@click.argument("session_ids", nargs=-1)
@click.option("--project", metavar="NAME", help="The sessions of this project (as `cs list --project`).")
@click.option("--cwd", metavar="DIR", help="The sessions started in DIR or below.")
@click.option("--since", metavar="WHEN", help="The sessions newer than WHEN: 7d, 12h, or a date.")
@click.option("--until", metavar="WHEN", help="The sessions older than WHEN.")
@click.option("-n", "--limit", type=click.IntRange(min=1), metavar="N", help="At most the newest N of them.")
def share_cmd(session_ids, project, cwd, since, until, limit):
    """Ship sessions to the team database: metadata, story, searchable lines,
    Claude transcript and token usage (and the recording, with
    team_share_recording on), redacted before they leave. Shipping again sends
    only what is new; a live session is followed by the watcher as it grows.

    SESSION_IDS are id prefixes; or choose sessions with the filters of `cs
    list` (--project, --cwd, --since, --until, -n): `cs share --project app --since 7d`."""
    from cs.log import locks
    from cs.team import connect, follow, marks

    chosen = any(v is not None for v in (project, cwd, since, until, limit))
    if bool(session_ids) == chosen:
        raise UsageError("give session ids, or choose sessions with --project/--cwd/--since/--until/-n (not both)")
    url = connect.team_url()
    _warn_tls(url)
    db = open_index()
    if chosen:
        ids = _listed(db, project, cwd, since, until, limit)
        if not ids:
            raise CsError("no session of yours matches those filters (`cs list` with the same filters shows them)")
    else:
        ids = list(dict.fromkeys(resolve(db, prefix) for prefix in session_ids))
    marks.mark_sessions(ids, "shared")  # followed from now on, shipped by the watcher if this fails

    def said(s, done):
        done = done or dict.fromkeys(("entries", "lines", "transcript", "usage", "recording", "removed"), 0)
        extra = [
            f"{done[k]} {what}"
            for k, what in (
                ("transcript", "transcript lines"),
                ("usage", "usage rows"),
                ("recording", "recording events"),
            )
            if done[k]
        ]
        echo(
            f"cs: shared {s.session_id[:8]}: {s.n_entries} story entries, {s.mark.get('lines', 0)} searchable lines"
            f" ({done['entries'] + done['lines']} rows new or changed, {done['removed']} removed"
            f"{', metadata updated' if done.get('session') else ''}{''.join(', ' + e for e in extra)})"
        )

    with locks.held(marks.LOCK):
        follow.ship_sessions(db, ids, url, said)
    connect.remember()


def _listed(db, project, cwd, since, until, limit) -> list:
    """The ids `cs list` shows with these filters, newest first."""
    from cs.ask import sessions
    from cs.cli.common import make_filters

    rows = sessions.list_sessions(db, make_filters(None, cwd, project, since, until), limit=limit)
    return [row["id"] for row in rows]


@cli.command("unshare")
@click.argument("session_ids", nargs=-1, required=True)
def unshare_cmd(session_ids):
    """Take your sessions back out of the team database (any unique id prefix);
    the watcher ships them no more."""
    from cs.team import connect, marks, share

    local = [sid for sid in marks.state()["sessions"] if any(sid.startswith(p.strip().lower()) for p in session_ids)]
    marks.mark_sessions(local, "unshared")  # before: a watcher must not ship them again meanwhile
    with connect.used() as conn:
        removed = share.unship(conn, session_ids)
    marks.mark_sessions(removed, "unshared")
    for sid in removed:
        echo(f"cs: unshared {sid[:8]}")


def team_story(ref: str, member):
    """(the session's cleaned row, its Story) of a shared session."""
    from cs.team import connect, read

    read.parse_ref(ref, member)  # a bad id or member is refused before connecting
    with connect.used(read=True) as conn:
        session = read.resolve(conn, ref, member)
        story = read.story(conn, session)
    return read.clean_row(session), story


def show_team(ref: str, member, tools: bool, as_json: bool):
    """`cs show --team`: the shared story, as the same renderer (cs.story.text)
    prints a local one: its lines (None after --json: the session and its entries)."""
    from cs.story.text import as_lines

    session, story = team_story(ref, member)
    if as_json:
        print_json({"session": session, "entries": [e.as_dict() for e in story.entries]})
        return None
    return as_lines(story.entries, tools=tools)


TAIL_POLL_S = 1.0


def tail_team(ref: str, member, follow: bool, write) -> int:
    """`cs tail --team`: a shared session's story as it arrives in the team
    database (cs.playback.tail.StoryTeller, the lines `cs tail --text` prints):
    its last entries, then each new line once; with `follow`, until its owner's
    watcher ships its end. The session's exit status (0 while it runs).
    Test: tests/test_team_shipping.py::test_bob_follows_alices_live_session."""
    import time

    from cs.playback.tail import StoryTeller
    from cs.team import connect, read

    read.parse_ref(ref, member)  # a bad id or member is refused before connecting
    with connect.used(read=True) as conn:
        session = read.resolve(conn, ref, member)
        here = f"{session['owner']}/{session['id']}"
        teller = StoryTeller(lambda: read.story(conn, session).entries, write)

        def ended(row) -> bool:
            return row.get("status") in ("finished", "cut_off")

        teller.tell(final=not follow or ended(session), first=True)
        while follow and not ended(session):
            time.sleep(TAIL_POLL_S)
            session = read.resolve(conn, here)
            if ended(session) or teller.due():
                teller.tell(final=ended(session))
    code = session.get("exit_code")
    return code if isinstance(code, int) and ended(session) else 0


def replay_team(ref: str, member, target, options, plain: bool, out_fd: int, key_fd, on_too_small):
    """`cs replay --team`: the shared recording, played by the local player."""
    from cs.playback import player, seek
    from cs.team import connect, read

    read.parse_ref(ref, member)  # a bad id or member is refused before connecting
    with connect.used(read=True) as conn:
        session = read.resolve(conn, ref, member)
        start, items = read.recording(conn, session)

    def seeker(at):
        return seek.seek_events(start, items, at)

    if plain:
        player.write_plain(None, session["id"], target, False, sys.stdout.buffer, seeker=seeker)
        return
    player.play(None, session["id"], target, options, out_fd, key_fd, on_too_small=on_too_small, seeker=seeker)


def stats_team(member, project, since, until, as_json: bool) -> None:
    """`cs stats --team`: sessions, lines and tokens per member, project and model."""
    from cs.cli.common import utc_bound
    from cs.team import read

    read.check_member(member)
    f = team_answers.read_once(
        read.stats,
        member=member,
        project=project,
        since=utc_bound(since, "--since"),
        until=utc_bound(until, "--until"),
    )
    if as_json:
        print_json(f)
        return
    t = f["total"]
    echo(f"team sessions: {t['sessions']}   total time: {t['seconds'] / 3600:.1f} h   searchable lines: {t['lines']}")
    fields = read.TOKEN_FIELDS
    echo("\ntokens (input / output / cache read / cache write):")
    echo("  total  " + " / ".join(str(t[k]) for k in fields))
    for title, name in (("per member", "by_member"), ("per project", "by_project")):
        if f[name]:
            echo(f"\n{title} (sessions, lines, tokens in / out / cache read / cache write):")
            width = max(len(k) for k in f[name])
            for key, row in f[name].items():
                echo(
                    f"  {key.ljust(width)}  {row['sessions']:>5}  {row['lines']:>7}  "
                    + " / ".join(str(row[k]) for k in fields)
                )
    if f["by_model"]:
        echo("\nper model (sessions, tokens in / out / cache read / cache write):")
        width = max(len(k) for k in f["by_model"])
        for key, row in f["by_model"].items():
            echo(f"  {key.ljust(width)}  {row['sessions']:>5}  " + " / ".join(str(row[k]) for k in fields))
