"""What the commands share: the error type, opening the index (caught up), resolving ids, option parsers.

Importing it does not import click (cs.cli.quick runs `cs search` and friends
without it): the option helpers import click when a command module uses them.
"""

import sys

from cs.cli.output import echo
from cs.errors import CsError, UsageError  # noqa: F401  (re-exported for the command modules)


def skip_numpy():
    """sqlite-utils imports numpy when it is installed, only to recognise numpy
    values we never insert: 0.1-0.2 s of every `cs search`. Keep it out."""
    if "numpy" not in sys.modules:
        sys.modules["numpy"] = None


def slow_catch_up_notice():
    """A progress callback that says, once, why the answer takes a while (a
    first run over a long history, with no watcher running)."""
    import time

    started, said = time.monotonic(), []

    def progress(_nbytes):
        if not said and time.monotonic() - started > 1.0:
            said.append(True)
            echo(
                "cs: indexing new session logs and Claude Code transcripts first (`cs index --daemon` keeps the "
                "index current in the background)...",
                err=True,
            )

    return progress


def open_index(catch_up: bool = True):
    """The index, brought up to date with the logs first (one incremental pass)
    so that answers are never stale, watcher or not."""
    skip_numpy()
    from cs.index import indexer

    def rebuilding(error):
        echo(f"cs: the index is unreadable ({error}); rebuilding it from the logs...", err=True)

    try:
        db = indexer.open_index_recovering(on_rebuild=rebuilding)
    except OSError as e:
        raise CsError(f"cannot open the index: {e}") from None
    if catch_up:
        result = indexer.catch_up(db, progress=slow_catch_up_notice())
        if result.stats is not None:
            report_skipped_files(result.stats.skipped_files)
        if result.stale:
            echo(f"cs: {result.stale}", err=True)
        report_encrypted()
    return db


def report_encrypted() -> None:
    """Once per command: sessions whose logs are encrypted and could not be
    read (no identity_file, or not the right one); the others went on."""
    from cs.log import crypto

    if crypto.unreadable and not crypto.reported:
        crypto.reported = True
        sids = sorted(crypto.unreadable)
        first = crypto.unreadable[sids[0]]
        if len(sids) == 1:
            echo(f"cs: {first}; the other sessions are read as usual", err=True)
            return
        why = first.split(" ", 2)[2] if first.startswith("session ") else first
        shown = ", ".join(s[:8] for s in sids[:5]) + (", ..." if len(sids) > 5 else "")
        echo(
            f"cs: {len(sids)} sessions ({shown}) {why.replace('is encrypted', 'are encrypted', 1)};"
            " the other sessions are read as usual",
            err=True,
        )


def raw_bytes_notice() -> None:
    """What --raw, replay and tail print is the log's own bytes: say, once on
    stderr, that redaction does not apply to them."""
    echo("cs: raw bytes are not redacted (secrets print as they were recorded)", err=True)


def report_skipped_files(names) -> None:
    """Once per command: what in logs/ is not a regular file, and was skipped."""
    if names:
        shown = ", ".join(sorted(names)[:3]) + (", ..." if len(names) > 3 else "")
        echo(f"cs: skipped {len(names)} name(s) in logs/ that are not regular files: {shown}", err=True)


def utc_bound(text, option):
    if text is None:
        return None
    from cs import units

    try:
        moment = units.parse_moment(text)
    except ValueError as e:
        raise CsError(f"{option}: {e}") from None
    from cs.log.timestamps import format_timestamp

    return format_timestamp(moment)


def resolve(db, prefix):
    from cs.ask import sessions

    return sessions.resolve_id(db, prefix)


def session_filter_options(f):
    import click

    # Applied last-first, so that --help lists them in this order.
    f = click.option("--until", metavar="WHEN", help="Older than WHEN: 7d, 12h, or a date.")(f)
    f = click.option("--since", metavar="WHEN", help="Newer than WHEN: 7d, 12h, or a date.")(f)
    f = click.option("--cwd", metavar="DIR", help="Only sessions started in DIR or below.")(f)
    f = click.option("--project", metavar="NAME", help="Only sessions of this project (git top level name).")(f)
    f = click.option("--session", "session_prefix", metavar="ID", help="Only this session (any unique id prefix).")(f)
    return f


def make_filters(session_prefix, cwd, project, since, until, direction=None):
    """The one Filters of a command's --session/--cwd/--project/--since/--until."""
    from cs.ask.filters import Filters

    return Filters(
        session=session_prefix,
        cwd=abs_cwd(cwd),
        project=project,
        since=utc_bound(since, "--since"),
        until=utc_bound(until, "--until"),
        direction=direction,
    )


def abs_cwd(cwd):
    import os

    return os.path.abspath(os.path.expanduser(cwd)) if cwd else None


def duration_or_date(ctx, param, value):
    """--older: a duration ago (30d) or a date; returns an aware UTC datetime."""
    if value is None:
        return None
    import click

    from cs.units import parse_moment

    text = value.strip()
    if text.startswith("-"):
        raise click.BadParameter(f"{value!r}: must not be negative (e.g. 30d, or a date YYYY-MM-DD)")
    try:
        return parse_moment(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def size_option(ctx, param, value):
    if value is None:
        return None
    import click

    from cs.units import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


class NullBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def log_files():
    from cs.log import paths, store

    return [p for segments in store.all_sessions(paths.logs_dir()).values() for p in segments.values()]
