"""A session as one self-contained HTML file that plays offline.

The page inlines asciinema-player 3.17.0 (vendored from the npm registry with
its Apache-2.0 license in cs/playback/assets/) and the session as an
asciicast v2 (the player's best-supported format), and beside the player the
story of the session (cs.story): each entry opens the player at its moment.
The player's poster is the session's last screen. Nothing is fetched.

The recording is untrusted text: it goes into a `<script
type="application/json">` block with `<`, `>`, `&` and the JavaScript line
separators escaped as \\uXXXX, so no `</script>` or comment in it can end the
block; the title goes through html.escape, and the story's texts are set as
text nodes (never markup). tests/test_playback_export.py plays a page in
headless Chromium and reads the terminal text from it; tests/test_story.py
clicks a story entry there.
"""

import bisect
import html
import io
import json
from importlib import resources

_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(value) -> str:
    """JSON safe to place inside a <script> element."""
    text = json.dumps(value, ensure_ascii=False)
    for ch, escaped in _ESCAPES.items():
        text = text.replace(ch, escaped)
    return text


def _asset(name: str) -> str:
    return resources.files("cs.playback").joinpath("assets", name).read_text(encoding="utf-8")


def page(cast_text: str, title: str, cols: int, rows: int, idle_time_limit=None, story=()) -> str:
    """The page. `story`: [{"t": seconds into the cast, "kind", "text"}]."""
    options = {"cols": cols, "rows": rows, "preload": True, "fit": "width", "terminalFontSize": "small"}
    if idle_time_limit:
        options["idleTimeLimit"] = idle_time_limit
    last = _last_time(cast_text, idle_time_limit)
    if last:
        options["poster"] = f"npt:{last:.3f}"  # the last screen, never a black box
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' blob:; worker-src blob:; style-src 'unsafe-inline'; img-src data:; font-src data:">
<title>{html.escape(title)}</title>
<style>{_asset("asciinema-player.css")}</style>
<style>
body {{ background: #121314; color: #ccc; font-family: sans-serif; margin: 1em; }}
#cs-main {{ display: flex; gap: 1em; align-items: flex-start; }}
#player {{ flex: 3; min-width: 0; }}
#cs-story {{ flex: 2; max-height: 90vh; overflow: auto; list-style: none; padding: 0; margin: 0; font-size: 0.85em; }}
#cs-story li {{ white-space: pre-wrap; padding: 0.3em 0.5em; border-left: 3px solid #333; margin-bottom: 0.3em; cursor: pointer; }}
#cs-story li:hover {{ background: #1d1f21; }}
#cs-story li.prompt {{ border-color: #6aa0ff; color: #fff; }}
#cs-story li.reply {{ border-color: #d98a5f; }}
#cs-story li.tool, #cs-story li.result {{ border-color: #7c7; font-family: monospace; }}
#cs-story li.screen, #cs-story li.output, #cs-story li.exit {{ font-family: monospace; color: #aaa; }}
</style>
</head><body>
<h1 style="font-size: 1em">{html.escape(title)}</h1>
<div id="cs-main"><div id="player"></div><ol id="cs-story"></ol></div>
<script type="application/json" id="cs-cast">{script_json(cast_text)}</script>
<script type="application/json" id="cs-options">{script_json(options)}</script>
<script type="application/json" id="cs-story-data">{script_json(list(story))}</script>
<script>{_asset("asciinema-player.min.js")}</script>
<script>
  const cast = JSON.parse(document.getElementById("cs-cast").textContent);
  const options = JSON.parse(document.getElementById("cs-options").textContent);
  window.csPlayer = AsciinemaPlayer.create({{data: cast}}, document.getElementById("player"), options);
  const list = document.getElementById("cs-story");
  const marks = {{prompt: "> ", reply: "● ", tool: "⚙ ", result: "↳ "}};
  for (const entry of JSON.parse(document.getElementById("cs-story-data").textContent)) {{
    const item = document.createElement("li");
    item.className = entry.kind;
    item.textContent = (marks[entry.kind] || "") + entry.text;
    if (entry.t !== null) {{
      item.title = "play from here";
      item.addEventListener("click", () => window.csPlayer.seek(entry.t));
    }}
    list.appendChild(item);
  }}
</script>
</body></html>
"""


def write(out, logs_dir, session_id, idle_time_limit=None, db=None) -> None:
    from cs.playback import asciicast
    from cs.story.build import build_story

    buf = io.StringIO()
    asciicast.write(buf, logs_dir, session_id, version=2, idle_time_limit=idle_time_limit)
    cast = buf.getvalue()
    head = json.loads(cast.split("\n", 1)[0])
    title = head.get("title") or f"cs session {session_id[:8]}"
    story = build_story(logs_dir, session_id, db=db)
    items = story_items(story.entries, head.get("timestamp"), cast, idle_time_limit)
    out.write(page(cast, title, head["width"], head["height"], idle_time_limit, items))


def story_items(entries, started, cast_text: str, idle_time_limit=None) -> list:
    """The story for the page: each entry's moment in the player's time (the
    cast's, idle stretches cut as the player cuts them)."""
    from cs.log.timestamps import parse_timestamp

    times = _event_times(cast_text)
    played = _played(times, idle_time_limit)
    out = []
    for e in entries:
        t = None
        moment = parse_timestamp(e.at[2] if e.at and len(e.at) > 2 else e.ts)
        if moment is not None and started is not None and times:
            real = moment.timestamp() - started
            i = max(0, bisect.bisect_right(times, real) - 1)
            t = round(played[i] + max(0.0, min(real - times[i], idle_time_limit or real)), 3)
        out.append({"t": t, "kind": e.kind, "text": e.text})
    return out


def _event_times(cast_text: str) -> list:
    times = []
    for line in cast_text.split("\n")[1:]:
        if line.startswith("["):
            try:
                times.append(float(json.loads(line)[0]))
            except (ValueError, IndexError, TypeError):
                continue
    return times


def _played(times: list, idle_time_limit) -> list:
    """Each event's time in the player, pauses longer than the limit cut to it."""
    out, clock, previous = [], 0.0, 0.0
    for t in times:
        gap = t - previous
        clock += min(gap, idle_time_limit) if idle_time_limit else gap
        out.append(clock)
        previous = t
    return out


def _last_time(cast_text: str, idle_time_limit) -> float:
    played = _played(_event_times(cast_text), idle_time_limit)
    return played[-1] if played else 0.0
