"""`cs search`, `cs list`, `cs show`: questions to the index."""

import sys

import click

from cs.cli import cli
from cs.cli.common import (
    CsError,
    UsageError,
    make_filters,
    open_index,
    raw_bytes_notice,
    resolve,
    session_filter_options,
)
from cs.cli.output import color_enabled, duration, emit_json, json_options, local_time, snippet
from cs.errors import NoMatches, NotFound

MAX_LIMIT = 1_000_000  # --limit, -C: beyond this a number is a typo (and would overflow SQLite)


@cli.command("search")
@click.argument("query", nargs=-1)
@session_filter_options
@click.option(
    "--source",
    type=click.Choice(["screen", "typed", "transcript"]),
    help="Only what the screen showed, what was typed, or Claude Code's transcript.",
)
@click.option(
    "--kind",
    type=click.Choice(["prompt", "reply", "tool", "result"]),
    help="Only transcript lines of this kind (implies --source transcript).",
)
@click.option("--input", "direction", flag_value="input", help="Only what was typed (--source typed).")
@click.option("--output", "direction", flag_value="output", help="Only what the screen showed (--source screen).")
@click.option("--fts", is_flag=True, help="QUERY is raw SQLite FTS5 syntax.")
@click.option("--regex", is_flag=True, help="QUERY is a Python regular expression.")
@click.option("--rank", is_flag=True, help="Most relevant first (default: newest first).")
@click.option(
    "-n", "--limit", default=20, show_default=True, type=click.IntRange(1, MAX_LIMIT), help="At most this many hits."
)
@json_options
def search_cmd(
    query,
    session_prefix,
    cwd,
    project,
    since,
    until,
    source,
    kind,
    direction,
    fts,
    regex,
    rank,
    limit,
    as_json,
    as_jsonl,
):
    """Find lines that the screen showed or that you typed.

    Words are literal (quotes make a phrase; * - ( ) : NEAR AND OR are plain
    characters) and match anywhere in a line: 1234 finds E1234."""
    import shutil

    from cs.ask import search

    if not query:
        raise CsError("nothing to search for: cs search WORDS...")
    if fts and regex:
        raise UsageError("--fts and --regex cannot be used together (choose one query syntax)")
    if rank and regex:
        raise UsageError("--rank cannot be used with --regex (ranking is by FTS5 relevance)")
    mode = "fts" if fts else "regex" if regex else None
    if kind:
        source = source or "transcript"
        if source != "transcript":
            raise UsageError(f"--kind {kind} is about transcript lines; it cannot go with --source {source}")
    if source:
        wanted = search.DIRECTIONS_BY_SOURCE[source]
        if direction and direction != wanted:
            raise UsageError(f"--{direction} and --source {source} contradict each other")
        direction = wanted
    filters = make_filters(session_prefix, cwd, project, since, until, direction)
    filters.kind = kind
    db = open_index()
    if filters.session:
        filters.session = resolve(db, filters.session)
    hits = search.search(db, query, filters, limit=limit, mode=mode or "literal", rank=rank)
    if as_json or as_jsonl:
        emit_json([hit.as_dict() for hit in hits], lines=as_jsonl)
    if not hits:
        raise NoMatches("no matches")
    if as_json or as_jsonl:
        return
    color = color_enabled()
    width = max(40, shutil.get_terminal_size((120, 24)).columns - 4)
    for hit in hits:
        direction_label = {"input": "in ", "output": "out", "transcript": hit.kind or "claude"}[hit.direction]
        head = f"{local_time(hit.ts)}  {hit.session_id[:8]}  {hit.project or '-'}  {direction_label}"
        if hit.provisional:
            head += "  (live: still on screen)"
        replay = " ".join(hit.replay_args())
        if color:
            head = click.style(head, fg="cyan")
            replay = click.style(replay, dim=True)
        click.echo(head)
        click.echo("  " + snippet(hit.text, hit.spans, width, color))
        click.echo("  " + replay)


