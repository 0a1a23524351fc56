"""`cs search`, `cs list`, `cs show`: questions to the index."""

import click

from cs.cli import cli
from cs.cli.common import session_filter_options
from cs.cli.output import json_options

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
    type=click.Choice(["prompt", "reply", "tool", "result", "command", "notice", "chrome"]),
    help="Only transcript lines of this kind (implies --source transcript); `chrome`: the screen's"
    " chrome (the input box, spinners, status lines), which is otherwise left out.",
)
@click.option("--input", "direction", flag_value="input", help="Only what was typed (--source typed).")
@click.option("--output", "direction", flag_value="output", help="Only what the screen showed (--source screen).")
@click.option(
    "--fts",
    is_flag=True,
    help="QUERY is raw SQLite FTS5 syntax; with --team, PostgreSQL full-text words (websearch syntax).",
)
@click.option("--regex", is_flag=True, help="QUERY is a Python regular expression.")
@click.option("--rank", is_flag=True, help="Most relevant first (default: newest first).")
@click.option("--team", is_flag=True, help="Search what the team shared (the team's PostgreSQL; docs/team.md).")
@click.option("--member", metavar="NAME", help="With --team: only what member NAME shared.")
@click.option(
    "-n", "--limit", default=20, show_default=True, type=click.IntRange(1, MAX_LIMIT), help="At most this many hits."
)
@json_options
def search_cmd(**options):
    """Find lines that the screen showed, that you typed, or that the Claude Code
    transcript holds. Claude Code's chrome (spinners, status lines, the input
    box) is left out unless asked for with --kind chrome.

    Words are literal (quotes make a phrase; * - ( ) : NEAR AND OR are plain
    characters) and match anywhere in a line: 1234 finds E1234."""
    from cs.cli import answers

    return answers.search_cmd(**options)


@cli.command("list")
@session_filter_options
@click.option("-n", "--limit", type=click.IntRange(1, MAX_LIMIT), help="At most this many sessions.")
@click.option("--team", is_flag=True, help="The sessions the team shared, each with its owner (docs/team.md).")
@click.option("--member", metavar="NAME", help="With --team: only member NAME's.")
@json_options
def list_cmd(**options):
    """Recorded sessions, newest first (--team: the team's shared sessions)."""
    from cs.cli import answers

    return answers.list_cmd(**options)


@cli.command("show")
@click.argument("session_id")
@click.option("--raw", is_flag=True, help="Write the original output bytes (escape codes and all).")
@click.option("--grep", "pattern", metavar="PATTERN", help="Only lines matching PATTERN (a regex).")
@click.option("-i", "--ignore-case", is_flag=True, help="With --grep: ignore case.")
@click.option("-C", "--context", default=0, type=click.IntRange(0, MAX_LIMIT), help="With --grep: lines around.")
@click.option("--screen", is_flag=True, help="The screen alone (cleaned the same way), without the transcript.")
@click.option("--conversation", is_flag=True, help="Claude Code's transcript alone: prompts, replies, tool calls.")
@click.option("--tools", is_flag=True, help="Tool calls' inputs and results in full.")
@click.option("--team", is_flag=True, help="A session the team shared: ID, or OWNER/ID (docs/team.md).")
@click.option("--member", metavar="NAME", help="With --team: the session of member NAME.")
@click.option("--json", "as_json", is_flag=True, help="With --team: the session and its story as JSON.")
def show_cmd(**options):
    """The story of a session: each prompt, reply, tool call and what only the
    screen showed, once, in order, without the chrome a terminal UI redraws.
    Prompts start with '> ', replies with '● ', tool calls with '⚙ '.
    With --team, the story a member shared, told the same way."""
    from cs.cli import answers

    return answers.show_cmd(**options)
