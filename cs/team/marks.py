"""What was shipped of each shared session (its watermark), and which sessions
are followed, kept on this machine: <cs home>/team/ (0700), one private file
per session (<id>.json, 0600, replaced atomically) and state.json (sessions
shared with `cs share` or taken back with `cs unshare`, the `team_share`
value first seen and since when, the backoff after a failure).

Derived data: losing it only means shipping again, idempotently
(cs.team.share) -- except the list of sessions shared by hand, which the next
`cs share` of a session restores. A watermark holds what the recording's
redactor still holds back (possibly the start of a secret): private, like
every file cs writes. Writers hold the lock LOCK. Tests:
tests/test_team_shipping.py (test_marks_are_private_and_losing_them_duplicates_nothing).
"""

import json
import os

from cs.log import paths

DIR = "team"
LOCK = "team-ship.lock"
STATE = "state.json"


def folder():
    return paths.ensure_private_dir(paths.home(DIR))


def _read(name: str):
    try:
        with open(os.path.join(paths.home(DIR), name), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _write(name: str, value) -> None:
    paths.write_private_atomically(os.path.join(folder(), name), json.dumps(value, separators=(",", ":")).encode())


def _name(session_id: str) -> str:
    if not session_id or "/" in session_id or session_id.startswith("."):
        raise ValueError(f"not a session id: {session_id!r}")
    return f"{session_id}.json"


def get(session_id: str):
    """The session's watermark (a dict; cs.team.share), or None."""
    mark = _read(_name(session_id))
    return mark if isinstance(mark, dict) else None


def put(session_id: str, mark: dict) -> None:
    _write(_name(session_id), mark)


def drop(session_id: str) -> None:
    try:
        os.unlink(os.path.join(paths.home(DIR), _name(session_id)))
    except FileNotFoundError:
        pass


def state() -> dict:
    """{"sessions": {id: "shared" | "unshared"}, "auto": {"value", "since"},
    "failures": n, "next_try": epoch seconds}"""
    value = _read(STATE)
    value = value if isinstance(value, dict) else {}
    value.setdefault("sessions", {})
    return value


def save_state(value: dict) -> None:
    _write(STATE, value)


def mark_sessions(session_ids, how: str) -> None:
    """Followed from now on ("shared": `cs share`), or never again ("unshared")."""
    from cs.log import locks

    with locks.held(LOCK):
        current = state()
        for sid in session_ids:
            current["sessions"][sid] = how
            if how == "unshared":
                drop(sid)
        save_state(current)
