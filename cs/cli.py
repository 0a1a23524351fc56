"""The click layer: parse arguments, call domain code, format what it returns.

Domain modules return data (dicts, dataclasses, lists); only this file prints.
`cs record` is dispatched in cs.main before this module is imported (start-up
speed); the `record` command here exists so that `cs --help` lists it.
"""

import sys

import click

from cs import __version__


class CsError(click.ClickException):
    """A clear message for the user and exit status 1; never a traceback."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cs")
def cli():
    """Record every Claude Code session; find anything the screen showed."""


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def record(command):
    """Run COMMAND in a recorded pseudo-terminal."""
    from cs.record_cmd import main as record_main

    sys.exit(record_main(list(command)))


# ---- shell integration (cs init) -------------------------------------------


@cli.command()
@click.argument("shell", metavar="SHELL")
def init(shell):
    """Print the integration script for SHELL (bash, zsh or fish).

    \b
    bash:  eval "$(cs init bash)"      in ~/.bashrc
    zsh:   eval "$(cs init zsh)"       in ~/.zshrc
    fish:  cs init fish | source       in ~/.config/fish/config.fish

    `cs init systemd` and `cs init launchd` print a unit that keeps the
    indexer running without any shell open (see docs/shell.md).
    """
    import os
    import shutil

    from cs.shell_init import MissingFile, UnknownShell, init_script

    # The cs that is running, for service files: argv[0] when it is the
    # console script, else whatever `cs` PATH finds.
    me = sys.argv[0] if os.path.basename(sys.argv[0]) == "cs" else shutil.which("cs")
    try:
        text = init_script(shell, os.path.abspath(me) if me else None)
    except UnknownShell as e:
        # A wrong argument: exit status 2 with the usage line, like click's own.
        raise click.UsageError(str(e)) from None
    except MissingFile as e:
        raise CsError(str(e)) from None
    click.echo(text, nl=False)


# ---- indexing and asking (cs index, search, list, show, replay) ------------


def _skip_numpy():
    """sqlite-utils imports numpy when it is installed, only to recognise numpy
    values we never insert: 0.1-0.2 s of every `cs search`. Keep it out."""
    if "numpy" not in sys.modules:
        sys.modules["numpy"] = None


def _slow_catch_up_notice():
    """A progress callback that says, once, why the answer takes a while (a
    first run over a long history, with no watcher running)."""
    import time

    started, said = time.monotonic(), []

    def progress(_nbytes):
        if not said and time.monotonic() - started > 1.0:
            said.append(True)
            click.echo("cs: indexing new session logs first (`cs index --daemon` keeps the "
                       "index current in the background)...", err=True)

    return progress


def _open_index(catch_up: bool = True):
    """The index, brought up to date with the logs first (one incremental pass)
    so that answers are never stale, watcher or not."""
    _skip_numpy()
    from cs import indexer

    def rebuilding(error):
        click.echo(f"cs: the index is unreadable ({error}); rebuilding it from the logs...", err=True)

    try:
        db = indexer.open_index_recovering(on_rebuild=rebuilding)
    except OSError as e:
        raise CsError(f"cannot open the index: {e}") from None
    if catch_up:
        stats = indexer.catch_up(db, progress=_slow_catch_up_notice())
        if stats is None:
            click.echo("cs: the indexer is busy; results may miss the last few seconds", err=True)
    return db


def _utc_bound(text, option):
    if text is None:
        return None
    from cs import units

    try:
        moment = units.parse_moment(text)
    except ValueError as e:
        raise CsError(f"{option}: {e}") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _resolve(db, prefix):
    from cs import sessions

    try:
        return sessions.resolve_id(db, prefix)
    except sessions.AmbiguousSession as e:
        shown = ", ".join(c[:13] for c in e.candidates[:5])
        more = " ..." if len(e.candidates) > 5 else ""
        raise CsError(f"session id {prefix!r} is ambiguous: {shown}{more}") from None
    except sessions.SessionNotFound:
        raise CsError(f"no session with id {prefix!r} (see `cs list`)") from None


def _local_time(ts, with_seconds=True):
    from datetime import datetime

    if not ts:
        return "-"
    try:
        t = datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return ts
    return t.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def _color_enabled():
    import os

    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _snippet(text, spans, width, color):
    """The part of `text` around the first match, matches emphasised."""
    text = text.replace("\t", " ")
    first = spans[0][0] if spans else 0
    start = max(0, min(first - width // 3, len(text) - width))
    end = min(len(text), start + width)
    out, pos = [], start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if s >= e:
            continue
        out.append(text[pos:s])
        out.append(click.style(text[s:e], fg="red", bold=True) if color else text[s:e])
        pos = e
    out.append(text[pos:end])
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


def _json_line(obj):
    import json

    click.echo(json.dumps(obj, ensure_ascii=False))


def _session_filter_options(f):
    # Applied last-first, so that --help lists them in this order.
    f = click.option("--until", metavar="WHEN", help="Older than WHEN: 7d, 12h, or a date.")(f)
    f = click.option("--since", metavar="WHEN", help="Newer than WHEN: 7d, 12h, or a date.")(f)
    f = click.option("--cwd", metavar="DIR", help="Only sessions started in DIR or below.")(f)
    f = click.option("--project", metavar="NAME", help="Only sessions of this project (git top level name).")(f)
    f = click.option("--session", "session_prefix", metavar="ID", help="Only this session (any unique id prefix).")(f)
    return f


def _abs_cwd(cwd):
    import os

    return os.path.abspath(os.path.expanduser(cwd)) if cwd else None


@cli.command("index")
@click.option("--watch", is_flag=True, help="Keep running; index new output as it is written.")
@click.option("--daemon", is_flag=True, help="Watch in the background (no-op if a watcher runs).")
@click.option("--rebuild", is_flag=True, help="Rebuild the whole index from the logs.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something is wrong.")
def index_cmd(watch, daemon, rebuild, quiet):
    """Bring the search index up to date with the session logs."""
    from cs import watch as watchmod

    if daemon:
        try:
            started = watchmod.start_daemon()
        except OSError as e:
            raise CsError(f"cannot start the indexer: {e}") from None
        if not quiet:
            click.echo("indexer started" if started else "indexer already running")
        return
    if watch:
        sys.exit(watchmod.run_watch())
    _skip_numpy()
    from cs import indexer, units

    if rebuild:
        total = sum(p.stat().st_size for p in _log_files())
        show_bar = sys.stderr.isatty() and not quiet
        with click.progressbar(length=total, label="rebuilding index", file=sys.stderr,
                               show_eta=True) if show_bar else _NullBar() as bar:
            try:
                stats = indexer.rebuild(progress=bar.update)
            except indexer.RebuildBusy as e:
                raise CsError(str(e)) from None
    else:
        db = _open_index(catch_up=False)
        with indexer.pass_lock():
            stats = indexer.index_pass(db)
    for err in stats.errors:
        click.echo(f"cs index: {err}", err=True)
    if not quiet:
        mb = stats.bytes_read / 1e6
        rate = f", {mb / stats.seconds:.1f} MB/s" if stats.seconds > 0 and mb > 1 else ""
        click.echo(
            f"indexed {stats.sessions_indexed} of {stats.sessions_seen} sessions, "
            f"{units.format_size(stats.bytes_read)} of log in {stats.seconds:.2f}s{rate}"
            + (f"; skipped {stats.skipped_lines} bad lines" if stats.skipped_lines else "")
        )
    if stats.errors:
        sys.exit(1)


class _NullBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _log_files():
    from cs import logfile, paths

    try:
        return [p for p in paths.logs_dir().iterdir() if logfile.parse_segment_name(p.name)]
    except FileNotFoundError:
        return []


@cli.command("search")
@click.argument("query", nargs=-1)
@_session_filter_options
@click.option("--input", "direction", flag_value="input", help="Only what was typed.")
@click.option("--output", "direction", flag_value="output", help="Only what the screen showed.")
@click.option("--fts", "mode", flag_value="fts", help="QUERY is raw SQLite FTS5 syntax.")
@click.option("--regex", "mode", flag_value="regex", help="QUERY is a Python regular expression.")
@click.option("--rank", is_flag=True, help="Most relevant first (default: newest first).")
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(min=1), help="At most this many hits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def search_cmd(query, session_prefix, cwd, project, since, until, direction, mode, rank, limit, as_json):
    """Find lines that the screen showed or that you typed.

    Words are literal (quotes make a phrase; * - ( ) : NEAR AND OR are plain
    characters) and match anywhere in a line: 1234 finds E1234."""
    import shutil

    from cs import search

    if not query:
        raise CsError("nothing to search for: cs search WORDS...")
    db = _open_index()
    filters = search.Filters(
        session=_resolve(db, session_prefix) if session_prefix else None,
        cwd=_abs_cwd(cwd), project=project, since=_utc_bound(since, "--since"),
        until=_utc_bound(until, "--until"), direction=direction,
    )
    try:
        hits = search.search(db, query, filters, limit=limit, mode=mode or "literal", rank=rank)
    except search.QueryError as e:
        raise CsError(str(e)) from None
    if as_json:
        for hit in hits:
            _json_line(hit.as_dict())
        return
    if not hits:
        click.echo("no matches", err=True)
        sys.exit(1)
    color = _color_enabled()
    width = max(40, shutil.get_terminal_size((120, 24)).columns - 4)
    for hit in hits:
        direction_label = "in " if hit.direction == "input" else "out"
        head = f"{_local_time(hit.ts)}  {hit.session_id[:8]}  {hit.project or '-'}  {direction_label}"
        if hit.provisional:
            head += "  (live: still on screen)"
        replay = " ".join(hit.replay_args())
        if color:
            head = click.style(head, fg="cyan")
            replay = click.style(replay, dim=True)
        click.echo(head)
        click.echo("  " + _snippet(hit.text, hit.spans, width, color))
        click.echo("  " + replay)


def _duration(start, end):
    from datetime import datetime

    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return "-"
    secs = int((b - a).total_seconds())
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    return f"{secs // 3600}h{secs % 3600 // 60:02d}m"


@cli.command("list")
@_session_filter_options
@click.option("-n", "--limit", type=click.IntRange(min=1), help="At most this many sessions.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_cmd(session_prefix, cwd, project, since, until, limit, as_json):
    """Recorded sessions, newest first."""
    from cs import paths, sessions, units

    db = _open_index()
    filters = sessions.SessionFilters(
        session=session_prefix, cwd=_abs_cwd(cwd), project=project,
        since=_utc_bound(since, "--since"), until=_utc_bound(until, "--until"),
    )
    rows = sessions.list_sessions(db, filters, limit=limit)
    logs = paths.logs_dir()
    for row in rows:
        row["status"] = sessions.live_status(logs, row)
    if as_json:
        for row in rows:
            _json_line(row)
        return
    if not rows:
        click.echo("no sessions", err=True)
        return
    table = [("STARTED", "DURATION", "ID", "PROJECT", "COMMAND", "EXIT", "SIZE", "STATUS")]
    for r in rows:
        table.append((
            _local_time(r["started_at"], with_seconds=False),
            _duration(r["started_at"], r["ended_at"] or r["last_event_at"]),
            r["id"][:8], r["project"] or "-", (r["command"] or "-")[:40],
            "-" if r["exit_code"] is None else str(r["exit_code"]),
            units.format_size(r["log_bytes"] or 0), r["status"],
        ))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


@cli.command("show")
@click.argument("session_id")
@click.option("--raw", is_flag=True, help="Write the original output bytes (escape codes and all).")
@click.option("--grep", "pattern", metavar="PATTERN", help="Only lines matching PATTERN (a regex).")
@click.option("-i", "--ignore-case", is_flag=True, help="With --grep: ignore case.")
@click.option("-C", "--context", default=0, type=click.IntRange(min=0), help="With --grep: lines around.")
def show_cmd(session_id, raw, pattern, ignore_case, context):
    """A session as text as the screen showed it; input lines start with '> '."""
    import re

    from cs import paths, sessions

    db = _open_index()
    sid = _resolve(db, session_id)
    logs = paths.logs_dir()
    if raw:
        out = sys.stdout.buffer
        for chunk in sessions.raw_output(logs, sid):
            out.write(chunk)
        out.flush()
        return
    lines = [("> " + text if kind == "input" else text) for kind, text, _m in sessions.session_text(logs, sid)]
    if not pattern:
        for line in lines:
            click.echo(line)
        return
    try:
        regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as e:
        raise CsError(f"invalid --grep pattern {pattern!r}: {e}") from None
    groups = sessions.grep_lines(lines, regex, context)
    color = _color_enabled()
    for gi, group in enumerate(groups):
        if gi and context:
            click.echo("--")
        for i, is_match in group:
            text = lines[i]
            if color and is_match:
                text = regex.sub(lambda m: click.style(m.group(0), fg="red", bold=True), text)
            click.echo(text)
    if not groups:
        sys.exit(1)


@cli.command("replay")
@click.argument("session_id")
@click.option("--from", "start", metavar="POS|TIME", help="Start at a byte offset (as search prints), 90s into the session, or a date-time.")
@click.option("--speed", default=1.0, show_default=True, type=click.FloatRange(min=0.01), help="Playback speed factor.")
@click.option("--max-idle", default=2.0, show_default=True, type=click.FloatRange(min=0), help="Longest pause, in seconds.")
@click.option("--no-wait", is_flag=True, help="Write everything at once.")
def replay_cmd(session_id, start, speed, max_idle, no_wait):
    """Play a session's output back in this terminal with its original timing."""
    import time

    from cs import paths, replay

    try:
        position = replay.parse_start(start)
    except ValueError as e:
        raise CsError(str(e)) from None
    db = _open_index(catch_up=False)
    sid = _resolve(db, session_id)
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


