"""`cs web`: a local viewer of sessions, search, playback, live sessions and stats.

What is here: the guard that lets only the user in (`guard`: loopback Host,
a token exchanged for a cookie, CSRF and Origin on anything that changes
state, a strict Content-Security-Policy), the JSON API and the pages (`app`),
charts drawn server-side as SVG (`charts`), templates and static assets
(vendored, no build step). Everything shown comes from terminals and
transcripts and is untrusted: templates autoescape, scripts set textContent,
never innerHTML, and no inline script is allowed by the CSP.

Needs the `web` extra (Starlette, uvicorn, Jinja2): `pip install 'cs-sessions[web]'`.
`team` is `cs web --team`: the same pages reading the team database.
May import: cs.log, cs.db, cs.index, cs.ask, cs.claude, cs.playback, cs.story,
cs.config, cs.units, cs.team (team.py only). Never cs.cli. Tests: tests/test_web.py (a real server, real Chromium).
"""
