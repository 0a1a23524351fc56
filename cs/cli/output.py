"""Output formatting: local times, durations, snippets, JSON, tables. Only the cli package prints."""

import sys

import click

from cs.log.timestamps import parse_timestamp


def local_time(ts, with_seconds=True):
    """A log timestamp in the user's time zone, for reading; '-' if there is none."""
    if not ts:
        return "-"
    moment = parse_timestamp(ts)
    if moment is None:
        return ts
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def color_enabled():
    import os

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
        out.append(click.style(text[s:e], fg="red", bold=True) if color else text[s:e])
        pos = e
    out.append(text[pos:end])
    return ("…" if start > 0 else "") + "".join(out) + ("…" if end < len(text) else "")


def emit_json(items, lines: bool) -> None:
    """What `--json` and `--jsonl` mean on every command (docs/usage.md):
    `--json` writes one JSON document (a listing is an array), `--jsonl` one
    JSON object per line (for streaming into jq -c, grep, head)."""
    import json

    if lines:
        click.echo("".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items), nl=False)
    else:
        click.echo(json.dumps(list(items), ensure_ascii=False, indent=2, default=str))


def json_options(f):
    """--json and --jsonl for a command that lists things."""
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

    click.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))


def session_row(s: dict, size_key: str = "bytes") -> str:
    from cs.units import format_size

    when = (s.get("ended_at") or "?")[:16].replace("T", " ")
    project = s.get("project") or "-"
    reasons = f"  ({', '.join(s['reasons'])})" if s.get("reasons") else ""
    return f"  {s['id']}  {when}  {format_size(s[size_key]):>8}  {project}{reasons}"
