"""The figures of `cs stats` as small SVG charts, drawn on the server.

Labels come from the data (project and model names are untrusted): they are
XML-escaped; no script, no external reference. Tests: tests/test_web.py.
"""

from xml.sax.saxutils import escape

BAR_W, GAP, H = 14, 4, 120


def bars(title: str, items: list, unit: str = "") -> str:
    """A vertical bar chart of [(label, value)]."""
    if not items:
        return f'<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40" role="img"><title>{escape(title)}</title><text x="4" y="24">no data</text></svg>'
    top = max(v for _, v in items) or 1
    width = max(300, len(items) * (BAR_W + GAP) + 40)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{H + 40}" role="img">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        h = round(H * value / top)
        x = 20 + i * (BAR_W + GAP)
        out.append(
            f'<rect class="bar" x="{x}" y="{H - h + 10}" width="{BAR_W}" height="{h}">'
            f"<title>{escape(str(label))}: {value}{escape(unit)}</title></rect>"
        )
    out.append(f'<text x="20" y="{H + 32}">{escape(str(items[0][0]))}</text>')
    out.append(f'<text x="{width - 20}" y="{H + 32}" text-anchor="end">{escape(str(items[-1][0]))}</text>')
    out.append("</svg>")
    return "".join(out)


def hbars(title: str, items: list) -> str:
    """Horizontal bars with labels: top projects, tokens by model."""
    if not items:
        return bars(title, [])
    top = max(v for _, v in items) or 1
    row = 22
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="560" height="{len(items) * row + 10}" role="img">',
        f"<title>{escape(title)}</title>",
    ]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = round(300 * value / top)
        out.append(f'<text x="0" y="{y + 15}">{escape(str(label)[:32])}</text>')
        out.append(f'<rect class="bar" x="220" y="{y + 3}" width="{w}" height="16"/>')
        out.append(f'<text x="{226 + w}" y="{y + 15}">{value}</text>')
    out.append("</svg>")
    return "".join(out)


def heatmap(title: str, by_hour: dict) -> str:
    """Sessions by hour of the day, as shaded cells."""
    top = max(by_hour.values() or [0]) or 1
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{24 * 22 + 10}" height="60" role="img">',
        f"<title>{escape(title)}</title>",
    ]
    for hour in range(24):
        n = by_hour.get(hour, by_hour.get(str(hour), 0))
        shade = round(0.1 + 0.9 * n / top, 2) if n else 0.05
        out.append(
            f'<rect class="cell" x="{5 + hour * 22}" y="5" width="20" height="30" fill-opacity="{shade}">'
            f"<title>{hour:02d}:00 — {n}</title></rect>"
        )
        if hour % 6 == 0:
            out.append(f'<text x="{5 + hour * 22}" y="52">{hour:02d}</text>')
    out.append("</svg>")
    return "".join(out)


def all_charts(figures: dict) -> dict:
    s, t = figures["sessions"], figures["tokens"]
    models = sorted(
        ((m, v["input_tokens"] + v["output_tokens"]) for m, v in t["by_model"].items()), key=lambda x: -x[1]
    )
    return {
        "per_day": bars("Sessions per day", list(s["per_day"].items())[-60:]),
        "hours": heatmap("Sessions by hour of the day", s["by_hour"]),
        "projects": hbars("Top projects", s["top_projects"]),
        "models": hbars("Tokens by model (input + output)", models),
    }