# ---- retention (cs prune, compress, config) --------------------------------


def _duration_or_date(ctx, param, value):
    """--older: a duration ago (30d) or a date; returns an aware UTC datetime."""
    if value is None:
        return None
    from cs.units import parse_moment

    text = value.strip()
    if text.startswith("-"):
        raise click.BadParameter(f"{value!r}: must not be negative (e.g. 30d, or a date YYYY-MM-DD)")
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _size_option(ctx, param, value):
    if value is None:
        return None
    from cs.units import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _print_json(data) -> None:
    import json

    click.echo(json.dumps(data, indent=2, default=str))


def _session_row(s: dict, size_key: str = "bytes") -> str:
    from cs.units import format_size

    when = (s.get("ended_at") or "?")[:16].replace("T", " ")
    project = s.get("project") or "-"
    reasons = f"  ({', '.join(s['reasons'])})" if s.get("reasons") else ""
    return f"  {s['id']}  {when}  {format_size(s[size_key]):>8}  {project}{reasons}"


@cli.command()
@click.option("--older", callback=_duration_or_date, metavar="AGE|DATE",
              help="Remove sessions that ended before this: 30d, 12h, 2w, or YYYY-MM-DD.")
@click.option("--max-size", callback=_size_option, metavar="SIZE",
              help="Keep the newest sessions within this total size (e.g. 5G).")
