"""`cs prune`, `cs compress`, `cs forget`, `cs scrub`: keeping the house."""

import sys
from datetime import UTC

import click

from cs.cli import cli
from cs.cli.common import CsError, UsageError, duration_or_date, size_option
from cs.cli.output import print_json, session_row


@cli.command()
@click.option(
    "--older",
    callback=duration_or_date,
    metavar="AGE|DATE",
    help="Remove sessions that ended before this: 30d, 12h, 2w, or YYYY-MM-DD.",
)
@click.option(
    "--max-size",
    callback=size_option,
    metavar="SIZE",
    help="Keep the newest sessions within this total size (e.g. 5G).",
)
@click.option("--keep", type=click.IntRange(min=0), metavar="N", help="Keep the newest N sessions.")
@click.option("--project", help="Only consider sessions of this project.")
@click.option(
    "--cwd", type=click.Path(file_okay=False), help="Only consider sessions started in this directory (or below)."
)
@click.option("--dry-run", is_flag=True, help="Show what would be removed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def prune(older, max_size, keep, project, cwd, dry_run, as_json):
    """Remove old sessions: their log files and their index rows.

    With no limit given, applies the configured policy (retention,
    max_total_size; see `cs config`). A live session is never removed."""
    import os

    from cs import config
    from cs.maintenance import policy as policies
    from cs.maintenance import prune as pruning

    flags = policies.Policy(
        older_than=older,
        keep=keep,
        max_size=max_size,
        project=project,
        cwd=os.path.abspath(os.path.expanduser(cwd)) if cwd else None,
    )
    policy = flags if not flags.is_empty() else policies.resolve(flags, config.settings())
    if policy.is_empty():
        if as_json:
            print_json({"dry_run": dry_run, "policy": None, "removed": [], "bytes_freed": 0})
        else:
            click.echo(
                "No retention policy configured (set one with `cs config retention 90d` "
                "or `cs config max_total_size 20G`, or pass --older/--keep/--max-size); nothing to do."
            )
        return
    result = pruning.prune(policy, dry_run=dry_run)
    if as_json:
        print_json(result)
        return
    from cs.units import format_size

    verb = "Would remove" if dry_run else "Removed"
    n = len(result["removed"])
    click.echo(
        f"{verb} {n} session{'s' if n != 1 else ''}, "
        f"{'freeing' if dry_run else 'freed'} {format_size(result['bytes_freed'])}"
        f"{':' if n else '.'}"
    )
    if result["removed"]:  # one write, not one per session: 10,000 rows print at once
        click.echo("\n".join(session_row(s) for s in result["removed"]))
    if result["resumed"]:
        click.echo(f"Finished removing {len(result['resumed'])} session(s) left by an interrupted prune.")
    extra = [f"kept {result['kept']}"]
    if result["live"]:
        extra.append(f"{len(result['live'])} live (never removed)")
    click.echo("; ".join(extra).capitalize() + ".")


@cli.command()
@click.option(
    "--older",
    callback=duration_or_date,
    metavar="AGE|DATE",
    help="Compress sessions that ended before this (default: config compress_after).",
)
@click.option("--dry-run", is_flag=True, help="Show what would be compressed; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def compress(older, dry_run, as_json):
    """Gzip the log files of finished sessions (zcat | jq still works)."""
    from datetime import datetime

    from cs import config
    from cs.maintenance import compress as compress_mod
    from cs.units import format_size

    if older is None:
        after = config.settings().compress_after
        if after is None:
            click.echo('Compression is off (compress_after = "off"); pass --older to compress anyway.')
            return
        older = datetime.now(UTC) - after
    result = compress_mod.compress(older_than=older, dry_run=dry_run)
    if as_json:
        print_json(result)
        return
    n = len(result["sessions"])
    if dry_run:
        click.echo(
            f"Would {'compress and encrypt' if result.get('encrypted') else 'compress'} {n} session{'s' if n != 1 else ''} "
            f"({result['files']} files, {format_size(result['bytes_before'])}){':' if n else '.'}"
        )
        for s in result["sessions"]:
            click.echo(session_row(s, "bytes_before"))
    else:
        ratio = f", ratio {result['ratio']:.1f}x" if result["ratio"] else ""
        click.echo(
            f"{'Compressed and encrypted' if result.get('encrypted') else 'Compressed'} {n} session{'s' if n != 1 else ''}"
            f" ({result['files']} files): "
            f"{format_size(result['bytes_before'])} -> {format_size(result['bytes_after'])}{ratio}."
        )
    if result["skipped_live"]:
        click.echo(f"Skipped {result['skipped_live']} live session(s).")
    for error in result["errors"]:
        click.echo(f"warning: {error}", err=True)
    if result["errors"]:
        sys.exit(1)


@cli.command("forget")
@click.argument("session_ids", nargs=-1, required=True, metavar="ID...")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def forget_cmd(session_ids, yes, as_json):
    """Remove sessions entirely: log files, archived transcripts, index rows."""
    from cs.cli.common import open_index, resolve
    from cs.maintenance import prune as pruning

    db = open_index(catch_up=False)
    ids = list(dict.fromkeys(resolve(db, prefix) for prefix in session_ids))
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("cs forget removes sessions for good: confirm with --yes (no terminal to ask on)")
        click.confirm(
            f"Remove {len(ids)} session{'s' if len(ids) != 1 else ''} for good ({', '.join(i[:8] for i in ids)})?",
            abort=True,
            err=True,
        )
    result = pruning.forget(ids, db)
    if as_json:
        print_json(result)
    else:
        from cs.units import format_size

        click.echo(
            f"Removed {len(result['removed'])} session(s), {format_size(result['bytes_freed'])}"
            + (f", {result['transcripts_removed']} archived transcript(s)" if result["transcripts_removed"] else "")
            + "."
        )
    if result["live"]:
        raise CsError(
            f"not removed, still recording: {', '.join(i[:8] for i in result['live'])} (end the session first)"
        )


@cli.command("scrub")
@click.argument("pattern")
@click.option("--session", "session_prefix", metavar="ID", help="Only this session (default: all).")
@click.option("--literal", is_flag=True, help="PATTERN is plain text, not a regular expression.")
@click.option("--dry-run", is_flag=True, help="Count matches; change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def scrub_cmd(pattern, session_prefix, literal, dry_run, as_json):
    """Mask PATTERN in the logs themselves, byte for byte (`*`), in both directions.

    For a secret that leaked into history: every chunk keeps its size, the
    rewrite is atomic, compressed logs included; the segment a live session is
    writing is skipped (said); changed sessions are indexed again."""
    from cs.cli.common import open_index, resolve
    from cs.log import paths, store
    from cs.maintenance import scrub

    regex = scrub.compile_pattern(pattern, literal)
    db = open_index(catch_up=False)
    if session_prefix:
        ids = [resolve(db, session_prefix)]
    else:
        ids = sorted(store.all_sessions(paths.logs_dir()))
    result = scrub.scrub(regex, ids, dry_run=dry_run, db=db)
    if not dry_run and result["sessions"]:
        from cs.index import indexer
        from cs.log import locks

        with locks.held(locks.PASS):
            indexer.index_pass(db)
    if as_json:
        print_json(result)
        return
    verb = "Would mask" if dry_run else "Masked"
    click.echo(f"{verb} {result['matches']} match(es) in {len(result['sessions'])} session(s).")
    for s in result["sessions"]:
        click.echo(f"  {s['id']}  {s['matches']} match(es)")
    for name in result["skipped_live_segments"]:
        click.echo(f"cs: skipped {name}: a live session is writing it (scrub again once it ends)", err=True)
