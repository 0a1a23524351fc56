"""What `cs search --team` and `cs list --team` print: the reading commands'
team answers that the quick path (cs.cli.quick) runs, so nothing here imports
click (psycopg's import is most of such a command already). Each reads the
team database with cs.team (docs/team.md); tests/test_team.py and
tests/test_team_reading.py run them as alice and bob, tests/test_cli_quick.py
with and without click."""

from cs.cli.output import echo, local_time


def search_team(query, limit: int, as_json: bool, as_jsonl: bool, member=None, fts=False) -> None:
    """`cs search --team`: what the team shared, each hit with its owner
    (`--member`: one member's; `--fts`: PostgreSQL full-text words)."""
    from cs.cli.output import emit_json
    from cs.errors import NoMatches
    from cs.team import connect
    from cs.team import search as team_search

    with connect.used(read=True) as conn:
        hits = team_search.search(conn, query, limit=limit, member=member, fts=fts)
    if as_json or as_jsonl:
        emit_json(hits, lines=as_jsonl)
    if not hits:
        raise NoMatches("no matches in the team database")
    if as_json or as_jsonl:
        return
    for hit in hits:
        label = hit["kind"] or {"input": "in", "output": "out"}.get(hit["direction"], hit["direction"])
        echo(
            f"{local_time(hit['ts']) if hit['ts'] else '-'}  {hit['owner']}  {hit['session_id'][:8]}  {hit['project'] or '-'}  {label}"
        )
        echo("  " + hit["text"].replace("\n", " ")[:300])


def read_once(fn, *args, **kwargs):
    """One read of the team database (a connection of its own), the last error cleared."""
    from cs.team import connect

    with connect.used(read=True) as conn:
        answer = fn(conn, *args, **kwargs)
    return answer


def list_team(member, project, since, until, limit, as_json: bool, as_jsonl: bool) -> None:
    """`cs list --team`: the team's shared sessions, newest first, each with its owner."""
    from cs import units
    from cs.cli.common import utc_bound
    from cs.cli.output import duration, emit_json
    from cs.team import read

    read.check_member(member)
    rows = read_once(
        read.list_sessions,
        member=member,
        project=project,
        since=utc_bound(since, "--since"),
        until=utc_bound(until, "--until"),
        limit=limit,
    )
    if as_json or as_jsonl:
        emit_json(rows, lines=as_jsonl)
        return
    if not rows:
        echo("no shared sessions" + (f" of {member}" if member else ""), err=True)
        return
    table = [("STARTED", "DURATION", "OWNER", "ID", "PROJECT", "COMMAND", "EXIT", "SIZE", "SHARED")]
    for r in rows:
        table.append(
            (
                local_time(r["started_at"], with_seconds=False),
                duration(r["started_at"], r["ended_at"]),
                r["owner"],
                r["id"][:8],
                r["project"] or "-",
                (r["command"] or "-")[:40],
                "-" if r["exit_code"] is None else str(r["exit_code"]),
                units.format_size(r["log_bytes"] or 0) if r["log_bytes"] else "-",
                "story+recording" if r["recording"] else "story",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
