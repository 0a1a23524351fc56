"""Shipping without being asked: which sessions are followed, a round of
shipping what is new in them, and the watcher's shipper.

Followed sessions: those shared with `cs share` (kept in cs.team.marks, until
`cs unshare`), and those `team_share` picks (`all`, or `project:GLOB,...` on
the session's project name) among the sessions started since the watcher first
saw that value -- never one taken back with `cs unshare`.

`ship_round` ships, for each followed session with something new since its
watermark (cs.team.share.local_key), what is new (cs.team.share.shipment),
each session in one transaction, its watermark kept once committed. It opens
a connection only when something is to be sent; it stops at the first failure
(the database down: the rest waits too), keeps the error for `cs team status`
(cs.team.connect.remember) and waits before the next try (BACKOFF_S, growing);
nothing is lost (watermarks move only after a commit) and nothing is
duplicated (idempotent keys). `waiting` says what waits.

The watcher (cs.index.watch, through `watcher_hook`, given to it by `cs index
--watch / --daemon`) pokes a `Shipper` after each indexing pass; the shipper
ships in a thread of its own, at most one round at a time, each round bounded
(ROUND_S, CONNECT_TIMEOUT_S, STATEMENT_TIMEOUT_MS): recording and indexing never
wait for it. Without a team URL, or without psycopg, it does nothing and
psycopg is never imported. Tests: tests/test_team_shipping.py
(test_the_database_stopped_in_a_live_shared_session_every_line_arrives_once,
test_team_share_all_project_and_none).
"""

import fnmatch
import threading
import time

from cs import config
from cs.errors import CsError
from cs.log import locks, paths
from cs.team import marks

BACKOFF_S = (2, 5, 15, 30, 60, 120, 300)
ROUND_S = 30.0
CONNECT_TIMEOUT_S = 5
STATEMENT_TIMEOUT_MS = 30_000
RETRY_POLL_S = 2.0
MIN_ROUND_GAP_S = 0.5


def followed(db, state: dict, settings) -> list:
    """The ids of the followed sessions (see the module doc); `state` gains the
    `team_share` value first seen (the caller saves it)."""
    from datetime import UTC, datetime

    from cs.log.timestamps import format_timestamp

    sessions = state.setdefault("sessions", {})
    out = [sid for sid, how in sessions.items() if how == "shared"]
    value = settings.team_share
    auto = state.get("auto") or {}
    if value is None:
        state.pop("auto", None)
    else:
        key = value if isinstance(value, str) else ",".join(value)
        if auto.get("value") != key:
            auto = state["auto"] = {"value": key, "since": format_timestamp(datetime.now(UTC))}
        for sid, project in db.execute(
            "SELECT id, project FROM sessions WHERE started_at >= ? ORDER BY started_at", [auto["since"]]
        ).fetchall():
            if sessions.get(sid) != "unshared" and (
                value == "all" or any(fnmatch.fnmatchcase(project or "", glob) for glob in value)
            ):
                out.append(sid)
    return list(dict.fromkeys(out))


def _stale(db, sid: str, url: str, settings) -> bool:
    """Has the session something to ship since its watermark?"""
    from cs.team import share

    mark = marks.get(sid)
    if mark is None or mark.get("url") != url or mark.get("local") != share.local_key(db, sid):
        return True
    if mark.get("redaction") != share.redaction_fingerprint(settings):
        return True
    return bool(settings.team_share_recording) and not (mark.get("recording") or {}).get("done")


def connect(url: str):
    """A connection for shipping: short connect timeout, bounded statements."""
    from cs.team import connect as connecting

    return connecting.connect(url, timeout=CONNECT_TIMEOUT_S, statement_timeout_ms=STATEMENT_TIMEOUT_MS)


def ship_session(db, conn_box: list, sid: str, url: str) -> tuple:
    """Ship what is new in one session (conn_box: [connection or None], opened
    when first needed); (shipment, counts), counts None when nothing was sent."""
    from cs.team import share

    s = share.shipment(db, paths.logs_dir(), sid, mark=marks.get(sid), url=url)
    return s, _send(conn_box, s, url)


def _send(conn_box: list, s, url: str):
    """Ship a shipment and keep its watermark; the counts, None when it was empty."""
    from cs.team import share

    if s.empty():
        marks.put(s.session_id, s.mark)
        return None
    if conn_box[0] is None:
        conn_box[0] = connect(url)
    try:
        counts = share.ship(conn_box[0], s)
    except CsError:
        if not s.mark:  # the session went from the team database: shipped whole next time
            marks.drop(s.session_id)
        raise
    marks.put(s.session_id, s.mark)
    return counts


def ship_sessions(db, ids: list, url: str, report) -> None:
    """Ship what is new in each session (`cs share`), building the next
    shipment here while a thread of its own has the database write the one
    before (the client's work and the server's overlap); `report(shipment,
    counts)` after each, in order (counts None: nothing was new). The first
    failure stops it and is raised; what was shipped before it is kept.
    Test: tests/test_team.py (every `cs share`)."""
    import queue

    from cs.team import share

    todo, failure, box = queue.Queue(maxsize=1), [], [None]

    def shipper():
        while (s := todo.get()) is not None:
            if failure:
                continue
            try:
                report(s, _send(box, s, url))
            except BaseException as exc:  # raised again by the caller's thread
                failure.append(exc)

    thread = threading.Thread(target=shipper, name="cs-share", daemon=True)
    thread.start()
    try:
        for sid in ids:
            if failure:
                break
            todo.put(share.shipment(db, paths.logs_dir(), sid, mark=marks.get(sid), url=url))
    finally:
        todo.put(None)
        thread.join()
        if box[0] is not None:
            box[0].close()
    if failure:
        raise failure[0]


