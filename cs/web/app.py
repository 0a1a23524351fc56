"""The web application: pages and the JSON API they use (docs/web.md).

Every handler opens its own read connection to the index (SQLite, WAL: readers
never wait for the watcher) and brings the index up to date at most every
CATCH_UP_S seconds, as every `cs` reading command does. Domain code (cs.ask,
cs.claude, cs.playback) does the work; this module only routes and renders.
"""

import json
import threading
import time
from importlib import resources

import jinja2
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from cs import config
from cs.ask import search as searching
from cs.ask import sessions
from cs.ask.filters import Filters
from cs.errors import CsError
from cs.index import indexer
from cs.log import paths
from cs.log.timestamps import format_timestamp
from cs.units import format_size, parse_moment
from cs.web import charts
from cs.web.guard import Guard

PAGE_SIZE = 50
CATCH_UP_S = 2.0
_caught_up = [0.0]
_catch_up_lock = threading.Lock()


def _db():
    db = indexer.open_index()
    now = time.monotonic()
    if now - _caught_up[0] > CATCH_UP_S and _catch_up_lock.acquire(blocking=False):
        try:
            indexer.catch_up(db, budget=0.5)
            _caught_up[0] = now
        finally:
            _catch_up_lock.release()
    return db


def _filters(request: Request) -> Filters:
    q = request.query_params
    return Filters(
        project=q.get("project") or None,
        since=_moment(q.get("since")),
        until=_moment(q.get("until")),
        direction=searching.DIRECTIONS_BY_SOURCE.get(q.get("source") or "", None),
        kind=q.get("kind") if q.get("kind") in searching.KINDS else None,
    )


def _moment(text):
    if not text:
        return None
    try:
        return format_timestamp(parse_moment(text))
    except ValueError:
        raise CsError(f"not a time: {text!r} (7d, 12h, or YYYY-MM-DD)") from None


def _page(request: Request) -> int:
    try:
        return max(0, int(request.query_params.get("page", "0")))
    except ValueError:
        return 0


