"""The common forms of the reading commands, without click.

`cs search WORDS...`, `cs list` and `cs show ID`, with at most `-n/--limit N`,
`--json`, `--jsonl` and `--team` (search, list), are parsed here and run through the same
functions as the click commands (cs.cli.answers): importing click and what it
imports (inspect, typing, uuid, datetime, ...) is about a third of such a
command's time. Anything else -- another option, `--`, a word starting with
`-`, help, a bad value, shell completion -- returns None, and cs.main runs the
click command as before, which parses (or refuses) it as it always did
(tests/test_cli_quick.py runs both on the same arguments).
"""

import os

MAX_LIMIT = 1_000_000  # as cs.cli.ask's --limit (click.IntRange(1, MAX_LIMIT))
LIMIT = ("-n", "--limit")
JSON = {"--json": "as_json", "--jsonl": "as_jsonl"}


def parse(argv):
    """A function that runs the command argv asks for, or None (let click parse it)."""
    if not argv or os.environ.get("_CS_COMPLETE"):
        return None
    name, args = argv[0], argv[1:]
    if name == "show":
        if len(args) == 1 and not args[0].startswith("-"):
            return lambda: _run("show_cmd", args[0])
        return None
    if name not in ("search", "list"):
        return None
    words, options, i = [], {}, 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-"):
            words.append(arg)
        elif arg in JSON and JSON[arg] not in options:
            options[JSON[arg]] = True
        elif arg == "--team" and "team" not in options:
            options["team"] = True  # what the team shared: psycopg's import is most of it, click need not add to it
        elif arg in LIMIT or arg.startswith("--limit="):
            if "limit" in options:
                return None
            if arg.startswith("--limit="):
                value = arg[len("--limit=") :]
            elif i + 1 < len(args):
                i += 1
                value = args[i]
            else:
                return None
            if not (value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_LIMIT):
                return None
            options["limit"] = int(value)
        else:
            return None
        i += 1
    if name == "search":
        if not words:
            return None
        return lambda: _run("search_cmd", tuple(words), **options)
    if words:
        return None
    return lambda: _run("list_cmd", **options)


def _run(name, *args, **kwargs):
    """What click's group and main do around a command: the identity source for
    encrypted logs first; ^C or end of input ends it as click's Abort does."""
    from cs.cli import answers, install_identity_source

    install_identity_source()
    try:
        return getattr(answers, name)(*args, **kwargs)
    except (EOFError, KeyboardInterrupt):
        from cs.cli.output import echo

        echo(err=True)
        raise Aborted() from None


class Aborted(Exception):
    """click.exceptions.Abort's place on the quick path (`cs: aborted`, 130)."""
