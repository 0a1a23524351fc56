"""Output formatting: local times, durations, snippets, JSON, tables. Only the cli package prints."""

import sys

import click



def local_time(ts, with_seconds=True):
    from datetime import datetime

    if not ts:
        return "-"
    try:
        t = datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return ts
    return t.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


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


def json_line(obj):
    import json

    click.echo(json.dumps(obj, ensure_ascii=False))


def duration(start, end):
    from datetime import datetime

    try:
        a = datetime.fromisoformat(start.replace("Z", "+00:00"))
        b = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return "-"
    secs = int((b - a).total_seconds())
    if secs < 60:
        return f"{secs}s"
    if secs < 3600:
        return f"{secs // 60}m{secs % 60:02d}s"
    return f"{secs // 3600}h{secs % 3600 // 60:02d}m"


def print_json(data) -> None:
    import json

    click.echo(json.dumps(data, indent=2, default=str))


def session_row(s: dict, size_key: str = "bytes") -> str:
    from cs.units import format_size

    when = (s.get("ended_at") or "?")[:16].replace("T", " ")
    project = s.get("project") or "-"
    reasons = f"  ({', '.join(s['reasons'])})" if s.get("reasons") else ""
    return f"  {s['id']}  {when}  {format_size(s[size_key]):>8}  {project}{reasons}"
