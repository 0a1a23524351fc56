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


# ---- indexing and asking (cs index, search, list, show, replay) ------------


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
