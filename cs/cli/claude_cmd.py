"""`cs resume` and `cs stats`: Claude Code's own sessions, as recorded."""

import os
import sys

import click

from cs.cli import cli
from cs.cli.common import UsageError, make_filters, open_index, resolve, session_filter_options
from cs.cli.output import print_json


@cli.command("resume")
@click.argument("session_id", required=False)
@click.option("--last", is_flag=True, help="The newest recorded Claude session.")
@click.option("--team", is_flag=True, help="A session a teammate shared (docs/team.md): continue it in your checkout.")
@click.option("--member", metavar="NAME", help="With --team: the teammate who shared it.")
@click.option(
    "--cwd",
    "cwd_option",
    metavar="DIR",
    help="With --team: continue in DIR (default: here, a checkout of its repository).",
)
def resume_cmd(session_id, last, team, member, cwd_option):
    """Continue a recorded Claude session: `claude --resume` in its directory, recorded.

    SESSION_ID is a recording id or a Claude session id (any unique prefix).
    If Claude Code has deleted the transcript, the copy cs kept is put back first.
    With --team, SESSION_ID is a session the team shared (PREFIX or OWNER/PREFIX):
    its transcript is put where your Claude Code looks for it, and it continues
    here (a checkout of the same repository) or in --cwd DIR."""
    from cs.ask.sessions import SessionNotFound
    from cs.claude import resume

    if team:
        if not session_id or last:
            raise UsageError("--team needs the shared session's id (`cs list --team` lists them), not --last")
        _resume_team(session_id, member, cwd_option)
        return
    if member or cwd_option:
        raise UsageError("--member and --cwd go with --team")
    if bool(session_id) == bool(last):
        raise UsageError("give a SESSION_ID or --last (not both)")
    db = open_index()
    if last:
        claude_id, cwd, config_dir = resume.find(db)
    else:
        try:
            claude_id, cwd, config_dir = resume.find(db, recording_id=resolve(db, session_id))
        except SessionNotFound:
            claude_id, cwd, config_dir = resume.find(db, claude_prefix=session_id)
    target = resume.prepare(claude_id, cwd, config_dir)
    if target.restored:
        click.echo(f"cs: restored the transcript Claude Code had deleted: {target.transcript}", err=True)
    click.echo(f"cs: resuming Claude session {claude_id} in {cwd}", err=True)
    sys.stdout.flush()
    os.chdir(cwd)
    os.execv(sys.executable, [sys.executable, "-m", "cs", "record", "--", "claude", "--resume", claude_id])


def _resume_team(ref, member, cwd_option) -> None:
    """`cs resume --team`: cs.team.handoff, then `cs record -- claude --resume`."""
    from cs.claude import archive
    from cs.record.command import CONTINUES
    from cs.team import connect, handoff

    with connect.used(read=True) as conn:
        shared = handoff.find(conn, ref, member)
        directory, note = handoff.checkout(shared, os.getcwd(), cwd_option)
        files = handoff.transcript(conn, shared)
    if note:
        click.echo(f"cs: {note}", err=True)
    target, written = handoff.place(files, shared.claude_session_id, directory, archive.default_config_dir())
    if written:
        click.echo(f"cs: {shared.owner}'s conversation is now where your Claude Code looks for it: {target}", err=True)
    else:
        click.echo(f"cs: your Claude Code already has this conversation ({target}): resuming it", err=True)
    click.echo(f"cs: continuing {shared.owner}'s session {shared.id[:8]} in {directory}", err=True)
    sys.stdout.flush()
    os.chdir(directory)
    os.environ[CONTINUES] = shared.ref
    os.execv(
        sys.executable, [sys.executable, "-m", "cs", "record", "--", "claude", "--resume", shared.claude_session_id]
    )


@cli.command("stats")
@session_filter_options
@click.option("--prices", metavar="FILE", help="A price table (LiteLLM's model price JSON) to show cost.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.option("--team", is_flag=True, help="The team's shared sessions: per member, per project, per model.")
@click.option("--member", metavar="NAME", help="With --team: only member NAME's.")
def stats_cmd(session_prefix, cwd, project, since, until, prices, as_json, team, member):
    """Sessions per day, durations, busiest hours, projects, exit statuses, and
    Claude's tokens by model, project and day (each API response counted once).
    With --team: sessions, lines and tokens the team shared, per member,
    project and model."""
    from cs.claude import stats

    if member and not team:
        raise UsageError("--member names a member of the team: it goes with --team")
    if team:
        if session_prefix or cwd or prices:
            raise UsageError("--session, --cwd and --prices are for the local index, not with --team")
        from cs.cli import team_cmd

        return team_cmd.stats_team(member, project, since, until, as_json)

    filters = make_filters(session_prefix, cwd, project, since, until)
    table = stats.load_prices(prices) if prices else None
    figures = stats.compute(open_index(), filters, table)
    if as_json:
        print_json(figures)
        return
    _print_stats(figures, bars=sys.stdout.isatty())


def _bar(n: int, top: int, width: int = 30) -> str:
    return "█" * max(1 if n else 0, round(width * n / top)) if top else ""


def _print_stats(f: dict, bars: bool) -> None:
    from cs.claude.stats import TOKEN_FIELDS

    s = f["sessions"]
    med = f"{s['median_seconds'] / 60:.1f} min" if s["median_seconds"] is not None else "-"
    click.echo(f"sessions: {s['count']}   total time: {s['total_seconds'] / 3600:.1f} h   median: {med}")
    for title, data in (("per day", s["per_day"]), ("per week", s["per_week"])):
        if data:
            click.echo(f"\n{title}:")
            top = max(data.values())
            for key, n in list(data.items())[-14:]:
                click.echo(f"  {key}  {n:>5}  {_bar(n, top) if bars else ''}".rstrip())
    hours = s["by_hour"]
    if any(hours.values()):
        click.echo("\nbusiest hours:")
        top = max(hours.values())
        for h, n in hours.items():
            if n:
                click.echo(f"  {h:02d}:00  {n:>5}  {_bar(n, top) if bars else ''}".rstrip())
    if s["top_projects"]:
        click.echo("\ntop projects:")
        for name, n in s["top_projects"]:
            click.echo(f"  {n:>5}  {name}")
    if s["exit_status"]:
        click.echo("\nexit status: " + ", ".join(f"{k}: {v}" for k, v in s["exit_status"].items()))
    t = f["tokens"]
    click.echo("\ntokens (input / output / cache read / cache write):")
    click.echo("  total  " + " / ".join(str(t["total"][k]) for k in TOKEN_FIELDS))
    for title in ("by_model", "by_project"):
        for key, row in sorted(t[title].items()):
            click.echo(f"  {title[3:]} {key}: " + " / ".join(str(row[k]) for k in TOKEN_FIELDS))
    if "cost" in t:
        c = t["cost"]
        click.echo(f"\ncost: {c['total']:.4f}" + "".join(f"\n  {m}: {v:.4f}" for m, v in c["by_model"].items()))
        if c["models_without_price"]:
            click.echo("  no price for: " + ", ".join(c["models_without_price"]))
