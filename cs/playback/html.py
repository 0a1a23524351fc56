"""A session as one self-contained HTML file that plays offline.

The page inlines asciinema-player 3.17.0 (vendored from the npm registry with
its Apache-2.0 license in cs/playback/assets/) and the session as an
asciicast v2 (the player's best-supported format). Nothing is fetched.

The recording is untrusted text: it goes into a `<script
type="application/json">` block with `<`, `>`, `&` and the JavaScript line
separators escaped as \\uXXXX, so no `</script>` or comment in it can end the
block; the title goes through html.escape. tests/test_playback_export.py
plays a page in headless Chromium and reads the terminal text from it.
"""

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


def page(cast_text: str, title: str, cols: int, rows: int, idle_time_limit=None) -> str:
    options = {"cols": cols, "rows": rows, "preload": True, "fit": "width", "terminalFontSize": "small"}
    if idle_time_limit:
        options["idleTimeLimit"] = idle_time_limit
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' blob:; worker-src blob:; style-src 'unsafe-inline'; img-src data:; font-src data:">
<title>{html.escape(title)}</title>
<style>{_asset("asciinema-player.css")}</style>
<style>body {{ background: #121314; color: #ccc; font-family: sans-serif; margin: 1em; }}</style>
</head><body>
<h1 style="font-size: 1em">{html.escape(title)}</h1>
<div id="player"></div>
<script type="application/json" id="cs-cast">{script_json(cast_text)}</script>
<script type="application/json" id="cs-options">{script_json(options)}</script>
<script>{_asset("asciinema-player.min.js")}</script>
<script>
  const cast = JSON.parse(document.getElementById("cs-cast").textContent);
  const options = JSON.parse(document.getElementById("cs-options").textContent);
  window.csPlayer = AsciinemaPlayer.create({{data: cast}}, document.getElementById("player"), options);
</script>
</body></html>
"""


def write(out, logs_dir, session_id, idle_time_limit=None) -> None:
    from cs.playback import asciicast

    buf = io.StringIO()
    asciicast.write(buf, logs_dir, session_id, version=2, idle_time_limit=idle_time_limit)
    cast = buf.getvalue()
    head = json.loads(cast.split("\n", 1)[0])
    title = head.get("title") or f"cs session {session_id[:8]}"
    out.write(page(cast, title, head["width"], head["height"], idle_time_limit))
