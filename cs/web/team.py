"""`cs web --team`: the same viewer, reading what the team shared from the team
database (cs.team.read) instead of the local index.

The same pages and templates (a member column and a member filter in the
list; the session page with the shared story, and the player when its owner
shared the recording; search as you type), the same guard (cs.web.guard:
loopback Host, the token exchanged for a cookie, CSRF, the strict CSP),
the same error pages. Sessions are named OWNER/ID in every URL (two members'
ids never collide). Everything shown is redacted again with the reader's own
patterns and made printable (cs.team.read); templates autoescape it.
Each request opens its own connection (psycopg, imported only here, when
`--team` is given). Test: tests/test_team_reading.py
(test_cs_web_team_in_a_real_browser)."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cs.units import format_size
from cs.web.app import PAGE_SIZE, _moment, _page, _render, guarded


def _read(fn, *args, **kwargs):
    from cs.team import connect

    with connect.connect(read=True) as conn:
        return fn(conn, *args, **kwargs)


def _ref(request: Request) -> str:
    return f"{request.path_params['owner']}/{request.path_params['sid']}"


def _session_rows(request: Request):
    from cs.team import read

    q = request.query_params
    page = _page(request)

    def rows_and_members(conn):
        rows = read.list_sessions(
            conn,
            member=q.get("member") or None,
            project=q.get("project") or None,
            since=_moment(q.get("since")),
            until=_moment(q.get("until")),
            limit=PAGE_SIZE + 1,
            offset=page * PAGE_SIZE,
        )
        return rows, read.members(conn)

    rows, members = _read(rows_and_members)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    for row in rows:
        row["title"] = row.get("command") or ""
        row["size"] = format_size(row.get("log_bytes") or 0) if row.get("log_bytes") else "-"
    return rows, page, more, members


def page_sessions(request: Request):
    rows, page, more, members = _session_rows(request)
    context = {"rows": rows, "page": page, "more": more, "args": dict(request.query_params)}
    return _render(request, "sessions.html", dict(context, team=True, members=members))


def api_sessions(request: Request):
    rows, page, more, _members = _session_rows(request)
    return JSONResponse({"sessions": rows, "page": page, "more": more})


def _shared(request: Request):
    """(the cleaned session row, its Story) of OWNER/ID in the path."""
    from cs.team import read

    def both(conn):
        session = read.resolve(conn, _ref(request))
        return read.clean_row(session), read.story(conn, session)

    return _read(both)


def page_session(request: Request):
    from cs.story.model import PROMPT

    data, story = _shared(request)
    first = next((e.text for e in story.entries if e.kind == PROMPT), None)
    data["title"] = (first or data.get("command") or "")[:160]
    data["size"] = format_size(data.get("log_bytes") or 0)
    # A shared recording's positions are its events' (not the owner's log's):
    # an entry opens the player at its time.
    entries = [{"kind": e.kind, "text": e.text, "at": e.ts or "", "ts": e.ts or ""} for e in story.entries]
    return _render(
        request,
        "session.html",
        {"s": data, "entries": entries, "at": request.query_params.get("at", ""), "team": True},
    )


def api_story(request: Request):
    data, story = _shared(request)
    return JSONResponse({"session": data, "entries": [e.as_dict() for e in story.entries]})


def api_cast(request: Request):
    """The shared recording as an asciicast v3 for the player, from `at`
    (a time, a percentage, a date-time; default the start), as the local cast."""
    import io

    from cs.playback import asciicast
    from cs.playback.seek import parse_at, seek_events
    from cs.team import read

    def recording(conn):
        return read.recording(conn, read.resolve(conn, _ref(request)))

    start, items = _read(recording)
    target = parse_at(request.query_params.get("at") or None)
    out = io.StringIO()
    info = asciicast.write_window(
        out,
        None,
        request.path_params["sid"],
        target,
        seconds=24 * 3600.0,
        seeker=lambda t: seek_events(start, items, t),
    )
    return Response(
        out.getvalue(),
        media_type="application/x-asciicast",
        headers={"x-cs-starts-at": f"{info['starts_at']:.3f}", "x-cs-cut": "1" if info["cut"] else "0"},
    )


def page_search(request: Request):
    return _render(request, "search.html", {"q": request.query_params.get("q", ""), "team": True})


def api_search(request: Request):
    """Hits as the local API gives them (text, matches, timestamp, kind,
    source, project), each with its owner; grouped by OWNER/ID."""
    from cs.ask.search import split_terms
    from cs.team import search

    q = request.query_params.get("q", "").strip()
    if not q:
        return JSONResponse({"query": q, "hits": [], "sessions": []})
    member = request.query_params.get("member") or None
    try:
        limit = min(200, max(1, int(request.query_params.get("limit", 50))))
    except ValueError:
        limit = 50
    found = _read(search.search, [q], limit=limit, member=member)
    terms = [t.lower() for t in split_terms([q])]
    hits, grouped = [], {}
    for h in found:
        hit = {
            "owner": h["owner"],
            "session_id": h["session_id"],
            "timestamp": h["ts"],
            "kind": h["kind"],
            "source": {"input": "typed", "output": "screen"}.get(h["direction"], h["direction"]),
            "direction": h["direction"],
            "text": h["text"],
            "matches": _spans(h["text"], terms),
            "project": h["project"],
        }
        hits.append(hit)
        grouped.setdefault(f"{h['owner']}/{h['session_id']}", []).append(hit)
    return JSONResponse(
        {"query": q, "hits": hits, "sessions": [{"session_id": sid, "hits": items} for sid, items in grouped.items()]}
    )


def _spans(text: str, terms) -> list:
    """Where each term occurs in `text` (case-insensitively), in order."""
    low, spans = text.lower(), []
    for term in terms:
        at = low.find(term)
        while term and at >= 0:
            spans.append([at, at + len(term)])
            at = low.find(term, at + len(term))
    return sorted(spans)


def create_team_app(token: str, allow_any_host: bool = False) -> Starlette:
    routes = [
        Route("/", page_sessions),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/search", page_search),
        Route("/session/{owner}/{sid}", page_session),
        Route("/api/sessions", api_sessions),
        Route("/api/search", api_search),
        Route("/api/session/{owner}/{sid}/story", api_story),
        Route("/api/session/{owner}/{sid}/cast", api_cast),
    ]
    return guarded(routes, token, allow_any_host)