def ship_round(db, force: bool = False, deadline: float = None) -> dict:
    """One round (see the module doc): {"shipped": sessions, "rows": rows
    written, "left": sessions not reached, "error": message or None,
    "waiting_until": epoch seconds of the next try after a failure}."""
    from cs.team import connect as connecting

    settings = config.settings_cached()
    url = settings.team_url
    result = {"shipped": 0, "rows": 0, "left": 0, "error": None}
    if not url:
        return result
    deadline = deadline if deadline is not None else time.monotonic() + ROUND_S
    with locks.held(LOCK_NAME):
        state = marks.state()
        if not force and time.time() < state.get("next_try", 0):
            result["waiting_until"] = state["next_try"]
            return result
        todo = [sid for sid in followed(db, state, settings) if _stale(db, sid, url, settings)]
        box = [None]
        try:
            for i, sid in enumerate(todo):
                if time.monotonic() > deadline:
                    result["left"] = len(todo) - i
                    break
                try:
                    _s, counts = ship_session(db, box, sid, url)
                except CsError as exc:
                    if "not indexed yet" in str(exc):
                        continue
                    raise
                if counts is not None:
                    result["shipped"] += 1
                    result["rows"] += sum(v for k, v in counts.items() if k not in ("session", "removed"))
            if box[0] is not None:
                connecting.remember()
            state.pop("failures", None)
            state.pop("next_try", None)
        except CsError as exc:  # kept by cs.team.connect.failed; the rest waits for the next try
            failures = state.get("failures", 0) + 1
            state["failures"] = failures
            state["next_try"] = time.time() + BACKOFF_S[min(failures, len(BACKOFF_S)) - 1]
            result["error"], result["waiting_until"] = str(exc), state["next_try"]
            if "cannot" not in str(exc):
                connecting.remember(error=str(exc))
        finally:
            if box[0] is not None:
                try:
                    box[0].close()
                except Exception:
                    pass
            marks.save_state(state)
    return result


LOCK_NAME = marks.LOCK


def waiting(db) -> dict:
    """What waits to be shipped: {"sessions": [{"id", "log_bytes", "lines"}],
    "log_bytes": total, "lines": total} (log bytes and searchable lines not
    shipped yet; a session never shipped counts whole)."""
    settings = config.settings_cached()
    url = settings.team_url
    state = marks.state()
    out = []
    for sid in followed(db, state, settings):
        if not _stale(db, sid, url, settings):
            continue
        mark = marks.get(sid) or {}
        same = mark.get("url") == url
        row = db.execute("SELECT log_bytes FROM sessions WHERE id = ?", [sid]).fetchone()
        if row is None:
            continue
        since = mark.get("lines_from", 0) if same else 0
        lines = db.execute(
            "SELECT count(*) FROM lines WHERE session_id = ? AND id >= ? AND provisional = 0", [sid, since]
        ).fetchone()[0]
        log_bytes = max(0, (row[0] or 0) - (mark.get("log_bytes", 0) if same else 0))
        out.append({"id": sid, "log_bytes": log_bytes, "lines": lines})
    return {
        "sessions": out,
        "log_bytes": sum(s["log_bytes"] for s in out),
        "lines": sum(s["lines"] for s in out),
        "next_try": state.get("next_try"),
    }


def team_ready(settings=None) -> bool:
    """A team URL is set and psycopg is installed (found, not imported)."""
    import importlib.util

    settings = settings or config.settings_cached()
    return bool(settings.team_url) and importlib.util.find_spec("psycopg") is not None


class Shipper:
    """The watcher's shipper (see the module doc): call it after each pass."""

    def __init__(self, report=None):
        self.poked = threading.Event()
        self.stop = threading.Event()
        self.thread = None
        self.report = report or (lambda message: None)
        self.last_error = None

    def __call__(self, stats=None) -> None:
        if self.thread is None:
            if not team_ready():
                return
            self.thread = threading.Thread(target=self._run, name="cs-team-shipper", daemon=True)
            self.thread.start()
        self.poked.set()

    def close(self, timeout: float = 2.0) -> None:
        self.stop.set()
        self.poked.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        from cs.db import open_db

        while not self.stop.is_set():
            self.poked.wait(RETRY_POLL_S)
            if self.stop.is_set():
                return
            self.poked.clear()
            db = None
            try:
                if not team_ready():
                    continue
                db = open_db(paths.db_path(), migrate=False)
                result = ship_round(db)
                if result["error"] and result["error"] != self.last_error:
                    self.report(f"team: {result['error']} (shipping again later; `cs team status`)")
                self.last_error = result["error"]
            except Exception as exc:  # shipping never stops the watcher
                self.report(f"team: shipping failed: {type(exc).__name__}: {exc}")
            finally:
                if db is not None:
                    db.conn.close()
            time.sleep(MIN_ROUND_GAP_S)


def watcher_hook(report=None) -> Shipper:
    return Shipper(report)