@cli.command("list")
@session_filter_options
@click.option("-n", "--limit", type=click.IntRange(1, MAX_LIMIT), help="At most this many sessions.")
@json_options
def list_cmd(session_prefix, cwd, project, since, until, limit, as_json, as_jsonl):
    """Recorded sessions, newest first."""
    from cs import units
    from cs.ask import sessions
    from cs.log import paths

    filters = make_filters(session_prefix, cwd, project, since, until)
    db = open_index()
    rows = sessions.list_sessions(db, filters, limit=limit)
    logs = paths.logs_dir()
    for row in rows:
        row["status"] = sessions.live_status(logs, row)
    if as_json or as_jsonl:
        emit_json(rows, lines=as_jsonl)
        return
    if not rows:
        click.echo("no sessions", err=True)
        return
    table = [("STARTED", "DURATION", "ID", "PROJECT", "COMMAND", "EXIT", "SIZE", "STATUS")]
    for r in rows:
        table.append(
            (
                local_time(r["started_at"], with_seconds=False),
                duration(r["started_at"], r["ended_at"] or r["last_event_at"]),
                r["id"][:8],
                r["project"] or "-",
                (r["command"] or "-")[:40],
                "-" if r["exit_code"] is None else str(r["exit_code"]),
                units.format_size(r["log_bytes"] or 0),
                r["status"],
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


@cli.command("show")
@click.argument("session_id")
@click.option("--raw", is_flag=True, help="Write the original output bytes (escape codes and all).")
@click.option("--grep", "pattern", metavar="PATTERN", help="Only lines matching PATTERN (a regex).")
@click.option("-i", "--ignore-case", is_flag=True, help="With --grep: ignore case.")
@click.option("-C", "--context", default=0, type=click.IntRange(0, MAX_LIMIT), help="With --grep: lines around.")
@click.option("--conversation", is_flag=True, help="Claude Code's transcript: prompts, replies, tool calls.")
@click.option("--tools", is_flag=True, help="With --conversation: tool inputs and results in full.")
def show_cmd(session_id, raw, pattern, ignore_case, context, conversation, tools):
    """A session as text as the screen showed it; input lines start with '> '."""
    import re
    import shutil

    from cs.ask import sessions
    from cs.log import paths

    if tools and not conversation:
        raise UsageError("--tools goes with --conversation")
    if conversation and raw:
        raise UsageError("--conversation and --raw show different things; pick one")
    if raw and (pattern or ignore_case or context):
        raise UsageError("--raw writes the original bytes: it cannot be combined with --grep, -i or -C")
    db = open_index()
    sid = resolve(db, session_id)
    logs = paths.logs_dir()
    if conversation:
        from cs.claude import conversation as talk

        items = talk.entries(db, sid)
        if not items:
            raise NotFound(f"session {sid[:8]} has no Claude Code transcript (`cs show {sid[:8]}` shows its screen)")
        for line in talk.as_text(
            items, tools, width=shutil.get_terminal_size((120, 24)).columns - 12, local_time=local_time
        ):
            click.echo(line)
        return
    if raw:
        raw_bytes_notice()
        out = sys.stdout.buffer
        for chunk in sessions.raw_output(logs, sid):
            out.write(chunk)
        out.flush()
        return
    # An output line may hold rows a program word-wrapped (cs.index.paragraphs):
    # shown, and grepped, as the rows the screen showed.
    lines = [
        row
        for kind, text, _m in sessions.session_text(logs, sid)
        for row in (["> " + text] if kind == "input" else text.split("\n"))
    ]
    if not pattern:
        for line in lines:
            click.echo(line)
        return
    try:
        regex = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as e:
        raise CsError(f"invalid --grep pattern {pattern!r}: {e}") from None
    groups = sessions.grep_lines(lines, regex, context)
    if not groups:
        raise NoMatches(f"no line matches {pattern!r}")
    color = color_enabled()
    for gi, group in enumerate(groups):
        if gi and context:
            click.echo("--")
        for i, is_match in group:
            text = lines[i]
            if color and is_match:
                text = regex.sub(lambda m: click.style(m.group(0), fg="red", bold=True), text)
            click.echo(text)
