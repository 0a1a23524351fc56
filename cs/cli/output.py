"""Output formatting: local times, durations, snippets, JSON, tables. Only the cli package prints.

Importing it does not import click: `cs search`, `cs list` and `cs show` in their
common forms run without click (cs.cli.quick), so `echo` and `style` here write
exactly what click.echo and click.style write (tests/test_cli_quick.py).
"""

import os
import sys

from cs.log.timestamps import parse_timestamp

_ANSI = None  # click's strip_ansi pattern, compiled on first use

# click.style's colour codes (click.termui._ansi_colors)
_COLORS = {
    "black": 30,
    "red": 31,
    "green": 32,
    "yellow": 33,
    "blue": 34,
    "magenta": 35,
    "cyan": 36,
    "white": 37,
    "reset": 39,
    "bright_black": 90,
    "bright_red": 91,
    "bright_green": 92,
    "bright_yellow": 93,
    "bright_blue": 94,
    "bright_magenta": 95,
    "bright_cyan": 96,
    "bright_white": 97,
}


def style(text, fg=None, bold=None, dim=None) -> str:
    """click.style(text, fg=..., bold=..., dim=...), for the colours above."""
    bits = []
    if fg:
        bits.append(f"\033[{_COLORS[fg]}m")
    if bold is not None:
        bits.append(f"\033[{1 if bold else 22}m")
    if dim is not None:
        bits.append(f"\033[{2 if dim else 22}m")
    bits.append(str(text))
    bits.append("\033[0m")
    return "".join(bits)


def echo(message="", err=False, nl=True) -> None:
    """click.echo(message, err=err, nl=nl) for text: a newline added, escape
    sequences stripped when the stream is not a terminal, flushed at once
    (stdout and stderr stay in order). cs.cli.quick runs only where click would
    write to sys.stdout and sys.stderr as they are (not an ASCII-configured stream)."""
    global _ANSI
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    if _ascii_stream(stream):  # click re-wraps such a stream (UTF-8, replace): let it
        import click

        click.echo(message, err=err, nl=nl)
        return
    out = (message or "") + "\n" if nl else message
    if not out:
        stream.flush()
        return
    try:
        tty = stream.isatty()
    except ValueError:  # closed
        tty = False
    if not tty:
        if _ANSI is None:
            import re

            _ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")
        out = _ANSI.sub("", out)
    stream.write(out)
    stream.flush()


def _ascii_stream(stream) -> bool:
    """click's _stream_is_misconfigured: a text stream whose encoding is ASCII."""
    import codecs

    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        return False


def terminal_columns(default: int = 120) -> int:
    """shutil.get_terminal_size((default, 24)).columns, without importing shutil."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        size = os.get_terminal_size(sys.__stdout__.fileno())
    except (AttributeError, ValueError, OSError):
        return default
    return size.columns or default


def local_time(ts, with_seconds=True):
    """A log timestamp in the user's time zone, for reading; '-' if there is none."""
    if not ts:
        return "-"
    moment = parse_timestamp(ts)
    if moment is None:
        return ts
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def color_enabled():
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def snippet(text, spans, width, color):
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
        out.append(style(text[s:e], fg="red", bold=True) if color else text[s:e])
        pos = e
    out.append(text[pos:end])
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


def emit_json(items, lines: bool) -> None:
    """What `--json` and `--jsonl` mean on every command (docs/usage.md):
    `--json` writes one JSON document (a listing is an array), `--jsonl` one
    JSON object per line (for streaming into jq -c, grep, head)."""
    import json

    if lines:
        echo("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), nl=False)
    else:
        echo(json.dumps(list(items), ensure_ascii=False, indent=2, default=str))


def json_options(f):
    """--json and --jsonl for a command that lists things."""
    import click

    f = click.option("--jsonl", "as_jsonl", is_flag=True, help="One JSON object per line.")(f)
    f = click.option("--json", "as_json", is_flag=True, help="One JSON document (an array).")(f)
    return f


def duration(start, end):
    """`42s`, `3m05s`, `2h07m` between two log timestamps; '-' if either is missing."""
    a, b = parse_timestamp(start), parse_timestamp(end)
    if a is None or b is None:
        return "-"
    secs = int((b - a).total_seconds())
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    return f"{secs // 3600}h{secs % 3600 // 60:02d}m"


def print_json(data) -> None:
    """`--json` on a command whose answer is one object (prune, compress, config)."""
    import json

    echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def session_row(s: dict, size_key: str = "bytes") -> str:
    from cs.units import format_size

    when = (s.get("ended_at") or "?")[:16].replace("T", " ")
    project = s.get("project") or "-"
    reasons = f"  ({', '.join(s['reasons'])})" if s.get("reasons") else ""
    return f"  {s['id']}  {when}  {format_size(s[size_key]):>8}  {project}{reasons}"