@click.option("--keep", type=click.IntRange(min=0), metavar="N", help="Keep the newest N sessions.")
@click.option("--project", help="Only consider sessions of this project.")
@click.option("--cwd", type=click.Path(file_okay=False), help="Only consider sessions started in this directory (or below).")
@click.option("--dry-run", is_flag=True, help="Show what would be removed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def prune(older, max_size, keep, project, cwd, dry_run, as_json):
    """Remove old sessions: their log files and their index rows.

    With no limit given, applies the configured policy (retention,
    max_total_size; see `cs config`). A live session is never removed."""
    import os

    from cs import config, retention

    policy = retention.Policy(older_than=older, keep=keep, max_size=max_size, project=project,
                              cwd=os.path.abspath(os.path.expanduser(cwd)) if cwd else None)
    if policy.is_empty():
        try:
            configured = retention.policy_from_config(config.load_checked())
        except config.ConfigError as exc:
            raise CsError(str(exc)) from None
        if configured.is_empty():
            if as_json:
                _print_json({"dry_run": dry_run, "policy": None, "removed": [], "bytes_freed": 0})
            else:
                click.echo("No retention policy configured (set one with `cs config retention 90d` "
                           "or `cs config max_total_size 20G`, or pass --older/--keep/--max-size); nothing to do.")
            return
        configured.project, configured.cwd = policy.project, policy.cwd
        policy = configured
    result = retention.prune(policy, dry_run=dry_run)
    if as_json:
        _print_json(result)
        return
    from cs.units import format_size

    verb = "Would remove" if dry_run else "Removed"
    n = len(result["removed"])
    click.echo(f"{verb} {n} session{'s' if n != 1 else ''}, "
               f"{'freeing' if dry_run else 'freed'} {format_size(result['bytes_freed'])}"
               f"{':' if n else '.'}")
    if result["removed"]:  # one write, not one per session: 10,000 rows print at once
        click.echo("\n".join(_session_row(s) for s in result["removed"]))
    if result["resumed"]:
        click.echo(f"Finished removing {len(result['resumed'])} session(s) left by an interrupted prune.")
    extra = [f"kept {result['kept']}"]
    if result["live"]:
        extra.append(f"{len(result['live'])} live (never removed)")
    click.echo("; ".join(extra).capitalize() + ".")


@cli.command()
@click.option("--older", callback=_duration_or_date, metavar="AGE|DATE",
              help="Compress sessions that ended before this (default: config compress_after).")
@click.option("--dry-run", is_flag=True, help="Show what would be compressed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def compress(older, dry_run, as_json):
    """Gzip the log files of finished sessions (zcat | jq still works)."""
    from cs import compress as compress_mod
    from cs import config
    from cs.units import format_size, parse_moment

    if older is None:
        try:
            after = config.load_checked()["compress_after"]
        except config.ConfigError as exc:
            raise CsError(str(exc)) from None
        if after == "off":
            click.echo("Compression is off (compress_after = \"off\"); pass --older to compress anyway.")
            return
        older = parse_moment(after)
    result = compress_mod.compress(older_than=older, dry_run=dry_run)
    if as_json:
        _print_json(result)
        return
    n = len(result["sessions"])
    if dry_run:
        click.echo(f"Would compress {n} session{'s' if n != 1 else ''} "
                   f"({result['files']} files, {format_size(result['bytes_before'])}){':' if n else '.'}")
        for s in result["sessions"]:
            click.echo(_session_row(s, "bytes_before"))
    else:
        ratio = f", ratio {result['ratio']:.1f}x" if result["ratio"] else ""
        click.echo(f"Compressed {n} session{'s' if n != 1 else ''} ({result['files']} files): "
                   f"{format_size(result['bytes_before'])} -> {format_size(result['bytes_after'])}{ratio}.")
    if result["skipped_live"]:
        click.echo(f"Skipped {result['skipped_live']} live session(s).")
    for error in result["errors"]:
        click.echo(f"warning: {error}", err=True)
    if result["errors"]:
        sys.exit(1)


@cli.command("config")
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--unset", "unset_key", metavar="KEY", help="Remove a setting (back to its default).")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def config_cmd(key, value, unset_key, as_json):
    """Show settings, or set one: `cs config retention 90d`.

    Settings live in <cs home>/config.toml; see docs/config.md."""
    from cs import config, paths

    path = paths.config_path()
    if unset_key:
        if key or value:
            raise click.UsageError("--unset takes only the KEY to remove")
        try:
            was_set = config.unset_value(unset_key)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="KEY") from None
        except config.ConfigError as exc:
            raise CsError(str(exc)) from None
        click.echo(f"{unset_key} unset" if was_set else f"{unset_key} was not set")
        return
    if value is not None:
        try:
            stored = config.set_value(key, value)
        except config.ConfigError as exc:
            raise CsError(str(exc)) from None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="VALUE") from None
        click.echo(f"{key} = {stored!r}".replace("'", '"'))
        return
    try:
        settings = config.show()
    except config.ConfigError as exc:
        raise CsError(str(exc)) from None
    if key is not None:
        match = [s for s in settings if s["key"] == key]
        if not match:
            raise click.BadParameter(f"unknown setting {key!r} (known: {', '.join(config.DEFAULTS)})",
                                     param_hint="KEY")
        settings = match
    if as_json:
        _print_json({"path": str(path), "settings": settings})
        return
    for s in settings:
        shown = "(unset)" if s["value"] is None else f'"{s["value"]}"'
        mark = "  # default" if s["is_default"] else ""
        click.echo(f"{s['key']} = {shown}{mark}")