def _session_rows(request: Request):
    db = _db()
    try:
        filters = _filters(request)
        page = _page(request)
        rows = sessions.list_sessions(db, filters, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
        more = len(rows) > PAGE_SIZE
        rows = rows[:PAGE_SIZE]
        logs = paths.logs_dir()
        status = request.query_params.get("status")
        redactor = config.redactor()
        for row in rows:
            row["status"] = sessions.live_status(logs, row)
            row["title"] = redactor.text(_title(db, row))
            row["size"] = format_size(row.get("log_bytes") or 0)
        if status:
            rows = [r for r in rows if r["status"] == status]
        return rows, page, more
    finally:
        db.conn.close()


def _title(db, row) -> str:
    """The first prompt of the session (transcript, else typed), else the command."""
    found = db.execute(
        "SELECT text FROM lines WHERE session_id = ? AND ((direction = 'transcript' AND kind = 'prompt')"
        " OR direction = 'input') ORDER BY direction = 'transcript' DESC, ts LIMIT 1",
        [row["id"]],
    ).fetchone()
    return (found[0] if found else row.get("command") or "")[:160]


# ---------------------------------------------------------------- API


def api_sessions(request: Request):
    rows, page, more = _session_rows(request)
    return JSONResponse({"sessions": rows, "page": page, "more": more})


def api_search(request: Request):
    q = request.query_params.get("q", "").strip()
    if not q:
        return JSONResponse({"query": q, "hits": [], "sessions": []})
    db = _db()
    try:
        filters = _filters(request)
        hits = searching.search(db, [q], filters, limit=min(200, int(request.query_params.get("limit", 50))))
    finally:
        db.conn.close()
    grouped = {}
    for hit in hits:
        grouped.setdefault(hit.session_id, []).append(hit.as_dict())
    return JSONResponse(
        {
            "query": q,
            "hits": [h.as_dict() for h in hits],
            "sessions": [{"session_id": sid, "hits": items} for sid, items in grouped.items()],
        }
    )


def _session(db, session_id: str) -> dict:
    sid = sessions.resolve_id(db, session_id)
    data = sessions.session_row(db, sid)
    if data is None:
        raise sessions.SessionNotFound(session_id)
    data["status"] = sessions.live_status(paths.logs_dir(), data)
    data["size"] = format_size(data.get("log_bytes") or 0)
    data["title"] = config.redactor().text(_title(db, data))
    return data


def api_session(request: Request):
    db = _db()
    try:
        return JSONResponse(_session(db, request.path_params["sid"]))
    finally:
        db.conn.close()


def api_conversation(request: Request):
    from cs.claude import conversation

    db = _db()
    try:
        sid = _session(db, request.path_params["sid"])["id"]
        items = conversation.entries(db, sid)
    finally:
        db.conn.close()
    return JSONResponse({"session_id": sid, "entries": [{"ts": e.ts, "kind": e.kind, "text": e.text} for e in items]})


def _story_of(request: Request):
    """(session id, its story: cs.story) of the session in the path."""
    from cs.story.build import build_story

    db = _db()
    try:
        sid = _session(db, request.path_params["sid"])["id"]
        return sid, build_story(paths.logs_dir(), sid, db=db)
    finally:
        db.conn.close()


def api_story(request: Request):
    """The story of the session (cs.story), as `cs show` tells it."""
    sid, story = _story_of(request)
    return JSONResponse({"session_id": sid, "entries": [e.as_dict() for e in story.entries]})


def api_text(request: Request):
    """The story as text, as `cs show` prints it."""
    from cs.story.text import as_lines

    sid, story = _story_of(request)
    return PlainTextResponse(
        "\n".join(as_lines(story.entries)) + "\n", headers={"content-disposition": f'attachment; filename="{sid}.txt"'}
    )


def _sid(request: Request) -> str:
    db = _db()
    try:
        return sessions.resolve_id(db, request.path_params["sid"])
    finally:
        db.conn.close()


def api_cast(request: Request):
    """An asciicast v3 for the player: from `at` (a search hit's position, a
    time into the session, a percentage, a date-time, or `end`; default the start),
    the screen at that moment first, then at most `window` seconds."""
    import io

    from cs.playback import asciicast
    from cs.playback.seek import parse_at

    sid = _sid(request)
    target = parse_at(request.query_params.get("at") or None)
    try:
        window = min(24 * 3600.0, max(1.0, float(request.query_params.get("window", "1800"))))
    except ValueError:
        window = 1800.0
    out = io.StringIO()
    info = asciicast.write_window(out, paths.logs_dir(), sid, target, seconds=window)
    return Response(
        out.getvalue(),
        media_type="application/x-asciicast",
        headers={"x-cs-starts-at": f"{info['starts_at']:.3f}", "x-cs-cut": "1" if info["cut"] else "0"},
    )


async def api_live(request: Request):
    """Server-sent events in asciinema-player's `eventsource` format: a reset
    with the screen as it is now, then output as it is written, then `done`."""
    import anyio
    from starlette.responses import StreamingResponse

    from cs.log.utf8 import decode_chunk
    from cs.playback import seek as seeking
    from cs.playback.redacted import RedactedStream

    sid = await anyio.to_thread.run_sync(_sid, request)
    found = await anyio.to_thread.run_sync(
        lambda: seeking.seek(paths.logs_dir(), sid, seeking.Target(end=True), follow=True)
    )
    cols, rows = found.model.size
    began = found.t
    shown = RedactedStream(found.start)  # secrets out, as in every export

    async def stream():
        init = shown.repaint(found.model.repaint(), cols).decode("utf-8", "replace")
        yield _sse({"cols": cols, "rows": rows, "time": 0, "init": init})
        rest = iter(found.rest)
        done, carry, t = object(), b"", 0.0
        while not await request.is_disconnected():
            event = await anyio.to_thread.run_sync(next, rest, done)
            if event is done or (event is not None and event.kind == "end"):
                break
            if event is None:  # the live edge: nothing new yet; what was held waiting for more
                text, carry = decode_chunk(carry, shown.flush())
                if text:
                    yield _sse([t, "o", text])
                await anyio.sleep(0.05)
                continue
            t = round(max(0.0, event.t - began), 3)
            if event.kind == "o":
                text, carry = decode_chunk(carry, shown.feed(event.data))
                if text:
                    yield _sse([t, "o", text])
            elif event.kind == "r":
                shown.resize(event.data["cols"])
                yield _sse([t, "r", f"{event.data['cols']}x{event.data['rows']}"])
        text, _ = decode_chunk(carry, shown.flush())
        if text:
            yield _sse([t, "o", text])
        yield "event: done\ndata: {}\n\n"

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"x-accel-buffering": "no"})


def _sse(obj) -> str:
    return "data: " + json.dumps(obj, ensure_ascii=False) + "\n\n"


