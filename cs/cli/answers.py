"""What `cs search`, `cs list` and `cs show` do once their arguments are parsed:
ask cs.ask, print the answer. No click here: the click commands (cs.cli.ask)
and the quick path (cs.cli.quick, which runs their common forms without
importing click) both call these, so both print the same."""

import sys

from cs.cli.common import (
    CsError,
    UsageError,
    make_filters,
    open_index,
    raw_bytes_notice,
    resolve,
)
from cs.cli.output import color_enabled, duration, echo, emit_json, local_time, snippet, style, terminal_columns
from cs.errors import NoMatches, NotFound


def search_cmd(
    query,
    session_prefix=None,
    cwd=None,
    project=None,
    since=None,
    until=None,
    source=None,
    kind=None,
    direction=None,
    fts=False,
    regex=False,
    rank=False,
    limit=20,
    as_json=False,
    as_jsonl=False,
    team=False,
    member=None,
):

    from cs.ask import search

    if not query:
        raise CsError("nothing to search for: cs search WORDS...")
    if member and not team:
        raise UsageError("--member names a member of the team: it goes with --team")
    if team:
        return _search_team(
            query,
            limit,
            as_json,
            as_jsonl,
            member,
            fts,
            locally_only=(session_prefix, cwd, since, until, source, kind, direction, regex, rank, project),
        )
    if fts and regex:
        raise UsageError("--fts and --regex cannot be used together (choose one query syntax)")
    if rank and regex:
        raise UsageError("--rank cannot be used with --regex (ranking is by FTS5 relevance)")
    mode = "fts" if fts else "regex" if regex else None
    if kind:
        home = "screen" if kind == "chrome" else "transcript"  # chrome: the screen's; the others: the transcript's
        source = source or home
        if source != home:
            raise UsageError(f"--kind {kind} is about {home} lines; it cannot go with --source {source}")
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
    width = max(40, terminal_columns(120) - 4)
    for hit in hits:
        direction_label = {"input": "in ", "output": "out", "transcript": hit.kind or "claude"}[hit.direction]
        head = f"{local_time(hit.ts)}  {hit.session_id[:8]}  {hit.project or '-'}  {direction_label}"
        if hit.provisional:
            head += "  (live: still on screen)"
        replay = " ".join(hit.replay_args())
        if color:
            head = style(head, fg="cyan")
            replay = style(replay, dim=True)
        echo(head)
        echo("  " + snippet(hit.text, hit.spans, width, color))
        echo("  " + replay)


def _search_team(query, limit, as_json, as_jsonl, member, fts, locally_only) -> None:
    """`cs search --team WORDS`: literal words (or --fts words), in the team's database."""
    if any(locally_only):
        raise UsageError(
            "--team searches literal words, or words with --fts (with --member, -n, --json, --jsonl);"
            " the other options are for the local index"
        )
    from cs.cli import team_answers

    team_answers.search_team(query, limit, as_json, as_jsonl, member=member, fts=fts)


def _team_only(team, member, unmapped=()) -> None:
    """--member goes with --team; options of the local index do not."""
    if member and not team:
        raise UsageError("--member names a member of the team: it goes with --team")
    if team and any(value for _name, value in unmapped):
        names = ", ".join(name for name, value in unmapped if value)
        raise UsageError(f"{names}: not with --team (these are about the local index and its logs)")


def list_cmd(
    session_prefix=None,
    cwd=None,
    project=None,
    since=None,
    until=None,
    limit=None,
    as_json=False,
    as_jsonl=False,
    team=False,
    member=None,
):

    from cs import units
    from cs.ask import sessions
    from cs.log import paths

    _team_only(team, member, (("--session", session_prefix), ("--cwd", cwd)))
    if team:
        from cs.cli import team_answers

        return team_answers.list_team(member, project, since, until, limit, as_json, as_jsonl)
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
        echo("no sessions", err=True)
        return
    table = [("STARTED", "DURATION", "ID", "PROJECT", "COMMAND", "EXIT", "SIZE", "STATUS")]
    for r in rows:
        unrecorded = r.get("source") == "transcript"  # no recording: Claude Code's transcript only
        table.append(
            (
                local_time(r["started_at"], with_seconds=False),
                duration(r["started_at"], r["ended_at"] or r["last_event_at"]),
                r["id"][:8],
                r["project"] or "-",
                (r["command"] or "-")[:40],
                "-" if r["exit_code"] is None else str(r["exit_code"]),
                "-" if unrecorded else units.format_size(r["log_bytes"] or 0),
                "transcript-only" if unrecorded else r["status"],
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


def show_cmd(
    session_id,
    raw=False,
    pattern=None,
    ignore_case=False,
    context=0,
    conversation=False,
    tools=False,
    screen=False,
    team=False,
    member=None,
    as_json=False,
):
    """The story of the session (cs.story), or its screen alone (--screen),
    Claude Code's transcript alone (--conversation), the bytes (--raw); with
    --team, the story a member shared, rendered the same way (cs.story.text)."""
    from cs.ask import sessions
    from cs.log import paths

    views = [name for name, on in (("--conversation", conversation), ("--screen", screen), ("--raw", raw)) if on]
    if len(views) > 1:
        raise UsageError(f"{' and '.join(views)} show different things; pick one")
    if raw and (pattern or ignore_case or context or tools):
        raise UsageError("--raw writes the original bytes: it cannot be combined with --grep, -i, -C or --tools")
    _team_only(team, member, (("--raw", raw), ("--screen", screen), ("--conversation", conversation)))
    if as_json and not team:
        raise UsageError("--json goes with --team (locally: cs export --format text, or the web API)")
    if as_json and pattern:
        raise UsageError("--json writes the whole story: it cannot be combined with --grep")
    if team:
        from cs.cli import team_cmd

        lines = team_cmd.show_team(session_id, member, tools, as_json)
        if lines is None:
            return
        return _print_lines(lines, pattern, ignore_case, context)
    db = open_index()
    sid = resolve(db, session_id)
    logs = paths.logs_dir()
    if raw or screen:
        sessions.require_recording(db, sid, "show raw" if raw else "show the screen of")
    if conversation:
        from cs.claude import conversation as talk

        items = talk.entries(db, sid)
        if not items:
            raise NotFound(f"session {sid[:8]} has no Claude Code transcript (`cs show {sid[:8]}` shows its story)")
        lines = talk.as_text(items, tools, width=terminal_columns(120) - 12, local_time=local_time)
    elif raw:
        raw_bytes_notice()
        out = sys.stdout.buffer
        for chunk in sessions.raw_output(logs, sid):
            out.write(chunk)
        out.flush()
        return
    else:
        from cs.story.build import build_story
        from cs.story.text import as_lines

        story = build_story(logs, sid, db=None if screen else db)
        for note in story.notes:
            echo(f"cs: {note}", err=True)
        lines = as_lines(story.entries, tools=tools)
    return _print_lines(lines, pattern, ignore_case, context)


def _print_lines(lines, pattern, ignore_case, context):
    """The lines of a story, or with --grep only those matching (and -C around)."""
    import re

    from cs.ask import sessions

    if not pattern:
        for line in lines:
            echo(line)
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
            echo("--")
        for i, is_match in group:
            text = lines[i]
            if color and is_match:
                text = regex.sub(lambda m: style(m.group(0), fg="red", bold=True), text)
            echo(text)
