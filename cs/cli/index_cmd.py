"""`cs index`: one pass, --watch, --daemon, --rebuild."""

import sys

import click

from cs.cli import cli
from cs.cli.common import (
    CsError,
    NullBar,
    UsageError,
    log_files,
    open_index,
    report_encrypted,
    report_skipped_files,
    skip_numpy,
)


def _team_shipper(report=None):
    """The team's shipper for the watcher (cs.team.follow): it ships followed
    sessions after the passes, in its own thread; without a team URL or
    psycopg it does nothing (psycopg is not imported)."""
    from cs.team import follow

    return follow.watcher_hook(report)


@cli.command("index")
@click.option("--watch", is_flag=True, help="Keep running; index new output as it is written.")
@click.option("--daemon", is_flag=True, help="Watch in the background (no-op if a watcher runs).")
@click.option("--rebuild", is_flag=True, help="Rebuild the whole index from the logs.")
@click.option("--stop", is_flag=True, help="Stop the background indexer of this cs home.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something is wrong.")
def index_cmd(watch, daemon, rebuild, stop, quiet):
    """Bring the search index up to date with the session logs."""
    from cs.index import watch as watchmod

    chosen = [
        name for name, on in (("--watch", watch), ("--daemon", daemon), ("--rebuild", rebuild), ("--stop", stop)) if on
    ]
    if len(chosen) > 1:
        raise UsageError(f"{' and '.join(chosen)} cannot be used together")
    if stop:
        try:
            pid = watchmod.stop_watcher()
        except (OSError, TimeoutError) as e:
            raise CsError(f"cannot stop the indexer: {e}") from None
        if not quiet:
            click.echo(f"indexer stopped (pid {pid})" if pid else "no indexer running")
        return
    if daemon:
        try:
            started = watchmod.start_daemon(on_pass=_team_shipper())
        except OSError as e:
            raise CsError(f"cannot start the indexer: {e}") from None
        if not quiet:
            click.echo("indexer started" if started else "indexer already running")
        return
    if watch:
        shipper = _team_shipper(lambda message: click.echo(f"cs index: {message}", err=True))
        sys.exit(watchmod.run_watch(on_pass=shipper))
    skip_numpy()
    from cs import units
    from cs.index import indexer
    from cs.log import locks

    if rebuild:
        total = sum(p.stat().st_size for p in log_files())
        show_bar = sys.stderr.isatty() and not quiet
        with (
            click.progressbar(length=total, label="rebuilding index", file=sys.stderr, show_eta=True)
            if show_bar
            else NullBar() as bar
        ):
            stats = indexer.rebuild(progress=bar.update)
    else:
        db = open_index(catch_up=False)
        with locks.held(locks.PASS):
            stats = indexer.index_pass(db, transcript_progress=None if quiet else transcript_progress_line())
    report_skipped_files(stats.skipped_files)
    # Encrypted sessions that could not be read are said once (the identity is
    # missing or wrong), not as errors: the others were indexed.
    stats.errors = [e for e in stats.errors if "EncryptedSession: " not in e]
    report_encrypted()
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
        if stats.transcript_sessions_found:
            click.echo(
                f"found {stats.transcript_sessions_found} Claude Code session(s) cs did not record, among "
                f"{stats.transcripts_seen} transcripts (`cs list` marks them transcript-only; "
                "`cs config archive_unrecorded off` takes in only recorded ones)"
            )
    if not rebuild:
        _ship_once(db, quiet)
    if stats.errors:
        sys.exit(1)


def _ship_once(db, quiet: bool) -> None:
    """After a one-shot pass, one round of the team's shipping, as the watcher
    does (bounded; a failure is said, kept for `cs team status`, and is no
    failure of the indexing)."""
    from cs.team import follow

    if not follow.team_ready():
        return
    result = follow.ship_round(db)
    if result["error"]:
        click.echo(f"cs index: team: {result['error']} (shipped later; `cs team status`)", err=True)
    elif result["shipped"] and not quiet:
        click.echo(f"shipped {result['shipped']} session(s) to the team ({result['rows']} rows)")


def transcript_progress_line(stream=None, every: float = 0.25):
    """A progress line on stderr while Claude Code's transcripts are taken in
    (the first run after install takes in all of them): redrawn in place on a
    terminal, else said once, when there are many."""
    import time

    stream = stream or sys.stderr
    tty = stream.isatty()
    state = {"shown": 0.0, "said": False}

    def progress(done, total):
        now = time.monotonic()
        if tty:
            if done == total or now - state["shown"] >= every:
                state["shown"] = now
                end = "\n" if done == total else ""
                stream.write(f"\rtaking in Claude Code transcripts: {done}/{total}{end}")
                stream.flush()
        elif not state["said"] and total >= 50:
            state["said"] = True
            stream.write(f"cs index: taking in {total} Claude Code transcripts...\n")
            stream.flush()

    return progress