def download(request: Request):
    """A session as a file: asciicast, text, markdown (the conversation) or archive."""
    import io

    fmt = request.path_params["fmt"]
    sid = _sid(request)
    logs = paths.logs_dir()
    if fmt == "asciicast":
        from cs.playback import asciicast

        out = io.StringIO()
        asciicast.write(out, logs, sid)
        body, media, name = out.getvalue().encode(), "application/x-asciicast", f"{sid}.cast"
    elif fmt == "markdown":
        from cs.story.build import build_story
        from cs.story.text import as_markdown

        db = _db()
        try:
            title = _session(db, sid)["title"] or sid[:8]
            story = build_story(logs, sid, db=db)
        finally:
            db.conn.close()
        body, media, name = as_markdown(story.entries, title).encode(), "text/markdown; charset=utf-8", f"{sid}.md"
    elif fmt == "archive":
        from cs.playback import archive

        out = io.BytesIO()
        archive.export(out, logs, [sid])
        body, media, name = out.getvalue(), "application/gzip", f"{sid}.tar.gz"
    else:
        raise CsError(f"no such download format: {fmt!r}")
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})


def api_stats(request: Request):
    from cs.claude import stats

    db = _db()
    try:
        return JSONResponse(stats.compute(db, _filters(request)))
    finally:
        db.conn.close()


# ---------------------------------------------------------------- pages


def page_sessions(request: Request):
    rows, page, more = _session_rows(request)
    return _render(
        request, "sessions.html", {"rows": rows, "page": page, "more": more, "args": dict(request.query_params)}
    )


def page_search(request: Request):
    return _render(request, "search.html", {"q": request.query_params.get("q", "")})


def page_session(request: Request):
    from cs.story.build import build_story

    db = _db()
    try:
        data = _session(db, request.path_params["sid"])
        story = build_story(paths.logs_dir(), data["id"], db=db)
    finally:
        db.conn.close()
    entries = [_story_item(e) for e in story.entries]
    return _render(request, "session.html", {"s": data, "entries": entries, "at": request.query_params.get("at", "")})


def _story_item(entry) -> dict:
    """A story entry for the page: its text, and where the player opens for it
    (its position in the recording, else its time)."""
    at = f"{entry.at[0]}:{entry.at[1]}" if entry.at else (entry.ts or "")
    when = entry.at[2] if entry.at and len(entry.at) > 2 else entry.ts
    return {"kind": entry.kind, "text": entry.text, "at": at, "ts": when or ""}


def page_stats(request: Request):
    from cs.claude import stats

    db = _db()
    try:
        figures = stats.compute(db, _filters(request))
    finally:
        db.conn.close()
    return _render(request, "stats.html", {"f": figures, "svg": charts.all_charts(figures)})


def _render(request: Request, name: str, context: dict) -> Response:
    context = dict(context, csrf=request.scope["state"]["csrf"])
    return TEMPLATES.TemplateResponse(request, name, context)


async def cs_error(request: Request, exc: CsError):
    from cs.errors import NotFound

    status = 404 if isinstance(exc, NotFound) or "no session" in str(exc) else 400
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": str(exc)}, status_code=status)
    return PlainTextResponse(f"{exc}\n", status_code=status)


TEMPLATES = Jinja2Templates(
    env=jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resources.files("cs.web") / "templates")), autoescape=True
    )
)


def _urlencode_args(args: dict, **changes) -> str:
    from urllib.parse import urlencode

    merged = {k: v for k, v in dict(args, **changes).items() if v not in (None, "")}
    return urlencode(merged)


TEMPLATES.env.filters["urlencode_args"] = _urlencode_args


def create_app(token: str, allow_any_host: bool = False) -> Starlette:
    routes = [
        Route("/", page_sessions),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/search", page_search),
        Route("/session/{sid}", page_session),
        Route("/stats", page_stats),
        Route("/api/sessions", api_sessions),
        Route("/api/search", api_search),
        Route("/api/session/{sid}", api_session),
        Route("/api/session/{sid}/conversation", api_conversation),
        Route("/api/session/{sid}/story", api_story),
        Route("/api/session/{sid}/text", api_text),
        Route("/api/session/{sid}/cast", api_cast),
        Route("/api/session/{sid}/live", api_live),
        Route("/api/session/{sid}/download/{fmt}", download),
        Route("/api/stats", api_stats),
    ]
    return guarded(routes, token, allow_any_host)


def guarded(routes: list, token: str, allow_any_host: bool) -> Starlette:
    """The viewer's app (local or --team): its routes, the static files, and
    the one guard (cs.web.guard: loopback, token, CSRF, CSP) before all of them."""
    routes = routes + [
        Mount("/static", StaticFiles(directory=str(resources.files("cs.web") / "static")), name="static"),
        Mount("/vendor", StaticFiles(directory=str(resources.files("cs.playback") / "assets")), name="vendor"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(Guard, token=token, allow_any_host=allow_any_host)],
        exception_handlers={CsError: cs_error},
    )
